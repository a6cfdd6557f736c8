"""CycloneDX VEX (a BOM with ``vulnerabilities``, spec 1.4 to 1.6) -> domain values.

Each ``vulnerabilities[].affects[]`` entry is one product statement. Its ``ref`` is resolved
to a component of the same document (``metadata.component`` or ``components``, nested ones
too) for its purl, CPE, name and version; a BOM-Link (``urn:cdx:serial/version#ref``) to
another BOM keeps the referenced ``bom-ref`` (a purl when it is one); a ref that is itself a
purl or CPE is used as such. ``affects[].versions`` gives per-version statuses (``affected``,
``unaffected``, ``unknown``) for a version or a ``vers:`` range; without it the status comes
from ``analysis.state``: ``not_affected`` and ``false_positive`` -> not affected,
``exploitable`` -> affected, ``in_triage`` -> under investigation, ``resolved`` and
``resolved_with_pedigree`` -> fixed; a vulnerability without analysis is listed as affecting
the product (a vulnerability disclosure report).
"""

from __future__ import annotations

import hashlib
from typing import Any

from psirt.domain.csaf import parse_datetime
from psirt.domain.vex import ProductRef, SupplierDocument, SupplierStatement, VexFormat, VexStatus
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.vex._common import arr, obj, pointer, text

SPEC_VERSIONS = ("1.4", "1.5", "1.6", "1.7")
STATE: dict[str, VexStatus] = {
    "not_affected": VexStatus.NOT_AFFECTED,
    "false_positive": VexStatus.NOT_AFFECTED,
    "exploitable": VexStatus.AFFECTED,
    "in_triage": VexStatus.UNDER_INVESTIGATION,
    "resolved": VexStatus.FIXED,
    "resolved_with_pedigree": VexStatus.FIXED,
}
VERSION_STATUS: dict[str, VexStatus] = {
    "affected": VexStatus.AFFECTED,
    "unaffected": VexStatus.NOT_AFFECTED,
    "unknown": VexStatus.UNDER_INVESTIGATION,
}


def sniff(doc: dict[str, Any]) -> bool:
    return doc.get("bomFormat") == "CycloneDX" and isinstance(doc.get("vulnerabilities"), list)


def _components(doc: dict[str, Any], source: str) -> dict[str, ProductRef]:
    out: dict[str, ProductRef] = {}

    def add(raw: Any, *path: str | int) -> None:
        c = obj(raw, source, *path)
        name = str(c.get("name") or "")
        version = str(c.get("version") or "") or None
        group = str(c.get("group") or "")
        label = " ".join(x for x in (f"{group}/{name}" if group else name, version) if x)
        ref = ProductRef(
            label=label or str(c.get("bom-ref") or ""),
            purl=c.get("purl") if isinstance(c.get("purl"), str) else None,
            cpe=c.get("cpe") if isinstance(c.get("cpe"), str) else None,
            name=name or None,
            version=version,
        )
        if isinstance(c.get("bom-ref"), str):
            out[c["bom-ref"]] = ref
        for i, inner in enumerate(arr(c.get("components"), source, *path, "components")):
            add(inner, *path, "components", i)

    metadata = obj(doc.get("metadata") or {}, source, "metadata")
    if metadata.get("component") is not None:
        add(metadata["component"], "metadata", "component")
    for i, raw in enumerate(arr(doc.get("components"), source, "components")):
        add(raw, "components", i)
    return out


def _resolve(ref: str, components: dict[str, ProductRef]) -> ProductRef:
    if ref in components:
        return components[ref]
    target = ref
    if ref.startswith("urn:cdx:") and "#" in ref:
        target = ref.split("#", 1)[1]
        if target in components:
            return components[target]
    if target.startswith("pkg:"):
        return ProductRef(label=target, purl=target)
    if target.startswith("cpe:"):
        return ProductRef(label=target, cpe=target)
    return ProductRef(label=target)


def _publisher(doc: dict[str, Any]) -> str:
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    for key in ("supplier", "manufacturer", "manufacture"):
        entity = metadata.get(key)
        if isinstance(entity, dict) and entity.get("name"):
            return str(entity["name"])
    authors = metadata.get("authors")
    if isinstance(authors, list):
        names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
        if names:
            return ", ".join(names)
    return ""


def parse(data: bytes, *, source: str) -> SupplierDocument:
    doc = obj(load_json(data, source), source)
    if doc.get("bomFormat") != "CycloneDX":
        raise InputError(source, "/bomFormat", "not a CycloneDX document")
    spec = str(doc.get("specVersion") or "")
    if spec not in SPEC_VERSIONS:
        raise InputError(
            source, "/specVersion", f"CycloneDX {spec or '(none)'} has no VEX; 1.4 or later needed"
        )
    components = _components(doc, source)
    statements: list[SupplierStatement] = []
    for v, raw in enumerate(
        arr(doc.get("vulnerabilities"), source, "vulnerabilities", required=True)
    ):
        vuln = obj(raw, source, "vulnerabilities", v)
        vid = text(vuln.get("id"), source, "vulnerabilities", v, "id", required=True)
        assert vid is not None
        aliases = [vid]
        for r, ref in enumerate(
            arr(vuln.get("references"), source, "vulnerabilities", v, "references")
        ):
            rid = obj(ref, source, "vulnerabilities", v, "references", r).get("id")
            if isinstance(rid, str) and rid not in aliases:
                aliases.append(rid)
        analysis = obj(vuln.get("analysis") or {}, source, "vulnerabilities", v, "analysis")
        state = analysis.get("state")
        if state is not None and state not in STATE:
            raise InputError(
                source,
                pointer("vulnerabilities", v, "analysis", "state"),
                f"unknown analysis state {state!r}",
            )
        responses = [str(x) for x in analysis.get("response") or ()]
        action = (
            "; ".join(
                x
                for x in (vuln.get("recommendation"), vuln.get("workaround"), ", ".join(responses))
                if isinstance(x, str) and x
            )
            or None
        )
        detail = analysis.get("detail") if isinstance(analysis.get("detail"), str) else None
        justification = analysis.get("justification")
        for a, raw_affects in enumerate(
            arr(vuln.get("affects"), source, "vulnerabilities", v, "affects")
        ):
            path = ("vulnerabilities", v, "affects", a)
            affects = obj(raw_affects, source, *path)
            ref = text(affects.get("ref"), source, *path, "ref", required=True)
            assert ref is not None
            product = _resolve(ref, components)
            entries = arr(affects.get("versions"), source, *path, "versions")
            targets: list[tuple[ProductRef, VexStatus, str, str]] = []
            if not entries:
                status = STATE[state] if state else VexStatus.AFFECTED
                targets.append((product, status, str(state or "(no analysis)"), pointer(*path)))
            for e, raw_entry in enumerate(entries):
                entry = obj(raw_entry, source, *path, "versions", e)
                word = str(entry.get("status") or "affected")
                if word not in VERSION_STATUS:
                    raise InputError(
                        source,
                        pointer(*path, "versions", e, "status"),
                        f"unknown version status {word!r}",
                    )
                version = entry.get("version")
                rng = entry.get("range")
                if not isinstance(version, str) and not isinstance(rng, str):
                    raise InputError(
                        source,
                        pointer(*path, "versions", e),
                        "a version entry needs a version or a range",
                    )
                scoped = ProductRef(
                    label=f"{product.label} {version or rng}".strip(),
                    purl=product.purl.split("@", 1)[0] if product.purl else None,
                    cpe=product.cpe,
                    name=product.name,
                    version=version if isinstance(version, str) else None,
                    version_range=rng if isinstance(rng, str) else None,
                )
                targets.append((scoped, VERSION_STATUS[word], word, pointer(*path, "versions", e)))
            for target, status, word, where in targets:
                not_affected = status is VexStatus.NOT_AFFECTED
                statements.append(
                    SupplierStatement(
                        vulnerability=vid,
                        aliases=tuple(aliases),
                        status=status,
                        product=target,
                        supplier_status=word,
                        path=where,
                        justification=str(justification)
                        if not_affected and justification
                        else None,
                        impact=detail if not_affected else None,
                        action=action if status is VexStatus.AFFECTED else None,
                    )
                )
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    serial = doc.get("serialNumber")
    identity = (
        f"cyclonedx:{serial}"
        if isinstance(serial, str) and serial
        else f"cyclonedx:sha256:{hashlib.sha256(data).hexdigest()}"
    )
    subject = metadata.get("component") if isinstance(metadata.get("component"), dict) else None
    title = (
        " ".join(str(subject.get(k)) for k in ("name", "version") if subject.get(k))
        if subject
        else ""
    )
    issued = parse_datetime(str(metadata.get("timestamp") or ""))
    return SupplierDocument(
        format=VexFormat.CYCLONEDX,
        spec_version=spec,
        profile="vex",
        identity=identity,
        tracking_id=str(serial or ""),
        version=str(doc.get("version") or 1),
        publisher=_publisher(doc),
        title=title or "CycloneDX VEX",
        issued=issued,
        updated=issued,
        statements=tuple(statements),
    )
