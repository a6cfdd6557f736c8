"""Format detection for vulnerability feeds: look once, say what it is, or refuse.

Order of the checks (the first that fits wins):

1. JSON object with ``cveMetadata`` -> CVE 5; with ``catalogVersion`` or a
   ``vulnerabilities`` list whose items carry ``cveID`` -> KEV; with ``format == "NVD_CVE"``,
   a ``vulnerabilities`` list of ``{"cve": ...}`` items, a ``cve`` object, or a CVE object
   with ``sourceIdentifier``/``vulnStatus``/``descriptions`` -> NVD; with ``id`` plus
   ``modified``/``affected``/``schema_version``/``aliases``/``published`` -> OSV.
2. JSON list: judged by its first element (OSV records, NVD items or CVE 5 records).
3. Text whose first line is ``#model_version:``/``#score_date`` or the header
   ``cve,epss,percentile`` -> EPSS; a CSV header starting with ``cveID,`` -> KEV.
4. YAML mapping (or list of mappings) with an ``id`` -> OSV (OSV is the only YAML feed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psirt.errors import InputError, LimitExceeded, UnknownFormat
from psirt.ingest._json import load_json, strip_bom
from psirt.ingest.feeds import FeedFormat
from psirt.ingest.feeds._common import load_yaml, looks_like_json
from psirt.ingest.text import decode_utf8

_OSV_KEYS = ("modified", "affected", "schema_version", "aliases", "published", "withdrawn")


def detect(data: bytes, source: str) -> FeedFormat:
    """Which feed format ``data`` is; raises :class:`UnknownFormat` when none fits."""
    body = strip_bom(data).lstrip()
    if not body:
        raise UnknownFormat(source, None, "empty document")
    if looks_like_json(body):
        try:
            doc = load_json(data, source)  # the whole file, so that places are the file's
        except InputError as exc:
            raise UnknownFormat(source, exc.location, exc.reason) from None
        found = _from_json(doc)
        if found is None:
            raise UnknownFormat(source, None, f"JSON is not a known feed format ({_shape(doc)})")
        return found
    head = body[:512].decode("utf-8", errors="replace").splitlines()[0].strip().lower()
    if head.startswith(("#model_version", "#score_date")) or head.replace(" ", "").startswith(
        "cve,epss,percentile"
    ):
        return FeedFormat.EPSS
    if head.startswith(("cveid,", '"cveid",')):
        return FeedFormat.KEV
    try:
        text = decode_utf8(data, source)
    except InputError as exc:
        raise UnknownFormat(source, exc.location, exc.reason) from None
    try:
        doc = load_yaml(text, source)
    except LimitExceeded:
        raise
    except InputError:
        raise UnknownFormat(source, None, "neither JSON, YAML nor a known CSV feed") from None
    first = doc[0] if isinstance(doc, list) and doc else doc
    if isinstance(first, dict) and "id" in first:
        return FeedFormat.OSV
    raise UnknownFormat(source, None, "not a known feed format")


def _from_json(doc: Any) -> FeedFormat | None:
    if isinstance(doc, list):
        return _from_json(doc[0]) if doc and isinstance(doc[0], dict) else None
    if not isinstance(doc, dict):
        return None
    if "cveMetadata" in doc or doc.get("dataType") == "CVE_RECORD":
        return FeedFormat.CVE5
    vulns = doc.get("vulnerabilities")
    first = vulns[0] if isinstance(vulns, list) and vulns else None
    if "catalogVersion" in doc or (isinstance(first, Mapping) and "cveID" in first):
        return FeedFormat.KEV
    if doc.get("format") == "NVD_CVE" or (isinstance(first, Mapping) and "cve" in first):
        return FeedFormat.NVD
    if isinstance(doc.get("cve"), dict):
        return FeedFormat.NVD
    if "id" in doc and any(k in doc for k in ("sourceIdentifier", "vulnStatus", "descriptions")):
        return FeedFormat.NVD
    if "id" in doc and any(k in doc for k in _OSV_KEYS):
        return FeedFormat.OSV
    return None


def _shape(doc: Any) -> str:
    if isinstance(doc, dict):
        keys = ", ".join(sorted(str(k) for k in doc)[:6])
        return f"object with keys {keys}" if keys else "empty object"
    if isinstance(doc, list):
        return f"list of {len(doc)}"
    return type(doc).__name__
