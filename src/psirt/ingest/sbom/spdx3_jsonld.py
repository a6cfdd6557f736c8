"""SPDX 3.0 JSON-LD (compact form with the SPDX 3 context, elements in ``@graph``).

- ``software_Package`` elements are the components; ``spdxId`` (or ``@id``) is the ref,
  ``software_packageVersion`` the version, ``software_packageUrl`` the purl (else an
  ``externalIdentifier`` of type ``packageUrl``), ``externalIdentifier`` ``cpe23``/``cpe22``
  the CPE, ``swid`` the SWID tag id, ``verifiedUsing`` hashes, ``suppliedBy`` / first of
  ``originatedBy`` (agent names looked up in the graph) supplier / author,
  ``software_primaryPurpose`` the type.
- Relationships (``Relationship``, ``LifecycleScopedRelationship``) between packages:
  ``dependsOn``, ``hasDynamicLink``, ``hasStaticLink`` -> ``depends_on``; ``contains`` ->
  ``contains``; ``hasConcludedLicense``/``hasDeclaredLicense`` give the license
  expressions; ``describes`` and the ``rootElement`` of an ``SpdxDocument``/``software_Sbom``
  name the subject.
- CreationInfo ``created`` -> timestamp, ``createdBy`` agents -> authors, ``createdUsing``
  tools -> tools, ``specVersion`` -> spec version.
"""

from __future__ import annotations

from typing import Any

from psirt.domain.sbom import Component, Dependency, ParsedSbom, SbomFormat, Serialization
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.sbom._common import (
    DEFAULT_MAX_BYTES,
    JsonObject,
    check_size,
    cpe_problem,
    gc_paused,
    item_obj,
    item_str,
    make_hash,
    opt_list,
    opt_str,
    parse_datetime,
    purl_problem,
    require_object,
    unique,
)

FORMAT = SbomFormat.SPDX
SERIALIZATION = Serialization.JSON_LD

_DEPENDS = {
    "dependsOn": "depends_on",
    "hasDynamicLink": "depends_on",
    "hasStaticLink": "depends_on",
    "contains": "contains",
}
_LICENSE_RELS = frozenset({"hasConcludedLicense", "hasDeclaredLicense"})
_NO_VALUE = frozenset({"NOASSERTION", "NONE", ""})


def is_spdx3(doc: Any) -> bool:
    if type(doc) is not dict:
        return False
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and "spdx.org/rdf/3" in c for c in contexts)


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        return from_document(load_json(data, source), source=source)


def _type(element: JsonObject) -> str:
    value = element.get("type") or element.get("@type") or ""
    return value if isinstance(value, str) else ""


def _id(element: JsonObject) -> str:
    value = element.get("spdxId") or element.get("@id") or ""
    return value if isinstance(value, str) else ""


def spec_version_of(doc: JsonObject) -> str:
    graph = doc.get("@graph")
    for element in graph if isinstance(graph, list) else ():
        if isinstance(element, dict) and _type(element) == "CreationInfo":
            version = element.get("specVersion")
            if isinstance(version, str):
                return version
    context = str(doc.get("@context", ""))
    marker = "spdx.org/rdf/"
    if marker in context:
        return context.split(marker, 1)[1].split("/", 1)[0]
    return "3"


def from_document(doc: Any, *, source: str) -> ParsedSbom:
    root = require_object(doc, source, "")
    if not is_spdx3(root):
        raise InputError(source, "@context", "not an SPDX 3 JSON-LD document")
    graph = opt_list(root, "@graph", source, "")
    elements: list[tuple[str, JsonObject]] = []
    by_id: dict[str, JsonObject] = {}
    for i, raw in enumerate(graph):
        element = item_obj(raw, source, f"@graph[{i}]")
        elements.append((f"@graph[{i}]", element))
        element_id = _id(element)
        if element_id:
            by_id[element_id] = element

    problems: list[str] = []
    package_ids = [_id(e) for _, e in elements if _type(e) == "software_Package"]
    package_set = set(package_ids)
    edges: dict[tuple[str, str], list[str]] = {}
    licenses: dict[str, list[str]] = {}
    described: list[str] = []
    for where, element in elements:
        kind = _type(element)
        if kind in {"SpdxDocument", "software_Sbom", "Bundle", "Bom"}:
            for j, ref in enumerate(opt_list(element, "rootElement", source, where)):
                described.append(item_str(ref, source, f"{where}.rootElement[{j}]"))
            continue
        if not kind.endswith("Relationship"):
            continue
        rel_type = opt_str(element, "relationshipType", source, where) or ""
        left = opt_str(element, "from", source, where) or ""
        targets = [
            item_str(t, source, f"{where}.to[{j}]")
            for j, t in enumerate(opt_list(element, "to", source, where))
        ]
        if rel_type == "describes":
            described.extend(targets)
        elif rel_type in _LICENSE_RELS and left in package_set:
            for target in targets:
                expression = by_id.get(target, {}).get("simplelicensing_licenseExpression")
                if isinstance(expression, str) and expression not in _NO_VALUE:
                    licenses.setdefault(left, []).append(expression)
        elif rel_type in _DEPENDS and left in package_set:
            kept = [t for t in targets if t in package_set]
            if kept:
                edges.setdefault((left, _DEPENDS[rel_type]), []).extend(kept)

    components = []
    for where, element in elements:
        if _type(element) == "software_Package":
            components.append(_package(element, where, source, by_id, licenses, problems))
    subject = next((c for ref in described for c in components if c.ref == ref), None)

    timestamp = None
    authors: list[str] = []
    tools: list[str] = []
    document = next((e for _, e in elements if _type(e) == "SpdxDocument"), None)
    info = _creation_info(document, by_id) if document else None
    if info is None:
        info = next((e for _, e in elements if _type(e) == "CreationInfo"), None)
    if info is not None:
        created = info.get("created")
        if isinstance(created, str):
            timestamp = parse_datetime(created)
        authors = [n for r in info.get("createdBy") or () if (n := _agent_name(r, by_id))]
        tools = [n for r in info.get("createdUsing") or () if (n := _agent_name(r, by_id))]

    return ParsedSbom(
        format=FORMAT,
        spec_version=spec_version_of(root),
        serialization=SERIALIZATION,
        components=tuple(components),
        dependencies=tuple(
            Dependency(ref=ref, depends_on=tuple(dict.fromkeys(targets)), kind=kind)
            for (ref, kind), targets in edges.items()
        ),
        subject=subject,
        serial_number=_id(document) or None if document else None,
        document_name=opt_str(document, "name", source, "SpdxDocument") if document else None,
        timestamp=timestamp,
        authors=unique(authors),
        tools=unique(tools),
        problems=tuple(problems),
    )


def _creation_info(element: JsonObject, by_id: dict[str, JsonObject]) -> JsonObject | None:
    info = element.get("creationInfo")
    if isinstance(info, dict):
        return info
    if isinstance(info, str):
        return by_id.get(info)
    return None


def _agent_name(ref: Any, by_id: dict[str, JsonObject]) -> str | None:
    if isinstance(ref, dict):
        agent = ref
    elif isinstance(ref, str):
        agent = by_id.get(ref, {})
    else:
        return None
    name = agent.get("name")
    return name if isinstance(name, str) else None


def _package(
    element: JsonObject,
    where: str,
    source: str,
    by_id: dict[str, JsonObject],
    licenses: dict[str, list[str]],
    problems: list[str],
) -> Component:
    ref = _id(element)
    purl = opt_str(element, "software_packageUrl", source, where)
    cpe23 = cpe22 = swid = None
    for i, raw in enumerate(opt_list(element, "externalIdentifier", source, where)):
        at = f"{where}.externalIdentifier[{i}]"
        ext = item_obj(raw, source, at)
        kind = opt_str(ext, "externalIdentifierType", source, at)
        identifier = opt_str(ext, "identifier", source, at)
        if not identifier:
            continue
        if kind == "cpe23" and cpe23 is None:
            cpe23 = identifier
        elif kind == "cpe22" and cpe22 is None:
            cpe22 = identifier
        elif kind == "packageUrl" and purl is None:
            purl = identifier
        elif kind == "swid" and swid is None:
            swid = identifier
    if purl is not None and (why := purl_problem(purl)) is not None:
        problems.append(f"{where}.software_packageUrl: {why}: {purl!r}")
    cpe = cpe23 or cpe22
    if cpe is not None and (why := cpe_problem(cpe)) is not None:
        problems.append(f"{where}.externalIdentifier: {why}: {cpe!r}")
    hashes = []
    for i, raw in enumerate(opt_list(element, "verifiedUsing", source, where)):
        at = f"{where}.verifiedUsing[{i}]"
        entry = item_obj(raw, source, at)
        alg = opt_str(entry, "algorithm", source, at)
        value = opt_str(entry, "hashValue", source, at)
        if alg and value:
            hashes.append(make_hash(alg, value))
    supplier = _agent_name(element.get("suppliedBy"), by_id)
    originators = opt_list(element, "originatedBy", source, where)
    author = _agent_name(originators[0], by_id) if originators else None
    purpose = opt_str(element, "software_primaryPurpose", source, where)
    name = opt_str(element, "name", source, where)
    if name is None:
        problems.append(f"{where}.name: missing")
    return Component(
        name=name or "",
        version=opt_str(element, "software_packageVersion", source, where) or "",
        ref=ref,
        type=purpose.lower() if purpose else "library",
        purl=purl,
        cpe=cpe,
        swid=swid,
        supplier=supplier,
        author=author,
        hashes=tuple(hashes),
        licenses=unique(licenses.get(ref, [])),
    )
