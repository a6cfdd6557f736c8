"""Semgrep reports: the CLI's JSON (``semgrep --json``, Code and Supply Chain findings) and the
two JSON exports of Semgrep's Supply Chain findings from its platform.

**CLI JSON** (``semgrep_output_v1`` ``cli_output``): ``results[]`` items have ``check_id``
(rule), ``path``, ``start``/``end`` (``line``, ``col``, 1-based), and ``extra``: ``message``,
``severity`` (ERROR/WARNING/INFO, or since Semgrep 1.72 CRITICAL/HIGH/MEDIUM/LOW), ``metadata``
(the rule's: ``cwe`` as a string or a list of ``"CWE-78: ..."``, ``confidence``,
``references``, and ``security-severity`` when the rule set gives one, a score or a word),
``lines`` (the matched code), ``is_ignored`` (a ``nosemgrep`` comment: reported as
suppressed), ``fingerprint`` and ``fix``. Semgrep writes ``"requires login"`` instead of
``lines`` and ``fingerprint`` for logged-out users; such placeholders are not used as snippets.

A result with ``extra.sca_info`` is a Supply Chain (SCA) finding: a vulnerable dependency
found in a lock file. Read from ``sca_info``: ``dependency_match.found_dependency``
(``package``, ``version``, ``ecosystem``, ``transitivity``, ``lockfile_path``),
``dependency_match.lockfile``, ``reachable``, ``reachability_rule`` and (since 1.108)
``kind``; from the rule metadata: ``cve``, ``ghsa`` and ``sca-vuln-database-identifier``
(the vulnerability ids), ``sca-severity`` (the advisory's severity, GitHub's words) and
``sca-fix-versions`` (``[{"package": "version"}]``). The finding becomes a package location
with its reachability ("reachable", "unreachable", "undetermined" or "not analysed" for
lock-file-only rules) and transitivity.

**Platform exports** of Supply Chain findings, each item one vulnerable dependency:

* ``{"vulns": [...]}`` (deployment ``ssc-vulns``): ``advisory`` (``ruleId``, ``title``,
  ``description``, ``severity``, ``ecosystem``, ``references.cveIds/cweIds/urls``),
  ``matchedDependency`` (``name``, ``versionSpecifier``), ``dependencyFileLocation.path``,
  ``exposureType`` (REACHABLE, UNREACHABLE, ...), ``transitivity``,
  ``closestSafeDependency``, ``repositoryName``, ``triage.status`` (IGNORED: suppressed);
  the package's ecosystem comes from the rule (``ruleText``), as an advisory may cover several;
* ``{"findings": [...]}`` whose items have ``found_dependency`` (the findings API):
  ``rule_name``, ``rule_message``, ``severity``, ``vulnerability_identifier``,
  ``reachability``, ``found_dependency`` (``package``, ``version``, ``ecosystem``,
  ``transitivity``), ``fix_recommendations``, ``location.file_path``, ``repository.name``,
  ``rule.cwe_names``, ``triage_state`` (ignored: suppressed).

GHSA ids are also taken from advisory URLs (``https://github.com/advisories/GHSA-...``).
Severity, first that is known: for SCA findings the advisory's severity, then
``security-severity``, then Semgrep's own; for Code findings ``security-severity``, then
Semgrep's own (through :mod:`.severity`; an unknown word is kept raw, the report is never
refused over it).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from psirt.domain.scan import (
    CodeLocation,
    PackageLocation,
    ScanFinding,
    ScanFormat,
    ScanKind,
    ScanResult,
    Severity,
)
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import JsonObject, arr, obj, opt_arr, opt_int, opt_obj, opt_str

TOOL = "Semgrep"
_CWE = re.compile(r"CWE-0*(\d+)", re.IGNORECASE)
_GHSA = re.compile(r"GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}", re.IGNORECASE)
_PLACEHOLDER = "requires login"
_SUPPRESSED_TRIAGE = {"ignored"}


def sniff(doc: Any) -> bool:
    """CLI JSON: ``results`` and ``errors``, with items that have ``check_id`` (or none at
    all). Platform exports: ``vulns`` items with ``advisory`` and ``matchedDependency``, or
    ``findings`` items with ``found_dependency``."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("results"), list):
        results = doc["results"]
        if results:
            return isinstance(results[0], dict) and "check_id" in results[0]
        return "errors" in doc and "metrics" not in doc
    return _export_items(doc) is not None


def _export_items(doc: JsonObject) -> str | None:
    """``"vulns"`` or ``"findings"`` when ``doc`` is one of the platform exports."""
    vulns = doc.get("vulns")
    if isinstance(vulns, list) and vulns:
        first = vulns[0]
        if isinstance(first, dict) and "advisory" in first and "matchedDependency" in first:
            return "vulns"
    findings = doc.get("findings")
    if isinstance(findings, list) and findings:
        first = findings[0]
        if isinstance(first, dict) and "found_dependency" in first:
            return "findings"
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _cwes(values: list[str]) -> tuple[int, ...]:
    return tuple(sorted({int(n) for text in values for n in _CWE.findall(text)}))


def _ids(*groups: list[str]) -> tuple[str, ...]:
    """Vulnerability ids in order, each once (GHSA ids upper-cased as GitHub writes them)."""
    out: dict[str, None] = {}
    for group in groups:
        for value in group:
            text = value.strip()
            if _GHSA.fullmatch(text):
                text = "GHSA" + text[4:].lower()
            if text:
                out.setdefault(text, None)
    return tuple(out)


def _ghsa_in(urls: list[str]) -> list[str]:
    return [m.group(0) for url in urls for m in [_GHSA.search(url)] if m]


def _lower(value: str | None) -> str | None:
    return value.strip().lower() or None if isinstance(value, str) else None


def _severity(
    *candidates: tuple[severity.Scale | None, Any],
) -> tuple[Severity, str | None, float | None]:
    """The first known of ``(scale, raw value)`` candidates (scale None: a
    security-severity value); the raw text of the first given value is kept."""
    raw: str | None = None
    for scale, value in candidates:
        if value is None or value == "":
            continue
        if raw is None and isinstance(value, str | int | float) and not isinstance(value, bool):
            raw = str(value)
        if scale is None:
            found, score = severity.from_security_severity(value)
            if found is not None:
                return found, str(value), score
        elif isinstance(value, str) and (found := severity.classify(scale, value)) is not None:
            return found, value, None
    return Severity.INFO, raw, None


# --- CLI JSON ------------------------------------------------------------------------------


def _reachability(sca: JsonObject) -> str:
    kind = sca.get("kind")
    name = kind[0] if isinstance(kind, list) and kind else kind
    if isinstance(name, str):
        if name in ("DirectReachable", "TransitiveReachable"):
            return "reachable"
        if name == "TransitiveUnreachable":
            return "unreachable"
        if name == "TransitiveUndetermined":
            return "undetermined"
        if name == "LockfileOnlyMatch":
            return "not analysed"
    if sca.get("reachability_rule") is False:
        return "not analysed"
    reachable = sca.get("reachable")
    if isinstance(reachable, bool):
        return "reachable" if reachable else "unreachable"
    return "undetermined"


def _fix_versions(meta: JsonObject, package: str) -> tuple[str, ...]:
    out: list[str] = []
    for entry in meta.get("sca-fix-versions") or []:
        if isinstance(entry, dict):
            version = entry.get(package)
            if isinstance(version, str) and version.strip():
                out.append(version.strip())
    return tuple(dict.fromkeys(out))


def _cli_result(raw: Any, source: str, path: str) -> ScanFinding:
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
    code = CodeLocation(
        path=file_path,
        start_line=opt_int(start, "line", source, f"{path}.start"),
        start_column=opt_int(start, "col", source, f"{path}.start"),
        end_line=opt_int(end, "line", source, f"{path}.end"),
        end_column=opt_int(end, "col", source, f"{path}.end"),
        snippet=lines,
    )
    own = opt_str(extra, "severity", source, epath)
    security = meta.get("security-severity")
    confidence = meta.get("confidence")
    message = (opt_str(extra, "message", source, epath) or "").strip()
    common: dict[str, Any] = {
        "rule_id": rule_id,
        "message": message,
        "confidence": confidence.lower() if isinstance(confidence, str) else None,
        "cwes": _cwes(_strings(meta.get("cwe"))),
        "suppressed": extra.get("is_ignored") is True,
        "references": tuple(_strings(meta.get("references"))),
    }
    sca = extra.get("sca_info")
    if sca is None:
        found, raw, score = _severity((None, security), (severity.Scale.SEMGREP, own))
        return ScanFinding(
            **common,
            title=rule_id.rsplit(".", 1)[-1],
            severity=found,
            fingerprint=fingerprint.compute(TOOL, rule_id, code),
            kind=ScanKind.SAST,
            raw_level=raw if raw is not None else own,
            location=code,
            score=score,
            solution=opt_str(extra, "fix", source, epath),
        )
    spath = f"{epath}.sca_info"
    info = obj(sca, source, spath)
    match = opt_obj(info, "dependency_match", source, spath)
    mpath = f"{spath}.dependency_match"
    dep = opt_obj(match, "found_dependency", source, mpath)
    dpath = f"{mpath}.found_dependency"
    package = opt_str(dep, "package", source, dpath)
    if not package:
        raise InputError(source, dpath, "a Semgrep Supply Chain result needs package")
    lockfile = opt_str(match, "lockfile", source, mpath) or opt_str(
        dep, "lockfile_path", source, dpath
    )
    location = PackageLocation(
        name=package,
        version=opt_str(dep, "version", source, dpath),
        ecosystem=opt_str(dep, "ecosystem", source, dpath),
        path=lockfile or file_path,
        fixed_versions=_fix_versions(meta, package),
        reachability=_reachability(info),
        transitivity=_lower(opt_str(dep, "transitivity", source, dpath)),
    )
    references = _strings(meta.get("references"))
    ids = _ids(
        _strings(meta.get("cve")),
        _strings(meta.get("ghsa")),
        _strings(meta.get("sca-vuln-database-identifier")),
        _ghsa_in(references),
    )
    found, raw, score = _severity(
        (severity.Scale.VENDOR, meta.get("sca-severity")),
        (None, security),
        (severity.Scale.SEMGREP, own),
    )
    return ScanFinding(
        **common,
        title=f"{ids[0]} in {package}" if ids else rule_id.rsplit(".", 1)[-1],
        severity=found,
        fingerprint=fingerprint.compute(TOOL, rule_id, location, vulnerability_ids=ids),
        kind=ScanKind.SCA,
        raw_level=raw,
        location=location,
        vulnerability_ids=ids,
        score=score,
        solution=(
            f"Upgrade {package} to {', '.join(location.fixed_versions)}"
            if location.fixed_versions
            else None
        ),
    )


# --- platform exports ----------------------------------------------------------------------


def _ecosystem(advisory: JsonObject, package: str) -> str | None:
    """The ecosystem of the matched package: from the rule's ``r2c-internal-project-depends-on``
    (``ruleText``), else the advisory's own ecosystem when it names the package among its
    ``vulnerableDependencies``; None when neither says (an advisory covers several)."""
    text = advisory.get("ruleText")
    if isinstance(text, str):
        try:
            rule = orjson.loads(text)
        except orjson.JSONDecodeError:
            rule = None
        depends = rule.get("r2c-internal-project-depends-on") if isinstance(rule, dict) else None
        if isinstance(depends, dict):
            entries = depends.get("depends-on-either", [depends])
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("package") == package:
                    namespace = entry.get("namespace")
                    if isinstance(namespace, str) and namespace:
                        return namespace
    vulnerable = advisory.get("vulnerableDependencies")
    ecosystem = advisory.get("ecosystem")
    if isinstance(ecosystem, str) and isinstance(vulnerable, list):
        if any(isinstance(d, dict) and d.get("name") == package for d in vulnerable):
            return ecosystem
    return None


def _vuln(raw: Any, source: str, path: str) -> tuple[ScanFinding, str | None]:
    item = obj(raw, source, path)
    advisory = opt_obj(item, "advisory", source, path)
    apath = f"{path}.advisory"
    dep = opt_obj(item, "matchedDependency", source, path)
    package = opt_str(dep, "name", source, f"{path}.matchedDependency")
    rule_id = opt_str(advisory, "ruleId", source, apath)
    if not package or not rule_id:
        raise InputError(
            source, path, "a Semgrep Supply Chain vuln needs advisory.ruleId and matchedDependency"
        )
    refs = opt_obj(advisory, "references", source, apath)
    urls = _strings(refs.get("urls"))
    ids = _ids(_strings(refs.get("cveIds")), _ghsa_in(urls))
    repository = opt_str(item, "repositoryName", source, path) or None
    file_path = opt_str(opt_obj(item, "dependencyFileLocation", source, path), "path", source, path)
    safe = opt_obj(item, "closestSafeDependency", source, path)
    safe_version = opt_str(safe, "versionSpecifier", source, f"{path}.closestSafeDependency")
    location = PackageLocation(
        name=package,
        version=opt_str(dep, "versionSpecifier", source, f"{path}.matchedDependency"),
        ecosystem=_ecosystem(advisory, package),
        path="/".join(p for p in (repository, file_path) if p) or None,
        fixed_versions=(safe_version,)
        if safe_version and opt_str(safe, "name", source, path) in (None, package)
        else (),
        reachability=_lower(opt_str(item, "exposureType", source, path)),
        transitivity=_lower(opt_str(item, "transitivity", source, path)),
    )
    found, raw_level, score = _severity(
        (severity.Scale.VENDOR, opt_str(advisory, "severity", source, apath))
    )
    status = _lower(opt_str(opt_obj(item, "triage", source, path), "status", source, path))
    title = opt_str(item, "title", source, path) or opt_str(advisory, "title", source, apath)
    finding = ScanFinding(
        rule_id=rule_id,
        title=title or (f"{ids[0]} in {package}" if ids else rule_id),
        severity=found,
        fingerprint=fingerprint.compute(TOOL, rule_id, location, vulnerability_ids=ids),
        kind=ScanKind.SCA,
        message=(opt_str(advisory, "description", source, apath) or "").strip(),
        raw_level=raw_level,
        cwes=_cwes(_strings(refs.get("cweIds"))),
        location=location,
        vulnerability_ids=ids,
        suppressed=status in _SUPPRESSED_TRIAGE,
        result_kind=status,
        score=score,
        references=tuple(urls),
        solution=f"Upgrade {package} to {safe_version}" if location.fixed_versions else None,
    )
    return finding, repository


def _api_finding(raw: Any, source: str, path: str) -> tuple[ScanFinding, str | None]:
    item = obj(raw, source, path)
    dep = opt_obj(item, "found_dependency", source, path)
    dpath = f"{path}.found_dependency"
    package = opt_str(dep, "package", source, dpath)
    rule_id = opt_str(item, "rule_name", source, path)
    if not package or not rule_id:
        raise InputError(
            source, path, "a Semgrep Supply Chain finding needs rule_name and found_dependency"
        )
    rule = opt_obj(item, "rule", source, path)
    vuln_id = opt_str(item, "vulnerability_identifier", source, path)
    ids = _ids([vuln_id] if vuln_id else [])
    fixes = tuple(
        dict.fromkeys(
            fix["version"]
            for fix in opt_arr(item, "fix_recommendations", source, path)
            if isinstance(fix, dict)
            and fix.get("package") in (None, package)
            and isinstance(fix.get("version"), str)
        )
    )
    repository = opt_str(opt_obj(item, "repository", source, path), "name", source, path) or None
    loc = opt_obj(item, "location", source, path)
    file_path = opt_str(loc, "file_path", source, f"{path}.location")
    location = PackageLocation(
        name=package,
        version=opt_str(dep, "version", source, dpath),
        ecosystem=opt_str(dep, "ecosystem", source, dpath),
        path="/".join(p for p in (repository, file_path) if p) or None,
        fixed_versions=fixes,
        reachability=_lower(opt_str(item, "reachability", source, path)),
        transitivity=_lower(opt_str(dep, "transitivity", source, dpath)),
    )
    found, raw_level, score = _severity(
        (severity.Scale.VENDOR, opt_str(item, "severity", source, path))
    )
    triage = _lower(opt_str(item, "triage_state", source, path))
    confidence = opt_str(item, "confidence", source, path)
    finding = ScanFinding(
        rule_id=rule_id,
        title=f"{ids[0]} in {package}" if ids else rule_id,
        severity=found,
        fingerprint=fingerprint.compute(TOOL, rule_id, location, vulnerability_ids=ids),
        kind=ScanKind.SCA,
        message=(opt_str(item, "rule_message", source, path) or "").strip(),
        raw_level=raw_level,
        confidence=confidence.lower() if confidence else None,
        cwes=_cwes(_strings(rule.get("cwe_names"))),
        location=location,
        vulnerability_ids=ids,
        suppressed=triage in _SUPPRESSED_TRIAGE,
        result_kind=triage,
        score=score,
        solution=f"Upgrade {package} to {', '.join(fixes)}" if fixes else None,
    )
    return finding, repository


def parse(data: bytes, *, source: str) -> ScanResult:
    doc = obj(load_json(data, source), source, "$")
    export = None if "results" in doc else _export_items(doc)
    if export is None and "results" not in doc:
        raise InputError(source, None, "not a Semgrep report: no 'results'")
    findings: list[ScanFinding] = []
    repositories: list[str] = []
    if export is None:
        for i, raw in enumerate(opt_arr(doc, "results", source, "")):
            findings.append(_cli_result(raw, source, f"results[{i}]"))
    else:
        read = _vuln if export == "vulns" else _api_finding
        for i, raw in enumerate(arr(doc[export], source, export)):
            finding, repository = read(raw, source, f"{export}[{i}]")
            findings.append(finding)
            if repository and repository not in repositories:
                repositories.append(repository)
    results = fingerprint.disambiguate(findings)
    return ScanResult(
        format=ScanFormat.SEMGREP,
        source=source,
        tool=TOOL,
        tool_version=opt_str(doc, "version", source, "") if export is None else None,
        results=results,
        instances=len(results),
        target=repositories[0] if repositories else None,
        scope=tuple(repositories),
    )
