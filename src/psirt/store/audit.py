"""The tamper-evident audit trail.

Every change made through a service appends one :class:`AuditEvent`. Each event's hash is
``sha256(prev_hash + canonical_json(fields))``; the first event chains from 64 zeros. Verification
recomputes the chain and, for every audited object that still exists, compares the digest of its
current row with the ``after_digest`` of its newest event, so both an edited audit row and a
data row edited behind psirt's back are caught.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from psirt.store import models as m
from psirt.store import models_release_gate as mrg
from psirt.store import seal

GENESIS = "0" * 64
SEAL_ACTION = "store.seal"
AUDIT_EVENTS = typing.cast(Table, m.AuditEvent.__table__)


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


# Columns that describe an audited object; a direct edit of any of them breaks verification.
_AUDITED: dict[str, tuple[type[m.Base], tuple[str, ...]]] = {
    "product": (m.Product, ("id", "name", "description", "manufacturer")),
    "release": (m.Release, ("id", "product_id", "version", "status", "released_on")),
    "sbom": (m.SbomDocument, ("id", "release_id", "sha256", "file_name", "imported_by")),
    "issue": (m.SecurityIssue, ("id", "title", "state", "created_by")),
    "component_support": (
        m.ComponentSupport,
        ("id", "product_id", "component_key", "item_class", "support_end"),
    ),
    "release_gate_review": (
        mrg.ReleaseGateReviewRow,
        ("id", "release_id", "seq", "body", "digest", "sha256", "policy_digest", "recorded_by"),
    ),
    "release_gate_decision": (
        mrg.ReleaseGateDecisionRow,
        (
            "id",
            "release_id",
            "kind",
            "status",
            "review_id",
            "review_digest",
            "covered",
            "justification",
            "policy_digest",
            "decided_by",
        ),
    ),
}


def object_digest(row: m.Base) -> str:
    for kind, (model, cols) in _AUDITED.items():
        if isinstance(row, model):
            return digest({"type": kind, **{c: getattr(row, c) for c in cols}})
    raise TypeError(f"not an audited object: {type(row).__name__}")


def _event_payload(ev: m.AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": ev.at.astimezone(dt.UTC).isoformat(),
        "actor": ev.actor,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "before": ev.before_digest,
        "after": ev.after_digest,
        "detail": ev.detail,
    }


def chain_hash(prev_hash: str, ev: m.AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(_event_payload(ev))).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({seal.CHAIN_LOCK})"))


def _tip(session: Session) -> tuple[int, str]:
    """Sequence number and hash of the newest event (the chain is locked on first use)."""
    tip: tuple[int, str] | None = session.info.get("audit_tip")
    if tip is None:
        _lock_chain(session)
        session.flush()
        last = session.execute(
            select(m.AuditEvent.seq, m.AuditEvent.hash).order_by(m.AuditEvent.seq.desc()).limit(1)
        ).first()
        tip = (last[0], last[1]) if last else (0, GENESIS)
    return tip


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: str | None = None,
    after: str | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> m.AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    seq, prev = _tip(session)
    seq += 1
    now = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    # Microsecond precision survives every backend; hash what will be read back.
    ev = m.AuditEvent(
        seq=seq,
        at=now,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before_digest=before,
        after_digest=after,
        detail=orjson.loads(canonical(detail or {})),
        prev_hash=prev,
        hash="",
    )
    ev.hash = chain_hash(prev, ev)
    session.add(ev)
    session.info["audit_tip"] = (seq, ev.hash)
    session.info["audit_actor"] = actor
    return ev


def amend_tip(session: Session, extra: dict[str, Any]) -> int:
    """Add ``extra`` to the detail of the newest event, appended in this transaction, and
    rehash it (nothing follows it yet); returns its sequence number."""
    seq, _ = session.info["audit_tip"]
    session.flush()
    ev = session.scalars(select(m.AuditEvent).where(m.AuditEvent.seq == seq)).one()
    ev.detail = orjson.loads(canonical({**ev.detail, **extra}))
    ev.hash = chain_hash(ev.prev_hash, ev)
    session.flush()
    session.info["audit_tip"] = (seq, ev.hash)
    return int(seq)


@dataclass(frozen=True, slots=True)
class Entry:
    """One event for :func:`append_many` (the arguments of :func:`append`)."""

    actor: str
    action: str
    object_type: str
    object_id: str | int
    before: str | None = None
    after: str | None = None
    detail: dict[str, Any] | None = None


def append_many(
    session: Session, entries: Iterable[Entry], *, at: dt.datetime | None = None
) -> int:
    """Append ``entries`` in order, as :func:`append` would one by one, with one bulk
    ``INSERT``; returns how many were appended. Same chain, same hashes."""
    seq, prev = _tip(session)
    now = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    stamp = now.isoformat()
    rows: list[dict[str, Any]] = []
    for e in entries:
        seq += 1
        detail = orjson.loads(canonical(e.detail or {}))
        payload = {
            "seq": seq,
            "at": stamp,
            "actor": e.actor,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": str(e.object_id),
            "before": e.before,
            "after": e.after,
            "detail": detail,
        }
        digest_ = hashlib.sha256(prev.encode() + canonical(payload)).hexdigest()
        rows.append(
            {
                "seq": seq,
                "at": now,
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": str(e.object_id),
                "before_digest": e.before,
                "after_digest": e.after,
                "detail": detail,
                "prev_hash": prev,
                "hash": digest_,
            }
        )
        prev = digest_
    if rows:
        session.execute(insert(AUDIT_EVENTS), rows)
        session.info["audit_tip"] = (seq, prev)
        session.info["audit_actor"] = rows[-1]["actor"]
    return len(rows)


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    obj: m.Base,
    before: str | None = None,
    detail: dict[str, Any] | None = None,
) -> m.AuditEvent:
    """Audit a change of an audited object; call after the change is applied and flushed."""
    session.flush()
    kind = next(k for k, (model, _) in _AUDITED.items() if isinstance(obj, model))
    return append(
        session,
        actor=actor,
        action=action,
        object_type=kind,
        object_id=str(obj.id),  # type: ignore[attr-defined]
        before=before,
        after=object_digest(obj),
        detail=detail,
    )


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    seq: int | None
    object: str
    reason: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    events: int
    problems: tuple[VerifyProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    session: Session,
    progress: Callable[[int], None] | None = None,
    *,
    expected_head: Head | None = None,
) -> VerifyReport:
    """Recompute the chain, compare every audited object's row with its newest event and
    every evidence table with its newest seal; with ``expected_head`` (exported earlier by
    :func:`head`), check that the chain still holds that event."""
    problems: list[VerifyProblem] = []
    prev = GENESIS
    expected_seq = 1
    latest: dict[tuple[str, str], tuple[int, str | None]] = {}
    seals = seal.SealChain()
    count = 0
    rows: Iterable[m.AuditEvent] = session.scalars(
        select(m.AuditEvent).order_by(m.AuditEvent.seq).execution_options(yield_per=2000)
    )
    for ev in rows:
        count += 1
        if ev.seq != expected_seq:
            problems.append(
                VerifyProblem(ev.seq, "audit_events", f"sequence gap: expected {expected_seq}")
            )
        if ev.prev_hash != prev:
            problems.append(
                VerifyProblem(ev.seq, "audit_events", "prev_hash does not match the event before")
            )
        if chain_hash(ev.prev_hash, ev) != ev.hash:
            problems.append(
                VerifyProblem(ev.seq, "audit_events", "event content does not match its hash")
            )
        prev = ev.hash
        expected_seq = ev.seq + 1
        if ev.after_digest is not None or ev.action.endswith(".delete"):
            latest[(ev.object_type, ev.object_id)] = (ev.seq, ev.after_digest)
        if "seal" in ev.detail:
            seals.add(ev.seq, ev.detail)
        if progress is not None:
            progress(count)
    for kind, (model, _cols) in _AUDITED.items():
        seen_ids: set[str] = set()
        for row in session.scalars(select(model)):
            oid = str(row.id)  # type: ignore[attr-defined]
            seen_ids.add(oid)
            entry = latest.get((kind, oid))
            if entry is None:
                problems.append(VerifyProblem(None, f"{kind} {oid}", "row has no audit event"))
            elif entry[1] != object_digest(row):
                problems.append(
                    VerifyProblem(
                        entry[0], f"{kind} {oid}", "row differs from its last audited state"
                    )
                )
        for (k, oid), (seq, after) in latest.items():
            if k == kind and after is not None and oid not in seen_ids:
                problems.append(VerifyProblem(seq, f"{kind} {oid}", "audited row is missing"))
    problems.extend(VerifyProblem(p.seq, p.object, p.reason) for p in seal.verify(session, seals))
    if expected_head is not None:
        problems.extend(_check_head(session, expected_head))
    problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return VerifyReport(count, tuple(problems))


@dataclass(frozen=True, slots=True)
class Head:
    """The newest event of the chain: kept outside the database, it shows a cut-off tail."""

    seq: int
    hash: str
    at: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "at": self.at}


def head(session: Session) -> Head | None:
    last = session.execute(
        select(m.AuditEvent.seq, m.AuditEvent.hash, m.AuditEvent.at)
        .order_by(m.AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    return Head(int(last[0]), str(last[1]), last[2].astimezone(dt.UTC).isoformat())


def _check_head(session: Session, expected: Head) -> list[VerifyProblem]:
    found = session.execute(
        select(m.AuditEvent.hash).where(m.AuditEvent.seq == expected.seq)
    ).scalar()
    where = f"head {expected.seq} exported at {expected.at}" if expected.at else "exported head"
    if found is None:
        newest = head(session)
        now = f"the chain ends at event {newest.seq}" if newest else "the chain is empty"
        return [
            VerifyProblem(
                expected.seq, where, f"event {expected.seq} is missing: {now} (tail cut off)"
            )
        ]
    if found != expected.hash:
        return [
            VerifyProblem(expected.seq, where, "the event's hash differs from the exported head")
        ]
    return []


def newest(session: Session, *, limit: int, object_type: str | None = None) -> list[m.AuditEvent]:
    """The newest ``limit`` events, newest first (of one object type if given)."""
    q = select(m.AuditEvent).order_by(m.AuditEvent.seq.desc()).limit(limit)
    if object_type:
        q = q.where(m.AuditEvent.object_type == object_type)
    return list(session.scalars(q))


def event_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(m.AuditEvent)) or 0)
