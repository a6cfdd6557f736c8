"""Bandit JSON reports (``bandit -f json``).

``results[]`` items: ``test_id`` (rule), ``test_name``, ``issue_severity`` and
``issue_confidence`` (HIGH/MEDIUM/LOW/UNDEFINED), ``issue_cwe`` (``{"id": 78}``, Bandit
1.7.3+), ``issue_text``, ``filename``, ``line_number``, ``line_range``, ``col_offset``
(0-based), ``end_col_offset``, ``code`` (the lines around the issue, each prefixed with its
number) and ``more_info``. The snippet kept is the lines of ``line_range`` with their
numbers removed, so that context lines that change do not change the identity.
"""

from __future__ import annotations

from typing import Any

from psirt.domain.scan import CodeLocation, ScanFinding, ScanFormat, ScanKind, ScanResult
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import obj, opt_arr, opt_int, opt_obj, opt_str, parse_time

TOOL = "Bandit"


def sniff(doc: Any) -> bool:
    """``results`` plus Bandit's ``metrics`` or ``generated_at``, or items with ``test_id``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        return False
    if "metrics" in doc and "generated_at" in doc:
        return True
    first = doc["results"][0] if doc["results"] else None
    return isinstance(first, dict) and "test_id" in first and "issue_severity" in first


def _snippet(code: str | None, lines: set[int]) -> str | None:
    if not code:
        return None
    kept = []
    for line in code.splitlines():
        number, _, text = line.partition(" ")
        if number.isdigit() and int(number) in lines:
            kept.append(text.strip())
    return "\n".join(kept) if kept else None


def _cwe(value: object) -> int | None:
    """``issue_cwe.id``: 78, "78" or "CWE-78"; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str):
        digits = value.strip().upper().removeprefix("CWE-")
        return int(digits) if digits.isdigit() and len(digits) < 10 else None
    return None


def parse(data: bytes, *, source: str) -> ScanResult:
    doc = obj(load_json(data, source), source, "$")
    if "results" not in doc:
        raise InputError(source, None, "not a Bandit report: no 'results'")
    findings = []
    for i, raw in enumerate(opt_arr(doc, "results", source, "")):
        path = f"results[{i}]"
        item = obj(raw, source, path)
        rule_id = opt_str(item, "test_id", source, path)
        filename = opt_str(item, "filename", source, path)
        if not rule_id or filename is None:
            raise InputError(source, path, "a Bandit result needs test_id and filename")
        line = opt_int(item, "line_number", source, path)
        line_range = [
            n for n in opt_arr(item, "line_range", source, path) if isinstance(n, int)
        ] or ([line] if line is not None else [])
        column = opt_int(item, "col_offset", source, path)
        end_column = opt_int(item, "end_col_offset", source, path)
        location = CodeLocation(
            path=filename,
            start_line=line,
            start_column=None if column is None else column + 1,
            end_line=max(line_range) if line_range else line,
            end_column=None if end_column is None else end_column + 1,
            snippet=_snippet(opt_str(item, "code", source, path), set(line_range)),
        )
        raw_sev = opt_str(item, "issue_severity", source, path)
        cwe = _cwe(opt_obj(item, "issue_cwe", source, path).get("id"))
        more = opt_str(item, "more_info", source, path)
        findings.append(
            ScanFinding(
                rule_id=rule_id,
                title=opt_str(item, "test_name", source, path) or rule_id,
                severity=severity.resolve(severity.Scale.BANDIT, raw_sev),
                fingerprint=fingerprint.compute(TOOL, rule_id, location),
                kind=ScanKind.SAST,
                message=opt_str(item, "issue_text", source, path) or "",
                raw_level=raw_sev,
                confidence=(opt_str(item, "issue_confidence", source, path) or "").lower() or None,
                cwes=(cwe,) if cwe else (),
                location=location,
                references=(more,) if more else (),
            )
        )
    results = fingerprint.disambiguate(findings)
    ended = parse_time(opt_str(doc, "generated_at", source, ""), source, "generated_at")
    return ScanResult(
        format=ScanFormat.BANDIT,
        source=source,
        tool=TOOL,
        tool_version=None,
        results=results,
        instances=len(results),
        ended=ended,
    )
