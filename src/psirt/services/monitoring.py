"""Continuous monitoring: after a feed import, re-match only what the changes name.

The advisories that were added, updated or withdrawn name packages (and CPE vendor:product
pairs). Only stored components of those packages can gain or lose findings, so only they are
re-matched, against every advisory that names their packages (and every record sharing an
alias group with one of those, so that groups and their primary ids are the ones a full scan
sees), across every stored release, in one pass. Each release whose components were
re-matched gets an ``sbom_scan`` activity record. A new KEV listing of an existing finding
emits an event as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from psirt.domain.advisory import Advisory
from psirt.matching.aliases import alias_groups
from psirt.matching.knowledge import KnowledgeBase, kev_listed
from psirt.services import activities
from psirt.services.feeds import CPE_ECOSYSTEM, FeedImportSummary
from psirt.services.scanning import (
    CHUNK,
    COMPONENT_COLUMNS,
    ComponentRow,
    FeedContext,
    ScanOutcome,
    epss_scores,
    kev_ids,
    load_advisories,
    reconcile,
    release_refs,
    scan_activity,
)
from psirt.store import audit
from psirt.store import models as m

PACKAGE_CHUNK = 400  # (ecosystem, name) pairs per row-value IN list


@dataclass
class RematchOutcome:
    packages: int = 0
    components: int = 0
    releases: list[ScanOutcome] = field(default_factory=list)
    kev_events: int = 0
    advisories: int = 0  # advisory records the re-match was built from
    activities: list[int] = field(default_factory=list)  # sbom_scan activity ids

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
            "releases": [r.as_dict() for r in self.releases if r.changed],
        }

    def describe(self) -> str:
        return (
            f"re-matched {self.components} components of {len(self.releases)} release(s) "
            f"naming {self.packages} changed package(s): {self.new} new finding(s), "
            f"{self.retracted} retracted, {self.events} monitoring event(s)"
        )


def _components_for(session: Session, packages: set[tuple[str, str]]) -> list[ComponentRow]:
    purl_keys = sorted(p for p in packages if p[0] != CPE_ECOSYSTEM)
    cpe_keys = sorted(p[1] for p in packages if p[0] == CPE_ECOSYSTEM)
    found: dict[int, ComponentRow] = {}
    q = select(*COMPONENT_COLUMNS).where(m.Component.retired_by_sbom_id.is_(None))
    for start in range(0, len(purl_keys), PACKAGE_CHUNK):
        chunk = purl_keys[start : start + PACKAGE_CHUNK]
        for c in session.execute(
            q.where(tuple_(m.Component.ecosystem, m.Component.match_name).in_(chunk))
        ):
            found[c.id] = c
    for start in range(0, len(cpe_keys), CHUNK):
        for c in session.execute(q.where(m.Component.cpe_key.in_(cpe_keys[start : start + CHUNK]))):
            found[c.id] = c
    return [found[k] for k in sorted(found, key=lambda i: (found[i].release_id, i))]


def _package_keys(comps: Iterable[ComponentRow]) -> tuple[list[tuple[str, str]], list[str]]:
    purl_keys = sorted({(c.ecosystem, c.match_name) for c in comps if c.ecosystem and c.match_name})
    cpe_keys = sorted({c.cpe_key for c in comps if c.cpe_key})
    return purl_keys, cpe_keys


def _advisory_ids_for(session: Session, comps: Sequence[ComponentRow]) -> set[str]:
    """Ids of the advisories naming the packages of ``comps``."""
    purl_keys, cpe_keys = _package_keys(comps)
    ids: set[str] = set()
    for start in range(0, len(purl_keys), PACKAGE_CHUNK):
        chunk = purl_keys[start : start + PACKAGE_CHUNK]
        ids.update(
            session.scalars(
                select(m.AdvisoryPackage.advisory_id).where(
                    tuple_(m.AdvisoryPackage.ecosystem, m.AdvisoryPackage.match_name).in_(chunk)
                )
            )
        )
    for start in range(0, len(cpe_keys), CHUNK):
        ids.update(
            session.scalars(
                select(m.AdvisoryPackage.advisory_id).where(
                    m.AdvisoryPackage.ecosystem == CPE_ECOSYSTEM,
                    m.AdvisoryPackage.match_name.in_(cpe_keys[start : start + CHUNK]),
                )
            )
        )
    return ids


@dataclass(frozen=True, slots=True)
class _Groups:
    """The alias groups of some ids over every live record of the store."""

    ids: frozenset[str]  # every id of those groups (records and aliases)
    records: frozenset[str]  # the live records among them: what the matcher must load


def _groups_of(session: Session, seeds: set[str]) -> _Groups:
    # Alias groups are connected components over every live record (aliases are symmetric
    # and transitive): a record naming another package can join, or name, a group.
    live = session.execute(
        select(m.Advisory.id, m.Advisory.source, m.Advisory.aliases).where(
            m.Advisory.withdrawn.is_(None)
        )
    ).all()
    groups = alias_groups(Advisory(i, src, aliases=tuple(a or ())) for i, src, a in live)
    ids = set(seeds)
    for vuln_id in seeds:
        group = groups.get(vuln_id)
        if group is not None:
            ids.update(group.ids)
    return _Groups(frozenset(ids), frozenset(ids & {i for i, _, _ in live}))


def _packages_named(session: Session, ids: Iterable[str]) -> set[tuple[str, str]]:
    wanted = sorted(ids)
    out: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), CHUNK):
        out.update(
            (eco, name)
            for eco, name in session.execute(
                select(m.AdvisoryPackage.ecosystem, m.AdvisoryPackage.match_name).where(
                    m.AdvisoryPackage.advisory_id.in_(wanted[start : start + CHUNK])
                )
            )
        )
    return out


def _withdrawn_ids(session: Session) -> frozenset[str]:
    return frozenset(
        session.scalars(select(m.Advisory.id).where(m.Advisory.withdrawn.is_not(None)))
    )


def _release_packages(comps: Sequence[ComponentRow]) -> dict[int, list[str]]:
    out: dict[int, set[str]] = {}
    label: dict[tuple[str | None, str | None, str | None], tuple[str, ...]] = {}
    for c in comps:
        key = (c.ecosystem, c.match_name, c.cpe_key)
        names = label.get(key)
        if names is None:
            found = []
            if c.ecosystem and c.match_name:
                found.append(f"{c.ecosystem}/{c.match_name}")
            if c.cpe_key:
                found.append(f"{CPE_ECOSYSTEM}:{c.cpe_key}")
            names = label[key] = tuple(found)
        out.setdefault(c.release_id, set()).update(names)
    return {rid: sorted(names) for rid, names in out.items()}


def rematch(
    session: Session,
    packages: set[tuple[str, str]],
    *,
    actor: str,
    snapshot_id: int | None,
    changed: Iterable[str] | None = None,
) -> RematchOutcome:
    """Re-match the stored components of ``packages`` and record what changed.

    With ``changed`` (the ids a feed import added, updated or withdrew, with their aliases
    before and after), only the alias groups of those ids are re-matched: the matcher is
    built from the live records of those groups, every component naming a package that one
    of them names (or that ``packages`` lists) is matched, and only stored findings of those
    groups are reconciled; findings of other groups cannot change and are left alone.
    Without it, components of ``packages`` are re-matched against every advisory naming
    their packages and all their findings are reconciled.
    """
    outcome = RematchOutcome(packages=len(packages))
    started = dt.datetime.now(dt.UTC)
    scope: frozenset[str] | None = None
    withdrawn: frozenset[str] | None = None
    if changed is not None:
        groups = _groups_of(session, set(changed))
        if not groups.ids:
            return outcome
        scope, load = groups.ids, groups.records
        packages = packages | _packages_named(session, load)
        outcome.packages = len(packages)
        withdrawn = _withdrawn_ids(session)
    if not packages:
        return outcome
    comps = _components_for(session, packages)
    outcome.components = len(comps)
    if not comps:
        return outcome
    if scope is None:
        load = _groups_of(session, _advisory_ids_for(session, comps)).records
    advisories = load_advisories(session, sorted(load))
    outcome.advisories = len(advisories)
    kb = KnowledgeBase.build(advisories, kev=kev_ids(session), epss=epss_scores(session))
    refs = release_refs(session, {c.release_id for c in comps})
    now = dt.datetime.now(dt.UTC)
    results = reconcile(
        session, refs, comps, kb, snapshot_id=snapshot_id, now=now, scope=scope, withdrawn=withdrawn
    )
    ended = dt.datetime.now(dt.UTC)
    feed = FeedContext.of(session, snapshot_id, used=len(advisories))
    named = _release_packages(comps)
    outcome.releases.extend(results[release_id] for release_id in refs)
    audit.append_many(
        session,
        (
            audit.Entry(
                actor=actor,
                action="release.rematch",
                object_type="release",
                object_id=result.release_id,
                detail={**result.as_dict(), "snapshot": snapshot_id},
            )
            for result in outcome.releases
            if result.changed
        ),
    )
    outcome.activities = activities.record_activities(
        session,
        actor=actor,
        items=[
            scan_activity(
                outcome=result,
                feed=feed,
                kb=kb,
                started=started,
                ended=ended,
                trigger="feed import",
                packages=named.get(result.release_id, ()),
            )
            for result in outcome.releases
        ],
    )
    return outcome


def kev_listings(session: Session, new_kev: set[str]) -> int:
    """Emit an event for each active finding one of whose ids was newly KEV-listed."""
    if not new_kev:
        return 0
    now = dt.datetime.now(dt.UTC)
    q = select(
        m.Finding.id,
        m.Finding.release_id,
        m.Finding.advisory_id,
        m.Finding.aliases,
        m.Finding.related,
    ).where(m.Finding.status == "active")
    events = []
    for fid, release_id, advisory_id, aliases, related in session.execute(q):
        listed = sorted(kev_listed((advisory_id, *(aliases or ()), *(related or ())), new_kev))
        if listed:
            events.append(
                {
                    "kind": "finding.kev_listed",
                    "release_id": release_id,
                    "finding_id": fid,
                    "advisory_id": advisory_id,
                    "at": now,
                    "detail": {"kev": listed},
                    "delivered": False,
                }
            )
    if events:
        session.execute(insert(m.MonitoringEvent), events)
    return len(events)


def after_feed_import(
    session: Session, summary: FeedImportSummary, *, actor: str
) -> RematchOutcome:
    outcome = rematch(
        session,
        summary.touched_packages,
        actor=actor,
        snapshot_id=summary.snapshot_id,
        changed=summary.touched_ids,
    )
    outcome.kev_events = kev_listings(session, summary.new_kev)
    return outcome
