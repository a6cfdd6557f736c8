"""The one severity mapping of every scanner format onto :class:`Severity`.

Each tool writes severity in its own vocabulary. All parsers call :func:`classify` with the
vocabulary (``Scale``) and the raw value; nothing else in psirt maps severities.

=================  ==========================================  =========================
Scale              raw value                                   Severity
=================  ==========================================  =========================
SARIF_LEVEL        error / warning / note / none               high / medium / low / info
BANDIT             HIGH / MEDIUM / LOW / UNDEFINED             high / medium / low / info
SEMGREP            ERROR / WARNING / INFO (and since 1.x:      high / medium / low
                   CRITICAL / HIGH / MEDIUM / LOW)             (critical ... low)
ZAP_RISK           riskcode 3 / 2 / 1 / 0 (or High ... Info)   high / medium / low / info
VENDOR             CRITICAL / HIGH / MEDIUM / MODERATE / LOW   critical / high / medium /
                   / NEGLIGIBLE / INFO / NONE                  medium / low / info ...
                   (Trivy, Grype, osv-scanner, pentest)
CVSS_SCORE         base score or SARIF security-severity:      0 info, 0.1-3.9 low,
                   a number 0.0 - 10.0                         4.0-6.9 medium,
                                                               7.0-8.9 high, 9.0-10 critical
=================  ==========================================  =========================

``security-severity`` (SARIF rule or result properties, Semgrep rule metadata) is a score by
GitHub's convention, but rule sets such as GitLab's write a word (``"Medium"``,
``"CRITICAL"``); :func:`from_security_severity` reads either, words through the VENDOR row.

The CVSS bands are those of CVSS v3.x/v4 (FIRST) and the ones GitHub applies to
``security-severity``. A value the table does not know (for example Trivy ``UNKNOWN``)
gives ``None``; the parser then falls back to a score when there is one and to
``Severity.INFO`` otherwise, keeping the raw value in ``ScanFinding.raw_level``.
"""

from __future__ import annotations

import math
from enum import StrEnum

from psirt.domain.scan import Severity


class Scale(StrEnum):
    SARIF_LEVEL = "sarif-level"
    BANDIT = "bandit"
    SEMGREP = "semgrep"
    ZAP_RISK = "zap-risk"
    VENDOR = "vendor"
    CVSS_SCORE = "cvss-score"


_C, _H, _M, _L, _I = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)

# (scale, lower-case raw value) -> severity. The one table.
TABLE: dict[tuple[Scale, str], Severity] = {
    (Scale.SARIF_LEVEL, "error"): _H,
    (Scale.SARIF_LEVEL, "warning"): _M,
    (Scale.SARIF_LEVEL, "note"): _L,
    (Scale.SARIF_LEVEL, "none"): _I,
    (Scale.BANDIT, "high"): _H,
    (Scale.BANDIT, "medium"): _M,
    (Scale.BANDIT, "low"): _L,
    (Scale.BANDIT, "undefined"): _I,
    (Scale.SEMGREP, "critical"): _C,
    (Scale.SEMGREP, "error"): _H,
    (Scale.SEMGREP, "high"): _H,
    (Scale.SEMGREP, "warning"): _M,
    (Scale.SEMGREP, "medium"): _M,
    (Scale.SEMGREP, "info"): _L,
    (Scale.SEMGREP, "low"): _L,
    (Scale.SEMGREP, "inventory"): _I,
    (Scale.SEMGREP, "experiment"): _I,
    (Scale.ZAP_RISK, "3"): _H,
    (Scale.ZAP_RISK, "2"): _M,
    (Scale.ZAP_RISK, "1"): _L,
    (Scale.ZAP_RISK, "0"): _I,
    (Scale.ZAP_RISK, "high"): _H,
    (Scale.ZAP_RISK, "medium"): _M,
    (Scale.ZAP_RISK, "low"): _L,
    (Scale.ZAP_RISK, "informational"): _I,
    (Scale.ZAP_RISK, "info"): _I,
    (Scale.VENDOR, "critical"): _C,
    (Scale.VENDOR, "high"): _H,
    (Scale.VENDOR, "important"): _H,
    (Scale.VENDOR, "medium"): _M,
    (Scale.VENDOR, "moderate"): _M,
    (Scale.VENDOR, "low"): _L,
    (Scale.VENDOR, "negligible"): _I,
    (Scale.VENDOR, "informational"): _I,
    (Scale.VENDOR, "info"): _I,
    (Scale.VENDOR, "none"): _I,
}

# Lower bounds of the CVSS qualitative bands, highest first.
CVSS_BANDS: tuple[tuple[float, Severity], ...] = ((9.0, _C), (7.0, _H), (4.0, _M), (0.1, _L))


def from_score(score: float) -> Severity | None:
    """The CVSS band of a 0-10 score; ``None`` for values outside 0-10 or NaN."""
    if math.isnan(score) or score < 0.0 or score > 10.0:
        return None
    for bound, severity in CVSS_BANDS:
        if score >= bound:
            return severity
    return _I


def classify(scale: Scale, value: str | float | None) -> Severity | None:
    """Map one raw severity value of ``scale``; ``None`` when the value is not known."""
    if value is None:
        return None
    if scale is Scale.CVSS_SCORE:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return None
        return from_score(value)
    return TABLE.get((scale, str(value).strip().lower()))


def from_security_severity(value: object) -> tuple[Severity | None, float | None]:
    """(severity, score) of a ``security-severity`` value: a number or numeric string in
    0-10 gives its CVSS band and the score, a word its VENDOR severity and no score; anything
    else (absent, ``"Unknown"``, out of range) gives ``(None, None)``, never an error."""
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, int | float):
        score = float(value)
    elif isinstance(value, str):
        try:
            score = float(value.strip())
        except ValueError:
            return classify(Scale.VENDOR, value), None
    else:
        return None, None
    found = from_score(score)
    return (found, score) if found is not None else (None, None)


def resolve(
    scale: Scale,
    value: str | float | None,
    *,
    score: float | None = None,
    default: Severity = Severity.INFO,
) -> Severity:
    """``classify(scale, value)``, else the band of ``score``, else ``default``."""
    found = classify(scale, value)
    if found is None and score is not None:
        found = classify(Scale.CVSS_SCORE, score)
    return default if found is None else found
