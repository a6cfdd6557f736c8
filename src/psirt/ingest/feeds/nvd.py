"""NVD CVE API 2.0 JSON (https://nvd.nist.gov/developers/vulnerabilities).

Accepted documents: a response page (``{"vulnerabilities": [{"cve": {...}}, ...]}``), one
item (``{"cve": {...}}``), a bare CVE object (``{"id": "CVE-...", ...}``), or a JSON list of
items or CVE objects.

Mapping onto :class:`~psirt.domain.advisory.Advisory` (``source="nvd"``):

* ``id``; ``published`` / ``lastModified`` (NVD writes no zone: UTC);
* ``descriptions[lang=en]`` -> ``details``;
* ``metrics.cvssMetricV40 / V31 / V30 / V2`` -> ``severity`` as ``(CVSS_V4|CVSS_V3|CVSS_V2,
  vector)``, one per CVSS version, newest first, taking the ``Primary`` entry of
  ``nvd@nist.gov`` when there is one, else the first ``Primary``, else the first entry. The
  preferred metric over all versions (NVD primary first, then newest version) gives
  ``database_severity`` (``baseSeverity``) and ``cvss_base_score`` (``baseScore``);
* ``weaknesses[].description[].value`` ``CWE-n`` -> ``cwes`` (``NVD-CWE-Other`` /
  ``NVD-CWE-noinfo`` are not CWEs and are dropped);
* ``references[].url``; ``vulnStatus == "Rejected"`` -> ``withdrawn`` (= ``lastModified``);
* ``configurations[].nodes[].cpeMatch[]`` -> CpeConfiguration / CpeNode / CpeMatch, with the
  four version bounds and ``vulnerable``. Every ``criteria`` must be a CPE 2.3 name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psirt.domain.advisory import Advisory, CpeConfiguration, CpeMatch, CpeNode
from psirt.errors import InputError
from psirt.ingest._json import load_json, type_name
from psirt.ingest.feeds import FeedBatch, FeedFormat, FeedProblem
from psirt.ingest.feeds._common import (
    RecordError,
    as_object,
    join,
    opt_bool,
    opt_list,
    opt_object,
    opt_str,
    opt_timestamp,
    req_str,
    unique,
)
from psirt.matching.cpe import parse_cpe

NVD_SOURCE = "nvd@nist.gov"

# metrics key -> (OSV severity type, CVSS version rank; higher is newer)
METRIC_KEYS: dict[str, tuple[str, int]] = {
    "cvssMetricV40": ("CVSS_V4", 4),
    "cvssMetricV31": ("CVSS_V3", 3),
    "cvssMetricV30": ("CVSS_V3", 2),
    "cvssMetricV2": ("CVSS_V2", 1),
}


def parse(data: bytes, *, source: str) -> FeedBatch:
    doc = load_json(data, source)
    items = _items(doc, source)
    advisories: list[Advisory] = []
    problems: list[FeedProblem] = []
    for location, item in items:
        record_id = item.get("id") if isinstance(item, dict) else None
        try:
            advisories.append(parse_cve(item, location))
        except RecordError as exc:
            problems.append(
                FeedProblem(
                    source,
                    record_id if isinstance(record_id, str) else None,
                    exc.location,
                    exc.reason,
                )
            )
    return FeedBatch(
        source=source, format=FeedFormat.NVD, advisories=tuple(advisories), problems=tuple(problems)
    )


def _items(doc: Any, source: str) -> list[tuple[str, Any]]:
    """(location of the CVE object, CVE object) for every record of the document."""
    if isinstance(doc, dict) and "vulnerabilities" in doc:
        vulns = doc["vulnerabilities"]
        if not isinstance(vulns, list):
            raise InputError(
                source, "vulnerabilities", f"expected an array, got {type_name(vulns)}"
            )
        return [_unwrap(item, f"vulnerabilities[{i}]") for i, item in enumerate(vulns)]
    if isinstance(doc, dict) and ("cve" in doc or "id" in doc):
        return [_unwrap(doc, "")]
    if isinstance(doc, list):
        return [_unwrap(item, f"[{i}]") for i, item in enumerate(doc)]
    raise InputError(source, None, "expected an NVD CVE API 2.0 response, item or CVE object")


def _unwrap(item: Any, location: str) -> tuple[str, Any]:
    if isinstance(item, dict) and "cve" in item:
        return join(location, "cve"), item["cve"]
    return location, item


def parse_cve(value: object, location: str = "") -> Advisory:
    cve = as_object(value, location or "cve")
    cve_id = req_str(cve, "id", location)
    published = opt_timestamp(cve, "published", location)
    modified = opt_timestamp(cve, "lastModified", location)
    status = opt_str(cve, "vulnStatus", location) or ""
    withdrawn = (modified or published) if status.strip().lower() == "rejected" else None
    details = _english(opt_list(cve, "descriptions", location), join(location, "descriptions"))
    severity, base_severity, base_score = parse_metrics(
        opt_object(cve, "metrics", location), join(location, "metrics")
    )
    cwes: list[str] = []
    for i, weakness in enumerate(opt_list(cve, "weaknesses", location)):
        here = join(join(location, "weaknesses"), i)
        for j, desc in enumerate(opt_list(as_object(weakness, here), "description", here)):
            text = opt_str(as_object(desc, join(join(here, "description"), j)), "value", here)
            if text and text.upper().startswith("CWE-"):
                cwes.append(text.upper())
    references: list[str] = []
    for i, ref in enumerate(opt_list(cve, "references", location)):
        url = opt_str(as_object(ref, join(join(location, "references"), i)), "url", location)
        if url:
            references.append(url)
    configurations = parse_configurations(
        opt_list(cve, "configurations", location), join(location, "configurations")
    )
    return Advisory(
        id=cve_id,
        source="nvd",
        modified=modified,
        published=published,
        withdrawn=withdrawn,
        details=details,
        severity=severity,
        configurations=configurations,
        references=unique(references),
        cwes=unique(cwes),
        database_severity=base_severity,
        cvss_base_score=base_score,
    )


def _english(descriptions: Sequence[Any], location: str) -> str:
    fallback = ""
    for i, item in enumerate(descriptions):
        here = join(location, i)
        desc = as_object(item, here)
        text = opt_str(desc, "value", here) or ""
        lang = (opt_str(desc, "lang", here) or "").lower()
        if lang == "en" or lang.startswith("en-"):
            return text
        fallback = fallback or text
    return fallback


def parse_metrics(
    metrics: Mapping[str, Any], location: str
) -> tuple[tuple[tuple[str, str], ...], str | None, float | None]:
    """(severity vectors per CVSS version, baseSeverity, baseScore) of the preferred metric."""
    per_type: dict[str, tuple[int, str]] = {}
    best: tuple[tuple[int, int, int], str | None, float | None] | None = None
    for key, (sev_type, rank) in METRIC_KEYS.items():
        entries = opt_list(metrics, key, location)
        for i, item in enumerate(entries):
            here = join(join(location, key), i)
            entry = as_object(item, here)
            data = as_object(entry.get("cvssData"), join(here, "cvssData"))
            vector = req_str(data, "vectorString", join(here, "cvssData"))
            score = data.get("baseScore")
            if score is not None and (
                isinstance(score, bool) or not isinstance(score, int | float)
            ):
                raise RecordError(
                    join(here, "cvssData.baseScore"), f"expected a number, got {type_name(score)}"
                )
            base_severity = opt_str(data, "baseSeverity", join(here, "cvssData")) or opt_str(
                entry, "baseSeverity", here
            )  # v2 keeps baseSeverity beside cvssData
            primary = (opt_str(entry, "type", here) or "").lower() == "primary"
            by_nvd = (opt_str(entry, "source", here) or "").lower() == NVD_SOURCE
            preference = (int(primary and by_nvd), int(primary), rank)
            # one vector per severity type: the best-preferred entry of the newest version
            type_pref = preference[0] * 100 + preference[1] * 10 + rank
            if sev_type not in per_type or type_pref > per_type[sev_type][0]:
                per_type[sev_type] = (type_pref, vector)
            if best is None or preference > best[0]:
                best = (
                    preference,
                    base_severity.upper() if base_severity else None,
                    float(score) if score is not None else None,
                )
    order = ("CVSS_V4", "CVSS_V3", "CVSS_V2")
    severity = tuple((t, per_type[t][1]) for t in order if t in per_type)
    if best is None:
        return severity, None, None
    return severity, best[1], best[2]


def parse_configurations(
    configurations: Sequence[Any], location: str
) -> tuple[CpeConfiguration, ...]:
    """NVD ``configurations`` (also CVE 5 ``cpeApplicability``, which has the same shape)."""
    out: list[CpeConfiguration] = []
    for i, item in enumerate(configurations):
        here = join(location, i)
        conf = as_object(item, here)
        operator = _operator(conf, here)
        nodes: list[CpeNode] = []
        for j, node_value in enumerate(opt_list(conf, "nodes", here)):
            node_here = join(join(here, "nodes"), j)
            node = as_object(node_value, node_here)
            matches = tuple(
                _cpe_match(m, join(join(node_here, "cpeMatch"), k))
                for k, m in enumerate(opt_list(node, "cpeMatch", node_here))
            )
            nodes.append(
                CpeNode(
                    operator=_operator(node, node_here),
                    negate=opt_bool(node, "negate", node_here, False),
                    matches=matches,
                )
            )
        out.append(CpeConfiguration(operator=operator, nodes=tuple(nodes)))
    return tuple(out)


def _operator(obj: Mapping[str, Any], location: str) -> str:
    text = (opt_str(obj, "operator", location) or "OR").upper()
    if text not in ("OR", "AND"):
        raise RecordError(join(location, "operator"), f"expected OR or AND, got {text!r}")
    return text


def _cpe_match(value: object, location: str) -> CpeMatch:
    m = as_object(value, location)
    criteria = req_str(m, "criteria", location)
    try:
        cpe = parse_cpe(criteria)
    except InputError as exc:
        raise RecordError(join(location, "criteria"), exc.reason) from None
    return CpeMatch(
        criteria=cpe.to_fs() if not criteria.startswith("cpe:2.3:") else criteria,
        vulnerable=opt_bool(m, "vulnerable", location, True),
        version_start_including=opt_str(m, "versionStartIncluding", location) or None,
        version_start_excluding=opt_str(m, "versionStartExcluding", location) or None,
        version_end_including=opt_str(m, "versionEndIncluding", location) or None,
        version_end_excluding=opt_str(m, "versionEndExcluding", location) or None,
    )
