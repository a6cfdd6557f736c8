"""Anchore Grype JSON reports (``grype -o json``).

``matches[]`` items: ``vulnerability`` (``id``, ``severity`` Critical/High/Medium/Low/
Negligible/Unknown, ``cvss[]`` with ``metrics.baseScore``, ``fix.versions`` and
``fix.state``, ``urls``, ``description``), ``relatedVulnerabilities[]`` (usually the NVD
record of the same CVE, with its CVSS), and ``artifact`` (``name``, ``version``, ``type``,
``purl``, ``locations[].path``). ``descriptor`` names the tool and version, ``source.target``
what was scanned. One finding per match; severity ``Unknown`` falls back to the highest CVSS
base score of the match.
"""

from __future__ import annotations

from typing import Any

from psirt.domain.scan import PackageLocation, ScanFinding, ScanFormat, ScanKind, ScanResult
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import (
    JsonObject,
    lenient_float,
    obj,
    opt_arr,
    opt_obj,
    opt_str,
    parse_time,
    str_list,
)

TOOL = "grype"


def sniff(doc: Any) -> bool:
    """``matches`` with Grype's ``descriptor``/``source``, or matches that look like Grype's."""
    if not isinstance(doc, dict) or not isinstance(doc.get("matches"), list):
        return False
    if "descriptor" in doc or "source" in doc or "distro" in doc:
        return True
    first = doc["matches"][0] if doc["matches"] else None
    return isinstance(first, dict) and "vulnerability" in first and "artifact" in first


def _max_score(records: list[JsonObject], source: str, path: str) -> float | None:
    best: float | None = None
    for r, record in enumerate(records):
        for c, entry in enumerate(opt_arr(record, "cvss", source, f"{path}[{r}]")):
            cpath = f"{path}[{r}].cvss[{c}]"
            metrics = opt_obj(obj(entry, source, cpath), "metrics", source, cpath)
            score = lenient_float(metrics.get("baseScore"))  # refines the severity only
            if score is not None and (best is None or score > best):
                best = score
    return best


def _match(match: JsonObject, source: str, path: str) -> ScanFinding:
    vuln = opt_obj(match, "vulnerability", source, path)
    vpath = f"{path}.vulnerability"
    vuln_id = opt_str(vuln, "id", source, vpath)
    artifact = opt_obj(match, "artifact", source, path)
    apath = f"{path}.artifact"
    name = opt_str(artifact, "name", source, apath)
    if not vuln_id or not name:
        raise InputError(source, path, "a Grype match needs vulnerability.id and artifact.name")
    related = [
        obj(r, source, f"{path}.relatedVulnerabilities[{i}]")
        for i, r in enumerate(opt_arr(match, "relatedVulnerabilities", source, path))
    ]
    ids = [vuln_id]
    for record in related:
        rid = opt_str(record, "id", source, f"{path}.relatedVulnerabilities")
        if rid and rid not in ids:
            ids.append(rid)
    locations = opt_arr(artifact, "locations", source, apath)
    first_path = None
    if locations and isinstance(locations[0], dict):
        first_path = opt_str(locations[0], "path", source, f"{apath}.locations[0]")
    fix = opt_obj(vuln, "fix", source, vpath)
    fixed = str_list(fix, "versions", source, f"{vpath}.fix")
    location = PackageLocation(
        name=name,
        version=opt_str(artifact, "version", source, apath),
        purl=opt_str(artifact, "purl", source, apath) or None,
        ecosystem=opt_str(artifact, "type", source, apath),
        path=first_path,
        fixed_versions=fixed,
    )
    raw = opt_str(vuln, "severity", source, vpath)
    score = _max_score([vuln, *related], source, f"{path}.records")
    description = opt_str(vuln, "description", source, vpath)
    if not description:
        for record in related:
            description = opt_str(record, "description", source, path)
            if description:
                break
    data_source = opt_str(vuln, "dataSource", source, vpath)
    urls = str_list(vuln, "urls", source, vpath)
    return ScanFinding(
        rule_id=vuln_id,
        title=f"{vuln_id} in {name}",
        severity=severity.resolve(severity.Scale.VENDOR, raw, score=score),
        fingerprint=fingerprint.compute(TOOL, vuln_id, location, vulnerability_ids=ids),
        kind=ScanKind.SCA,
        message=description or "",
        raw_level=raw,
        location=location,
        vulnerability_ids=tuple(ids),
        score=score,
        references=tuple(dict.fromkeys(((data_source,) if data_source else ()) + urls)),
        solution=f"Upgrade {name} to {', '.join(fixed)}" if fixed else None,
    )


def parse(data: bytes, *, source: str) -> ScanResult:
    doc = obj(load_json(data, source), source, "$")
    if not sniff(doc):
        raise InputError(source, None, "not a Grype report: no 'matches' with descriptor/source")
    findings = [
        _match(obj(m, source, f"matches[{i}]"), source, f"matches[{i}]")
        for i, m in enumerate(opt_arr(doc, "matches", source, ""))
    ]
    descriptor = opt_obj(doc, "descriptor", source, "")
    src = opt_obj(doc, "source", source, "")
    target_value = src.get("target")
    target = None
    if isinstance(target_value, str):
        target = target_value
    elif isinstance(target_value, dict):
        target = opt_str(target_value, "userInput", source, "source.target")
    results = fingerprint.disambiguate(findings)
    return ScanResult(
        format=ScanFormat.GRYPE,
        source=source,
        tool=opt_str(descriptor, "name", source, "descriptor") or TOOL,
        tool_version=opt_str(descriptor, "version", source, "descriptor"),
        results=results,
        instances=len(results),
        started=parse_time(
            opt_str(descriptor, "timestamp", source, "descriptor"), source, "descriptor.timestamp"
        ),
        target=target,
    )
