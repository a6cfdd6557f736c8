"""Continuous monitoring: after a feed import, re-match only what the changes name.

The advisories that were added, updated or withdrawn name packages (and CPE vendor:product
pairs). Only stored components of those packages can gain or lose findings, so only they are
re-matched, against every advisory that names their packages, across every stored release.
A new KEV listing of an existing finding emits an event as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from psirt.matching.knowledge import KnowledgeBase
from psirt.services.feeds import CPE_ECOSYSTEM, FeedImportSummary
from psirt.services.scanning import (
    ScanOutcome,
    epss_scores,
    kev_ids,
    load_advisories,
    reconcile,
)
from psirt.store import audit
from psirt.store import models as m


@dataclass
class RematchOutcome:
    packages: int = 0
    components: int = 0
    releases: list[ScanOutcome] = field(default_factory=list)
    kev_events: int = 0

    @property
    def new(self) -> int:
        return sum(r.new for r in self.releases)

    @property
    def retracted(self) -> int:
        return sum(r.retracted for r in self.releases)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.releases) + self.kev_events

    def as_dict(self) -> dict[str, Any]:
        return {
            "packages": self.packages,
            "components": self.components,
            "new_findings": self.new,
            "retracted_findings": self.retracted,
            "events": self.events,
            "releases": [
                r.as_dict() for r in self.releases if r.new or r.retracted or r.reactivated
            ],
        }

    def describe(self) -> str:
        return (
            f"re-matched {self.components} components of {len(self.releases)} release(s) "
            f"naming {self.packages} changed package(s): {self.new} new finding(s), "
            f"{self.retracted} retracted, {self.events} monitoring event(s)"
        )


def _components_for(session: Session, packages: set[tuple[str, str]]) -> list[m.Component]:
    purl_keys = sorted(p for p in packages if p[0] != CPE_ECOSYSTEM)
    cpe_keys = sorted(p[1] for p in packages if p[0] == CPE_ECOSYSTEM)
    found: dict[int, m.Component] = {}
    for start in range(0, len(purl_keys), 400):
        chunk = purl_keys[start : start + 400]
        for c in session.scalars(
            select(m.Component).where(
                tuple_(m.Component.ecosystem, m.Component.match_name).in_(chunk)
            )
        ):
            found[c.id] = c
    for start in range(0, len(cpe_keys), 900):
        for c in session.scalars(
            select(m.Component).where(m.Component.cpe_key.in_(cpe_keys[start : start + 900]))
        ):
            found[c.id] = c
    return sorted(found.values(), key=lambda c: c.id)


def _advisory_ids_for(session: Session, comps: list[m.Component]) -> set[str]:
    purl_keys = sorted({(c.ecosystem, c.match_name) for c in comps if c.ecosystem and c.match_name})
    cpe_keys = sorted({c.cpe_key for c in comps if c.cpe_key})
    ids: set[str] = set()
    for start in range(0, len(purl_keys), 400):
        chunk = purl_keys[start : start + 400]
        ids.update(
            session.scalars(
                select(m.AdvisoryPackage.advisory_id).where(
                    tuple_(m.AdvisoryPackage.ecosystem, m.AdvisoryPackage.match_name).in_(chunk)
                )
            )
        )
    for start in range(0, len(cpe_keys), 900):
        ids.update(
            session.scalars(
                select(m.AdvisoryPackage.advisory_id).where(
                    m.AdvisoryPackage.ecosystem == CPE_ECOSYSTEM,
                    m.AdvisoryPackage.match_name.in_(cpe_keys[start : start + 900]),
                )
            )
        )
    return ids


def rematch(
    session: Session, packages: set[tuple[str, str]], *, actor: str, snapshot_id: int | None
) -> RematchOutcome:
    outcome = RematchOutcome(packages=len(packages))
    if not packages:
        return outcome
    comps = _components_for(session, packages)
    outcome.components = len(comps)
    if not comps:
        return outcome
    advisories = load_advisories(session, _advisory_ids_for(session, comps))
    # Alias groups may join through records that name other packages: pull those in too.
    known = {a.id for a in advisories}
    extra = {a for adv in advisories for a in adv.aliases} - known
    if extra:
        advisories.extend(load_advisories(session, extra))
    kb = KnowledgeBase.build(advisories, kev=kev_ids(session), epss=epss_scores(session))
    by_release: dict[int, list[m.Component]] = {}
    for c in comps:
        by_release.setdefault(c.release_id, []).append(c)
    now = dt.datetime.now(dt.UTC)
    for release_id, rows in sorted(by_release.items()):
        release = session.get(m.Release, release_id)
        assert release is not None
        result = reconcile(session, release, rows, kb, snapshot_id=snapshot_id, now=now)
        outcome.releases.append(result)
        if result.new or result.retracted or result.reactivated:
            audit.append(
                session,
                actor=actor,
                action="release.rematch",
                object_type="release",
                object_id=release.id,
                detail={**result.as_dict(), "snapshot": snapshot_id},
            )
    return outcome


def kev_listings(session: Session, new_kev: set[str]) -> int:
    """Emit an event for each active finding one of whose ids was newly KEV-listed."""
    if not new_kev:
        return 0
    n = 0
    now = dt.datetime.now(dt.UTC)
    for f in session.scalars(select(m.Finding).where(m.Finding.status == "active")):
        listed = sorted(new_kev & {f.advisory_id, *f.aliases, *f.related})
        if not listed:
            continue
        session.add(
            m.MonitoringEvent(
                kind="finding.kev_listed",
                release_id=f.release_id,
                finding_id=f.id,
                advisory_id=f.advisory_id,
                at=now,
                detail={"kev": listed},
            )
        )
        n += 1
    return n


def after_feed_import(
    session: Session, summary: FeedImportSummary, *, actor: str
) -> RematchOutcome:
    outcome = rematch(
        session, summary.touched_packages, actor=actor, snapshot_id=summary.snapshot_id
    )
    outcome.kev_events = kev_listings(session, summary.new_kev)
    return outcome
