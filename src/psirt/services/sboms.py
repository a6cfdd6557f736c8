"""Import an SBOM into a release: the document is kept as evidence, its components become the
release's component list. Re-importing the same document into the same release changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from psirt.domain.sbom import Component, ItemClass, ParsedSbom
from psirt.errors import InputError, UnknownEcosystem
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


def import_sbom(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    data: bytes,
    parsed: ParsedSbom,
    file_name: str,
) -> SbomImportResult:
    release = get_release(session, product, version)
    sha = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(m.SbomDocument).where(
            m.SbomDocument.release_id == release.id, m.SbomDocument.sha256 == sha
        )
    )
    if existing is not None:
        return SbomImportResult(
            release.id, existing.id, existing.components, True, tuple(parsed.problems)
        )
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
    # The newest SBOM is the release's component list; findings of replaced components go.
    old_ids = list(
        session.scalars(select(m.Component.id).where(m.Component.release_id == release.id))
    )
    if old_ids:
        for start in range(0, len(old_ids), 900):
            chunk = old_ids[start : start + 900]
            session.execute(
                delete(m.MonitoringEvent).where(
                    m.MonitoringEvent.finding_id.in_(
                        select(m.Finding.id).where(m.Finding.component_id.in_(chunk))
                    )
                )
            )
            session.execute(delete(m.Finding).where(m.Finding.component_id.in_(chunk)))
            session.execute(delete(m.Component).where(m.Component.id.in_(chunk)))
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
    if rows:
        session.execute(insert(m.Component), rows)
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
            "replaced_components": len(old_ids),
        },
    )
    return SbomImportResult(release.id, doc.id, len(rows), False, tuple(parsed.problems))


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
        for c in session.scalars(select(m.Component).where(m.Component.release_id == release.id))
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
    doc = session.scalar(
        select(m.SbomDocument)
        .where(m.SbomDocument.release_id == release.id)
        .order_by(m.SbomDocument.id.desc())
        .limit(1)
    )
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
