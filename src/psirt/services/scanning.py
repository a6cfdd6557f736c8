"""Match releases against the knowledge base and keep their findings current.

A scan records findings per (component, alias group): new ones with ``first_seen`` and the
feed snapshot they came from, known ones get ``last_seen``, ones that no longer match are
retracted (never deleted) with the reason. A released or fielded release that gains a finding
emits a monitoring event; so does a KEV listing of an existing finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from psirt.domain.advisory import Advisory
from psirt.domain.codec import advisory_from_json
from psirt.domain.sbom import Component
from psirt.matching.knowledge import KnowledgeBase
from psirt.services.catalog import get_release
from psirt.store import audit
from psirt.store import models as m

FIELDED = ("released", "fielded")


def load_advisories(session: Session, ids: Iterable[str] | None = None) -> list[Advisory]:
    q = select(m.Advisory.body)
    if ids is None:
        return [advisory_from_json(b) for b in session.scalars(q)]
    ids = list(ids)
    out: list[Advisory] = []
    for start in range(0, len(ids), 900):
        out.extend(
            advisory_from_json(b)
            for b in session.scalars(q.where(m.Advisory.id.in_(ids[start : start + 900])))
        )
    return out


def kev_ids(session: Session) -> set[str]:
    return set(session.scalars(select(m.KevEntry.cve_id)))


def epss_scores(session: Session) -> dict[str, float]:
    return {row[0]: row[1] for row in session.execute(select(m.EpssScore.cve_id, m.EpssScore.epss))}


def load_knowledge(session: Session, advisories: list[Advisory] | None = None) -> KnowledgeBase:
    return KnowledgeBase.build(
        load_advisories(session) if advisories is None else advisories,
        kev=kev_ids(session),
        epss=epss_scores(session),
    )


def latest_snapshot(session: Session) -> int | None:
    return session.scalar(select(func.max(m.FeedSnapshot.id)))


def component_value(row: m.Component) -> Component:
    return Component(
        name=row.name, version=row.version, ref=row.ref, type=row.type, purl=row.purl, cpe=row.cpe
    )


@dataclass
class ScanOutcome:
    release_id: int
    product: str
    version: str
    status: str
    components: int = 0
    new: int = 0
    still: int = 0
    retracted: int = 0
    reactivated: int = 0
    events: int = 0
    new_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "release": self.version,
            "status": self.status,
            "components": self.components,
            "new": self.new,
            "unchanged": self.still,
            "retracted": self.retracted,
            "reactivated": self.reactivated,
            "events": self.events,
        }


def reconcile(
    session: Session,
    release: m.Release,
    rows: list[m.Component],
    kb: KnowledgeBase,
    *,
    snapshot_id: int | None,
    now: dt.datetime,
) -> ScanOutcome:
    """Match ``rows`` (components of one release) and bring their findings up to date."""
    product = session.get(m.Product, release.product_id)
    outcome = ScanOutcome(
        release.id, product.name if product else "?", release.version, release.status, len(rows)
    )
    result = kb.match([component_value(r) for r in rows])
    comp_ids = [r.id for r in rows]
    existing: dict[int, list[m.Finding]] = {}
    for start in range(0, len(comp_ids), 900):
        for stored in session.scalars(
            select(m.Finding).where(m.Finding.component_id.in_(comp_ids[start : start + 900]))
        ):
            existing.setdefault(stored.component_id, []).append(stored)
    matched: set[int] = set()
    new_rows: list[m.Finding] = []
    for cf in result.findings:
        row = rows[cf.component]
        f = cf.finding
        aliases = set(f.aliases)
        hit = next(
            (e for e in existing.get(row.id, ()) if aliases & {e.advisory_id, *e.aliases}), None
        )
        severity = f.severity.score if f.severity else None
        if hit is not None:
            matched.add(hit.id)
            hit.last_seen = now
            hit.aliases = list(f.aliases)
            hit.related = list(kb.related_ids(f))
            hit.fixed_versions = list(f.fixed_versions)
            hit.severity = severity
            if hit.advisory_id != f.advisory_id:
                hit.advisory_id = f.advisory_id
            if hit.status == "retracted":
                hit.status = "active"
                hit.retracted_reason = None
                outcome.reactivated += 1
            else:
                outcome.still += 1
            continue
        finding = m.Finding(
            release_id=release.id,
            component_id=row.id,
            advisory_id=f.advisory_id,
            aliases=list(f.aliases),
            related=list(kb.related_ids(f)),
            fixed_versions=list(f.fixed_versions),
            severity=severity,
            status="active",
            first_seen=now,
            last_seen=now,
            snapshot_id=snapshot_id,
        )
        session.add(finding)
        new_rows.append(finding)
        outcome.new += 1
        outcome.new_ids.append(f.advisory_id)
    for findings in existing.values():
        for e in findings:
            if e.id in matched or e.status == "retracted":
                continue
            withdrawn = kb.index.withdrawn
            e.status = "retracted"
            e.retracted_reason = (
                "advisory withdrawn"
                if ({e.advisory_id, *e.aliases} & withdrawn)
                else "no longer matches the knowledge base"
            )
            e.last_seen = now
            outcome.retracted += 1
    session.flush()
    if release.status in FIELDED:
        for finding in new_rows:
            session.add(
                m.MonitoringEvent(
                    kind="release.newly_affected",
                    release_id=release.id,
                    finding_id=finding.id,
                    advisory_id=finding.advisory_id,
                    at=now,
                    detail={
                        "product": outcome.product,
                        "release": release.version,
                        "status": release.status,
                        "kev": kb.is_kev([*finding.aliases, *finding.related]),
                    },
                )
            )
            outcome.events += 1
    return outcome


def scan_release(
    session: Session, *, actor: str, product: str, version: str, kb: KnowledgeBase | None = None
) -> ScanOutcome:
    release = get_release(session, product, version)
    kb = kb or load_knowledge(session)
    rows = list(
        session.scalars(
            select(m.Component).where(m.Component.release_id == release.id).order_by(m.Component.id)
        )
    )
    now = dt.datetime.now(dt.UTC)
    outcome = reconcile(session, release, rows, kb, snapshot_id=latest_snapshot(session), now=now)
    audit.append(
        session,
        actor=actor,
        action="release.scan",
        object_type="release",
        object_id=release.id,
        detail=outcome.as_dict(),
    )
    return outcome


def scan_all(session: Session, *, actor: str) -> list[ScanOutcome]:
    kb = load_knowledge(session)
    out = []
    for release, pname in session.execute(
        select(m.Release, m.Product.name).join(m.Product).order_by(m.Product.name, m.Release.id)
    ).all():
        out.append(
            scan_release(session, actor=actor, product=pname, version=release.version, kb=kb)
        )
    return out


def components_naming(session: Session, packages: set[tuple[str, str]]) -> list[m.Component]:
    """Stored components whose (ecosystem, match name) is one of ``packages``."""
    pkgs = sorted(packages)
    out: list[m.Component] = []
    for start in range(0, len(pkgs), 400):
        chunk = pkgs[start : start + 400]
        out.extend(
            session.scalars(
                select(m.Component).where(
                    tuple_(m.Component.ecosystem, m.Component.match_name).in_(chunk)
                )
            )
        )
    return out
