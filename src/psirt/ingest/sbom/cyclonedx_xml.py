"""CycloneDX 1.0-1.7 XML, read through defusedxml.

Reads the same fields as :mod:`psirt.ingest.sbom.cyclonedx_json`. The namespace
``http://cyclonedx.org/schema/bom/<version>`` gives the spec version; elements of other
namespaces (extensions, signatures) are ignored, except the 1.1 dependency-graph extension
(``http://cyclonedx.org/schema/ext/dependency-graph/1.0``), whose dependencies are read. A
``bom-ref`` used by more than one component is reported as a problem.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from psirt.domain.sbom import (
    Component,
    Dependency,
    Hash,
    ParsedSbom,
    SbomFormat,
    SbomVulnerability,
    Serialization,
)
from psirt.errors import InputError
from psirt.ingest._xml import load_xml
from psirt.ingest.sbom._common import (
    DEFAULT_MAX_BYTES,
    check_size,
    cpe_problem,
    duplicate_refs,
    gc_paused,
    make_hash,
    parse_datetime,
    purl_problem,
    support_from_properties,
    unique,
)

FORMAT = SbomFormat.CYCLONEDX
SERIALIZATION = Serialization.XML

NAMESPACE = re.compile(r"\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom\Z")
_DEPENDENCY_GRAPH_NS = "http://cyclonedx.org/schema/ext/dependency-graph/1.0"


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        return from_element(load_xml(data, source), source=source)


def spec_version_of(root: Element) -> str | None:
    m = NAMESPACE.match(root.tag)
    return m.group(1) if m else None


def from_element(root: Element, *, source: str) -> ParsedSbom:
    version = spec_version_of(root)
    if version is None:
        raise InputError(source, "/", f"root element {root.tag!r} is not a CycloneDX bom")
    reader = _Reader(source, "{http://cyclonedx.org/schema/bom/" + version + "}")
    q = reader.q

    components: list[Component] = []
    container = root.find(q("components"))
    if container is not None:
        reader.components(container, "/bom/components", None, components)

    subject = None
    timestamp = None
    authors: list[str] = []
    tools: list[str] = []
    metadata = root.find(q("metadata"))
    if metadata is not None:
        subject_el = metadata.find(q("component"))
        if subject_el is not None:
            where = "/bom/metadata/component"
            subject = reader.component(subject_el, where, None)
            nested = subject_el.find(q("components"))
            if nested is not None:
                reader.components(nested, f"{where}/components", subject.ref or None, components)
        stamp = reader.text(metadata, "timestamp")
        if stamp:
            timestamp = parse_datetime(stamp)
            if timestamp is None:
                reader.problems.append(f"/bom/metadata/timestamp: {stamp!r} is not a date-time")
        for author in metadata.iterfind(f"{q('authors')}/{q('author')}"):
            name = reader.text(author, "name") or reader.text(author, "email")
            if name:
                authors.append(name)
        tools = reader.tools(metadata.find(q("tools")))

    reader.problems.extend(duplicate_refs(reader.refs, "/@bom-ref"))
    dependencies = reader.dependencies(root)
    vulnerabilities = [
        reader.vulnerability(el, f"/bom/vulnerabilities/vulnerability[{i + 1}]")
        for i, el in enumerate(root.iterfind(f"{q('vulnerabilities')}/{q('vulnerability')}"))
    ]
    return ParsedSbom(
        format=FORMAT,
        spec_version=version,
        serialization=SERIALIZATION,
        components=tuple(components),
        dependencies=tuple(dependencies),
        subject=subject,
        serial_number=root.get("serialNumber"),
        document_name=subject.name if subject is not None else None,
        timestamp=timestamp,
        authors=unique(authors),
        tools=unique(tools),
        vulnerabilities=tuple(vulnerabilities),
        problems=tuple(reader.problems),
    )


class _Reader:
    def __init__(self, source: str, ns: str) -> None:
        self.source = source
        self.ns = ns
        self.problems: list[str] = []
        self.refs: list[tuple[str, str]] = []  # (bom-ref, where) of every component read

    def q(self, name: str) -> str:
        return self.ns + name

    def text(self, el: Element, name: str) -> str | None:
        child = el.find(self.ns + name)
        if child is None:
            return None
        return (child.text or "").strip()

    def components(
        self, container: Element, path: str, parent: str | None, out: list[Component]
    ) -> None:
        for i, el in enumerate(container.iterfind(self.q("component"))):
            where = f"{path}/component[{i + 1}]"
            component = self.component(el, where, parent)
            out.append(component)
            nested = el.find(self.q("components"))
            if nested is not None:
                self.components(nested, f"{where}/components", component.ref or None, out)

    def component(self, el: Element, where: str, parent: str | None) -> Component:
        q = self.q
        name = self.text(el, "name")
        if name is None:
            self.problems.append(f"{where}/name: missing")
        purl = self.text(el, "purl") or None
        if purl is not None and (why := purl_problem(purl)) is not None:
            self.problems.append(f"{where}/purl: {why}: {purl!r}")
        cpe = self.text(el, "cpe") or None
        if cpe is not None and (why := cpe_problem(cpe)) is not None:
            self.problems.append(f"{where}/cpe: {why}: {cpe!r}")
        swid_el = el.find(q("swid"))
        swid = swid_el.get("tagId") if swid_el is not None else None

        hashes: list[Hash] = []
        for h in el.iterfind(f"{q('hashes')}/{q('hash')}"):
            alg = h.get("alg")
            if alg and h.text and h.text.strip():
                hashes.append(make_hash(alg, h.text))
        licenses = self.licenses(el)
        properties = tuple(
            (p.get("name") or "", (p.text or "").strip())
            for p in el.iterfind(f"{q('properties')}/{q('property')}")
            if p.get("name")
        )
        item_class, support_end = support_from_properties(properties)

        supplier = None
        for key in ("supplier", "manufacturer"):
            entity = el.find(q(key))
            if entity is not None and supplier is None:
                supplier = self.text(entity, "name") or None
        if supplier is None:
            supplier = self.text(el, "publisher") or None
        author = self.text(el, "author") or None
        if author is None:
            names = [self.text(a, "name") for a in el.iterfind(f"{q('authors')}/{q('author')}")]
            author = ", ".join(n for n in names if n) or None

        ref = el.get("bom-ref") or ""
        if ref:
            self.refs.append((ref, where))
        return Component(
            name=name or "",
            version=self.text(el, "version") or "",
            ref=ref,
            type=el.get("type") or "library",
            group=self.text(el, "group") or "",
            purl=purl,
            cpe=cpe,
            swid=swid,
            supplier=supplier,
            author=author,
            hashes=tuple(hashes),
            licenses=licenses,
            properties=properties,
            item_class=item_class,
            support_end=support_end,
            parent_ref=parent,
        )

    def licenses(self, el: Element) -> tuple[str, ...]:
        container = el.find(self.q("licenses"))
        if container is None:
            return ()
        out = []
        for child in container:
            if child.tag == self.q("expression"):
                out.append((child.text or "").strip())
            elif child.tag == self.q("license"):
                out.append(self.text(child, "id") or self.text(child, "name") or "")
        return unique(out)

    def tools(self, tools: Element | None) -> list[str]:
        if tools is None:
            return []
        q = self.q
        entries = list(tools.iterfind(q("tool")))  # 1.2-1.4 (deprecated in 1.5)
        entries += tools.iterfind(f"{q('components')}/{q('component')}")
        entries += tools.iterfind(f"{q('services')}/{q('service')}")
        out = []
        for tool in entries:
            name = self.text(tool, "name") or ""
            version = self.text(tool, "version") or ""
            vendor = self.text(tool, "vendor") or self.text(tool, "group")
            label = " ".join(p for p in (name, version) if p)
            if vendor and name and not name.startswith(vendor):
                label = f"{vendor} {label}"
            if label:
                out.append(label)
        return out

    def dependencies(self, root: Element) -> list[Dependency]:
        out = []
        for ns in (self.ns, "{" + _DEPENDENCY_GRAPH_NS + "}"):
            container = root.find(ns + "dependencies")
            if container is None:
                continue
            for i, dep in enumerate(container.iterfind(ns + "dependency")):
                ref = dep.get("ref")
                if not ref:
                    raise InputError(
                        self.source, f"/bom/dependencies/dependency[{i + 1}]", "missing ref"
                    )
                targets = tuple(
                    t for child in dep.iterfind(ns + "dependency") if (t := child.get("ref"))
                )
                out.append(Dependency(ref=ref, depends_on=targets))
        return out

    def vulnerability(self, el: Element, where: str) -> SbomVulnerability:
        q = self.q
        vuln_id = self.text(el, "id") or el.get("bom-ref")
        if not vuln_id:
            raise InputError(self.source, f"{where}/id", "missing")
        src = el.find(q("source"))
        affects = [
            ref
            for target in el.iterfind(f"{q('affects')}/{q('target')}")
            if (ref := self.text(target, "ref"))
        ]
        ratings = []
        for rating in el.iterfind(f"{q('ratings')}/{q('rating')}"):
            value = (
                self.text(rating, "vector")
                or self.text(rating, "severity")
                or self.text(rating, "score")
            )
            if value:
                ratings.append((self.text(rating, "method") or "", value))
        cwes = []
        for cwe in el.iterfind(f"{q('cwes')}/{q('cwe')}"):
            text = (cwe.text or "").strip()
            if not text.isdigit():
                raise InputError(self.source, f"{where}/cwes", f"{text!r} is not an integer")
            cwes.append(int(text))
        analysis = el.find(q("analysis"))
        return SbomVulnerability(
            id=vuln_id,
            source=self.text(src, "name") if src is not None else None,
            affects=tuple(affects),
            ratings=tuple(ratings),
            analysis_state=self.text(analysis, "state") if analysis is not None else None,
            analysis_justification=(
                self.text(analysis, "justification") if analysis is not None else None
            ),
            cwes=tuple(cwes),
            description=self.text(el, "description"),
        )
