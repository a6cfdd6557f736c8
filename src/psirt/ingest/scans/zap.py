"""OWASP ZAP reports: "Traditional JSON" (also "+ requests/responses") and "Traditional XML".

Both templates of ZAP's report add-on have the same tree::

    site[]  (@name, @host, @port, @ssl)
      alerts[] / alertitem   pluginid, alertRef, alert|name, riskcode, confidence, riskdesc,
                             desc, solution, otherinfo, reference, cweid, wascid, sourceid
        instances[] / instance   uri, method, param, attack, evidence, otherinfo

One :class:`ScanFinding` is made per alert item (one alert type on one site), with its
requests in ``instances``; ``ScanResult.instances`` is the sum over all alert items. Reports
of ZAP before 2.8 put one ``uri``/``param``/``evidence`` directly on the alert item; that
becomes a single instance. riskcode 3/2/1/0 maps to high/medium/low/info through the shared
severity table; confidence 0-4 is kept as false-positive/low/medium/high/confirmed.
``cweid`` and ``wascid`` of ``-1`` or ``0`` mean "none". The rule id is ``alertRef`` when
present (it distinguishes variants of one plugin, e.g. ``10020-1``) else ``pluginid``.

XML is read through defusedxml (no entity expansion, no external entities, no DTD fetch).
"""

from __future__ import annotations

import html
import re
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from psirt.domain.scan import ScanFinding, ScanFormat, ScanKind, ScanResult, WebLocation
from psirt.errors import InputError
from psirt.ingest._json import load_json, strip_bom
from psirt.ingest._xml import check_depth
from psirt.ingest.scans import fingerprint, severity
from psirt.ingest.scans._doc import JsonObject, arr, obj, opt_arr, opt_int, opt_str

TOOL = "ZAP"
_CONFIDENCE = {"0": "false-positive", "1": "low", "2": "medium", "3": "high", "4": "confirmed"}
_TAG = re.compile(r"<[^>]+>")
_PARA = re.compile(r"</p>\s*<p>|<br\s*/?>|</?p>", re.IGNORECASE)


def sniff_json(doc: Any) -> bool:
    """A JSON object with ``site`` and ZAP's ``@version`` or ``@programName``."""
    return (
        isinstance(doc, dict)
        and "site" in doc
        and ("@version" in doc or "@programName" in doc or "@generated" in doc)
    )


def html_to_text(value: str | None) -> str:
    """ZAP descriptions are HTML paragraphs; give plain text with one line per paragraph."""
    if not value:
        return ""
    text = _PARA.sub("\n", value)
    return html.unescape(_TAG.sub("", text)).strip()


def _instance(d: JsonObject, source: str, path: str) -> WebLocation | None:
    uri = opt_str(d, "uri", source, path)
    if uri is None:
        return None
    return WebLocation(
        url=uri,
        method=opt_str(d, "method", source, path) or None,
        parameter=opt_str(d, "param", source, path) or None,
        evidence=opt_str(d, "evidence", source, path) or None,
        attack=opt_str(d, "attack", source, path) or None,
        other_info=opt_str(d, "otherinfo", source, path) or None,
    )


def _alert(
    alert: JsonObject,
    instances: list[JsonObject],
    site: str,
    source: str,
    path: str,
) -> ScanFinding:
    plugin = opt_str(alert, "pluginid", source, path)
    rule_id = opt_str(alert, "alertRef", source, path) or plugin
    if not rule_id:
        raise InputError(source, f"{path}.pluginid", "alert has no pluginid")
    riskcode = opt_str(alert, "riskcode", source, path)
    raw = riskcode
    if raw is None:
        riskdesc = opt_str(alert, "riskdesc", source, path) or ""
        raw = riskdesc.split(" ", 1)[0] or None
    sev = severity.resolve(severity.Scale.ZAP_RISK, raw)
    conf = opt_str(alert, "confidence", source, path)
    cwe = opt_int(alert, "cweid", source, path)
    wasc = opt_int(alert, "wascid", source, path)
    locations: list[WebLocation] = []
    for i, inst in enumerate(instances):
        loc = _instance(inst, source, f"{path}.instances[{i}]")
        if loc is not None:
            locations.append(loc)
    if not instances:  # ZAP before 2.8: one request on the alert item itself
        loc = _instance(alert, source, path)
        if loc is not None:
            locations.append(loc)
    references = tuple(
        line.strip()
        for line in html_to_text(opt_str(alert, "reference", source, path)).splitlines()
        if line.strip()
    )
    where = WebLocation(url=site)
    return ScanFinding(
        rule_id=rule_id,
        title=opt_str(alert, "name", source, path) or opt_str(alert, "alert", source, path) or "",
        severity=sev,
        fingerprint=fingerprint.compute(TOOL, rule_id, where),
        kind=ScanKind.DAST,
        message=html_to_text(opt_str(alert, "desc", source, path)),
        raw_level=raw,
        confidence=_CONFIDENCE.get(conf or "", conf),
        cwes=(cwe,) if cwe is not None and cwe > 0 else (),
        location=where,
        vulnerability_ids=(f"WASC-{wasc}",) if wasc is not None and wasc > 0 else (),
        instances=tuple(locations),
        references=references,
        solution=html_to_text(opt_str(alert, "solution", source, path)) or None,
    )


def _result(
    fmt: ScanFormat,
    source: str,
    version: str | None,
    sites: list[tuple[str, list[ScanFinding]]],
    program: str | None,
) -> ScanResult:
    findings = [f for _, site_findings in sites for f in site_findings]
    results = fingerprint.disambiguate(findings)
    names = tuple(name for name, _ in sites)
    return ScanResult(
        format=fmt,
        source=source,
        tool=program or TOOL,
        tool_version=version,
        results=results,
        instances=sum(len(f.instances) for f in results),
        target=names[0] if names else None,
        scope=names,
    )


def parse_json(data: bytes, *, source: str) -> ScanResult:
    doc = obj(load_json(data, source), source, "$")
    if "site" not in doc:
        raise InputError(source, None, "not a ZAP JSON report: no 'site'")
    raw_sites = doc["site"]
    if isinstance(raw_sites, dict):  # a single site is sometimes written without the array
        raw_sites = [raw_sites]
    sites: list[tuple[str, list[ScanFinding]]] = []
    for s, raw_site in enumerate(arr(raw_sites, source, "site")):
        spath = f"site[{s}]"
        site = obj(raw_site, source, spath)
        name = opt_str(site, "@name", source, spath) or ""
        findings = []
        for a, raw_alert in enumerate(opt_arr(site, "alerts", source, spath)):
            apath = f"{spath}.alerts[{a}]"
            alert = obj(raw_alert, source, apath)
            instances = [
                obj(inst, source, f"{apath}.instances[{i}]")
                for i, inst in enumerate(opt_arr(alert, "instances", source, apath))
            ]
            findings.append(_alert(alert, instances, name, source, apath))
        sites.append((name, findings))
    return _result(
        ScanFormat.ZAP_JSON,
        source,
        opt_str(doc, "@version", source, ""),
        sites,
        opt_str(doc, "@programName", source, ""),
    )


def _children_text(element: Element) -> JsonObject:
    """Leaf children of an element as ``{tag: text}`` (empty text for empty elements)."""
    out: JsonObject = {}
    for child in element:
        if isinstance(child.tag, str) and len(child) == 0:
            out[child.tag] = child.text or ""
    return out


def parse_xml(data: bytes, *, source: str) -> ScanResult:
    try:
        root = SafeET.fromstring(strip_bom(data))
    except DefusedXmlException as exc:
        raise InputError(source, None, f"refused XML construct: {exc}") from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        raise InputError(source, "line 1", f"not well-formed XML: {exc}") from None
    except SafeET.ParseError as exc:
        line, column = exc.position
        raise InputError(
            source, f"line {line} column {column + 1}", "not well-formed XML"
        ) from None
    check_depth(root, source)
    if root.tag != "OWASPZAPReport":
        raise InputError(source, root.tag, "not a ZAP XML report: root is not OWASPZAPReport")
    sites: list[tuple[str, list[ScanFinding]]] = []
    for s, site in enumerate(root.findall("site")):
        spath = f"OWASPZAPReport/site[{s}]"
        name = site.get("name", "")
        findings = []
        for a, item in enumerate(site.findall("alerts/alertitem")):
            apath = f"{spath}/alerts/alertitem[{a}]"
            alert = _children_text(item)
            instances = [_children_text(inst) for inst in item.findall("instances/instance")]
            findings.append(_alert(alert, instances, name, source, apath))
        sites.append((name, findings))
    return _result(ScanFormat.ZAP_XML, source, root.get("version"), sites, root.get("programName"))
