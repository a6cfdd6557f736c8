"""Readable severities from CVSS vectors and database labels."""

from __future__ import annotations

from functools import lru_cache

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from psirt.domain.scan import Severity


@lru_cache(maxsize=4096)
def cvss_score(vector: str) -> tuple[float, str] | None:
    """(base score, rating) of a CVSS v2, v3.x or v4.0 vector; None when it is not one."""
    try:
        if vector.startswith("CVSS:4.0/"):
            c4 = CVSS4(vector)
            return float(c4.base_score), str(c4.severity).upper()
        if vector.startswith("CVSS:3."):
            c3 = CVSS3(vector)
            return float(c3.base_score), str(c3.severities()[0]).upper()
        if "AV:" in vector and "Au:" in vector:
            c2 = CVSS2(vector)
            score = float(c2.base_score)
            return score, ("HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW")
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def severity_label(value: str | None) -> str | None:
    """``"9.8 CRITICAL"`` for a CVSS vector, the label itself for a database severity."""
    if not value:
        return None
    scored = cvss_score(value)
    if scored is None:
        return value
    return f"{scored[0]:.1f} {scored[1]}"


# Advisory databases' own labels (GHSA, OSV database_specific, Ubuntu, Debian, Red Hat) and
# CVSS ratings on psirt's one severity scale.
_LABELS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.INFO,
    "unimportant": Severity.INFO,
    "none": Severity.INFO,
    "info": Severity.INFO,
    "informational": Severity.INFO,
}


def _of_score(score: float) -> Severity:
    """CVSS v3/v4 qualitative rating of a base score (NONE is info)."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if score > 0 else Severity.INFO


def severity_level(value: str | None) -> Severity | None:
    """A finding's severity (CVSS vector, base score or database label) on psirt's scale;
    None when there is none or it is not one of those."""
    if not value or not value.strip():
        return None
    scored = cvss_score(value)
    if scored is not None:
        return _of_score(scored[0])
    text = value.strip().lower()
    found = _LABELS.get(text)
    if found is not None:
        return found
    try:
        score = float(text)
    except ValueError:
        return None
    return _of_score(score) if 0.0 <= score <= 10.0 else None
