"""SPDX 2.x RDF/XML, read through defusedxml without an RDF library.

The RDF/XML tree is flattened into nodes (``rdf:about``/``rdf:nodeID`` or nested elements)
with their properties, then packages, relationships and creation info are taken from the
nodes into the JSON shape and mapped by :mod:`psirt.ingest.sbom._spdx2`. License
expressions are rebuilt from listed licenses, extracted licenses and the conjunctive /
disjunctive / with-exception / or-later nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.errors import InputError
from psirt.ingest._xml import load_xml
from psirt.ingest.sbom import _spdx2
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size, gc_paused

FORMAT = SbomFormat.SPDX
SERIALIZATION = Serialization.RDF_XML

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
SPDX_TERMS = "http://spdx.org/rdf/terms#"
SPDX = "{" + SPDX_TERMS + "}"
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class _Ref:
    id: str


@dataclass(slots=True)
class _Node:
    type: str = ""
    props: dict[str, list[str | _Ref]] = field(default_factory=dict)

    def literal(self, name: str) -> str | None:
        for value in self.props.get(SPDX + name, ()):
            if isinstance(value, str):
                return value
        return None

    def refs(self, name: str) -> list[str]:
        return [v.id for v in self.props.get(SPDX + name, ()) if isinstance(v, _Ref)]

    def values(self, name: str) -> list[str | _Ref]:
        return self.props.get(SPDX + name, [])


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        root = load_xml(data, source)
        if root.tag != RDF + "RDF":
            raise InputError(source, "/", f"root element {root.tag!r} is not rdf:RDF")
        graph = _Graph()
        for child in root:
            graph.node(child)
        return _spdx2.from_document(
            graph.to_json_shape(source), source=source, serialization=SERIALIZATION
        )


def _fragment(uri: str) -> str:
    return uri.rsplit("#", 1)[-1]


def _term(uri: str, prefix: str) -> str:
    """``http://spdx.org/rdf/terms#relationshipType_dependsOn`` -> ``DEPENDS_ON``."""
    name = _fragment(uri).removeprefix(prefix)
    return _CAMEL.sub("_", name).upper()


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}
        self._blank = 0

    def node(self, el: Element) -> str:
        node_id = el.get(RDF + "about") or el.get(RDF + "nodeID")
        if node_id is None:
            self._blank += 1
            node_id = f"_:b{self._blank}"
        node = self.nodes.setdefault(node_id, _Node())
        if el.tag != RDF + "Description":
            node.type = el.tag
        type_el = el.find(RDF + "type")
        if type_el is not None and type_el.get(RDF + "resource"):
            node.type = "{" + (type_el.get(RDF + "resource") or "").replace("#", "#}", 1)
        for prop in el:
            values = node.props.setdefault(prop.tag, [])
            resource = prop.get(RDF + "resource")
            if resource is not None:
                values.append(_Ref(resource))
            elif prop.get(RDF + "parseType") == "Resource":
                self._blank += 1
                blank = f"_:b{self._blank}"
                wrapper = Element(RDF + "Description", {RDF + "nodeID": blank})
                wrapper.extend(list(prop))
                values.append(_Ref(self.node(wrapper)))
            elif len(prop):
                values.extend(_Ref(self.node(child)) for child in prop)
            else:
                values.append((prop.text or "").strip())
        return node_id

    def of_type(self, name: str) -> list[tuple[str, _Node]]:
        return [(i, n) for i, n in self.nodes.items() if n.type == SPDX + name]

    def license(self, value: str | _Ref, depth: int = 0) -> str:
        if isinstance(value, str):
            return value
        node = self.nodes.get(value.id)
        uri = value.id
        if node is None or not node.type or depth > 20:
            if uri == SPDX_TERMS + "noassertion":
                return "NOASSERTION"
            if uri == SPDX_TERMS + "none":
                return "NONE"
            return uri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        kind = node.type.removeprefix(SPDX)
        members = [self.license(m, depth + 1) for m in node.values("member")]
        if kind in {"ConjunctiveLicenseSet", "DisjunctiveLicenseSet"}:
            op = " AND " if kind.startswith("Conjunctive") else " OR "
            return "(" + op.join(sorted(members)) + ")"
        if kind == "OrLaterOperator" and members:
            return members[0] + "+"
        if kind == "WithExceptionOperator" and members:
            exc = [self.nodes.get(r) for r in node.refs("licenseException")]
            exc_id = next((e.literal("licenseExceptionId") for e in exc if e), None)
            return f"{members[0]} WITH {exc_id}" if exc_id else members[0]
        license_id = node.literal("licenseId")
        if license_id:
            return license_id
        return self.license(_Ref(uri), depth + 21)

    def to_json_shape(self, source: str) -> dict[str, Any]:
        documents = self.of_type("SpdxDocument")
        if not documents:
            raise InputError(source, "/", "no spdx:SpdxDocument in the RDF graph")
        doc_uri, doc = documents[0]
        out: dict[str, Any] = {
            "spdxVersion": doc.literal("specVersion") or "",
            "SPDXID": _fragment(doc_uri),
            "name": doc.literal("name"),
            "documentNamespace": doc_uri.split("#", 1)[0],
            "documentDescribes": [_fragment(r) for r in doc.refs("describesPackage")],
        }
        for info_id in doc.refs("creationInfo"):
            info = self.nodes.get(info_id)
            if info is not None:
                out["creationInfo"] = {
                    "created": info.literal("created"),
                    "creators": [v for v in info.values("creator") if isinstance(v, str)],
                }
        packages = []
        for uri, pkg in self.of_type("Package"):
            packages.append(self._package(uri, pkg))
        out["packages"] = packages
        relationships = []
        for uri, node in self.nodes.items():
            for rel_id in node.refs("relationship"):
                rel = self.nodes.get(rel_id)
                if rel is None:
                    continue
                kinds = rel.refs("relationshipType")
                related = rel.refs("relatedSpdxElement")
                if kinds and related:
                    relationships.append(
                        {
                            "spdxElementId": _fragment(uri),
                            "relationshipType": _term(kinds[0], "relationshipType_"),
                            "relatedSpdxElement": _fragment(related[0]),
                        }
                    )
        out["relationships"] = relationships
        return out

    def _package(self, uri: str, pkg: _Node) -> dict[str, Any]:
        shape: dict[str, Any] = {"SPDXID": _fragment(uri)}
        for key in ("name", "versionInfo", "supplier", "originator"):
            if (value := pkg.literal(key)) is not None:
                shape[key] = value
        for key in ("licenseConcluded", "licenseDeclared"):
            values = pkg.values(key)
            if values:
                shape[key] = self.license(values[0])
        purpose = pkg.refs("primaryPackagePurpose")
        if purpose:
            shape["primaryPackagePurpose"] = _fragment(purpose[0]).removeprefix("purpose_").upper()
        checksums = []
        for ref in pkg.refs("checksum"):
            node = self.nodes.get(ref)
            if node is None:
                continue
            algorithm = node.refs("algorithm")
            checksums.append(
                {
                    "algorithm": _fragment(algorithm[0]).removeprefix("checksumAlgorithm_").upper()
                    if algorithm
                    else "",
                    "checksumValue": node.literal("checksumValue") or "",
                }
            )
        shape["checksums"] = checksums
        external = []
        for ref in pkg.refs("externalRef"):
            node = self.nodes.get(ref)
            if node is None:
                continue
            category = node.refs("referenceCategory")
            ref_type = node.refs("referenceType")
            external.append(
                {
                    "referenceCategory": _term(category[0], "referenceCategory_")
                    if category
                    else "",
                    "referenceType": ref_type[0].rstrip("/").rsplit("/", 1)[-1] if ref_type else "",
                    "referenceLocator": node.literal("referenceLocator") or "",
                }
            )
        shape["externalRefs"] = external
        return shape
