"""Import an SBOM into a release: the document is kept as evidence, its components become the
release's component list. Re-importing the release's current document changes nothing; a
replaced SBOM's components and their findings are kept (see :func:`import_sbom`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from psirt.domain.sbom import Component, ItemClass, ParsedSbom
from psirt.errors import InputError, UnknownEcosystem, UsageError
from psirt.ingest.sbom import parse_sbom
from psirt.ingest.sbom.diff import component_key
from psirt.services.catalog import get_release
from psirt.services.feeds import cpe_key
from psirt.store import audit
from psirt.store import models as m
from psirt.versions import base_ecosystem, ecosystem_from_purl, normalize_name


@dataclass(frozen=True, slots=True)
class SbomImportResult:
    release_id: int
    sbom_id: int
    components: int
    unchanged: bool
    problems: tuple[str, ...]
    findings_carried_over: int = 0
    findings_retracted: int = 0
    supplier_matches: int = 0  # statements of supplier advisories/VEX met by the new components


def support_key(c: Component | m.Component) -> str:
    """Identity of a component across SBOM versions (purl without version, else type/name)."""
    return component_key(Component(name=c.name, type=c.type, purl=c.purl))


def match_identity(purl: str | None) -> tuple[str | None, str | None]:
    """(ecosystem as OSV writes it, normalised package name) for matching, from a purl."""
    if not purl:
        return None, None
    try:
        found = ecosystem_from_purl(purl)
    except (ValueError, UnknownEcosystem):
        return None, None
    if found is None:
        return None, None
    eco, name = found
    try:
        return eco, normalize_name(eco, name)
    except UnknownEcosystem:
        return eco, name


CHUNK = 900


def current_sbom(session: Session, release_id: int) -> m.SbomDocument | None:
    """The release's newest SBOM document (the one its component list comes from)."""
    return session.scalar(
        select(m.SbomDocument)
        .where(m.SbomDocument.release_id == release_id)
        .order_by(m.SbomDocument.id.desc())
        .limit(1)
    )


def current_components(release_id: int) -> Any:
    """Filter of the components of a release's newest SBOM (its component list)."""
    return (m.Component.release_id == release_id) & m.Component.retired_by_sbom_id.is_(None)


def _value_key(c: Component | m.Component) -> tuple[Any, ...]:
    """What matching reads of a component: a component with the same key in the next SBOM
    keeps its findings."""
    return (c.name, c.version or "", c.type or "", c.purl or "", c.cpe or "")


def import_sbom(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    data: bytes,
    parsed: ParsedSbom,
    file_name: str,
    allow_empty: bool = False,
) -> SbomImportResult:
    """Make ``parsed`` the release's component list.

    The components of the SBOM it replaces are kept, retired by the new document. Findings
    of a component the new SBOM lists again (same name, version, type, purl and CPE) move to
    its new row and keep their identity; active findings of a component it no longer lists
    are retracted (``component removed from the SBOM``, caused by this import). Nothing is
    deleted. The statements of current supplier advisories and VEX documents are applied to the
    new components.
    """
    release = get_release(session, product, version)
    sha = hashlib.sha256(data).hexdigest()
    problems = list(parsed.problems)
    current_doc = current_sbom(session, release.id)
    if current_doc is not None and current_doc.sha256 == sha:
        return SbomImportResult(
            release.id, current_doc.id, current_doc.components, True, tuple(problems)
        )
    old = list(session.scalars(select(m.Component).where(current_components(release.id))))
    if not parsed.components:
        if old and not allow_empty:
            raise UsageError(
                f"{Path(file_name).name}: the SBOM lists no components; it would replace the "
                f"{len(old)} components of {product} {version} ({release.status}): pass "
                "--allow-empty to record that the release has none"
            )
        problems.append("the SBOM lists no components")
    doc = m.SbomDocument(
        release_id=release.id,
        sha256=sha,
        file_name=Path(file_name).name,
        format=str(parsed.format),
        spec_version=parsed.spec_version,
        serialization=str(parsed.serialization),
        components=len(parsed.components),
        imported_by=actor,
        imported_at=dt.datetime.now(dt.UTC),
        content=data,
    )
    session.add(doc)
    session.flush()
    support = {
        s.component_key: s
        for s in session.scalars(
            select(m.ComponentSupport).where(m.ComponentSupport.product_id == release.product_id)
        )
    }
    rows = []
    for c in parsed.components:
        eco, match_name = match_identity(c.purl)
        override = support.get(support_key(c))
        item_class = c.item_class
        support_end = c.support_end
        if override is not None:
            item_class = ItemClass(override.item_class) if override.item_class else item_class
            support_end = override.support_end or support_end
        rows.append(
            {
                "release_id": release.id,
                "sbom_id": doc.id,
                "ref": c.ref,
                "name": c.name,
                "version": c.version,
                "type": c.type,
                "purl": c.purl,
                "cpe": c.cpe,
                "supplier": c.supplier,
                "hashes": {h.algorithm: h.value for h in c.hashes},
                "licenses": list(c.licenses),
                "item_class": str(item_class) if item_class else None,
                "support_end": support_end,
                "ecosystem": base_ecosystem(eco) if eco else None,
                "match_name": match_name,
                "cpe_key": cpe_key(c.cpe),
            }
        )
    table = typing.cast(Table, m.Component.__table__)
    new_ids: list[int] = []
    if rows:
        new_ids = list(
            session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        )
    carried, retracted = _carry_findings(session, old, parsed.components, new_ids, doc.id)
    if old:
        old_ids = [c.id for c in old]
        for start in range(0, len(old_ids), CHUNK):
            session.execute(
                update(m.Component)
                .where(m.Component.id.in_(old_ids[start : start + CHUNK]))
                .values(retired_by_sbom_id=doc.id)
                .execution_options(synchronize_session=False)
            )
    audit.record_change(
        session,
        actor=actor,
        action="sbom.import",
        obj=doc,
        detail={
            "product": product,
            "release": version,
            "format": f"{parsed.format} {parsed.spec_version} {parsed.serialization}",
            "components": len(rows),
            "replaced_components": len(old),
            "findings_carried_over": carried,
            "findings_retracted": retracted,
        },
    )
    supplier_matches = _apply_supplier_statements(session, actor=actor)
    return SbomImportResult(
        release.id, doc.id, len(rows), False, tuple(problems), carried, retracted,
        supplier_matches,
    )  # fmt: skip


def _apply_supplier_statements(session: Session, *, actor: str) -> int:
    """Apply the current supplier advisories and VEX statements to the new components."""
    from psirt.services import supplier_advisories
    from psirt.store.models_advisories import SupplierDocumentRow

    if session.scalar(select(SupplierDocumentRow.id).limit(1)) is None:
        return 0
    return supplier_advisories.apply_current(session, actor=actor)[0]


def _carry_findings(
    session: Session,
    old: Sequence[m.Component],
    new: Sequence[Component],
    new_ids: Sequence[int],
    sbom_id: int,
) -> tuple[int, int]:
    """Move the findings of components the new SBOM lists again to their new rows; retract
    the active findings of the others. Returns (moved, retracted)."""
    if not old:
        return 0, 0
    free: dict[tuple[Any, ...], list[int]] = {}
    for c, cid in zip(new, new_ids, strict=True):
        free.setdefault(_value_key(c), []).append(cid)
    successor: dict[int, int] = {}
    for row in old:  # in id order: the n-th equal component takes the n-th new one
        ids = free.get(_value_key(row))
        if ids:
            successor[row.id] = ids.pop(0)
    old_ids = [c.id for c in old]
    findings: list[tuple[int, int, str]] = []
    for start in range(0, len(old_ids), CHUNK):
        findings.extend(
            (f.id, f.component_id, f.status)
            for f in session.execute(
                select(m.Finding.id, m.Finding.component_id, m.Finding.status).where(
                    m.Finding.component_id.in_(old_ids[start : start + CHUNK])
                )
            )
        )
    now = dt.datetime.now(dt.UTC)
    moves = [
        {"id": fid, "component_id": successor[cid]} for fid, cid, _ in findings if cid in successor
    ]
    retractions = [
        {
            "id": fid,
            "status": "retracted",
            "retracted_reason": "component removed from the SBOM",
            "retracted_cause": f"sbom:{sbom_id}",
            "last_seen": now,
        }
        for fid, cid, status in findings
        if cid not in successor and status == "active"
    ]
    for changes in (moves, retractions):
        if changes:  # UPDATE by primary key, one statement per kind of change
            session.execute(update(m.Finding), changes)
    moved, retracted = len(moves), len(retractions)
    return moved, retracted


def set_support(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    component: str,
    item_class: ItemClass | None,
    support_end: dt.date | None,
) -> int:
    """Set a component's support level / end of support; kept for later SBOMs of the product."""
    release = get_release(session, product, version)
    comps = [
        c
        for c in session.scalars(select(m.Component).where(current_components(release.id)))
        if component in (c.name, c.purl, support_key(c), c.ref)
    ]
    if not comps:
        raise InputError(component, None, f"no component of {product} {version} is named so")
    key = support_key(comps[0])
    row = session.scalar(
        select(m.ComponentSupport).where(
            m.ComponentSupport.product_id == release.product_id,
            m.ComponentSupport.component_key == key,
        )
    )
    before = audit.object_digest(row) if row is not None else None
    if row is None:
        row = m.ComponentSupport(product_id=release.product_id, component_key=key)
        session.add(row)
    if item_class is not None:
        row.item_class = str(item_class)
    if support_end is not None:
        row.support_end = support_end
    for c in comps:
        if item_class is not None:
            c.item_class = str(item_class)
        if support_end is not None:
            c.support_end = support_end
    session.flush()
    audit.record_change(session, actor=actor, action="component.support", obj=row, before=before)
    return len(comps)


def stored_sbom(session: Session, *, product: str, version: str) -> ParsedSbom:
    """The release's newest SBOM as stored, with the support levels set in psirt applied."""
    release = get_release(session, product, version)
    doc = current_sbom(session, release.id)
    if doc is None:
        raise InputError(f"{product} {version}", None, "no SBOM imported for this release")
    parsed = parse_sbom(doc.content, source=doc.file_name)
    support = {
        s.component_key: s
        for s in session.scalars(
            select(m.ComponentSupport).where(m.ComponentSupport.product_id == release.product_id)
        )
    }
    if not support:
        return parsed
    components = []
    for c in parsed.components:
        override = support.get(support_key(c))
        if override is not None:
            c = dataclasses.replace(
                c,
                item_class=ItemClass(override.item_class) if override.item_class else c.item_class,
                support_end=override.support_end or c.support_end,
            )
        components.append(c)
    return dataclasses.replace(parsed, components=tuple(components))
