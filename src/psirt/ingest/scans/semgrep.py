"""Semgrep JSON reports (``semgrep --json``).

``results[]`` items: ``check_id`` (rule), ``path``, ``start``/``end`` (``line``, ``col``,
1-based), and ``extra``: ``message``, ``severity`` (ERROR/WARNING/INFO, or since Semgrep
1.x CRITICAL/HIGH/MEDIUM/LOW), ``metadata`` (``cwe`` as a string or a list of
``"CWE-78: ..."``, ``confidence``, ``references``), ``lines`` (the matched code),
``is_ignored`` (a ``nosemgrep`` comment: reported as suppressed) and ``fingerprint``.
Semgrep writes ``"requires login"`` instead of ``lines`` and ``fingerprint`` for logged-out
users; such placeholders are not used as snippets.
"""

from __future__ import annotations

import re
from typing import Any

from psirt.domain.scan import CodeLocation, ScanFinding, ScanFormat, ScanKind, ScanResult
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import obj, opt_arr, opt_int, opt_obj, opt_str

TOOL = "Semgrep"
_CWE = re.compile(r"CWE-0*(\d+)", re.IGNORECASE)
_PLACEHOLDER = "requires login"


def sniff(doc: Any) -> bool:
    """``results`` and ``errors``, with items that have ``check_id`` (or none at all)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        return False
    results = doc["results"]
    if results:
        return isinstance(results[0], dict) and "check_id" in results[0]
    return "errors" in doc and "metrics" not in doc


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def parse(data: bytes, *, source: str) -> ScanResult:
    doc = obj(load_json(data, source), source, "$")
    if "results" not in doc:
        raise InputError(source, None, "not a Semgrep report: no 'results'")
    findings = []
    for i, raw in enumerate(opt_arr(doc, "results", source, "")):
        path = f"results[{i}]"
        item = obj(raw, source, path)
        rule_id = opt_str(item, "check_id", source, path)
        file_path = opt_str(item, "path", source, path)
        if not rule_id or file_path is None:
            raise InputError(source, path, "a Semgrep result needs check_id and path")
        start = opt_obj(item, "start", source, path)
        end = opt_obj(item, "end", source, path)
        extra = opt_obj(item, "extra", source, path)
        epath = f"{path}.extra"
        meta = opt_obj(extra, "metadata", source, epath)
        lines = opt_str(extra, "lines", source, epath)
        if lines is not None and lines.strip().lower() == _PLACEHOLDER:
            lines = None
        location = CodeLocation(
            path=file_path,
            start_line=opt_int(start, "line", source, f"{path}.start"),
            start_column=opt_int(start, "col", source, f"{path}.start"),
            end_line=opt_int(end, "line", source, f"{path}.end"),
            end_column=opt_int(end, "col", source, f"{path}.end"),
            snippet=lines,
        )
        raw_sev = opt_str(extra, "severity", source, epath)
        cwes = sorted({int(n) for text in _strings(meta.get("cwe")) for n in _CWE.findall(text)})
        confidence = meta.get("confidence")
        message = opt_str(extra, "message", source, epath) or ""
        findings.append(
            ScanFinding(
                rule_id=rule_id,
                title=rule_id.rsplit(".", 1)[-1],
                severity=severity.resolve(severity.Scale.SEMGREP, raw_sev),
                fingerprint=fingerprint.compute(TOOL, rule_id, location),
                kind=ScanKind.SAST,
                message=message.strip(),
                raw_level=raw_sev,
                confidence=confidence.lower() if isinstance(confidence, str) else None,
                cwes=tuple(cwes),
                location=location,
                suppressed=extra.get("is_ignored") is True,
                references=tuple(_strings(meta.get("references"))),
                solution=opt_str(extra, "fix", source, epath),
            )
        )
    results = fingerprint.disambiguate(findings)
    return ScanResult(
        format=ScanFormat.SEMGREP,
        source=source,
        tool=TOOL,
        tool_version=opt_str(doc, "version", source, ""),
        results=results,
        instances=len(results),
    )
