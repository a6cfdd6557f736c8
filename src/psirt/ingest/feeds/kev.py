"""CISA Known Exploited Vulnerabilities catalog, JSON or CSV.

JSON: ``{"catalogVersion": ..., "vulnerabilities": [{"cveID": ..., ...}]}`` (schema
``known_exploited_vulnerabilities_schema.json``); CSV: the same field names as a header row.
Both give the same :class:`~psirt.domain.advisory.KevEntry` values: ``cveID``,
``vendorProject``, ``product``, ``vulnerabilityName``, ``dateAdded`` (required),
``dueDate``, ``knownRansomwareCampaignUse`` and ``requiredAction``. A row whose ``cveID`` is
missing or not ``CVE-YYYY-NNNN...``, or whose dates are not ``YYYY-MM-DD``, is reported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from psirt.domain.advisory import KevEntry
from psirt.errors import InputError
from psirt.ingest._json import load_json, type_name
from psirt.ingest.feeds import FeedBatch, FeedFormat, FeedProblem
from psirt.ingest.feeds._common import (
    RecordError,
    as_object,
    decode_text,
    join,
    looks_like_json,
    opt_str,
    parse_date,
    req_str,
)

CSV_HEADER = ("cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded")
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")


def parse(data: bytes, *, source: str) -> FeedBatch:
    if looks_like_json(data):
        rows = _json_rows(data, source)
    else:
        rows = _csv_rows(data, source)
    entries: list[KevEntry] = []
    problems: list[FeedProblem] = []
    for location, row in rows:
        try:
            entries.append(parse_entry(row, location))
        except RecordError as exc:
            cve = row.get("cveID") if isinstance(row, dict) else None
            problems.append(
                FeedProblem(source, cve if isinstance(cve, str) else None, exc.location, exc.reason)
            )
    return FeedBatch(
        source=source, format=FeedFormat.KEV, kev=tuple(entries), problems=tuple(problems)
    )


def _json_rows(data: bytes, source: str) -> list[tuple[str, Any]]:
    doc = load_json(data, source)
    if not isinstance(doc, dict) or "vulnerabilities" not in doc:
        raise InputError(source, None, "expected a KEV catalog object with 'vulnerabilities'")
    vulns = doc["vulnerabilities"]
    if not isinstance(vulns, list):
        raise InputError(source, "vulnerabilities", f"expected an array, got {type_name(vulns)}")
    return [(f"vulnerabilities[{i}]", item) for i, item in enumerate(vulns)]


def _csv_rows(data: bytes, source: str) -> list[tuple[str, Any]]:
    text = decode_text(data, source)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [name for name in CSV_HEADER if name not in header]
    if missing:
        raise InputError(source, "line 1", f"KEV CSV header lacks {', '.join(missing)}")
    rows: list[tuple[str, Any]] = []
    try:
        for row in reader:
            if None in row:  # more cells than header fields
                rows.append((f"line {reader.line_num}", {"__extra__": True, **row}))
            else:
                rows.append((f"line {reader.line_num}", row))
    except csv.Error as exc:
        raise InputError(source, f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    return rows


def parse_entry(value: object, location: str) -> KevEntry:
    row: Mapping[str, Any] = as_object(value, location)
    if row.get("__extra__"):
        raise RecordError(location, "row has more cells than the header")
    cve_id = req_str(row, "cveID", location).strip()
    if not _CVE_ID.fullmatch(cve_id):
        raise RecordError(join(location, "cveID"), f"not a CVE id: {cve_id!r}")
    added = parse_date(req_str(row, "dateAdded", location), join(location, "dateAdded"))
    due_text = opt_str(row, "dueDate", location)
    due = parse_date(due_text, join(location, "dueDate")) if due_text and due_text.strip() else None
    ransomware = (opt_str(row, "knownRansomwareCampaignUse", location) or "").strip()
    return KevEntry(
        cve_id=cve_id,
        vendor=(opt_str(row, "vendorProject", location) or "").strip(),
        product=(opt_str(row, "product", location) or "").strip(),
        name=(opt_str(row, "vulnerabilityName", location) or "").strip(),
        date_added=added,
        due_date=due,
        known_ransomware=ransomware or None,
        required_action=(opt_str(row, "requiredAction", location) or "").strip(),
    )
