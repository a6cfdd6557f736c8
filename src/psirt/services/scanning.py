"""Match releases against the knowledge base and keep their findings current.

A scan records findings per (component, alias group): new ones with ``first_seen`` and the
feed snapshot they came from, changed ones (other aliases, fixed versions, severity, matched
again) get ``last_seen``, unchanged ones are left as they are, ones that no longer match are
retracted (never deleted) with the reason. A released or fielded release that gains a finding
emits a monitoring event; so does a KEV listing of an existing finding.

Every scanned release gets an ``sbom_scan`` activity record (tool ``psirt``, the components
matched, the feed snapshot and its sha256, the counts and the knowledge-base size).

Findings and events are written with bulk ``INSERT``/``UPDATE`` statements, many releases at a
time, so that re-matching every stored release stays one short transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import orjson
from sqlalchemy import Row, func, select, tuple_
from sqlalchemy.orm import Session

from psirt import __version__
from psirt.domain.activity import ActivityType
from psirt.domain.advisory import Advisory
from psirt.domain.codec import advisory_from_json
from psirt.domain.sbom import Component
from psirt.matching.knowledge import KnowledgeBase
from psirt.services import activities
from psirt.services.catalog import get_release
from psirt.store import audit, seal
from psirt.store import models as m
from psirt.store.findings_sql import BulkFindings

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
                .where(
                    m.Component.release_id.in_(ids[start : start + CHUNK]),
                    m.Component.retired_by_sbom_id.is_(None),
                )
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


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _json_list(text: str | None) -> list[Any]:
    value = orjson.loads(text) if text else None
    return value if isinstance(value, list) else []


def _same(stored: str | None, text: str, value: list[Any]) -> bool:
    """A stored JSON list equals ``value`` (``text`` is its encoding): rows written by
    other code may spell the same list differently."""
    return stored == text or _json_list(stored) == value


@dataclass(slots=True, eq=False)
class _Stored:
    id: int
    component_id: int
    advisory_id: str
    aliases: list[Any]
    related: str | None  # JSON text as stored
    fixed_versions: str | None  # JSON text as stored
    severity: str | None
    status: str

    def ids(self) -> set[str]:
        return {self.advisory_id, *self.aliases}


def _stored_id(e: _Stored) -> int:
    return e.id


@dataclass(frozen=True, slots=True)
class _Found:
    """What a matched alias group writes into a finding, encoded once per distinct value."""

    advisory_id: str
    aliases: tuple[str, ...]
    aliases_list: list[str]
    aliases_json: str
    related: list[str]
    related_json: str
    fixed: list[str]
    fixed_json: str
    severity: str | None


def _stored_findings(
    sql: BulkFindings, comp_ids: Sequence[int], scope: frozenset[str] | None
) -> dict[int, list[_Stored]]:
    """Stored findings of ``comp_ids``, in id order per component; with ``scope``, only those
    of the alias groups in it (a finding's ``advisory_id`` is the primary id of its group)."""
    out: dict[int, list[_Stored]] = {}
    wanted: set[int] | None
    if scope is None:
        found = sql.stored(column="component_id", keys=sorted(set(comp_ids)))
        wanted = None
    else:
        found = sql.stored(column="advisory_id", keys=sorted(scope))
        wanted = set(comp_ids)
    for fid, cid, adv, aliases, related, fixed, severity, status in found:
        if wanted is not None and cid not in wanted:
            continue
        out.setdefault(cid, []).append(
            _Stored(fid, cid, adv, _json_list(aliases), related, fixed, severity, status)
        )
    return out


def _expire_findings(session: Session) -> None:
    """Bulk statements bypass the identity map: reload any Finding object held in it."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, m.Finding):
            session.expire(obj)


def _unique_components(
    rows: Sequence[ComponentRow],
) -> tuple[list[Component], list[int]]:
    """Distinct component values (what matching reads) and each row's position among them:
    the same package at the same version in many releases is matched once."""
    position: dict[tuple[Any, ...], int] = {}
    values: list[Component] = []
    of_row: list[int] = []
    for r in rows:
        key = (r.name, r.version, r.type, r.purl, r.cpe)
        i = position.get(key)
        if i is None:
            i = position[key] = len(values)
            values.append(component_value(r))
        of_row.append(i)
    return values, of_row


def _found_by_value(
    kb: KnowledgeBase, values: Sequence[Component]
) -> tuple[list[list[_Found]], list[list[_Found]]]:
    """Findings of each distinct component value: by purl, then by CPE (the order in which
    :meth:`KnowledgeBase.match` lists them)."""
    result = kb.match(values)
    by_purl: list[list[_Found]] = [[] for _ in values]
    by_cpe: list[list[_Found]] = [[] for _ in values]
    related_of: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    encoded: dict[tuple[Any, ...], _Found] = {}
    for cf in result.findings:
        f = cf.finding
        severity = f.severity.score if f.severity else None
        key = (f.advisory_id, f.aliases, f.related, f.fixed_versions, severity)
        found = encoded.get(key)
        if found is None:
            rkey = (f.related, f.aliases)
            related = related_of.get(rkey)
            if related is None:
                related = related_of[rkey] = list(kb.related_ids(f))
            aliases, fixed = list(f.aliases), list(f.fixed_versions)
            found = encoded[key] = _Found(
                f.advisory_id,
                f.aliases,
                aliases,
                _dumps(aliases),
                related,
                _dumps(related),
                fixed,
                _dumps(fixed),
                severity,
            )
        (by_cpe if cf.via == "cpe" else by_purl)[cf.component].append(found)
    return by_purl, by_cpe


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

    Returns one outcome per release of ``releases``; rows are matched in one call (each
    distinct component value once) and the findings written with one driver-level
    ``executemany`` per kind of change.

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
    session.flush()
    seal.begin_write(session)
    sql = BulkFindings(session.connection())
    values, of_row = _unique_components(rows)
    by_purl, by_cpe = _found_by_value(kb, values)
    existing = _stored_findings(sql, [r.id for r in rows], scope)
    gone = kb.index.withdrawn if withdrawn is None else withdrawn
    # component -> any id of a stored finding -> the first stored finding carrying it
    by_id: dict[int, dict[str, _Stored]] = {}
    for cid, stored in existing.items():
        ids_of = by_id[cid] = {}
        for e in stored:
            for vuln_id in (e.advisory_id, *e.aliases):
                ids_of.setdefault(vuln_id, e)
    stamp = sql.time(now)
    matched: set[int] = set()
    inserts: list[tuple[Any, ...]] = []
    activate: dict[int, tuple[Any, ...]] = {}
    for found_of in (by_purl, by_cpe):
        for row, value in zip(rows, of_row, strict=True):
            found = found_of[value]
            if not found:
                continue
            outcome = outcomes[row.release_id]
            lookup = by_id.get(row.id)
            for f in found:
                hit = None
                if lookup:
                    hits = [lookup[a] for a in f.aliases if a in lookup]
                    if hits:
                        # the stored finding listed first (lowest id), as a scan over the
                        # stored rows finds it
                        hit = hits[0] if len(hits) == 1 else min(hits, key=_stored_id)
                if hit is None:
                    inserts.append(
                        (
                            row.release_id,
                            row.id,
                            f.advisory_id,
                            f.aliases_json,
                            f.related_json,
                            f.fixed_json,
                            f.severity,
                            stamp,
                            stamp,
                            snapshot_id,
                        )
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
                    or hit.aliases != f.aliases_list
                    or not _same(hit.related, f.related_json, f.related)
                    or not _same(hit.fixed_versions, f.fixed_json, f.fixed)
                    or hit.severity != f.severity
                ):
                    activate[hit.id] = (
                        f.advisory_id,
                        f.aliases_json,
                        f.related_json,
                        f.fixed_json,
                        f.severity,
                        stamp,
                        hit.id,
                    )
                    # The same stored row may be hit again by a later group: keep what it
                    # says now.
                    hit.advisory_id, hit.aliases, hit.status = (
                        f.advisory_id,
                        f.aliases_list,
                        "active",
                    )
    release_of = {r.id: r.release_id for r in rows}
    cause = f"feed:{snapshot_id}" if snapshot_id is not None else "scan"
    retract: list[tuple[Any, ...]] = []
    for stored in existing.values():
        for e in stored:
            if e.id in matched or e.status == "retracted":
                continue
            reason = (
                "advisory withdrawn" if e.ids() & gone else "no longer matches the knowledge base"
            )
            retract.append((reason, cause, stamp, e.id))
            outcomes[release_of[e.component_id]].retracted += 1
    # Unchanged findings are not written: that they still match is recorded by the scan's
    # sbom_scan activity (time, feed snapshot, counts).
    seal.before_change(session, "findings", [*activate, *(r[-1] for r in retract)])
    sql.activate(list(activate.values()))
    sql.retract(retract)
    if inserts:
        new_ids = sql.insert_findings(inserts)
        events: list[tuple[Any, ...]] = []
        kev_of: dict[tuple[str, ...], bool] = {}
        detail_of: dict[tuple[int, bool], str] = {}
        for fid, values_ in zip(new_ids, inserts, strict=True):
            ref = releases[values_[0]]
            if ref.status not in FIELDED:
                continue
            f_aliases, f_related = values_[3], values_[4]
            ids_key = (f_aliases, f_related)
            kev = kev_of.get(ids_key)
            if kev is None:
                ids = (*orjson.loads(f_aliases), *orjson.loads(f_related))
                kev = kev_of[ids_key] = kb.is_kev(ids)
            detail = detail_of.get((ref.id, kev))
            if detail is None:
                detail = detail_of[(ref.id, kev)] = _dumps(
                    {
                        "product": ref.product,
                        "release": ref.version,
                        "status": ref.status,
                        "kev": kev,
                    }  # fmt: skip
                )
            events.append(("release.newly_affected", ref.id, fid, values_[2], stamp, detail, False))
            outcomes[ref.id].events += 1
        sql.insert_events(events)
    if activate or retract:
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


def scan_activity(
    *,
    outcome: ScanOutcome,
    feed: FeedContext,
    kb: KnowledgeBase,
    started: dt.datetime,
    ended: dt.datetime,
    trigger: str,
    packages: Sequence[str] = (),
) -> activities.NewActivity:
    """The ``sbom_scan`` activity of one scanned (or re-matched) release."""
    scope: dict[str, Any] = {"components": outcome.components, "whole_release": not packages}
    if packages:
        scope["packages"] = list(packages)
    return activities.NewActivity(
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
    """Record the ``sbom_scan`` activity of one scanned (or re-matched) release."""
    item = scan_activity(
        outcome=outcome,
        feed=feed,
        kb=kb,
        started=started,
        ended=ended,
        trigger=trigger,
        packages=packages,
    )
    return activities.record_activities(session, actor=actor, items=[item])[0]


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
                select(m.Component.release_id, func.count())
                .where(m.Component.retired_by_sbom_id.is_(None))
                .group_by(m.Component.release_id)
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
        audit.append_many(
            session,
            (
                audit.Entry(
                    actor=actor,
                    action="release.scan",
                    object_type="release",
                    object_id=r,
                    detail=outcomes[r].as_dict(),
                )
                for r in batch
            ),
        )
        activities.record_activities(
            session,
            actor=actor,
            items=[
                scan_activity(
                    outcome=outcomes[r],
                    feed=feed,
                    kb=kb,
                    started=started,
                    ended=ended,
                    trigger="scan",
                )
                for r in batch
                if outcomes[r].components
            ],
        )
        out.extend(outcomes[r] for r in batch)
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
                    tuple_(m.Component.ecosystem, m.Component.match_name).in_(chunk),
                    m.Component.retired_by_sbom_id.is_(None),
                )
            ).all()
        )
    return out
