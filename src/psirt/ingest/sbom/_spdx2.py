"""SPDX 2.x document model (the JSON shape) to domain values.

Every SPDX 2 serialisation module turns its input into the JSON shape of the SPDX 2.3 JSON
schema (``packages``, ``relationships``, ``creationInfo`` ...) and calls
:func:`from_document`, so there is one mapping to read and test.

- Every package is a component, the described one included; ``SPDXID`` is the ref.
- ``supplier``/``originator`` "Organization: X (mail)" / "Person: Y (mail)" give X / Y;
  NOASSERTION gives None.
- ``externalRefs``: PACKAGE-MANAGER ``purl`` -> purl; SECURITY ``cpe23Type`` (preferred) or
  ``cpe22Type`` -> cpe; ``swid`` -> swid.
- Relationships between two packages become dependencies: DEPENDS_ON, *_DEPENDENCY_OF
  (inverted), DYNAMIC_LINK, STATIC_LINK -> ``depends_on``; CONTAINS, CONTAINED_BY (inverted)
  -> ``contains``. DESCRIBES from the document (or ``documentDescribes``) names the subject.
  Relationships with files, snippets or other documents are not dependencies and are skipped.
- ``creationInfo.creators``: "Tool: x" -> tools; "Person: y"/"Organization: z" -> authors.
"""

from __future__ import annotations

import re
from typing import Any

from psirt.domain.sbom import Component, Dependency, ParsedSbom, SbomFormat, Serialization
from psirt.errors import InputError
from psirt.ingest.sbom._common import (
    cpe_problem,
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

_FORWARD = {
    "DEPENDS_ON": "depends_on",
    "DYNAMIC_LINK": "depends_on",
    "STATIC_LINK": "depends_on",
    "CONTAINS": "contains",
}
_INVERSE = {
    "DEPENDENCY_OF": "depends_on",
    "BUILD_DEPENDENCY_OF": "depends_on",
    "DEV_DEPENDENCY_OF": "depends_on",
    "OPTIONAL_DEPENDENCY_OF": "depends_on",
    "PROVIDED_DEPENDENCY_OF": "depends_on",
    "TEST_DEPENDENCY_OF": "depends_on",
    "RUNTIME_DEPENDENCY_OF": "depends_on",
    "CONTAINED_BY": "contains",
}
_NO_VALUE = frozenset({"NOASSERTION", "NONE", ""})
_AGENT = re.compile(r"\s*(Organization|Person|Tool)\s*:\s*(.*?)\s*(\([^()]*\))?\s*\Z", re.DOTALL)


def is_spdx2(doc: Any) -> bool:
    if type(doc) is not dict:
        return False
    version = doc.get("spdxVersion")
    return isinstance(version, str) and version.startswith("SPDX-2")


def agent(value: str | None) -> tuple[str, str] | None:
    """("Organization"|"Person"|"Tool", name) of an SPDX agent string; None for NOASSERTION."""
    if value is None or value.strip() in _NO_VALUE:
        return None
    m = _AGENT.match(value)
    if m is None:
        return ("", value.strip())
    name = m.group(2) or (m.group(3) or "").strip("()")
    return (m.group(1), name) if name else None


def from_document(doc: Any, *, source: str, serialization: Serialization) -> ParsedSbom:
    spdx = require_object(doc, source, "")
    version_text = opt_str(spdx, "spdxVersion", source, "")
    if not version_text or not version_text.startswith("SPDX-"):
        raise InputError(source, "spdxVersion", f"expected 'SPDX-2.x', got {version_text!r}")
    problems: list[str] = []

    components: list[Component] = []
    refs: set[str] = set()
    for i, raw in enumerate(opt_list(spdx, "packages", source, "")):
        component = _package(
            item_obj(raw, source, f"packages[{i}]"), f"packages[{i}]", source, problems
        )
        components.append(component)
        refs.add(component.ref)

    doc_id = opt_str(spdx, "SPDXID", source, "") or "SPDXRef-DOCUMENT"
    described: list[str] = []
    for i, value in enumerate(opt_list(spdx, "documentDescribes", source, "")):
        described.append(item_str(value, source, f"documentDescribes[{i}]"))

    edges: dict[tuple[str, str], list[str]] = {}
    for i, raw in enumerate(opt_list(spdx, "relationships", source, "")):
        where = f"relationships[{i}]"
        rel = item_obj(raw, source, where)
        left = opt_str(rel, "spdxElementId", source, where) or ""
        kind = (opt_str(rel, "relationshipType", source, where) or "").upper().replace("-", "_")
        right = opt_str(rel, "relatedSpdxElement", source, where) or ""
        if kind == "DESCRIBES" and left == doc_id:
            described.append(right)
        elif kind == "DESCRIBED_BY" and right == doc_id:
            described.append(left)
        elif kind in _FORWARD:
            if left in refs and right in refs:
                edges.setdefault((left, _FORWARD[kind]), []).append(right)
        elif kind in _INVERSE and left in refs and right in refs:
            edges.setdefault((right, _INVERSE[kind]), []).append(left)

    subject = None
    by_ref = {c.ref: c for c in components}
    for ref in described:
        if ref in by_ref:
            subject = by_ref[ref]
            break

    timestamp = None
    authors: list[str] = []
    tools: list[str] = []
    info = spdx.get("creationInfo")
    if info is not None:
        info = item_obj(info, source, "creationInfo")
        created = opt_str(info, "created", source, "creationInfo")
        if created:
            timestamp = parse_datetime(created)
            if timestamp is None:
                problems.append(f"creationInfo.created: {created!r} is not a date-time")
        for i, raw in enumerate(opt_list(info, "creators", source, "creationInfo")):
            parsed = agent(item_str(raw, source, f"creationInfo.creators[{i}]"))
            if parsed is None:
                continue
            kind, name = parsed
            (tools if kind == "Tool" else authors).append(name)

    return ParsedSbom(
        format=FORMAT,
        spec_version=version_text.removeprefix("SPDX-"),
        serialization=serialization,
        components=tuple(components),
        dependencies=tuple(
            Dependency(ref=ref, depends_on=tuple(dict.fromkeys(targets)), kind=kind)
            for (ref, kind), targets in edges.items()
        ),
        subject=subject,
        serial_number=opt_str(spdx, "documentNamespace", source, ""),
        document_name=opt_str(spdx, "name", source, ""),
        timestamp=timestamp,
        authors=unique(authors),
        tools=unique(tools),
        problems=tuple(problems),
    )


def _package(pkg: dict[str, Any], where: str, source: str, problems: list[str]) -> Component:
    name = opt_str(pkg, "name", source, where)
    if name is None:
        problems.append(f"{where}.name: missing")
    ref = opt_str(pkg, "SPDXID", source, where) or ""
    purl = cpe23 = cpe22 = swid = None
    for i, raw in enumerate(opt_list(pkg, "externalRefs", source, where)):
        at = f"{where}.externalRefs[{i}]"
        ext = item_obj(raw, source, at)
        ref_type = opt_str(ext, "referenceType", source, at) or ""
        locator = (opt_str(ext, "referenceLocator", source, at) or "").strip()
        if not locator:
            continue
        if ref_type == "purl" and purl is None:
            purl = locator
            if (why := purl_problem(locator)) is not None:
                problems.append(f"{at}.referenceLocator: {why}: {locator!r}")
        elif ref_type == "cpe23Type" and cpe23 is None:
            cpe23 = locator
        elif ref_type == "cpe22Type" and cpe22 is None:
            cpe22 = locator
        elif ref_type == "swid" and swid is None:
            swid = locator
    cpe = cpe23 or cpe22
    if cpe is not None and (why := cpe_problem(cpe)) is not None:
        problems.append(f"{where}.externalRefs: {why}: {cpe!r}")

    hashes = []
    for i, raw in enumerate(opt_list(pkg, "checksums", source, where)):
        at = f"{where}.checksums[{i}]"
        entry = item_obj(raw, source, at)
        alg = opt_str(entry, "algorithm", source, at)
        value = opt_str(entry, "checksumValue", source, at)
        if alg and value:
            hashes.append(make_hash(alg, value))

    licenses = [
        value
        for key in ("licenseConcluded", "licenseDeclared")
        if (value := (opt_str(pkg, key, source, where) or "").strip()) not in _NO_VALUE
    ]
    supplier = agent(opt_str(pkg, "supplier", source, where))
    originator = agent(opt_str(pkg, "originator", source, where))
    purpose = opt_str(pkg, "primaryPackagePurpose", source, where)
    return Component(
        name=name or "",
        version=opt_str(pkg, "versionInfo", source, where) or "",
        ref=ref,
        type=purpose.lower().replace("_", "-") if purpose else "library",
        purl=purl,
        cpe=cpe,
        swid=swid,
        supplier=supplier[1] if supplier else None,
        author=originator[1] if originator else None,
        hashes=tuple(hashes),
        licenses=unique(licenses),
    )
