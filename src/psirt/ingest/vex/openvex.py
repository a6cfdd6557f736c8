"""OpenVEX documents (0.2.0, and the 0.0.1 form with plain strings) -> domain values.

Each (statement, product) is one product statement; a product with ``subcomponents`` gives
one statement per subcomponent (the component the status is about, inside the product). A
product is identified by its ``@id`` (a purl or CPE when it is one) and its
``identifiers`` (``purl``, ``cpe23``, ``cpe22``). Statuses are OpenVEX's own four:
``not_affected`` (with ``justification`` and ``impact_statement``), ``affected`` (with
``action_statement``), ``fixed``, ``under_investigation``.
"""

from __future__ import annotations

from typing import Any

from psirt.domain.csaf import parse_datetime
from psirt.domain.vex import ProductRef, SupplierDocument, SupplierStatement, VexFormat, VexStatus
from psirt.errors import InputError
from psirt.ingest._json import load_json
from psirt.ingest.vex._common import arr, obj, pointer, text

CONTEXT = "https://openvex.dev/ns"


def sniff(doc: dict[str, Any]) -> bool:
    context = doc.get("@context")
    return isinstance(context, str) and context.startswith(CONTEXT)


def _product(raw: Any, source: str, *path: str | int) -> tuple[ProductRef, list[ProductRef]]:
    """The product and its subcomponents."""
    if isinstance(raw, str):
        return _ref(raw, {}), []
    product = obj(raw, source, *path)
    ident = product.get("@id")
    identifiers = obj(product.get("identifiers") or {}, source, *path, "identifiers")
    if not isinstance(ident, str) and not identifiers:
        raise InputError(source, pointer(*path), "a product needs an @id or identifiers")
    main = _ref(ident if isinstance(ident, str) else "", identifiers)
    subs = [
        _product(sub, source, *path, "subcomponents", i)[0]
        for i, sub in enumerate(arr(product.get("subcomponents"), source, *path, "subcomponents"))
    ]
    return main, subs


def _ref(ident: str, identifiers: dict[str, Any]) -> ProductRef:
    purl = identifiers.get("purl") if isinstance(identifiers.get("purl"), str) else None
    cpe = next(
        (identifiers[k] for k in ("cpe23", "cpe22") if isinstance(identifiers.get(k), str)), None
    )
    if ident.startswith("pkg:"):
        purl = purl or ident
    elif ident.startswith("cpe:"):
        cpe = cpe or ident
    return ProductRef(label=ident or purl or cpe or "", purl=purl, cpe=cpe)


def parse(data: bytes, *, source: str) -> SupplierDocument:
    doc = obj(load_json(data, source), source)
    if not sniff(doc):
        raise InputError(source, "/@context", "not an OpenVEX document")
    context = str(doc["@context"])
    ident = text(doc.get("@id"), source, "@id", required=True)
    assert ident is not None
    statements: list[SupplierStatement] = []
    for s, raw in enumerate(arr(doc.get("statements"), source, "statements", required=True)):
        st = obj(raw, source, "statements", s)
        vuln = st.get("vulnerability")
        if isinstance(vuln, str):
            vid, aliases = vuln, [vuln]
        else:
            vobj = obj(vuln, source, "statements", s, "vulnerability")
            name = text(
                vobj.get("name"), source, "statements", s, "vulnerability", "name", required=True
            )
            assert name is not None
            vid = name
            aliases = [
                name,
                *(
                    str(a)
                    for a in arr(
                        vobj.get("aliases"), source, "statements", s, "vulnerability", "aliases"
                    )
                ),
            ]
        word = text(st.get("status"), source, "statements", s, "status", required=True)
        try:
            status = VexStatus(str(word))
        except ValueError:
            raise InputError(
                source, pointer("statements", s, "status"), f"unknown status {word!r}"
            ) from None
        products = arr(st.get("products"), source, "statements", s, "products")
        if not products:
            raise InputError(
                source, pointer("statements", s, "products"), "the statement names no product"
            )
        for p, raw_product in enumerate(products):
            main, subs = _product(raw_product, source, "statements", s, "products", p)
            targets = [
                ProductRef(label=f"{sub.label} in {main.label}", purl=sub.purl, cpe=sub.cpe)
                for sub in subs
            ] or [main]
            not_affected = status is VexStatus.NOT_AFFECTED
            impact = _opt(st.get("impact_statement")) or _opt(st.get("status_notes"))
            statements.extend(
                SupplierStatement(
                    vulnerability=vid,
                    aliases=tuple(dict.fromkeys(aliases)),
                    status=status,
                    product=target,
                    supplier_status=status.value,
                    path=pointer("statements", s, "products", p),
                    justification=_opt(st.get("justification")),
                    impact=impact if not_affected else None,
                    action=_opt(st.get("action_statement")),
                )
                for target in targets
            )
    issued = parse_datetime(str(doc.get("timestamp") or ""))
    updated = parse_datetime(str(doc.get("last_updated") or "")) or issued
    return SupplierDocument(
        format=VexFormat.OPENVEX,
        spec_version=context.rsplit("/v", 1)[-1] if "/v" in context else "0.0.1",
        profile="vex",
        identity=f"openvex:{ident}",
        tracking_id=ident,
        version=str(doc.get("version") or 1),
        publisher=str(doc.get("author") or ""),
        title=str(doc.get("tooling") or "OpenVEX"),
        issued=issued,
        updated=updated,
        statements=tuple(statements),
    )


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
