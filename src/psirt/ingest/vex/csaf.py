"""CSAF 2.0 documents (security advisories, VEX and the other profiles) -> domain values.

:func:`read` gives the typed :class:`~psirt.domain.csaf.CsafDocument` (the product tree's
products with vendor, product name, version or range, CPE and purl; each vulnerability's
statements per product); :func:`parse` turns it into a
:class:`~psirt.domain.vex.SupplierDocument`. Whether the document is valid CSAF (schema and
mandatory tests) is checked by :mod:`psirt.publish.csaf_validate`, not here; this module
refuses only what it cannot read, naming the JSON path.

Product status to VEX status: ``known_not_affected`` -> not affected; ``known_affected``,
``first_affected``, ``last_affected`` -> affected; ``fixed``, ``first_fixed`` -> fixed;
``under_investigation`` -> under investigation (``recommended`` states no status). The
justification of a not-affected product is its VEX justification flag, its impact statement
the details of a threat of category ``impact``; the action statements of an affected
product are its remediations; flags, threats and remediations apply directly or through a
product group.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from psirt.domain.csaf import (
    VEX_JUSTIFICATIONS,
    CsafDocument,
    CsafProduct,
    CsafStatement,
    CsafVulnerability,
    parse_datetime,
)
from psirt.domain.vex import ProductRef, SupplierDocument, SupplierStatement, VexFormat, VexStatus
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.vex._common import arr, obj, pointer, text

STATUS: dict[str, VexStatus] = {
    "known_not_affected": VexStatus.NOT_AFFECTED,
    "known_affected": VexStatus.AFFECTED,
    "first_affected": VexStatus.AFFECTED,
    "last_affected": VexStatus.AFFECTED,
    "fixed": VexStatus.FIXED,
    "first_fixed": VexStatus.FIXED,
    "under_investigation": VexStatus.UNDER_INVESTIGATION,
}


def sniff(doc: dict[str, Any]) -> bool:
    document = doc.get("document")
    return isinstance(document, dict) and "csaf_version" in document


def _products(tree: dict[str, Any], source: str) -> list[CsafProduct]:
    out: list[CsafProduct] = []

    def helper(product: dict[str, Any], *path: str | int) -> dict[str, Any]:
        found = product.get("product_identification_helper")
        return obj(found, source, *path, "product_identification_helper") if found else {}

    def walk(branches: list[Any], context: dict[str, str], path: tuple[str | int, ...]) -> None:
        for i, raw in enumerate(branches):
            here = (*path, i)
            branch = obj(raw, source, *here)
            category = text(branch.get("category"), source, *here, "category", required=True)
            name = text(branch.get("name"), source, *here, "name", required=True)
            assert category is not None and name is not None
            inner = {**context, category: name}
            product = branch.get("product")
            if product is not None:
                product = obj(product, source, *here, "product")
                ids = helper(product, *here, "product")
                out.append(
                    CsafProduct(
                        product_id=_id(product, source, *here, "product"),
                        name=text(
                            product.get("name"), source, *here, "product", "name", required=True
                        )
                        or "",
                        vendor=inner.get("vendor"),
                        product_family=inner.get("product_family"),
                        product_name=inner.get("product_name"),
                        version=inner.get("product_version"),
                        version_range=inner.get("product_version_range"),
                        cpe=_str(ids.get("cpe")),
                        purl=_str(ids.get("purl")),
                        model_numbers=tuple(map(str, ids.get("model_numbers") or ())),
                        skus=tuple(map(str, ids.get("skus") or ())),
                    )
                )
            walk(arr(branch.get("branches"), source, *here, "branches"), inner, (*here, "branches"))

    walk(
        arr(tree.get("branches"), source, "product_tree", "branches"),
        {},
        ("product_tree", "branches"),
    )
    for i, raw in enumerate(
        arr(tree.get("full_product_names"), source, "product_tree", "full_product_names")
    ):
        path = ("product_tree", "full_product_names", i)
        fpn = obj(raw, source, *path)
        ids = helper(fpn, *path)
        out.append(
            CsafProduct(
                product_id=_id(fpn, source, *path),
                name=text(fpn.get("name"), source, *path, "name", required=True) or "",
                cpe=_str(ids.get("cpe")),
                purl=_str(ids.get("purl")),
                model_numbers=tuple(map(str, ids.get("model_numbers") or ())),
                skus=tuple(map(str, ids.get("skus") or ())),
            )
        )
    by_id = {p.product_id: p for p in out}
    for i, raw in enumerate(
        arr(tree.get("relationships"), source, "product_tree", "relationships")
    ):
        path = ("product_tree", "relationships", i)
        rel = obj(raw, source, *path)
        fpn = obj(rel.get("full_product_name"), source, *path, "full_product_name")
        ref = by_id.get(str(rel.get("product_reference")))
        target = by_id.get(str(rel.get("relates_to_product_reference")))
        name = text(fpn.get("name"), source, *path, "full_product_name", "name", required=True)
        ids = helper(fpn, *path, "full_product_name")
        product = CsafProduct(
            product_id=_id(fpn, source, *path, "full_product_name"),
            name=name or "",
            vendor=ref.vendor if ref else None,
            product_family=ref.product_family if ref else None,
            product_name=ref.product_name if ref else None,
            version=ref.version if ref else None,
            version_range=ref.version_range if ref else None,
            cpe=_str(ids.get("cpe")) or (ref.cpe if ref else None),
            purl=_str(ids.get("purl")) or (ref.purl if ref else None),
            relationship=_str(rel.get("category")),
            relates_to=target.name if target else None,
        )
        out.append(product)
        by_id.setdefault(product.product_id, product)
    return out


def _id(product: dict[str, Any], source: str, *path: str | int) -> str:
    value = text(product.get("product_id"), source, *path, "product_id", required=True)
    assert value is not None
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _groups(tree: dict[str, Any], source: str) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for i, raw in enumerate(
        arr(tree.get("product_groups"), source, "product_tree", "product_groups")
    ):
        group = obj(raw, source, "product_tree", "product_groups", i)
        gid = text(
            group.get("group_id"),
            source,
            "product_tree",
            "product_groups",
            i,
            "group_id",
            required=True,
        )
        assert gid is not None
        members = arr(
            group.get("product_ids"), source, "product_tree", "product_groups", i, "product_ids"
        )
        groups.setdefault(gid, set()).update(str(p) for p in members)
    return groups


def _covers(item: dict[str, Any], groups: dict[str, set[str]]) -> set[str]:
    out = {str(p) for p in item.get("product_ids") or () if isinstance(p, str)}
    for gid in item.get("group_ids") or ():
        out |= groups.get(str(gid), set())
    return out


def _statements(
    vuln: dict[str, Any], groups: dict[str, set[str]], source: str, v: int
) -> Iterator[CsafStatement]:
    status = obj(vuln.get("product_status") or {}, source, "vulnerabilities", v, "product_status")
    flags = [
        obj(f, source, "vulnerabilities", v, "flags", i)
        for i, f in enumerate(arr(vuln.get("flags"), source, "vulnerabilities", v, "flags"))
    ]
    threats = [
        obj(t, source, "vulnerabilities", v, "threats", i)
        for i, t in enumerate(arr(vuln.get("threats"), source, "vulnerabilities", v, "threats"))
    ]
    remediations = [
        obj(r, source, "vulnerabilities", v, "remediations", i)
        for i, r in enumerate(
            arr(vuln.get("remediations"), source, "vulnerabilities", v, "remediations")
        )
    ]
    for name in sorted(status, key=lambda n: list(STATUS).index(n) if n in STATUS else 99):
        if name not in STATUS:
            continue
        for pid in arr(status[name], source, "vulnerabilities", v, "product_status", name):
            pid = str(pid)
            justification = next(
                (
                    str(f["label"])
                    for f in flags
                    if f.get("label") in VEX_JUSTIFICATIONS and pid in _covers(f, groups)
                ),
                None,
            )
            impact = next(
                (
                    str(t.get("details", ""))
                    for t in threats
                    if t.get("category") == "impact" and pid in _covers(t, groups)
                ),
                None,
            )
            actions = tuple(
                f"{r.get('category')}: {r.get('details', '')}".strip()
                for r in remediations
                if pid in _covers(r, groups)
            )
            yield CsafStatement(pid, name, justification, impact, actions)


def read(doc: Any, *, source: str) -> CsafDocument:
    """The typed CSAF document; ``InputError`` naming the JSON path of what cannot be read."""
    root = obj(doc, source)
    document = obj(root.get("document"), source, "document")
    tracking = obj(document.get("tracking"), source, "document", "tracking")
    publisher = obj(document.get("publisher"), source, "document", "publisher")

    def req(mapping: dict[str, Any], key: str, *path: str) -> str:
        value = text(mapping.get(key), source, *path, key, required=True)
        assert value is not None
        return value

    tree = obj(root.get("product_tree") or {}, source, "product_tree")
    groups = _groups(tree, source)
    vulnerabilities = []
    for v, raw in enumerate(arr(root.get("vulnerabilities"), source, "vulnerabilities")):
        vuln = obj(raw, source, "vulnerabilities", v)
        ids = tuple(
            (
                str(obj(i, source, "vulnerabilities", v, "ids", n).get("system_name", "")),
                str(obj(i, source, "vulnerabilities", v, "ids", n).get("text", "")),
            )
            for n, i in enumerate(arr(vuln.get("ids"), source, "vulnerabilities", v, "ids"))
        )
        vulnerabilities.append(
            CsafVulnerability(
                cve=text(vuln.get("cve"), source, "vulnerabilities", v, "cve"),
                ids=ids,
                title=_str(vuln.get("title")),
                statements=tuple(_statements(vuln, groups, source, v)),
            )
        )
    return CsafDocument(
        category=req(document, "category", "document"),
        csaf_version=req(document, "csaf_version", "document"),
        title=req(document, "title", "document"),
        publisher_name=req(publisher, "name", "document", "publisher"),
        publisher_namespace=req(publisher, "namespace", "document", "publisher"),
        publisher_category=req(publisher, "category", "document", "publisher"),
        tracking_id=req(tracking, "id", "document", "tracking"),
        version=req(tracking, "version", "document", "tracking"),
        status=req(tracking, "status", "document", "tracking"),
        initial_release_date=parse_datetime(str(tracking.get("initial_release_date", ""))),
        current_release_date=parse_datetime(str(tracking.get("current_release_date", ""))),
        lang=_str(document.get("lang")),
        products=tuple(_products(tree, source)),
        vulnerabilities=tuple(vulnerabilities),
    )


def product_ref(product: CsafProduct | None, product_id: str) -> ProductRef:
    if product is None:
        return ProductRef(label=product_id)
    label = product.name
    if product.relates_to and product.relationship:
        label = f"{product.name} ({product.relationship.replace('_', ' ')} {product.relates_to})"
    return ProductRef(
        label=label,
        purl=product.purl,
        cpe=product.cpe,
        vendor=product.vendor,
        name=product.product_name,
        version=product.version,
        version_range=product.version_range,
    )


def to_supplier(csaf: CsafDocument) -> SupplierDocument:
    """The statements of a CSAF document, one per (vulnerability, product, status)."""
    by_id = {p.product_id: p for p in csaf.products}
    statements: list[SupplierStatement] = []
    for v, vuln in enumerate(csaf.vulnerabilities):
        aliases = tuple(dict.fromkeys(a for a in (vuln.cve, *(t for _s, t in vuln.ids)) if a))
        vid = aliases[0] if aliases else (vuln.title or f"vulnerabilities[{v}]")
        statements.extend(
            SupplierStatement(
                vulnerability=vid,
                aliases=aliases,
                status=STATUS[st.status],
                product=product_ref(by_id.get(st.product_id), st.product_id),
                supplier_status=st.status,
                path=pointer("vulnerabilities", v, "product_status", st.status),
                justification=st.justification,
                impact=st.impact,
                action="; ".join(st.actions) or None,
            )
            for st in vuln.statements
        )
    return SupplierDocument(
        format=VexFormat.CSAF,
        spec_version=csaf.csaf_version,
        profile=csaf.category,
        identity=f"csaf:{csaf.publisher_namespace}#{csaf.tracking_id}",
        tracking_id=csaf.tracking_id,
        version=csaf.version,
        publisher=csaf.publisher_name,
        title=csaf.title,
        issued=csaf.initial_release_date,
        updated=csaf.current_release_date,
        statements=tuple(statements),
    )


def parse(data: bytes, *, source: str) -> SupplierDocument:
    doc = load_json(data, source)
    if not isinstance(doc, dict) or not sniff(doc):
        raise InputError(source, "/document/csaf_version", "not a CSAF document")
    return to_supplier(read(doc, source=source))
