"""Scanner reports (SAST, DAST, SCA, penetration tests): bytes in, :class:`ScanResult` out.

One module per format, one registry::

    PARSERS[ScanFormat.SARIF](data, source="codeql.sarif") -> ScanResult

:func:`detect` sniffs a document once and names its format (``UnknownFormat`` when none
fits); :func:`parse` detects and parses; :func:`inspect` gives the counts a user checks
first. Severity mapping lives in :mod:`.severity`, identity across runs in
:mod:`.fingerprint`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from psirt.domain.scan import ScanFormat, ScanResult
from psirt.errors import UnknownFormat
from psirt.ingest._json import load_json, strip_bom
from psirt.ingest.scans import bandit, grype, osv_scanner, pentest, sarif, semgrep, trivy, zap

Parser = Callable[..., ScanResult]  # (data: bytes, *, source: str) -> ScanResult

PARSERS: dict[ScanFormat, Parser] = {
    ScanFormat.SARIF: sarif.parse,
    ScanFormat.BANDIT: bandit.parse,
    ScanFormat.SEMGREP: semgrep.parse,
    ScanFormat.ZAP_JSON: zap.parse_json,
    ScanFormat.ZAP_XML: zap.parse_xml,
    ScanFormat.TRIVY: trivy.parse,
    ScanFormat.GRYPE: grype.parse,
    ScanFormat.OSV_SCANNER: osv_scanner.parse,
    ScanFormat.PENTEST_JSON: pentest.parse_json,
    ScanFormat.PENTEST_CSV: pentest.parse_csv,
}

# JSON formats in the order they are tried; each test looks at top-level keys only.
_JSON_SNIFFERS: tuple[tuple[ScanFormat, Callable[[Any], bool]], ...] = (
    (ScanFormat.SARIF, sarif.sniff),
    (ScanFormat.PENTEST_JSON, pentest.sniff_json),
    (ScanFormat.ZAP_JSON, zap.sniff_json),
    (ScanFormat.GRYPE, grype.sniff),
    (ScanFormat.TRIVY, trivy.sniff),
    (ScanFormat.BANDIT, bandit.sniff),
    (ScanFormat.OSV_SCANNER, osv_scanner.sniff),
    (ScanFormat.SEMGREP, semgrep.sniff),
)


def _detect_json(doc: Any) -> ScanFormat | None:
    for fmt, sniff in _JSON_SNIFFERS:
        if sniff(doc):
            return fmt
    return None


def _detect(data: bytes, source: str) -> tuple[ScanFormat, Any]:
    """The format and, for JSON, the already decoded document (decoded once)."""
    body = strip_bom(data).lstrip()
    if not body:
        raise UnknownFormat(source, None, "empty document")
    first = body[:1]
    if first == b"<":
        head = body[:2048]
        if b"<OWASPZAPReport" in head:
            return ScanFormat.ZAP_XML, None
        raise UnknownFormat(source, None, "XML document of no supported scanner format")
    if first in (b"{", b"["):
        doc = load_json(data, source)  # the whole text, so that line numbers are the file's
        fmt = _detect_json(doc)
        if fmt is None:
            raise UnknownFormat(source, None, "JSON document of no supported scanner format")
        return fmt, doc
    if pentest.sniff_csv(body):
        return ScanFormat.PENTEST_CSV, None
    raise UnknownFormat(source, None, "not JSON, XML or a penetration-test CSV")


def detect(data: bytes, source: str) -> ScanFormat:
    """Name the format of ``data``; ``UnknownFormat`` when no registered format fits."""
    return _detect(data, source)[0]


def parse(
    data: bytes, *, source: str, format: ScanFormat | None = None, source_root: str | None = None
) -> ScanResult:
    """Parse a scanner report, detecting its format unless ``format`` is given.

    ``source_root``: the directory the tool scanned; SARIF's absolute file URIs under it are
    made relative, so that findings keep their identity in another checkout.
    """
    fmt = detect(data, source) if format is None else format
    if fmt is ScanFormat.SARIF and source_root:
        return sarif.parse(data, source=source, source_root=source_root)
    return PARSERS[fmt](data, source=source)


def _instances_of(result: ScanResult) -> int:
    match result.format:
        case ScanFormat.ZAP_JSON | ScanFormat.ZAP_XML:
            return result.instances
        case (
            ScanFormat.SARIF
            | ScanFormat.BANDIT
            | ScanFormat.SEMGREP
            | ScanFormat.TRIVY
            | ScanFormat.GRYPE
            | ScanFormat.OSV_SCANNER
            | ScanFormat.PENTEST_JSON
            | ScanFormat.PENTEST_CSV
        ):
            return len(result.results)
        case _:
            assert_never(result.format)


def inspect(data: bytes, source: str) -> dict[str, Any]:
    """``{"format", "tool", "tool_version", "results", "instances"}`` of a report.

    ``results`` counts SARIF results over all runs (suppressed ones included), Bandit and
    Semgrep results, ZAP alert items over all sites, Trivy/Grype/osv-scanner findings;
    ``instances`` counts ZAP alert instances and equals ``results`` for other formats.
    """
    result = parse(data, source=source)
    return {
        "format": result.format.value,
        "tool": result.tool,
        "tool_version": result.tool_version,
        "results": len(result.results),
        "instances": _instances_of(result),
        "suppressed": sum(1 for f in result.results if f.suppressed),
    }


__all__ = ["PARSERS", "Parser", "detect", "inspect", "parse"]
