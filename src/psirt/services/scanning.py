"""Match releases against the knowledge base and keep their findings current.

A scan records findings per (component, alias group): new ones with ``first_seen`` and the
feed snapshot they came from, known ones get ``last_seen``, ones that no longer match are
retracted (never deleted) with the reason. A released or fielded release that gains a finding
emits a monitoring event; so does a KEV listing of an existing finding.

Every scanned release gets an ``sbom_scan`` activity record (tool ``psirt``, the components
matched, the feed snapshot and its sha256, the counts and the knowledge-base size).

Findings and events are written with bulk ``INSERT``/``UPDATE`` statements, many releases at a
time, so that re-matching every stored release stays one short transaction.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import orjson
from sqlalchemy import Row, Table, Text, cast, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from psirt import __version__
from psirt.domain.activity import ActivityType
from psirt.domain.advisory import Advisory
from psirt.domain.codec import advisory_from_json
from psirt.domain.sbom import Component
from psirt.matching.knowledge import KnowledgeBase
from psirt.services import activities
from psirt.services.catalog import get_release
from psirt.store import audit
from psirt.store import models as m

FIELDED = ("released", "fielded")
CHUNK = 900  # bound parameters per IN list (SQLite's historical limit is 999)
SCAN_BATCH = 25_000  # components matched and reconciled together by scan_all


def load_advisories(session: Session, ids: Iterable[str] | None = None) -> list[Advisory]:
    q = select(m.Advisory.body)
    if ids is None:
        return [advisory_from_json(b) for b in session.scalars(q)]
    ids = list(ids)
    out: list[Advisory] = []
    for start in range(0, len(ids), CHUNK):
        out.extend(
            advisory_from_json(b)
            for b in session.scalars(q.where(m.Advisory.id.in_(ids[start : start + CHUNK])))
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


def advisory_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(m.Advisory)) or 0


# Columns a scan needs of a component (rows, not ORM objects: nothing to track or flush).
COMPONENT_COLUMNS = (
    m.Component.id,
    m.Component.release_id,
    m.Component.ref,
    m.Component.name,
    m.Component.version,
    m.Component.type,
    m.Component.purl,
    m.Component.cpe,
    m.Component.ecosystem,
    m.Component.match_name,
    m.Component.cpe_key,
)
# Core tables for executemany inserts (no ORM bookkeeping per row)
FINDINGS = typing.cast(Table, m.Finding.__table__)
EVENTS = typing.cast(Table, m.MonitoringEvent.__table__)
ComponentRow: TypeAlias = Row[*tuple[Any, ...]]


def component_value(row: m.Component | ComponentRow) -> Component:
    return Component(
        name=row.name, version=row.version, ref=row.ref, type=row.type, purl=row.purl, cpe=row.cpe
    )


def release_components(session: Session, release_ids: Sequence[int]) -> list[ComponentRow]:
    out: list[ComponentRow] = []
    ids = list(release_ids)
    for start in range(0, len(ids), CHUNK):
        out.extend(
            session.execute(
                select(*COMPONENT_COLUMNS)
                .where(m.Component.release_id.in_(ids[start : start + CHUNK]))
                .order_by(m.Component.release_id, m.Component.id)
            ).all()
        )
    return out


@dataclass(frozen=True, slots=True)
class ReleaseRef:
    """What a scan needs to know of a release (one query for all of them)."""

    id: int
    product: str
    version: str
    status: str


def release_refs(session: Session, ids: Iterable[int] | None = None) -> dict[int, ReleaseRef]:
    """Releases by id with their product names, ordered by product name then release id."""
    q = (
        select(m.Release.id, m.Product.name, m.Release.version, m.Release.status)
        .join(m.Product, m.Release.product_id == m.Product.id)
        .order_by(m.Product.name, m.Release.id)
    )
    if ids is None:
        return {r[0]: ReleaseRef(*r) for r in session.execute(q)}
    wanted = sorted(set(ids))
    found: dict[int, ReleaseRef] = {}
    for start in range(0, len(wanted), CHUNK):
        for r in session.execute(q.where(m.Release.id.in_(wanted[start : start + CHUNK]))):
            found[r[0]] = ReleaseRef(*r)
    return dict(sorted(found.items(), key=lambda kv: (kv[1].product, kv[0])))


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

    @property
    def changed(self) -> bool:
        return bool(self.new or self.retracted or self.reactivated)


@dataclass(slots=True)
class _Stored:
    id: int
    component_id: int
    advisory_id: str
    aliases: list[Any]
    related: list[Any]
    fixed_versions: list[Any]
    severity: str | None
    status: str

    def ids(self) -> set[str]:
        return {self.advisory_id, *self.aliases}


_STORED_COLUMNS = (
    m.Finding.id,
    m.Finding.component_id,
    m.Finding.advisory_id,
    cast(m.Finding.aliases, Text),
    cast(m.Finding.related, Text),
    cast(m.Finding.fixed_versions, Text),
    m.Finding.severity,
    m.Finding.status,
)


def _json_list(text: str | None) -> list[Any]:
    value = orjson.loads(text) if text else None
    return value if isinstance(value, list) else []


def _stored(row: Any) -> _Stored:
    # JSON columns are read as text and decoded here: orjson is several times faster than
    # the generic JSON result processor on hundreds of thousands of rows.
    fid, cid, adv, aliases, related, fixed, severity, status = row
    return _Stored(
        fid,
        cid,
        adv,
        _json_list(aliases),
        _json_list(related),
        _json_list(fixed),
        severity,
        status,
    )


def _stored_findings(
    session: Session, comp_ids: Sequence[int], scope: frozenset[str] | None
) -> dict[int, list[_Stored]]:
    """Stored findings of ``comp_ids``; with ``scope``, only those of the alias groups in it
    (a finding's ``advisory_id`` is the primary id of its group)."""
    out: dict[int, list[_Stored]] = {}
    q = select(*_STORED_COLUMNS)
    if scope is None:
        for start in range(0, len(comp_ids), CHUNK):
            for row in session.execute(
                q.where(m.Finding.component_id.in_(comp_ids[start : start + CHUNK]))
            ):
                e = _stored(row)
                out.setdefault(e.component_id, []).append(e)
        return out
    wanted = set(comp_ids)
    ids = sorted(scope)
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(q.where(m.Finding.advisory_id.in_(ids[start : start + CHUNK]))):
            if row[1] in wanted:
                e = _stored(row)
                out.setdefault(e.component_id, []).append(e)
    return out


def _expire_findings(session: Session) -> None:
    """Bulk statements bypass the identity map: reload any Finding object held in it."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, m.Finding):
            session.expire(obj)


def _insert_findings(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (one executemany) and return their ids in the same order."""
    before = session.scalar(select(func.coalesce(func.max(m.Finding.id), 0))) or 0
    conn = session.connection()
    conn.execute(insert(FINDINGS), rows)
    # Rows of other transactions may carry higher ids too: (component, advisory) is unique.
    ids: dict[tuple[int, str], int] = {
        (cid, adv): fid
        for fid, cid, adv in conn.execute(
            select(m.Finding.id, m.Finding.component_id, m.Finding.advisory_id).where(
                m.Finding.id > before
            )
        )
    }
    return [ids[(r["component_id"], r["advisory_id"])] for r in rows]


def reconcile(
    session: Session,
    releases: Mapping[int, ReleaseRef],
    rows: Sequence[ComponentRow],
    kb: KnowledgeBase,
    *,
    snapshot_id: int | None,
    now: dt.datetime,
    scope: frozenset[str] | None = None,
    withdrawn: frozenset[str] | None = None,
) -> dict[int, ScanOutcome]:
    """Match ``rows`` (components of ``releases``) and bring their findings up to date.

    Returns one outcome per release of ``releases``; rows are matched in one call and the
    findings written with one bulk statement per kind of change.

    ``scope`` restricts the reconciliation to the alias groups whose ids it holds: ``kb``
    then knows exactly those groups, and stored findings of other groups are left alone.
    ``withdrawn`` are the ids of withdrawn records (default: those ``kb`` knows), which decide
    the reason of a retraction.
    """
    outcomes = {
        rid: ScanOutcome(rid, ref.product, ref.version, ref.status) for rid, ref in releases.items()
    }
    for r in rows:
        outcomes[r.release_id].components += 1
    result = kb.match([component_value(r) for r in rows])
    existing = _stored_findings(session, [r.id for r in rows], scope)
    gone = kb.index.withdrawn if withdrawn is None else withdrawn
    # component -> any id of a stored finding -> the first stored finding carrying it
    by_id: dict[int, dict[str, _Stored]] = {}
    for cid, stored in existing.items():
        ids_of = by_id[cid] = {}
        for e in stored:
            for vuln_id in (e.advisory_id, *e.aliases):
                ids_of.setdefault(vuln_id, e)
    related_of: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    matched: set[int] = set()
    inserts: list[dict[str, Any]] = []
    updates: dict[int, dict[str, Any]] = {}
    seen: list[int] = []
    for cf in result.findings:
        row = rows[cf.component]
        outcome = outcomes[row.release_id]
        f = cf.finding
        aliases = list(f.aliases)
        key = (f.related, f.aliases)
        related = related_of.get(key)
        if related is None:
            related = related_of[key] = list(kb.related_ids(f))
        fixed = list(f.fixed_versions)
        severity = f.severity.score if f.severity else None
        lookup = by_id.get(row.id)
        hit = None
        if lookup:
            hits = [lookup[a] for a in f.aliases if a in lookup]
            if hits:
                # the stored finding listed first, as a scan over the stored rows finds it
                order = existing[row.id]
                hit = min(hits, key=order.index)
        if hit is None:
            inserts.append(
                {
                    "release_id": row.release_id,
                    "component_id": row.id,
                    "advisory_id": f.advisory_id,
                    "aliases": aliases,
                    "related": related,
                    "fixed_versions": fixed,
                    "severity": severity,
                    "status": "active",
                    "retracted_reason": None,
                    "first_seen": now,
                    "last_seen": now,
                    "snapshot_id": snapshot_id,
                    "issue_id": None,
                }
            )
            outcome.new += 1
            outcome.new_ids.append(f.advisory_id)
            continue
        matched.add(hit.id)
        if hit.status == "retracted":
            outcome.reactivated += 1
        else:
            outcome.still += 1
        if (
            hit.status == "retracted"
            or hit.advisory_id != f.advisory_id
            or hit.aliases != aliases
            or hit.related != related
            or hit.fixed_versions != fixed
            or hit.severity != severity
        ):
            updates[hit.id] = {
                "id": hit.id,
                "advisory_id": f.advisory_id,
                "aliases": aliases,
                "related": related,
                "fixed_versions": fixed,
                "severity": severity,
                "status": "active",
                "retracted_reason": None,
                "last_seen": now,
            }
            # The same stored row may be hit again by a later group: keep what it says now.
            hit.advisory_id, hit.aliases, hit.status = f.advisory_id, aliases, "active"
        else:
            seen.append(hit.id)
    release_of = {r.id: r.release_id for r in rows}
    for stored in existing.values():
        for e in stored:
            if e.id in matched or e.status == "retracted":
                continue
            updates[e.id] = {
                "id": e.id,
                "status": "retracted",
                "retracted_reason": (
                    "advisory withdrawn"
                    if e.ids() & gone
                    else "no longer matches the knowledge base"
                ),
                "last_seen": now,
            }
            outcomes[release_of[e.component_id]].retracted += 1
    session.flush()
    if updates:
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for u in updates.values():
            by_keys.setdefault(tuple(u), []).append(u)
        for batch in by_keys.values():
            session.execute(update(m.Finding), batch)
    seen_once = sorted(set(seen) - set(updates))
    for start in range(0, len(seen_once), CHUNK):
        session.execute(
            update(m.Finding)
            .where(m.Finding.id.in_(seen_once[start : start + CHUNK]))
            .values(last_seen=now)
            .execution_options(synchronize_session=False)
        )
    if inserts:
        new_ids = _insert_findings(session, inserts)
        events = []
        kev_of: dict[tuple[str, ...], bool] = {}
        for fid, values in zip(new_ids, inserts, strict=True):
            ref = releases[values["release_id"]]
            if ref.status not in FIELDED:
                continue
            ids_key = (*values["aliases"], *values["related"])
            kev = kev_of.get(ids_key)
            if kev is None:
                kev = kev_of[ids_key] = kb.is_kev(ids_key)
            events.append(
                {
                    "kind": "release.newly_affected",
                    "release_id": ref.id,
                    "finding_id": fid,
                    "advisory_id": values["advisory_id"],
                    "at": now,
                    "detail": {
                        "product": ref.product,
                        "release": ref.version,
                        "status": ref.status,
                        "kev": kev,
                    },
                    "delivered": False,
                }
            )
            outcomes[ref.id].events += 1
        if events:
            session.connection().execute(insert(EVENTS), events)
    if updates or seen_once:
        _expire_findings(session)
    return outcomes


@dataclass(frozen=True, slots=True)
class FeedContext:
    """The knowledge base a scan used: the newest feed snapshot and the size of the store."""

    snapshot_id: int | None
    snapshot_sha256: str | None
    advisories: int  # advisory records in the store
    used: int  # advisory records the matcher was built from for this scan

    @classmethod
    def of(cls, session: Session, snapshot_id: int | None, *, used: int) -> FeedContext:
        sha = None
        if snapshot_id is not None:
            sha = session.scalar(
                select(m.FeedSnapshot.sha256).where(m.FeedSnapshot.id == snapshot_id)
            )
        return cls(snapshot_id, sha, advisory_count(session), used)


def record_scan_activity(
    session: Session,
    *,
    actor: str,
    outcome: ScanOutcome,
    feed: FeedContext,
    kb: KnowledgeBase,
    started: dt.datetime,
    ended: dt.datetime,
    trigger: str,
    packages: Sequence[str] = (),
) -> int:
    """The ``sbom_scan`` activity of one scanned (or re-matched) release."""
    scope: dict[str, Any] = {"components": outcome.components, "whole_release": not packages}
    if packages:
        scope["packages"] = list(packages)
    return activities.record_activity(
        session,
        actor=actor,
        product=outcome.product,
        version=outcome.version,
        type=ActivityType.SBOM_SCAN,
        tool="psirt",
        tool_version=__version__,
        started=started,
        ended=ended,
        scope=scope,
        summary={
            "trigger": trigger,
            "feed_snapshot": feed.snapshot_id,
            "feed_sha256": feed.snapshot_sha256,
            "new": outcome.new,
            "unchanged": outcome.still,
            "retracted": outcome.retracted,
            "reactivated": outcome.reactivated,
            "events": outcome.events,
            "knowledge_base": {
                "advisories": feed.advisories,
                "matched_against": feed.used,
                "kev": len(kb.kev),
                "epss": len(kb.epss),
            },
        },
    )


def _scan(
    session: Session,
    *,
    actor: str,
    refs: dict[int, ReleaseRef],
    kb: KnowledgeBase,
    feed: FeedContext,
) -> list[ScanOutcome]:
    out: list[ScanOutcome] = []
    batch: list[int] = []
    pending = list(refs)
    counts = (
        dict(
            session.execute(
                select(m.Component.release_id, func.count()).group_by(m.Component.release_id)
            ).all()
        )
        if len(refs) > 1
        else {}
    )
    size = 0
    for i, rid in enumerate(pending):
        batch.append(rid)
        size += counts.get(rid, 0)
        if size < SCAN_BATCH and i + 1 < len(pending):
            continue
        started = dt.datetime.now(dt.UTC)
        rows = release_components(session, batch)
        now = dt.datetime.now(dt.UTC)
        outcomes = reconcile(
            session, {r: refs[r] for r in batch}, rows, kb, snapshot_id=feed.snapshot_id, now=now
        )
        ended = dt.datetime.now(dt.UTC)
        for r in batch:
            outcome = outcomes[r]
            audit.append(
                session,
                actor=actor,
                action="release.scan",
                object_type="release",
                object_id=r,
                detail=outcome.as_dict(),
            )
            if outcome.components:
                record_scan_activity(
                    session,
                    actor=actor,
                    outcome=outcome,
                    feed=feed,
                    kb=kb,
                    started=started,
                    ended=ended,
                    trigger="scan",
                )
            out.append(outcome)
        batch, size = [], 0
    return out


def _full_knowledge(session: Session) -> tuple[KnowledgeBase, FeedContext]:
    advisories = load_advisories(session)
    kb = load_knowledge(session, advisories)
    return kb, FeedContext.of(session, latest_snapshot(session), used=len(advisories))


def scan_release(
    session: Session, *, actor: str, product: str, version: str, kb: KnowledgeBase | None = None
) -> ScanOutcome:
    release = get_release(session, product, version)
    if kb is None:
        kb, feed = _full_knowledge(session)
    else:
        feed = FeedContext.of(session, latest_snapshot(session), used=len(kb.index))
    refs = release_refs(session, [release.id])
    return _scan(session, actor=actor, refs=refs, kb=kb, feed=feed)[0]


def scan_all(session: Session, *, actor: str) -> list[ScanOutcome]:
    """Re-match every stored release against the whole knowledge base."""
    kb, feed = _full_knowledge(session)
    return _scan(session, actor=actor, refs=release_refs(session), kb=kb, feed=feed)


def components_naming(session: Session, packages: set[tuple[str, str]]) -> list[ComponentRow]:
    """Stored components whose (ecosystem, match name) is one of ``packages``."""
    pkgs = sorted(packages)
    out: list[ComponentRow] = []
    for start in range(0, len(pkgs), 400):
        chunk = pkgs[start : start + 400]
        out.extend(
            session.execute(
                select(*COMPONENT_COLUMNS).where(
                    tuple_(m.Component.ecosystem, m.Component.match_name).in_(chunk)
                )
            ).all()
        )
    return out
