"""Stable identity of a scan finding across runs.

A fingerprint must stay the same when the same weakness is reported again by the next scan,
and must differ for different weaknesses. It is therefore built from the tool, the rule and
the *location*, never from free text: descriptions, messages, titles and solutions are
rewritten by tools between versions and even between runs (DefectDojo issue #12618 shows
hash codes that changed because a description did).

Precedence, first match wins:

1. SARIF ``result.fingerprints`` - the tool's own stable identity, by the SARIF definition
   (3.27.16): key/value pairs, taken sorted, with the rule id.
2. SARIF ``result.partialFingerprints`` - the tool's contributions to matching (CodeQL's
   ``primaryLocationLineHash`` is a hash of the line's text plus an occurrence number). They
   do not always name the file, so the normalised path and the rule id are added.
3. The location, by kind:

   * code (SAST, secrets, misconfigurations): normalised path plus the normalised code
     snippet (whitespace runs collapsed) when the tool gives one, so that lines inserted
     above do not change the identity; otherwise path plus region
     (start/end line/column); otherwise the path alone;
   * web (DAST, penetration tests): URL with scheme and host lower-cased, default port and
     fragment removed and query *values* dropped (names kept, sorted), plus the upper-cased
     method and the parameter name;
   * package (SCA): the package identity without version (purl type/namespace/name, or
     ecosystem and name) plus the primary vulnerability id, so that an upgrade that is still
     vulnerable keeps the identity.

4. With no location at all, the rule id alone.

The tool name (lower case) is part of every key. When one report holds several findings with
the same key, the second and later ones get ``#2``, ``#3`` ... appended in document order
(:func:`disambiguate`), so that identities within one scan are unique.

The fingerprint is the first 32 hex digits of SHA-256 over the key parts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from psirt.domain.scan import CodeLocation, Location, PackageLocation, ScanFinding, WebLocation

_SEP = "\x1f"
_WS = re.compile(r"\s+")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256(_SEP.join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normalise_path(path: str) -> str:
    """Forward slashes, no ``./`` prefix, no ``file://`` scheme, percent-escapes decoded."""
    text = path.strip()
    if text.lower().startswith("file://"):
        text = text[7:]
    text = unquote(text).replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return re.sub(r"/{2,}", "/", text)


def normalise_snippet(text: str) -> str:
    """Collapse every run of whitespace to one space and trim both ends."""
    return _WS.sub(" ", text).strip()


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and query values removed."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    query = "&".join(names)
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, query, ""))


def _package_identity(loc: PackageLocation) -> str:
    if loc.purl:
        base = loc.purl.split("?", 1)[0].split("#", 1)[0]
        at = base.rfind("@")
        slash = base.rfind("/")
        if at > slash:
            base = base[:at]
        return base.lower()
    return f"{(loc.ecosystem or '').lower()}/{loc.name}"


def location_key(location: Location | None, vulnerability_ids: Sequence[str] = ()) -> list[str]:
    """The identifying parts of a location (step 3 of the precedence)."""
    if isinstance(location, CodeLocation):
        path = normalise_path(location.path)
        if location.snippet and location.snippet.strip():
            return ["code-snippet", path, normalise_snippet(location.snippet)]
        if location.start_line is not None:
            region = (
                location.start_line,
                location.start_column,
                location.end_line,
                location.end_column,
            )
            return ["code-region", path, ":".join("" if n is None else str(n) for n in region)]
        return ["code-file", path]
    if isinstance(location, WebLocation):
        return [
            "web",
            normalise_url(location.url),
            (location.method or "").upper(),
            location.parameter or "",
        ]
    if isinstance(location, PackageLocation):
        primary = vulnerability_ids[0] if vulnerability_ids else ""
        return ["package", _package_identity(location), primary.upper()]
    return ["none"]


def compute(
    tool: str | None,
    rule_id: str,
    location: Location | None,
    *,
    vulnerability_ids: Sequence[str] = (),
    fingerprints: Iterable[tuple[str, str]] = (),
    partial_fingerprints: Iterable[tuple[str, str]] = (),
) -> str:
    """The fingerprint of one finding (see the module docstring for the precedence)."""
    head = [(tool or "").strip().lower(), rule_id]
    full = sorted(fingerprints)
    if full:
        return _digest([*head, "sarif-fingerprints", *(f"{k}={v}" for k, v in full)])
    partial = sorted(partial_fingerprints)
    if partial:
        path = normalise_path(location.path) if isinstance(location, CodeLocation) else ""
        return _digest([*head, "sarif-partial", path, *(f"{k}={v}" for k, v in partial)])
    return _digest([*head, *location_key(location, vulnerability_ids)])


def instance_fingerprint(tool: str | None, rule_id: str, instance: WebLocation) -> str:
    """Identity of one ZAP alert instance (URL, method, parameter), for instance-level tracking."""
    return compute(tool, rule_id, instance)


def disambiguate(findings: Sequence[ScanFinding]) -> tuple[ScanFinding, ...]:
    """Make fingerprints unique within one report: repeats get ``#n`` in document order."""
    seen: dict[str, int] = {}
    out: list[ScanFinding] = []
    for finding in findings:
        count = seen.get(finding.fingerprint, 0) + 1
        seen[finding.fingerprint] = count
        if count == 1:
            out.append(finding)
        else:
            unique = _digest([finding.fingerprint, f"#{count}"])
            out.append(dataclasses.replace(finding, fingerprint=unique))
    return tuple(out)
