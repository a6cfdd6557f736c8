"""CycloneDX 1.2-1.7 JSON.

What is read: ``components`` recursively (nested components are counted and carry
``parent_ref``), ``metadata.component`` as the subject (not counted; its own nested
components are counted), ``dependencies`` (``dependsOn``; 1.6 ``provides`` is not a
dependency and is skipped), ``metadata`` timestamp/authors/tools (1.4 array and 1.5
``tools.components``/``tools.services``), ``serialNumber`` and ``vulnerabilities``. A
``bom-ref`` used by more than one component is reported as a problem (CycloneDX requires them
to be unique within the BOM).

Component fields: ``bom-ref`` -> ref, name, version, group, type, purl, cpe, ``swid.tagId``,
hashes, ``supplier.name`` (else ``manufacturer.name``, else ``publisher``) -> supplier,
``author`` (else the names of 1.6 ``authors``) -> author, licenses (``license.id``,
``license.name`` or ``expression``), properties; properties that name a level of support or
an end-of-support date fill ``item_class``/``support_end`` (see
:data:`psirt.ingest.sbom._common.ITEM_CLASS_PROPERTY_NAMES`).
"""

from __future__ import annotations

from typing import Any

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
from psirt.ingest._json import load_json
from psirt.ingest.sbom._common import (
    DEFAULT_MAX_BYTES,
    JsonObject,
    check_size,
    cpe_problem,
    duplicate_refs,
    gc_paused,
    item_obj,
    item_str,
    make_hash,
    opt_list,
    opt_obj,
    opt_str,
    parse_datetime,
    purl_problem,
    require_object,
    support_from_properties,
    unique,
)

FORMAT = SbomFormat.CYCLONEDX
SERIALIZATION = Serialization.JSON


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        return from_document(load_json(data, source), source=source)


def is_cyclonedx(doc: Any) -> bool:
    if type(doc) is not dict:
        return False
    if doc.get("bomFormat") == "CycloneDX":
        return True
    schema = doc.get("$schema")
    return isinstance(schema, str) and "cyclonedx.org/schema" in schema


def from_document(doc: Any, *, source: str) -> ParsedSbom:
    """Map an already decoded CycloneDX JSON document to domain values."""
    bom = require_object(doc, source, "")
    if not is_cyclonedx(bom):
        raise InputError(source, "bomFormat", "expected 'CycloneDX'")
    spec_version = opt_str(bom, "specVersion", source, "") or ""
    reader = _Reader(source)

    components: list[Component] = []
    reader.components(opt_list(bom, "components", source, ""), "components", None, components)

    subject: Component | None = None
    timestamp = None
    authors: list[str] = []
    tools: list[str] = []
    metadata = opt_obj(bom, "metadata", source, "")
    if metadata is not None:
        subject_obj = opt_obj(metadata, "component", source, "metadata")
        if subject_obj is not None:
            subject = reader.component(subject_obj, "metadata.component", None)
            nested = opt_list(subject_obj, "components", source, "metadata.component")
            reader.components(nested, "metadata.component.components", subject.ref, components)
        stamp = opt_str(metadata, "timestamp", source, "metadata")
        if stamp:
            timestamp = parse_datetime(stamp)
            if timestamp is None:
                reader.problems.append(f"metadata.timestamp: {stamp!r} is not a date-time")
        for i, raw in enumerate(opt_list(metadata, "authors", source, "metadata")):
            author = item_obj(raw, source, f"metadata.authors[{i}]")
            name = opt_str(author, "name", source, f"metadata.authors[{i}]") or opt_str(
                author, "email", source, f"metadata.authors[{i}]"
            )
            if name:
                authors.append(name)
        tools = reader.tools(metadata.get("tools"))

    reader.problems.extend(duplicate_refs(reader.refs, ".bom-ref"))
    dependencies = reader.dependencies(opt_list(bom, "dependencies", source, ""))
    vulnerabilities = [
        reader.vulnerability(
            item_obj(raw, source, f"vulnerabilities[{i}]"), f"vulnerabilities[{i}]"
        )
        for i, raw in enumerate(opt_list(bom, "vulnerabilities", source, ""))
    ]
    return ParsedSbom(
        format=FORMAT,
        spec_version=spec_version,
        serialization=SERIALIZATION,
        components=tuple(components),
        dependencies=tuple(dependencies),
        subject=subject,
        serial_number=opt_str(bom, "serialNumber", source, ""),
        document_name=subject.name if subject is not None else None,
        timestamp=timestamp,
        authors=unique(authors),
        tools=unique(tools),
        vulnerabilities=tuple(vulnerabilities),
        problems=tuple(reader.problems),
    )


class _Reader:
    __slots__ = ("problems", "refs", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []
        self.refs: list[tuple[str, str]] = []  # (bom-ref, where) of every component read

    def components(
        self, raw: list[Any], path: str, parent: str | None, out: list[Component]
    ) -> None:
        source = self.source
        for i, item in enumerate(raw):
            where = f"{path}[{i}]"
            obj = item_obj(item, source, where)
            component = self.component(obj, where, parent)
            out.append(component)
            nested = obj.get("components")
            if nested:
                if type(nested) is not list:
                    opt_list(obj, "components", source, where)
                self.components(nested, f"{where}.components", component.ref or None, out)

    def component(self, obj: JsonObject, where: str, parent: str | None) -> Component:
        # Hot loop: read each field with one dict lookup and one type test; the checking
        # helpers (which build error paths) only run when a value is not a plain string.
        source = self.source
        get = obj.get
        name = get("name")
        if type(name) is not str:
            if name is not None:
                item_str(name, source, f"{where}.name")
            self.problems.append(f"{where}.name: missing")
            name = ""
        version = get("version", "")
        if type(version) is not str:
            version = opt_str(obj, "version", source, where) or ""
        ref = get("bom-ref", "")
        if type(ref) is not str:
            ref = opt_str(obj, "bom-ref", source, where) or ""
        if ref:
            self.refs.append((ref, where))
        kind = get("type", "library")
        if type(kind) is not str:
            kind = opt_str(obj, "type", source, where) or "library"
        group = get("group", "")
        if type(group) is not str:
            group = opt_str(obj, "group", source, where) or ""
        purl = get("purl")
        if purl is not None:
            if type(purl) is not str:
                item_str(purl, source, f"{where}.purl")
            if (why := purl_problem(purl)) is not None:
                self.problems.append(f"{where}.purl: {why}: {purl!r}")
        cpe = get("cpe")
        if cpe is not None:
            if type(cpe) is not str:
                item_str(cpe, source, f"{where}.cpe")
            if (why := cpe_problem(cpe)) is not None:
                self.problems.append(f"{where}.cpe: {why}: {cpe!r}")
        swid = None
        if "swid" in obj:
            swid_obj = opt_obj(obj, "swid", source, where)
            swid = opt_str(swid_obj, "tagId", source, f"{where}.swid") if swid_obj else None

        hashes: tuple[Hash, ...] = ()
        raw = get("hashes")
        if raw:
            if type(raw) is not list:
                raw = opt_list(obj, "hashes", source, where)
            hashes = self.hashes(raw, where, ".hashes")
        licenses: tuple[str, ...] = ()
        raw = get("licenses")
        if raw:
            if type(raw) is not list:
                raw = opt_list(obj, "licenses", source, where)
            licenses = self.licenses(raw, where, ".licenses")
        properties: tuple[tuple[str, str], ...] = ()
        item_class = support_end = None
        raw = get("properties")
        if raw:
            properties = self.properties(
                opt_list(obj, "properties", source, where), f"{where}.properties"
            )
            item_class, support_end = support_from_properties(properties)

        supplier = None
        raw = get("supplier")
        if type(raw) is dict and type(raw.get("name")) is str:
            supplier = raw["name"]
        elif raw is not None or "manufacturer" in obj or "publisher" in obj:
            supplier = (
                self.entity_name(obj, "supplier", where)
                or self.entity_name(obj, "manufacturer", where)
                or opt_str(obj, "publisher", source, where)
            )
        author = None
        if "author" in obj or "authors" in obj:
            author = opt_str(obj, "author", source, where)
            if author is None and get("authors"):
                names = []
                for j, entry in enumerate(opt_list(obj, "authors", source, where)):
                    at = f"{where}.authors[{j}]"
                    names.append(opt_str(item_obj(entry, source, at), "name", source, at) or "")
                author = ", ".join(n for n in names if n) or None

        return Component(
            name,
            version,
            ref,
            kind,
            group,
            purl,
            cpe,
            swid,
            supplier,
            author,
            hashes,
            licenses,
            properties,
            item_class,
            support_end,
            parent,
        )

    def entity_name(self, obj: JsonObject, key: str, where: str) -> str | None:
        entity = opt_obj(obj, key, self.source, where)
        if entity is None:
            return None
        return opt_str(entity, "name", self.source, f"{where}.{key}")

    def hashes(self, raw: list[Any], where: str, key: str) -> tuple[Hash, ...]:
        # The error path is only built when an entry is not the plain {"alg", "content"} form.
        source = self.source
        out = []
        for i, item in enumerate(raw):
            if type(item) is dict:
                alg, content = item.get("alg"), item.get("content")
                if type(alg) is str and type(content) is str:
                    out.append(make_hash(alg, content))
                    continue
            path = where + key
            entry = item_obj(item, source, f"{path}[{i}]")
            alg = opt_str(entry, "alg", source, f"{path}[{i}]")
            content = opt_str(entry, "content", source, f"{path}[{i}]")
            if alg and content:
                out.append(make_hash(alg, content))
        return tuple(out)

    def licenses(self, raw: list[Any], where_component: str, key: str) -> tuple[str, ...]:
        source = self.source
        out = []
        for i, item in enumerate(raw):
            if type(item) is dict and len(item) == 1:  # fast path: {"license": {"id": ...}}
                lic = item.get("license")
                if type(lic) is dict and type(value := lic.get("id") or lic.get("name")) is str:
                    out.append(value)
                    continue
            where = f"{where_component}{key}[{i}]"
            entry = item_obj(item, source, where)
            expression = opt_str(entry, "expression", source, where)
            if expression:
                out.append(expression)
                continue
            lic = opt_obj(entry, "license", source, where)
            if lic is not None:
                value = opt_str(lic, "id", source, f"{where}.license") or opt_str(
                    lic, "name", source, f"{where}.license"
                )
                if value:
                    out.append(value)
        return unique(out)

    def properties(self, raw: list[Any], path: str) -> tuple[tuple[str, str], ...]:
        source = self.source
        out = []
        for i, item in enumerate(raw):
            entry = item_obj(item, source, f"{path}[{i}]")
            name = opt_str(entry, "name", source, f"{path}[{i}]")
            if name:
                out.append((name, opt_str(entry, "value", source, f"{path}[{i}]") or ""))
        return tuple(out)

    def tools(self, raw: Any) -> list[str]:
        source = self.source
        if raw is None:
            return []
        entries: list[tuple[str, Any]] = []
        if type(raw) is list:  # 1.2-1.4: [{vendor, name, version}]
            entries = [(f"metadata.tools[{i}]", t) for i, t in enumerate(raw)]
        elif type(raw) is dict:  # 1.5+: {components: [...], services: [...]}
            for key in ("components", "services"):
                for i, t in enumerate(opt_list(raw, key, source, "metadata.tools")):
                    entries.append((f"metadata.tools.{key}[{i}]", t))
        else:
            opt_list({"tools": raw}, "tools", source, "metadata")
        out = []
        for where, item in entries:
            tool = item_obj(item, source, where)
            name = opt_str(tool, "name", source, where) or ""
            version = opt_str(tool, "version", source, where) or ""
            vendor = opt_str(tool, "vendor", source, where) or opt_str(tool, "group", source, where)
            label = " ".join(p for p in (name, version) if p)
            if vendor and name and not name.startswith(vendor):
                label = f"{vendor} {label}"
            if label:
                out.append(label)
        return out

    def dependencies(self, raw: list[Any]) -> list[Dependency]:
        source = self.source
        out = []
        for i, item in enumerate(raw):
            if type(item) is dict:  # fast path: {"ref": str, "dependsOn": [str, ...]}
                ref = item.get("ref")
                targets = item.get("dependsOn", ())
                if (
                    type(ref) is str
                    and type(targets) in (list, tuple)
                    and all(type(t) is str for t in targets)
                ):
                    out.append(Dependency(ref=ref, depends_on=tuple(targets)))
                    continue
            where = f"dependencies[{i}]"
            entry = item_obj(item, source, where)
            ref = entry.get("ref")
            if type(ref) is not str:
                raise InputError(source, f"{where}.ref", "expected a string")
            targets = opt_list(entry, "dependsOn", source, where)
            for j, target in enumerate(targets):
                if type(target) is not str:
                    item_str(target, source, f"{where}.dependsOn[{j}]")
            out.append(Dependency(ref=ref, depends_on=tuple(targets)))
        return out

    def vulnerability(self, obj: JsonObject, where: str) -> SbomVulnerability:
        source = self.source
        vuln_id = opt_str(obj, "id", source, where) or opt_str(obj, "bom-ref", source, where)
        if not vuln_id:
            raise InputError(source, f"{where}.id", "missing")
        src = opt_obj(obj, "source", source, where)
        src_name = opt_str(src, "name", source, f"{where}.source") if src else None
        affects = []
        for i, item in enumerate(opt_list(obj, "affects", source, where)):
            entry = item_obj(item, source, f"{where}.affects[{i}]")
            ref = opt_str(entry, "ref", source, f"{where}.affects[{i}]")
            if ref:
                affects.append(ref)
        ratings = []
        for i, item in enumerate(opt_list(obj, "ratings", source, where)):
            at = f"{where}.ratings[{i}]"
            entry = item_obj(item, source, at)
            method = opt_str(entry, "method", source, at) or ""
            value = opt_str(entry, "vector", source, at) or opt_str(entry, "severity", source, at)
            if value is None and isinstance(entry.get("score"), int | float):
                value = str(entry["score"])
            if value:
                ratings.append((method, value))
        cwes = []
        for i, cwe in enumerate(opt_list(obj, "cwes", source, where)):
            if type(cwe) is not int:
                raise InputError(source, f"{where}.cwes[{i}]", "expected an integer")
            cwes.append(cwe)
        analysis = opt_obj(obj, "analysis", source, where)
        state = justification = None
        if analysis is not None:
            state = opt_str(analysis, "state", source, f"{where}.analysis")
            justification = opt_str(analysis, "justification", source, f"{where}.analysis")
        return SbomVulnerability(
            id=vuln_id,
            source=src_name,
            affects=tuple(affects),
            ratings=tuple(ratings),
            analysis_state=state,
            analysis_justification=justification,
            cwes=tuple(cwes),
            description=opt_str(obj, "description", source, where),
        )
