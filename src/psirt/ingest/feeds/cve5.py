"""CVE JSON 5.x records (https://github.com/CVEProject/cve-schema), one record or a list.

Mapping onto :class:`~psirt.domain.advisory.Advisory` (``source="cve5"``):

* ``cveMetadata.cveId`` (required), ``datePublished``, ``dateUpdated``; ``state == REJECTED``
  -> ``withdrawn`` (= ``dateUpdated``, else ``datePublished``, else ``dateRejected``);
* ``containers.cna.title`` -> ``summary``; English ``descriptions`` (cna, else
  ``rejectedReasons``) -> ``details``;
* ``metrics`` of the CNA, then of each ADP container: ``cvssV4_0``, ``cvssV3_1``,
  ``cvssV3_0``, ``cvssV2_0`` -> ``severity`` (one vector per CVSS version, the CNA's first),
  and the first metric found (CNA before ADP, newest version first) gives
  ``database_severity`` and ``cvss_base_score``;
* ``problemTypes[].descriptions[]`` with a ``cweId`` (or a description starting ``CWE-n``)
  -> ``cwes``; ``references[].url`` of every container;
* ``affected[]`` entries that carry ``cpes`` -> one OR :class:`CpeNode` per entry, a
  :class:`CpeMatch` per CPE and affected version: ``version`` alone is an exact version,
  ``lessThan`` / ``lessThanOrEqual`` give ``versionStartIncluding`` + ``versionEnd...``
  (``0``, ``*``, ``unspecified``, ``n/a`` mean no bound; a bound containing ``*`` is none),
  ``changes[]`` split a range where the status flips, ``status`` other than ``affected`` and
  ``versionType == git`` are skipped; no versions but ``defaultStatus: affected`` means
  every version. CPE 2.2 URIs are rewritten as CPE 2.3 names;
* ``cpeApplicability`` (CVE 5.1, NVD configuration shape) of every container -> added to
  ``configurations`` as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from psirt.domain.advisory import Advisory, CpeConfiguration, CpeMatch, CpeNode
from psirt.errors import InputError
from psirt.ingest._json import load_json, type_name
from psirt.ingest.feeds import FeedBatch, FeedFormat, FeedProblem
from psirt.ingest.feeds._common import (
    RecordError,
    as_object,
    join,
    opt_list,
    opt_object,
    opt_str,
    opt_timestamp,
    req_str,
    unique,
)
from psirt.ingest.feeds.nvd import parse_configurations
from psirt.matching.cpe import ANY, parse_cpe, version_sort_key

# CVE 5 metric key -> (OSV severity type, rank; higher is newer)
METRIC_KEYS: dict[str, tuple[str, int]] = {
    "cvssV4_0": ("CVSS_V4", 4),
    "cvssV3_1": ("CVSS_V3", 3),
    "cvssV3_0": ("CVSS_V3", 2),
    "cvssV2_0": ("CVSS_V2", 1),
}
_NO_BOUND = frozenset({"", "0", "*", "unspecified", "n/a", "unknown", "-"})


def parse(data: bytes, *, source: str) -> FeedBatch:
    doc = load_json(data, source)
    if isinstance(doc, dict):
        records: list[tuple[str, Any]] = [("", doc)]
    elif isinstance(doc, list):
        records = [(f"[{i}]", item) for i, item in enumerate(doc)]
    else:
        raise InputError(source, None, f"expected a CVE JSON 5 record, got {type_name(doc)}")
    advisories: list[Advisory] = []
    problems: list[FeedProblem] = []
    for location, item in records:
        try:
            advisories.append(parse_record(item, location))
        except RecordError as exc:
            problems.append(FeedProblem(source, _record_id(item), exc.location, exc.reason))
    return FeedBatch(
        source=source,
        format=FeedFormat.CVE5,
        advisories=tuple(advisories),
        problems=tuple(problems),
    )


def _record_id(item: object) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("cveMetadata"), dict):
        value = item["cveMetadata"].get("cveId")
        return value if isinstance(value, str) else None
    return None


def parse_record(value: object, location: str = "") -> Advisory:
    rec = as_object(value, location or "record")
    meta_loc = join(location, "cveMetadata")
    if rec.get("cveMetadata") is None:
        raise RecordError(meta_loc, "missing required field")
    meta = as_object(rec["cveMetadata"], meta_loc)
    cve_id = req_str(meta, "cveId", meta_loc)
    state = (opt_str(meta, "state", meta_loc) or "").upper()
    published = opt_timestamp(meta, "datePublished", meta_loc)
    updated = opt_timestamp(meta, "dateUpdated", meta_loc)
    rejected = opt_timestamp(meta, "dateRejected", meta_loc)
    withdrawn = (updated or published or rejected) if state == "REJECTED" else None

    cont_loc = join(location, "containers")
    containers = opt_object(rec, "containers", location)
    cna_loc = join(cont_loc, "cna")
    cna = opt_object(containers, "cna", cont_loc)
    parts: list[tuple[str, Mapping[str, Any]]] = [(cna_loc, cna)]
    for i, adp in enumerate(opt_list(containers, "adp", cont_loc)):
        here = join(join(cont_loc, "adp"), i)
        parts.append((here, as_object(adp, here)))

    details = _english(opt_list(cna, "descriptions", cna_loc), join(cna_loc, "descriptions"))
    if not details:
        details = _english(
            opt_list(cna, "rejectedReasons", cna_loc), join(cna_loc, "rejectedReasons")
        )
    severity: dict[str, str] = {}
    best: tuple[int, str | None, float | None] | None = None
    cwes: list[str] = []
    references: list[str] = []
    configurations: list[CpeConfiguration] = []
    for here, container in parts:
        for sev_type, vector, rank, base_sev, score in _metrics(container, here):
            severity.setdefault(sev_type, vector)
            if best is None or (best[0] < rank and here == cna_loc):
                best = (rank, base_sev, score)
        cwes.extend(_cwes(container, here))
        for i, ref in enumerate(opt_list(container, "references", here)):
            url = opt_str(as_object(ref, join(join(here, "references"), i)), "url", here)
            if url:
                references.append(url)
        configurations.extend(
            parse_configurations(
                opt_list(container, "cpeApplicability", here), join(here, "cpeApplicability")
            )
        )
    affected_nodes: list[CpeNode] = []
    for i, item in enumerate(opt_list(cna, "affected", cna_loc)):
        node = _affected_node(item, join(join(cna_loc, "affected"), i))
        if node is not None:
            affected_nodes.append(node)
    if affected_nodes:
        configurations.insert(0, CpeConfiguration(operator="OR", nodes=tuple(affected_nodes)))
    order = ("CVSS_V4", "CVSS_V3", "CVSS_V2")
    return Advisory(
        id=cve_id,
        source="cve5",
        modified=updated,
        published=published,
        withdrawn=withdrawn,
        summary=opt_str(cna, "title", cna_loc) or "",
        details=details,
        severity=tuple((t, severity[t]) for t in order if t in severity),
        configurations=_dedupe(configurations),
        references=unique(references),
        cwes=unique(cwes),
        database_severity=best[1] if best else None,
        cvss_base_score=best[2] if best else None,
    )


def _dedupe(configurations: Sequence[CpeConfiguration]) -> tuple[CpeConfiguration, ...]:
    return tuple(dict.fromkeys(configurations))


def _english(items: Sequence[Any], location: str) -> str:
    fallback = ""
    for i, item in enumerate(items):
        here = join(location, i)
        desc = as_object(item, here)
        text = opt_str(desc, "value", here) or ""
        lang = (opt_str(desc, "lang", here) or "").lower()
        if lang == "en" or lang.startswith("en-") or lang.startswith("en_"):
            return text
        fallback = fallback or text
    return fallback


def _metrics(
    container: Mapping[str, Any], location: str
) -> list[tuple[str, str, int, str | None, float | None]]:
    out: list[tuple[str, str, int, str | None, float | None]] = []
    for i, item in enumerate(opt_list(container, "metrics", location)):
        here = join(join(location, "metrics"), i)
        metric = as_object(item, here)
        for key, (sev_type, rank) in METRIC_KEYS.items():
            if metric.get(key) is None:
                continue
            data = as_object(metric[key], join(here, key))
            vector = req_str(data, "vectorString", join(here, key))
            score = data.get("baseScore")
            if score is not None and (
                isinstance(score, bool) or not isinstance(score, int | float)
            ):
                raise RecordError(
                    join(join(here, key), "baseScore"), f"expected a number, got {type_name(score)}"
                )
            base_sev = opt_str(data, "baseSeverity", join(here, key))
            out.append(
                (
                    sev_type,
                    vector,
                    rank,
                    base_sev.upper() if base_sev else None,
                    float(score) if score is not None else None,
                )
            )
    out.sort(key=lambda m: -m[2])
    return out


def _cwes(container: Mapping[str, Any], location: str) -> list[str]:
    out: list[str] = []
    for i, pt in enumerate(opt_list(container, "problemTypes", location)):
        here = join(join(location, "problemTypes"), i)
        for j, desc in enumerate(opt_list(as_object(pt, here), "descriptions", here)):
            d_here = join(join(here, "descriptions"), j)
            d = as_object(desc, d_here)
            cwe = opt_str(d, "cweId", d_here)
            text = opt_str(d, "description", d_here) or ""
            if cwe and cwe.upper().startswith("CWE-"):
                out.append(cwe.upper())
            elif text.upper().startswith("CWE-"):
                head = text.split(":")[0].split()[0].upper()
                if head[4:].isdigit():
                    out.append(head)
    return out


def _affected_node(value: object, location: str) -> CpeNode | None:
    aff = as_object(value, location)
    cpes: list[str] = []
    for i, text in enumerate(opt_list(aff, "cpes", location)):
        here = join(join(location, "cpes"), i)
        if not isinstance(text, str):
            raise RecordError(here, f"expected a string, got {type_name(text)}")
        try:
            cpes.append(parse_cpe(text).to_fs())
        except InputError as exc:
            raise RecordError(here, exc.reason) from None
    if not cpes:
        return None
    default = (opt_str(aff, "defaultStatus", location) or "unknown").lower()
    versions = opt_list(aff, "versions", location)
    spans: list[tuple[str | None, str | None, bool]] = []  # (start, end, end inclusive)
    exact: list[str] = []
    for i, item in enumerate(versions):
        here = join(join(location, "versions"), i)
        v = as_object(item, here)
        version = req_str(v, "version", here)
        status = req_str(v, "status", here).lower()
        if (opt_str(v, "versionType", here) or "").lower() == "git":
            continue
        less_than = opt_str(v, "lessThan", here)
        less_equal = opt_str(v, "lessThanOrEqual", here)
        if less_than is None and less_equal is None:
            if status == "affected" and version.strip().lower() not in _NO_BOUND:
                exact.append(version)
            elif status == "affected":
                spans.append((None, None, False))
            continue
        end, inclusive = (less_than, False) if less_than is not None else (less_equal, True)
        spans.extend(_split_changes(v, here, version, status, end, inclusive))
    matches: list[CpeMatch] = []
    for cpe in cpes:
        parsed = parse_cpe(cpe)
        for version in exact:
            if parsed.version == ANY:
                matches.append(CpeMatch(criteria=_with_version(cpe, version)))
            else:
                matches.append(CpeMatch(criteria=cpe))
        for start, end, inclusive in spans:
            matches.append(
                CpeMatch(
                    criteria=cpe,
                    version_start_including=start,
                    version_end_excluding=end if end is not None and not inclusive else None,
                    version_end_including=end if end is not None and inclusive else None,
                )
            )
        if not versions and default == "affected":
            matches.append(CpeMatch(criteria=cpe))
    if not matches:
        return None
    return CpeNode(operator="OR", negate=False, matches=tuple(dict.fromkeys(matches)))


def _bound(text: str | None) -> str | None:
    if text is None or text.strip().lower() in _NO_BOUND or "*" in text:
        return None
    return text.strip()


def _split_changes(
    v: Mapping[str, Any],
    location: str,
    start: str,
    status: str,
    end: str | None,
    inclusive: bool,
) -> list[tuple[str | None, str | None, bool]]:
    """Affected sub-ranges of ``[start, end)`` once ``changes[]`` have flipped the status."""
    points: list[tuple[str, str]] = []
    for i, item in enumerate(opt_list(v, "changes", location)):
        here = join(join(location, "changes"), i)
        change = as_object(item, here)
        points.append((req_str(change, "at", here), req_str(change, "status", here).lower()))
    points.sort(key=lambda p: version_sort_key(p[0]))
    out: list[tuple[str | None, str | None, bool]] = []
    current_start, current_status = _bound(start), status
    for at, new_status in points:
        if current_status == "affected":
            out.append((current_start, at, False))
        current_start, current_status = at, new_status
    if current_status == "affected":
        out.append((current_start, _bound(end), inclusive))
    return out


def _with_version(cpe: str, version: str) -> str:
    return replace(parse_cpe(cpe), version=version.strip().lower()).to_fs()
