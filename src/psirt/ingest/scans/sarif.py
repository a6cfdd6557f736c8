"""SARIF 2.1.0 logs from any tool (and the 2.0.0 shape of the SARIF specification examples).

What is read, per the OASIS SARIF 2.1.0 specification:

* every run (``runs[]``); the tool is ``run.tool.driver`` (2.1.0) or ``run.tool`` (2.0.0,
  where the name may be missing);
* rules from ``tool.driver.rules`` and ``tool.extensions[].rules`` (2.0.0:
  ``run.resources.rules``, an object keyed by id); a result finds its rule through
  ``result.rule`` (``id``, ``index``, ``toolComponent.index``), ``ruleIndex`` or ``ruleId``;
  hierarchical ids (``"CA1000/1"``) fall back to the base rule;
* ``level`` per 3.27.10: ``result.level``; else, if ``kind`` is present and not ``fail``,
  ``none``; else the rule's ``defaultConfiguration.level``; else ``warning``;
* the message: ``message.text``, else ``message.id`` looked up in the rule's
  ``messageStrings`` (then the run's ``tool.driver.globalMessageStrings``), with ``{n}``
  placeholders replaced from ``message.arguments``; markdown when there is no text;
* the first location's ``physicalLocation.artifactLocation`` (2.0.0: ``fileLocation``):
  ``uri``, ``uriBaseId``, ``index`` into ``run.artifacts``; region start/end line/column and
  ``snippet.text`` (else the context region's snippet);
* ``fingerprints`` and ``partialFingerprints`` (used for the identity, see fingerprint.py);
* ``properties.security-severity`` on the result or the rule (CodeQL, GitHub; Semgrep copies
  it from rule metadata): a score decides the severity through the CVSS bands, a word (GitLab
  rules write ``"Medium"``) through the shared table; when it is absent or unreadable the
  level decides, the report is never refused over it;
* CWE ids from rule/result ``properties.tags`` (``external/cwe/cwe-079``, ``CWE-79``),
  ``properties.cwe`` and relationships / taxa into a taxonomy named CWE;
* ``suppressions``: a result is suppressed when it has at least one suppression and every
  one of them has status ``accepted`` (the default); ``underReview`` or ``rejected`` keep it
  active (3.27.23, 3.35.3). 2.0.0 ``suppressionStates`` are honoured too;
* start/end time from the first invocation, target from ``automationDetails`` or
  ``versionControlProvenance``.
"""

from __future__ import annotations

import re
from typing import Any

from psirt.domain.scan import (
    CodeLocation,
    ScanFinding,
    ScanFormat,
    ScanKind,
    ScanResult,
)
from psirt.errors import InputError
from psirt.ingest._json import load_json, type_name
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import (
    JsonObject,
    arr,
    obj,
    opt_arr,
    opt_int,
    opt_obj,
    opt_str,
    parse_time,
)

_CWE_TAG = re.compile(r"(?:^|[/:\s])cwe[-_/:]?0*(\d+)\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\d+)\}")
_LEVELS = {"none", "note", "warning", "error"}
_MAX_FINGERPRINT_DEPTH = 8


def sniff(doc: Any) -> bool:
    """A JSON object with ``runs`` and a 2.x ``version`` or a SARIF ``$schema``."""
    if not isinstance(doc, dict) or "runs" not in doc:
        return False
    version = doc.get("version")
    schema = doc.get("$schema")
    return (isinstance(version, str) and version.startswith("2.")) or (
        isinstance(schema, str) and "sarif" in schema.lower()
    )


class _Rules:
    """Rules of one run: by (component, index) and by id."""

    __slots__ = ("by_id", "by_index")

    def __init__(self) -> None:
        self.by_index: dict[tuple[int, int], JsonObject] = {}  # component -1 = driver
        self.by_id: dict[str, JsonObject] = {}

    def add(self, component: int, index: int, rule: JsonObject) -> None:
        self.by_index[(component, index)] = rule
        rule_id = rule.get("id")
        if isinstance(rule_id, str):
            self.by_id.setdefault(rule_id, rule)

    def find(self, rule_id: str | None, component: int, index: int | None) -> JsonObject | None:
        if index is not None and index >= 0:
            found = self.by_index.get((component, index))
            if found is not None:
                return found
        if rule_id is None:
            return None
        found = self.by_id.get(rule_id)
        if found is None and "/" in rule_id:
            found = self.by_id.get(rule_id.split("/", 1)[0])
        return found


def _read_rules(rules: _Rules, component: int, value: Any, source: str, path: str) -> None:
    if value is None:
        return
    if isinstance(value, dict):  # SARIF 2.0.0: object keyed by rule id
        for i, (key, rule) in enumerate(value.items()):
            rule_obj = dict(obj(rule, source, f"{path}.{key}"))
            rule_obj.setdefault("id", key)
            rules.add(component, i, rule_obj)
        return
    for i, rule in enumerate(arr(value, source, path)):
        rules.add(component, i, obj(rule, source, f"{path}[{i}]"))


def _text(value: Any) -> str | None:
    """A multiformatMessageString or message: its text (markdown when no text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("text", "markdown"):
            text = value.get(key)
            if isinstance(text, str):
                return text
    return None


def _format(template: str, arguments: list[Any]) -> str:
    def sub(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return str(arguments[n]) if n < len(arguments) else match.group(0)

    text = _PLACEHOLDER.sub(sub, template)
    return text.replace("{{", "{").replace("}}", "}")


def _message(
    result: JsonObject,
    rule: JsonObject | None,
    global_strings: JsonObject,
    source: str,
    path: str,
) -> str:
    message = opt_obj(result, "message", source, path)
    text = _text(message)
    arguments = opt_arr(message, "arguments", source, f"{path}.message")
    if text is None:
        message_id = opt_str(message, "id", source, f"{path}.message") or opt_str(
            message, "messageId", source, f"{path}.message"
        )
        if message_id is not None:
            strings = rule.get("messageStrings") if rule else None
            template = _text(strings.get(message_id)) if isinstance(strings, dict) else None
            if template is None:
                template = _text(global_strings.get(message_id))
            text = template
    if text is None:
        return ""
    return _format(text, arguments) if arguments else text


def _cwes(*property_bags: JsonObject) -> set[int]:
    found: set[int] = set()
    for bag in property_bags:
        tags = bag.get("tags")
        if isinstance(tags, list):
            for tag in tags:
                if isinstance(tag, str):
                    found.update(int(m) for m in _CWE_TAG.findall(tag))
        cwe = bag.get("cwe")
        values = cwe if isinstance(cwe, list) else [cwe]
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool):
                found.add(value)
            elif isinstance(value, str):
                found.update(int(m) for m in _CWE_TAG.findall(" " + value))
                if value.strip().isdigit():
                    found.add(int(value))
    return found


def _taxa_cwes(references: list[Any], taxonomy_names: dict[int, str]) -> set[int]:
    """CWE ids from reportingDescriptorReferences into a taxonomy named CWE."""
    found: set[int] = set()
    for ref in references:
        if not isinstance(ref, dict):
            continue
        target = ref.get("target", ref)
        if not isinstance(target, dict):
            continue
        component = target.get("toolComponent")
        name = ""
        if isinstance(component, dict):
            cname = component.get("name")
            cindex = component.get("index")
            if isinstance(cname, str):
                name = cname
            elif isinstance(cindex, int):
                name = taxonomy_names.get(cindex, "")
        ident = target.get("id")
        if name.upper() == "CWE" and isinstance(ident, str):
            digits = ident.upper().removeprefix("CWE-")
            if digits.isdigit():
                found.add(int(digits))
    return found


def _suppressed(result: JsonObject, source: str, path: str) -> bool:
    suppressions = opt_arr(result, "suppressions", source, path)
    if suppressions:
        statuses = [
            opt_str(obj(s, source, f"{path}.suppressions[{i}]"), "status", source, path)
            for i, s in enumerate(suppressions)
        ]
        return all(status in (None, "accepted") for status in statuses)
    states = result.get("suppressionStates")  # SARIF 2.0.0
    return isinstance(states, list) and any(
        s in ("suppressedInSource", "suppressedExternally") for s in states
    )


def _run_roots(run: JsonObject, source_root: str | None) -> tuple[str, ...]:
    """Directories absolute artifact URIs are made relative to: the caller's source root, the
    run's ``originalUriBaseIds`` and its invocations' ``workingDirectory`` (SARIF 3.14.14,
    3.20.19), each as a normalised path ending in ``/``."""
    found: list[str] = []
    if source_root:
        found.append(source_root)
    bases = run.get("originalUriBaseIds")
    if isinstance(bases, dict):
        uris = [base.get("uri") for base in bases.values() if isinstance(base, dict)]
        found.extend(uri for uri in uris if isinstance(uri, str))
    invocations = run.get("invocations")
    if isinstance(invocations, list):
        for inv in invocations:
            wd = inv.get("workingDirectory") if isinstance(inv, dict) else None
            if isinstance(wd, dict) and isinstance(wd.get("uri"), str):
                found.append(wd["uri"])
    roots = []
    for root in found:
        norm = fingerprint.normalise_path(root).rstrip("/")
        if norm.startswith("/") and len(norm) > 1:
            roots.append(norm + "/")
    return tuple(sorted(set(roots), key=len, reverse=True))


def _relative(uri: str, roots: tuple[str, ...]) -> str:
    """``uri`` relative to the first root it lies under, so that a finding's identity does not
    depend on where the checkout was; other URIs unchanged."""
    if not roots or not (uri.startswith("/") or uri.lower().startswith("file:")):
        return uri
    path = fingerprint.normalise_path(uri)
    for root in roots:
        if path.startswith(root):
            return path[len(root) :]
    return uri


def _location(
    result: JsonObject,
    artifacts: list[Any],
    source: str,
    path: str,
    roots: tuple[str, ...] = (),
) -> CodeLocation | None:
    locations = opt_arr(result, "locations", source, path)
    for i, loc in enumerate(locations):
        lpath = f"{path}.locations[{i}]"
        physical = opt_obj(obj(loc, source, lpath), "physicalLocation", source, lpath)
        ppath = f"{lpath}.physicalLocation"
        artifact = opt_obj(physical, "artifactLocation", source, ppath) or opt_obj(
            physical, "fileLocation", source, ppath
        )
        uri = opt_str(artifact, "uri", source, f"{ppath}.artifactLocation")
        base = opt_str(artifact, "uriBaseId", source, f"{ppath}.artifactLocation")
        index = opt_int(artifact, "index", source, f"{ppath}.artifactLocation")
        if uri is None and index is not None and 0 <= index < len(artifacts):
            entry = artifacts[index]
            if isinstance(entry, dict) and isinstance(entry.get("location"), dict):
                uri = opt_str(entry["location"], "uri", source, f"run.artifacts[{index}]")
                base = base or opt_str(entry["location"], "uriBaseId", source, "run.artifacts")
        if uri is None:
            continue
        region = opt_obj(physical, "region", source, ppath)
        rpath = f"{ppath}.region"
        snippet = _text(region.get("snippet"))
        if snippet is None:
            context = physical.get("contextRegion")
            if isinstance(context, dict):
                snippet = _text(context.get("snippet"))
        start_line = opt_int(region, "startLine", source, rpath)
        end_line = opt_int(region, "endLine", source, rpath)
        if end_line is None and start_line is not None:
            end_line = start_line  # 3.30.7: endLine defaults to startLine
        return CodeLocation(
            path=_relative(uri, roots),
            start_line=start_line,
            start_column=opt_int(region, "startColumn", source, rpath),
            end_line=end_line,
            end_column=opt_int(region, "endColumn", source, rpath),
            snippet=snippet,
            uri_base_id=base,
        )
    analysis_target = result.get("analysisTarget")
    if isinstance(analysis_target, dict):
        uri = opt_str(analysis_target, "uri", source, f"{path}.analysisTarget")
        if uri is not None:
            return CodeLocation(path=uri)
    return None


def _string_pairs(value: Any, source: str, path: str) -> tuple[tuple[str, str], ...]:
    """(key, value) pairs of a fingerprints object, sorted.

    The specification wants string values; some tools (Black Duck) nest objects such as
    ``{"csvRowSha256": {"value": "..."}}``; those are flattened to ``csvRowSha256.value``.
    """
    if value is None:
        return ()
    pairs: list[tuple[str, str]] = []
    # (prefix, value, place, depth), walked without recursion: nesting is bounded
    stack = [(key, item, f"{path}.{key}", 1) for key, item in obj(value, source, path).items()]
    while stack:
        prefix, item, where, depth = stack.pop()
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            pairs.append((prefix, str(item)))
        elif isinstance(item, dict) and depth < _MAX_FINGERPRINT_DEPTH:
            stack.extend(
                (f"{prefix}.{key}", sub, f"{where}.{key}", depth + 1) for key, sub in item.items()
            )
        elif isinstance(item, dict):
            raise InputError(source, where, f"nested deeper than {_MAX_FINGERPRINT_DEPTH} levels")
        else:
            raise InputError(source, where, f"expected a string, got {type_name(item)}")
    return tuple(sorted(pairs))


def _level(result: JsonObject, rule: JsonObject | None, source: str, path: str) -> str:
    level = opt_str(result, "level", source, path)
    if level is not None:
        if level not in _LEVELS:
            raise InputError(source, f"{path}.level", f"not a SARIF level: {level!r}")
        return level
    kind = opt_str(result, "kind", source, path)
    if kind is not None and kind != "fail":
        return "none"
    if rule is not None:
        config = rule.get("defaultConfiguration")
        if isinstance(config, dict):
            default = config.get("level")
            if isinstance(default, str) and default in _LEVELS:
                return default
    return "warning"


def _run(
    run: JsonObject, rpath: str, source: str, source_root: str | None = None
) -> tuple[list[ScanFinding], str | None, str | None, JsonObject]:
    roots = _run_roots(run, source_root)
    tool_obj = opt_obj(run, "tool", source, rpath)
    driver = opt_obj(tool_obj, "driver", source, f"{rpath}.tool") or tool_obj
    dpath = f"{rpath}.tool.driver" if "driver" in tool_obj else f"{rpath}.tool"
    tool = opt_str(driver, "name", source, dpath)
    version = (
        opt_str(driver, "semanticVersion", source, dpath)
        or opt_str(driver, "version", source, dpath)
        or opt_str(driver, "dottedQuadFileVersion", source, dpath)
    )
    rules = _Rules()
    _read_rules(rules, -1, driver.get("rules"), source, f"{dpath}.rules")
    for i, ext in enumerate(opt_arr(tool_obj, "extensions", source, f"{rpath}.tool")):
        epath = f"{rpath}.tool.extensions[{i}]"
        _read_rules(rules, i, obj(ext, source, epath).get("rules"), source, f"{epath}.rules")
    resources = run.get("resources")
    if isinstance(resources, dict):
        _read_rules(rules, -1, resources.get("rules"), source, f"{rpath}.resources.rules")
    taxonomy_names: dict[int, str] = {}
    for i, taxonomy in enumerate(opt_arr(run, "taxonomies", source, rpath)):
        if isinstance(taxonomy, dict) and isinstance(taxonomy.get("name"), str):
            taxonomy_names[i] = taxonomy["name"]
    global_strings = opt_obj(driver, "globalMessageStrings", source, dpath)
    artifacts = opt_arr(run, "artifacts", source, rpath)

    findings: list[ScanFinding] = []
    for i, raw in enumerate(opt_arr(run, "results", source, rpath)):
        path = f"{rpath}.results[{i}]"
        result = obj(raw, source, path)
        rule_ref = opt_obj(result, "rule", source, path)
        rule_id = opt_str(result, "ruleId", source, path) or opt_str(
            rule_ref, "id", source, f"{path}.rule"
        )
        index = opt_int(result, "ruleIndex", source, path)
        if index is None:
            index = opt_int(rule_ref, "index", source, f"{path}.rule")
        component = -1
        tc = rule_ref.get("toolComponent")
        if isinstance(tc, dict):
            ci = opt_int(tc, "index", source, f"{path}.rule.toolComponent")
            component = -1 if ci is None else ci
        rule = rules.find(rule_id, component, index)
        if rule_id is None and rule is not None and isinstance(rule.get("id"), str):
            rule_id = rule["id"]
        rule_id = rule_id or ""
        rule_props = opt_obj(rule, "properties", source, "rule") if rule else {}
        props = opt_obj(result, "properties", source, path)

        level = _level(result, rule, source, path)
        found, score = severity.from_security_severity(props.get("security-severity"))
        if found is None:
            found, score = severity.from_security_severity(rule_props.get("security-severity"))
        sev = found or severity.resolve(severity.Scale.SARIF_LEVEL, level)

        cwes = _cwes(rule_props, props)
        if rule is not None:
            cwes |= _taxa_cwes(opt_arr(rule, "relationships", source, "rule"), taxonomy_names)
        cwes |= _taxa_cwes(opt_arr(result, "taxa", source, path), taxonomy_names)

        title = None
        if rule is not None:
            title = _text(rule.get("shortDescription")) or (
                rule.get("name") if isinstance(rule.get("name"), str) else None
            )
        message = _message(result, rule, global_strings, source, path)
        location = _location(result, artifacts, source, path, roots)
        fps = _string_pairs(result.get("fingerprints"), source, f"{path}.fingerprints")
        partial = _string_pairs(
            result.get("partialFingerprints"), source, f"{path}.partialFingerprints"
        )
        help_uri = rule.get("helpUri") if rule else None
        findings.append(
            ScanFinding(
                rule_id=rule_id,
                title=title or rule_id or message.split("\n", 1)[0],
                severity=sev,
                fingerprint=fingerprint.compute(
                    tool, rule_id, location, fingerprints=fps, partial_fingerprints=partial
                ),
                kind=ScanKind.SAST,
                message=message,
                raw_level=level,
                confidence=_confidence(rule_props),
                cwes=tuple(sorted(cwes)),
                location=location,
                suppressed=_suppressed(result, source, path),
                result_kind=opt_str(result, "kind", source, path) or "fail",
                score=score,
                partial_fingerprints=partial or fps,
                references=(help_uri,) if isinstance(help_uri, str) else (),
                tool=tool,
            )
        )
    return findings, tool, version, driver


def _confidence(rule_props: JsonObject) -> str | None:
    value = rule_props.get("precision") or rule_props.get("confidence")
    return value if isinstance(value, str) else None


def parse(data: bytes, *, source: str, source_root: str | None = None) -> ScanResult:
    """Parse a SARIF log. Absolute file URIs under ``source_root`` (the checkout the tool ran
    in) or under the run's own base URIs are made relative to it."""
    doc = obj(load_json(data, source), source, "$")
    if not sniff(doc):
        raise InputError(source, None, "not a SARIF log: no runs and no SARIF version/$schema")
    runs = opt_arr(doc, "runs", source, "")
    findings: list[ScanFinding] = []
    tools: list[str] = []
    run_tools: list[str] = []
    tool_version: str | None = None
    started = ended = None
    scope: list[str] = []
    for r, raw_run in enumerate(runs):
        rpath = f"runs[{r}]"
        run = obj(raw_run, source, rpath)
        run_findings, tool, version, _ = _run(run, rpath, source, source_root)
        findings.extend(run_findings)
        run_tools.append(tool or "")
        if tool and tool not in tools:
            tools.append(tool)
        tool_version = tool_version or version
        for i, inv in enumerate(opt_arr(run, "invocations", source, rpath)):
            ipath = f"{rpath}.invocations[{i}]"
            invocation = obj(inv, source, ipath)
            start = parse_time(opt_str(invocation, "startTimeUtc", source, ipath), source, ipath)
            end = parse_time(opt_str(invocation, "endTimeUtc", source, ipath), source, ipath)
            if start is not None and (started is None or start < started):
                started = start
            if end is not None and (ended is None or end > ended):
                ended = end
        automation = opt_obj(run, "automationDetails", source, rpath)
        auto_id = opt_str(automation, "id", source, f"{rpath}.automationDetails")
        if auto_id:
            scope.append(auto_id)
        for j, vcp in enumerate(opt_arr(run, "versionControlProvenance", source, rpath)):
            repo = opt_str(
                obj(vcp, source, f"{rpath}.versionControlProvenance[{j}]"),
                "repositoryUri",
                source,
                rpath,
            )
            if repo and repo not in scope:
                scope.append(repo)
    results = fingerprint.disambiguate(findings)
    return ScanResult(
        format=ScanFormat.SARIF,
        source=source,
        tool=", ".join(tools) or None,
        tool_version=tool_version,
        results=results,
        instances=len(results),
        format_version=opt_str(doc, "version", source, ""),
        started=started,
        ended=ended,
        target=scope[0] if scope else None,
        scope=tuple(scope),
        runs=len(runs),
        tools=tuple(run_tools),
    )
