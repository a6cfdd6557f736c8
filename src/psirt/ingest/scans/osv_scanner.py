"""osv-scanner JSON reports (``osv-scanner --format json``).

``results[]`` items name a ``source`` (``path``, ``type``: lockfile, sbom, git ...) and list
``packages[]``; each package (``package``: ``name``, ``version``, ``ecosystem``, ``purl``)
lists full OSV records in ``vulnerabilities[]`` and their grouping in ``groups[]`` (``ids``,
``aliases``, ``max_severity`` = highest CVSS base score as a string). One finding per
(package, vulnerability).

Severity, first that is known: the group's ``max_severity`` (CVSS bands), the record's
``database_specific.severity`` (GitHub's LOW/MODERATE/HIGH/CRITICAL), the base score of the
record's ``severity[]`` CVSS v3/v4 vector; a value none of these can read is passed over, the
report is not refused over it. A malicious-package record (``MAL-*``) without any severity is
critical: installing the package already compromises the machine. A package scanned as a git
commit (``package.commit``, no name) is named by the repository of the record's GIT range,
its version is the commit.
"""

from __future__ import annotations

import re
from typing import Any

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from psirt.domain.scan import PackageLocation, ScanFinding, ScanFormat, ScanKind, ScanResult
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import JsonObject, obj, opt_arr, opt_obj, opt_str, str_list

TOOL = "osv-scanner"
_CWE = re.compile(r"CWE-0*(\d+)", re.IGNORECASE)


def sniff(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        return False
    results = doc["results"]
    if results:
        first = results[0]
        return isinstance(first, dict) and "packages" in first and "source" in first
    return "experimental_config" in doc or set(doc) == {"results"}


def _vector_score(record: JsonObject) -> float | None:
    """The base score of the record's first readable CVSS v4 or v3 vector; a vector the
    cvss package cannot read is passed over (it only refines the severity)."""
    entries = record.get("severity")
    for item in entries if isinstance(entries, list) else []:
        if not isinstance(item, dict):
            continue
        kind, vector = item.get("type"), item.get("score")
        if not isinstance(vector, str) or not vector:
            continue
        try:
            if kind == "CVSS_V4":
                return float(CVSS4(vector).base_score)
            if kind == "CVSS_V3":
                return float(CVSS3(vector).scores()[0])
        except (CVSSError, ValueError, KeyError, IndexError, TypeError, ArithmeticError):
            continue
    return None


def _git_repository(record: JsonObject) -> str | None:
    """The repository of the record's first GIT range (osv-scanner's git-commit results)."""
    affected_list = record.get("affected")
    for affected in affected_list if isinstance(affected_list, list) else []:
        ranges = affected.get("ranges") if isinstance(affected, dict) else None
        for rng in ranges if isinstance(ranges, list) else []:
            if isinstance(rng, dict) and rng.get("type") == "GIT":
                repo = rng.get("repo")
                if isinstance(repo, str) and repo:
                    return repo
    return None


def _finding(
    package: JsonObject,
    record: JsonObject,
    groups: list[JsonObject],
    lockfile: str | None,
    source: str,
    path: str,
) -> ScanFinding:
    ppath = path.rsplit(".vulnerabilities", 1)[0] + ".package"
    name = opt_str(package, "name", source, ppath)
    version = opt_str(package, "version", source, ppath)
    commit = opt_str(package, "commit", source, ppath)
    vuln_id = opt_str(record, "id", source, path)
    if not name and commit:  # a git repository scanned by commit: name it by its repository
        name, version = _git_repository(record) or "git repository", version or commit
    if not name or not vuln_id:
        raise InputError(source, path, "an osv-scanner finding needs package.name and id")
    ids = [vuln_id, *(a for a in str_list(record, "aliases", source, path) if a != vuln_id)]
    raw: str | None = None
    score: float | None = None
    found = None
    for group in groups:
        if vuln_id in str_list(group, "ids", source, "groups"):
            # max_severity: a CVSS score as a string (some writers put a word there)
            value = group.get("max_severity")
            found, score = severity.from_security_severity(value)
            if found is not None and score is None:
                raw = str(value)
    if found is None:
        raw = opt_str(
            opt_obj(record, "database_specific", source, path),
            "severity",
            source,
            f"{path}.database_specific",
        )
        vector_score = _vector_score(record)
        score = score if score is not None else vector_score
        found = severity.classify(severity.Scale.VENDOR, raw)
        if found is None and vector_score is not None:
            found = severity.classify(severity.Scale.CVSS_SCORE, vector_score)
    if found is None and vuln_id.startswith("MAL-"):
        raw = raw or "malicious"
        found = severity.resolve(severity.Scale.VENDOR, "critical")
    cwes: set[int] = set()
    for db in [
        record.get("database_specific"),
        *(
            a.get("database_specific")
            for a in opt_arr(record, "affected", source, path)
            if isinstance(a, dict)
        ),
    ]:
        if isinstance(db, dict):
            for cwe in db.get("cwe_ids", []) or []:
                if isinstance(cwe, str):
                    cwes.update(int(n) for n in _CWE.findall(cwe))
            for cwe in db.get("cwes", []) or []:
                if isinstance(cwe, dict) and isinstance(cwe.get("cweId"), str):
                    cwes.update(int(n) for n in _CWE.findall(cwe["cweId"]))
    location = PackageLocation(
        name=name,
        version=version,
        purl=opt_str(package, "purl", source, ppath),
        ecosystem=opt_str(package, "ecosystem", source, ppath),
        path=lockfile,
    )
    refs = tuple(
        r["url"]
        for r in opt_arr(record, "references", source, path)
        if isinstance(r, dict) and isinstance(r.get("url"), str)
    )
    return ScanFinding(
        rule_id=vuln_id,
        title=opt_str(record, "summary", source, path) or f"{vuln_id} in {name}",
        severity=found if found is not None else severity.resolve(severity.Scale.VENDOR, None),
        fingerprint=fingerprint.compute(TOOL, vuln_id, location, vulnerability_ids=ids),
        kind=ScanKind.SCA,
        message=(opt_str(record, "details", source, path) or "").strip(),
        raw_level=raw if raw is not None else (None if score is None else str(score)),
        cwes=tuple(sorted(cwes)),
        location=location,
        vulnerability_ids=tuple(ids),
        score=score,
        references=refs,
    )


def parse(data: bytes, *, source: str) -> ScanResult:
    doc = obj(load_json(data, source), source, "$")
    if not sniff(doc):
        raise InputError(source, None, "not an osv-scanner report")
    findings = []
    targets = []
    for r, raw_result in enumerate(opt_arr(doc, "results", source, "")):
        rpath = f"results[{r}]"
        result = obj(raw_result, source, rpath)
        lockfile = opt_str(
            opt_obj(result, "source", source, rpath), "path", source, f"{rpath}.source"
        )
        if lockfile:
            targets.append(lockfile)
        for p, raw_pkg in enumerate(opt_arr(result, "packages", source, rpath)):
            ppath = f"{rpath}.packages[{p}]"
            pkg = obj(raw_pkg, source, ppath)
            package = opt_obj(pkg, "package", source, ppath)
            groups = [
                obj(g, source, f"{ppath}.groups[{i}]")
                for i, g in enumerate(opt_arr(pkg, "groups", source, ppath))
            ]
            for v, raw_vuln in enumerate(opt_arr(pkg, "vulnerabilities", source, ppath)):
                vpath = f"{ppath}.vulnerabilities[{v}]"
                record = obj(raw_vuln, source, vpath)
                findings.append(_finding(package, record, groups, lockfile, source, vpath))
    results = fingerprint.disambiguate(findings)
    return ScanResult(
        format=ScanFormat.OSV_SCANNER,
        source=source,
        tool=TOOL,
        tool_version=None,
        results=results,
        instances=len(results),
        target=targets[0] if targets else None,
        scope=tuple(targets),
    )
