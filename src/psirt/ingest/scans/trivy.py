"""Trivy JSON reports (``trivy ... --format json``).

Three shapes are read:

* schema 2 (Trivy 0.20+): ``{"SchemaVersion": 2, "ArtifactName", "CreatedAt", "Results": []}``;
* legacy (before 0.20): a bare array of results, or ``null`` when there were none;
* Kubernetes (``trivy k8s``): ``{"ClusterName", "Resources": [{"Namespace", "Kind", "Name",
  "Results": []}]}``, and the older split ``{"ClusterName", "Vulnerabilities": [...],
  "Misconfigurations": [...]}`` with the same resource objects.

Each result (``Target``, ``Class``, ``Type``) contributes one finding per entry of
``Vulnerabilities`` (SCA: package, installed and fixed versions, ``CweIDs``, CVSS),
``Misconfigurations`` (a check ``ID`` on the target file, ``CauseMetadata`` lines; ``Status``
PASS becomes ``result_kind="pass"``), ``Secrets`` (rule, lines, the redacted ``Match`` as
snippet) and ``Licenses`` (license name on a package or file). Severity goes through the
shared table (``UNKNOWN`` falls back to the CVSS score of the severity source, then NVD).
"""

from __future__ import annotations

from typing import Any

from psirt.domain.scan import (
    CodeLocation,
    Location,
    PackageLocation,
    ScanFinding,
    ScanFormat,
    ScanKind,
    ScanResult,
)
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import (
    JsonObject,
    arr,
    lenient_float,
    obj,
    opt_arr,
    opt_int,
    opt_obj,
    opt_str,
    parse_time,
    str_list,
)

TOOL = "Trivy"
_SECTION_KEYS = ("Vulnerabilities", "Misconfigurations", "Secrets", "Licenses", "Type", "Class")


def sniff(doc: Any) -> bool:
    if isinstance(doc, dict):
        return "SchemaVersion" in doc or (
            "ClusterName" in doc
            and any(k in doc for k in ("Resources", "Vulnerabilities", "Misconfigurations"))
        )
    if isinstance(doc, list) and doc:
        return all(
            isinstance(r, dict) and "Target" in r and any(k in r for k in _SECTION_KEYS)
            for r in doc
        )
    return False


def _score(vuln: JsonObject, source: str, path: str) -> float | None:
    """The CVSS score of the severity source, else NVD's, else any; a score that is no
    number is passed over (it only refines the severity)."""
    cvss = opt_obj(vuln, "CVSS", source, path)
    order = [opt_str(vuln, "SeveritySource", source, path) or "", "nvd", *cvss.keys()]
    for key in order:
        entry = cvss.get(key)
        if isinstance(entry, dict):
            for field in ("V40Score", "V3Score", "V2Score"):
                score = lenient_float(entry.get(field))
                if score is not None:
                    return score
    return None


def _cwes(values: tuple[str, ...]) -> tuple[int, ...]:
    out = set()
    for value in values:
        digits = value.upper().removeprefix("CWE-")
        if digits.isdigit():
            out.add(int(digits))
    return tuple(sorted(out))


def _vulnerability(v: JsonObject, target: str, source: str, path: str) -> ScanFinding:
    vuln_id = opt_str(v, "VulnerabilityID", source, path) or ""
    name = opt_str(v, "PkgName", source, path)
    if not name:
        raise InputError(source, path, "a Trivy vulnerability needs PkgName")
    ident = opt_obj(v, "PkgIdentifier", source, path)
    fixed = opt_str(v, "FixedVersion", source, path)
    location = PackageLocation(
        name=name,
        version=opt_str(v, "InstalledVersion", source, path),
        purl=opt_str(ident, "PURL", source, f"{path}.PkgIdentifier"),
        path=opt_str(v, "PkgPath", source, path) or target,
        fixed_versions=tuple(x.strip() for x in fixed.split(",") if x.strip()) if fixed else (),
    )
    raw = opt_str(v, "Severity", source, path)
    score = _score(v, source, path)
    ids = (vuln_id, *str_list(v, "VendorIDs", source, path)) if vuln_id else ()
    primary = opt_str(v, "PrimaryURL", source, path)
    refs = str_list(v, "References", source, path)
    return ScanFinding(
        rule_id=vuln_id,
        title=opt_str(v, "Title", source, path) or vuln_id or name,
        severity=severity.resolve(severity.Scale.VENDOR, raw, score=score),
        fingerprint=fingerprint.compute(TOOL, vuln_id, location, vulnerability_ids=ids),
        kind=ScanKind.SCA,
        message=opt_str(v, "Description", source, path) or "",
        raw_level=raw,
        cwes=_cwes(str_list(v, "CweIDs", source, path)),
        location=location,
        vulnerability_ids=ids,
        score=score,
        references=((primary,) if primary else ()) + refs,
        solution=f"Upgrade {name} to {fixed}" if fixed else None,
    )


def _misconfiguration(m: JsonObject, target: str, source: str, path: str) -> ScanFinding:
    rule_id = opt_str(m, "ID", source, path) or opt_str(m, "AVDID", source, path)
    if not rule_id:
        raise InputError(source, path, "a Trivy misconfiguration needs ID")
    cause = opt_obj(m, "CauseMetadata", source, path)
    start = opt_int(cause, "StartLine", source, f"{path}.CauseMetadata")
    location = CodeLocation(
        path=target,
        start_line=start,
        end_line=opt_int(cause, "EndLine", source, f"{path}.CauseMetadata") or start,
    )
    raw = opt_str(m, "Severity", source, path)
    status = (opt_str(m, "Status", source, path) or "FAIL").upper()
    primary = opt_str(m, "PrimaryURL", source, path)
    return ScanFinding(
        rule_id=rule_id,
        title=opt_str(m, "Title", source, path) or rule_id,
        severity=severity.resolve(severity.Scale.VENDOR, raw),
        fingerprint=fingerprint.compute(TOOL, rule_id, location),
        kind=ScanKind.SAST,
        message=opt_str(m, "Message", source, path)
        or opt_str(m, "Description", source, path)
        or "",
        raw_level=raw,
        location=location,
        result_kind="pass" if status == "PASS" else "fail",
        references=((primary,) if primary else ()) + str_list(m, "References", source, path),
        solution=opt_str(m, "Resolution", source, path),
    )


def _secret(s: JsonObject, target: str, source: str, path: str) -> ScanFinding:
    rule_id = opt_str(s, "RuleID", source, path)
    if not rule_id:
        raise InputError(source, path, "a Trivy secret needs RuleID")
    start = opt_int(s, "StartLine", source, path)
    location = CodeLocation(
        path=target,
        start_line=start,
        end_line=opt_int(s, "EndLine", source, path) or start,
        snippet=opt_str(s, "Match", source, path),
    )
    raw = opt_str(s, "Severity", source, path)
    return ScanFinding(
        rule_id=rule_id,
        title=opt_str(s, "Title", source, path) or rule_id,
        severity=severity.resolve(severity.Scale.VENDOR, raw),
        fingerprint=fingerprint.compute(TOOL, rule_id, location),
        kind=ScanKind.SAST,
        message=opt_str(s, "Category", source, path) or "",
        raw_level=raw,
        cwes=(798,),  # CWE-798: use of hard-coded credentials
        location=location,
    )


def _license(lic: JsonObject, target: str, source: str, path: str) -> ScanFinding:
    name = opt_str(lic, "Name", source, path)
    if not name:
        raise InputError(source, path, "a Trivy license finding needs Name")
    pkg = opt_str(lic, "PkgName", source, path)
    file_path = opt_str(lic, "FilePath", source, path)
    location: Location = (
        PackageLocation(name=pkg, path=target) if pkg else CodeLocation(path=file_path or target)
    )
    raw = opt_str(lic, "Severity", source, path)
    link = opt_str(lic, "Link", source, path)
    category = opt_str(lic, "Category", source, path) or ""
    return ScanFinding(
        rule_id=f"license:{name}",
        title=f"License {name}" + (f" ({category})" if category else ""),
        severity=severity.resolve(severity.Scale.VENDOR, raw),
        fingerprint=fingerprint.compute(TOOL, f"license:{name}", location),
        kind=ScanKind.SCA,
        message=category,
        raw_level=raw,
        location=location,
        references=(link,) if link else (),
    )


_SECTIONS = (
    ("Vulnerabilities", _vulnerability),
    ("Misconfigurations", _misconfiguration),
    ("Secrets", _secret),
    ("Licenses", _license),
)


def _results(results: list[Any], prefix: str, source: str, path: str) -> list[ScanFinding]:
    out = []
    for r, raw in enumerate(results):
        rpath = f"{path}[{r}]"
        result = obj(raw, source, rpath)
        target = prefix + (opt_str(result, "Target", source, rpath) or "")
        for key, build in _SECTIONS:
            for i, item in enumerate(opt_arr(result, key, source, rpath)):
                ipath = f"{rpath}.{key}[{i}]"
                out.append(build(obj(item, source, ipath), target, source, ipath))
    return out


def _resources(resources: list[Any], source: str, path: str) -> list[ScanFinding]:
    out = []
    for i, raw in enumerate(resources):
        rpath = f"{path}[{i}]"
        res = obj(raw, source, rpath)
        names = [opt_str(res, k, source, rpath) or "" for k in ("Namespace", "Kind", "Name")]
        prefix = "/".join(names) + ": "
        out.extend(_results(opt_arr(res, "Results", source, rpath), prefix, source, rpath))
    return out


def parse(data: bytes, *, source: str) -> ScanResult:
    doc = load_json(data, source)
    if doc is None:  # legacy Trivy writes `null` when a scan has no results
        doc = []
    if not sniff(doc) and doc != []:
        raise InputError(source, None, "not a Trivy report")
    target = None
    started = None
    if isinstance(doc, list):
        findings = _results(doc, "", source, "$")
    else:
        findings = _results(opt_arr(doc, "Results", source, ""), "", source, "Results")
        findings += _resources(opt_arr(doc, "Resources", source, ""), source, "Resources")
        for key in ("Vulnerabilities", "Misconfigurations"):
            if "ClusterName" in doc:
                findings += _resources(arr(doc.get(key) or [], source, key), source, key)
        target = (
            opt_str(doc, "ArtifactName", source, "") or opt_str(doc, "ClusterName", source, "")
        ) or None
        started = parse_time(opt_str(doc, "CreatedAt", source, ""), source, "CreatedAt")
    results = fingerprint.disambiguate(findings)
    return ScanResult(
        format=ScanFormat.TRIVY,
        source=source,
        tool=TOOL,
        tool_version=None,
        results=results,
        instances=len(results),
        format_version=opt_str(doc, "SchemaVersion", source, "") if isinstance(doc, dict) else None,
        started=started,
        target=target,
    )
