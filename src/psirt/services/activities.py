"""Records of proactive identification activities, finding dispositions, test plans, attack
surfaces and what is due.

Every change is audited through :func:`psirt.store.audit.append`: recording an activity
(``activity.record``), each disposition (``finding.dispose``), setting a test plan
(``plan.set``) and declaring an attack surface (``surface.set``). Dispositions are append-only;
the newest one of a finding is its current disposition.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tomllib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Table, and_, func, insert, select
from sqlalchemy.orm import Session, aliased

from psirt.domain.activity import (
    ActivityFact,
    ActivityType,
    AttackSurface,
    Disposition,
    DispositionKind,
    DueItem,
    ReleaseFact,
    TestPlan,
    evaluate_due,
)
from psirt.domain.reference import ReferenceKind
from psirt.errors import InputError, NotFound, UsageError
from psirt.ingest import limits
from psirt.ingest._json import load_json
from psirt.ingest.text import decode_utf8, replace_nul
from psirt.services import references
from psirt.services.catalog import get_product, get_release
from psirt.store import audit
from psirt.store import models as m
from psirt.store.models_activities import (
    Activity,
    ActivityInput,
    AttackSurfaceRow,
    FindingDisposition,
    ScanIdentity,
    ScanResultRow,
    TestPlanRow,
)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def activity_digest(act: Activity, input_sha256: str | None) -> str:
    return _activity_digest_of(
        {
            "id": act.id,
            "product_id": act.product_id,
            "release_id": act.release_id,
            "type": act.type,
            "tool": act.tool,
            "tool_version": act.tool_version,
            "build": act.build,
            "started": act.started,
            "ended": act.ended,
            "performer": act.performer,
            "independent": act.independent,
        },
        input_sha256,
    )


def _activity_digest_of(row: Mapping[str, Any], input_sha256: str | None) -> str:
    return audit.digest(
        {
            "type": "activity",
            "id": row["id"],
            "product_id": row["product_id"],
            "release_id": row["release_id"],
            "activity_type": row["type"],
            "tool": row["tool"],
            "tool_version": row["tool_version"],
            "build": row["build"],
            "started": row["started"],
            "ended": row["ended"],
            "performer": row["performer"],
            "independent": row["independent"],
            "input_sha256": input_sha256,
        }
    )


def store_input(session: Session, *, data: bytes, file_name: str, format: str) -> ActivityInput:
    """Keep a report file as evidence (content-addressed: the same bytes are stored once)."""
    sha = hashlib.sha256(data).hexdigest()
    row = session.scalar(select(ActivityInput).where(ActivityInput.sha256 == sha))
    if row is None:
        row = ActivityInput(
            sha256=sha, file_name=Path(file_name).name, format=format, size=len(data), content=data
        )
        session.add(row)
        session.flush()
    return row


def new_activity(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str | None,
    type: ActivityType,
    tool: str | None,
    tool_version: str | None,
    started: dt.datetime,
    ended: dt.datetime | None,
    scope: Mapping[str, Any],
    summary: Mapping[str, Any],
    method: str = "",
    build: str | None = None,
    performer: str | None = None,
    independent: bool = False,
    input_row: ActivityInput | None = None,
) -> Activity:
    """Insert an activity row (flushed, not yet audited: see :func:`audit_activity`)."""
    if version is not None:
        release = get_release(session, product, version)
        product_id, release_id = release.product_id, release.id
    else:
        product_id, release_id = get_product(session, product).id, None
    started = _utc(started)
    if ended is not None and _utc(ended) < started:
        raise UsageError(f"activity ends ({ended.isoformat()}) before it starts ({started})")
    act = Activity(
        product_id=product_id,
        release_id=release_id,
        type=type.value,
        method=method,
        tool=tool,
        tool_version=tool_version,
        build=build,
        scope=orjson.loads(audit.canonical(dict(scope))),
        started=started,
        ended=None if ended is None else _utc(ended),
        performer=performer or actor,
        independent=independent,
        input_id=None if input_row is None else input_row.id,
        summary=orjson.loads(audit.canonical(dict(summary))),
        recorded_by=actor,
        recorded_at=dt.datetime.now(dt.UTC),
    )
    session.add(act)
    session.flush()
    return act


def audit_activity(
    session: Session, act: Activity, *, actor: str, input_row: ActivityInput | None
) -> None:
    audit.append(
        session,
        actor=actor,
        action="activity.record",
        object_type="activity",
        object_id=act.id,
        after=activity_digest(act, None if input_row is None else input_row.sha256),
        detail={
            "type": act.type,
            "tool": act.tool,
            "input_sha256": None if input_row is None else input_row.sha256,
            "summary": act.summary,
        },
    )


def record_activity(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str | None,
    type: ActivityType | str,
    tool: str | None,
    tool_version: str | None,
    started: dt.datetime,
    ended: dt.datetime | None,
    scope: Mapping[str, Any],
    summary: Mapping[str, Any],
    method: str = "",
    build: str | None = None,
    performer: str | None = None,
    independent: bool = False,
) -> int:
    """Record an activity without a report file (an SBOM scan with its feed snapshot in
    ``summary``, a code review, a threat-model review); returns the activity id."""
    try:
        kind = ActivityType(type)
    except ValueError:
        raise UsageError(f"{type!r} is not an activity type") from None
    act = new_activity(
        session,
        actor=actor,
        product=product,
        version=version,
        type=kind,
        tool=tool,
        tool_version=tool_version,
        started=started,
        ended=ended,
        scope=scope,
        summary=summary,
        method=method,
        build=build,
        performer=performer,
        independent=independent,
    )
    audit_activity(session, act, actor=actor, input_row=None)
    return act.id


@dataclass(frozen=True, slots=True)
class NewActivity:
    """One activity for :func:`record_activities` (the arguments of :func:`record_activity`)."""

    product: str
    version: str | None
    type: ActivityType | str
    tool: str | None
    tool_version: str | None
    started: dt.datetime
    ended: dt.datetime | None
    scope: Mapping[str, Any]
    summary: Mapping[str, Any]


def _resolve_releases(
    session: Session, wanted: set[tuple[str, str | None]]
) -> dict[tuple[str, str | None], tuple[int, int | None]]:
    """(product, version or None) -> (product id, release id), two queries in all."""
    names = sorted({p for p, _ in wanted})
    products: dict[str, int] = {}
    for start in range(0, len(names), 900):
        products.update(
            (name, pid)
            for name, pid in session.execute(
                select(m.Product.name, m.Product.id).where(
                    m.Product.name.in_(names[start : start + 900])
                )
            )
        )
    ids = sorted(set(products.values()))
    releases: dict[tuple[int, str], int] = {}
    for start in range(0, len(ids), 900):
        releases.update(
            ((owner, number), release_id)
            for owner, number, release_id in session.execute(
                select(m.Release.product_id, m.Release.version, m.Release.id).where(
                    m.Release.product_id.in_(ids[start : start + 900])
                )
            )
        )
    out: dict[tuple[str, str | None], tuple[int, int | None]] = {}
    for product, version in sorted(wanted, key=lambda k: (k[0], k[1] or "")):
        pid = products.get(product)
        if pid is None:  # get_product raises NotFound with the usual message
            pid = get_product(session, product).id
        if version is None:
            out[(product, version)] = (pid, None)
            continue
        rid = releases.get((pid, version))
        if rid is None:  # get_release raises NotFound with the usual message
            rid = get_release(session, product, version).id
        out[(product, version)] = (pid, rid)
    return out


def record_activities(session: Session, *, actor: str, items: Sequence[NewActivity]) -> list[int]:
    """Record many activities without report files at once; returns their ids in order.

    The same rows and audit events as :func:`record_activity` called for each item in turn
    (one ``activity.record`` event per activity, in order), with products and releases
    resolved in two queries and the rows inserted in bulk.
    """
    if not items:
        return []
    kinds: list[ActivityType] = []
    for item in items:
        try:
            kinds.append(ActivityType(item.type))
        except ValueError:
            raise UsageError(f"{item.type!r} is not an activity type") from None
    where = _resolve_releases(session, {(i.product, i.version) for i in items})
    recorded_at = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    for item, kind in zip(items, kinds, strict=True):
        started = _utc(item.started)
        ended = None
        if item.ended is not None:
            ended = _utc(item.ended)
            if ended < started:
                raise UsageError(
                    f"activity ends ({item.ended.isoformat()}) before it starts ({started})"
                )
        product_id, release_id = where[(item.product, item.version)]
        rows.append(
            {
                "product_id": product_id,
                "release_id": release_id,
                "type": kind.value,
                "method": "",
                "tool": item.tool,
                "tool_version": item.tool_version,
                "build": None,
                "scope": orjson.loads(audit.canonical(dict(item.scope))),
                "started": started,
                "ended": ended,
                "performer": actor,
                "independent": False,
                "input_id": None,
                "summary": orjson.loads(audit.canonical(dict(item.summary))),
                "recorded_by": actor,
                "recorded_at": recorded_at,
            }
        )
    table = typing.cast(Table, Activity.__table__)
    ids = list(
        session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        ).scalars()
    )
    entries = []
    for act_id, row in zip(ids, rows, strict=True):
        after = _activity_digest_of({**row, "id": act_id}, None)
        entries.append(
            audit.Entry(
                actor=actor,
                action="activity.record",
                object_type="activity",
                object_id=act_id,
                after=after,
                detail={
                    "type": row["type"],
                    "tool": row["tool"],
                    "input_sha256": None,
                    "summary": row["summary"],
                },
            )
        )
    audit.append_many(session, entries)
    return ids


# ---------------------------------------------------------------------------------------------
# Listing


@dataclass(frozen=True, slots=True)
class ActivityView:
    id: int
    product: str
    release: str | None
    type: str
    method: str
    tool: str | None
    tool_version: str | None
    build: str | None
    scope: dict[str, Any]
    started: dt.datetime
    ended: dt.datetime | None
    performer: str
    independent: bool
    input_file: str | None
    input_sha256: str | None
    summary: dict[str, Any]
    recorded_by: str


def list_activities(
    session: Session, *, product: str | None = None, type: ActivityType | None = None
) -> list[ActivityView]:
    q = (
        select(Activity, m.Product.name, m.Release.version, ActivityInput.file_name)
        .join(m.Product, Activity.product_id == m.Product.id)
        .outerjoin(m.Release, Activity.release_id == m.Release.id)
        .outerjoin(ActivityInput, Activity.input_id == ActivityInput.id)
        .order_by(Activity.id)
    )
    if product is not None:
        q = q.where(Activity.product_id == get_product(session, product).id)
    if type is not None:
        q = q.where(Activity.type == type.value)
    shas = dict(session.execute(select(ActivityInput.id, ActivityInput.sha256)).all())
    return [
        ActivityView(
            a.id,
            pname,
            rversion,
            a.type,
            a.method,
            a.tool,
            a.tool_version,
            a.build,
            a.scope,
            a.started,
            a.ended,
            a.performer,
            a.independent,
            fname,
            shas.get(a.input_id) if a.input_id is not None else None,
            a.summary,
            a.recorded_by,
        )
        for a, pname, rversion, fname in session.execute(q).all()
    ]


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding identity with what its newest sighting said and its current disposition."""

    id: int
    product: str
    fingerprint: str
    tool: str
    activity_type: str
    rule_id: str
    severity: str
    title: str
    message: str
    location: dict[str, Any] | None
    suppressed: bool
    first_activity: int
    last_activity: int
    gone_activity: int | None
    gone_at: dt.datetime | None
    disposition: dict[str, Any] | None
    new: bool  # first seen (or back) in the activity the view is about
    first_seen: dt.datetime  # when the first activity that reported it was imported

    @property
    def open(self) -> bool:
        return self.gone_activity is None and self.disposition is None and not self.suppressed


def location_text(location: dict[str, Any] | None) -> str:
    """Where a scanner finding is, in one line: ``path:line``, ``GET url [param]``,
    ``purl@version``."""
    if not location:
        return ""
    match location.get("type"):
        case "code":
            line = location.get("start_line")
            return f"{location.get('path', '')}:{line}" if line else str(location.get("path", ""))
        case "web":
            method = location.get("method")
            param = location.get("parameter")
            head = f"{method} " if method else ""
            tail = f" [{param}]" if param else ""
            return f"{head}{location.get('url', '')}{tail}"
        case "package":
            version = location.get("version")
            name = str(location.get("purl") or location.get("name", ""))
            return f"{name}@{version}" if version and "@" not in name else name
        case _:
            return ""


def _current_dispositions(
    session: Session, ids: Sequence[int | None]
) -> dict[int, FindingDisposition]:
    wanted = [i for i in ids if i is not None]
    out: dict[int, FindingDisposition] = {}
    for start in range(0, len(wanted), 900):
        for d in session.scalars(
            select(FindingDisposition).where(FindingDisposition.id.in_(wanted[start : start + 900]))
        ):
            out[d.id] = d
    return out


def disposition_dict(d: FindingDisposition) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "issue_id": d.issue_id,
        "duplicate_of": d.duplicate_of_id,
        "reference": d.reference,
        "rationale": d.rationale,
        "actor": d.actor,
        "at": d.at,
    }


def list_findings(
    session: Session,
    *,
    activity: int | None = None,
    product: str | None = None,
    open_only: bool = False,
    identity_ids: Sequence[int] | None = None,
) -> list[FindingView]:
    """Findings of one activity (as that run saw them) or of a product (newest sighting)."""
    ident = ScanIdentity
    res: Any = ScanResultRow
    if activity is not None:
        if session.get(Activity, activity) is None:
            raise NotFound(f"activity {activity} does not exist (see 'psirt activities list')")
        q = (
            select(ident, ScanResultRow, m.Product.name)
            .join(ScanResultRow, ScanResultRow.identity_id == ident.id)
            .join(m.Product, ident.product_id == m.Product.id)
            .where(ScanResultRow.activity_id == activity)
        )
    else:
        res = aliased(ScanResultRow)
        q = (
            select(ident, res, m.Product.name)
            .join(
                res,
                and_(res.identity_id == ident.id, res.activity_id == ident.last_activity_id),
            )
            .join(m.Product, ident.product_id == m.Product.id)
        )
        if product is not None:
            q = q.where(ident.product_id == get_product(session, product).id)
    if identity_ids is not None:
        q = q.where(ident.id.in_(list(identity_ids)))
    if open_only:
        q = q.where(
            ident.gone_activity_id.is_(None),
            ident.disposition.is_(None),
            res.suppressed.is_(False),
        )
    rows = session.execute(q.order_by(ident.id)).all()
    current = _current_dispositions(session, [i.disposition_id for i, _r, _p in rows])
    return [
        FindingView(
            i.id,
            pname,
            i.fingerprint,
            i.tool,
            i.activity_type,
            i.rule_id,
            r.severity,
            r.title,
            r.message,
            r.location,
            r.suppressed,
            i.first_activity_id,
            i.last_activity_id,
            i.gone_activity_id,
            i.gone_at,
            disposition_dict(current[i.disposition_id]) if i.disposition_id in current else None,
            r.new,
            i.first_seen,
        )
        for i, r, pname in rows
    ]


# ---------------------------------------------------------------------------------------------
# Dispositions


def dispose(
    session: Session, *, actor: str, finding_id: int, disposition: Disposition
) -> FindingDisposition:
    """Append a disposition to a finding; it becomes the current one. Audited.

    A ``reference`` (required for ``accepted``, allowed for every kind) must name a stored
    record (``psirt.domain.reference``); the resolved, canonical reference is stored.
    """
    identity = session.get(ScanIdentity, finding_id)
    if identity is None:
        raise NotFound(f"finding {finding_id} does not exist (see 'psirt scans findings')")
    given = disposition.reference.strip()
    if given:
        resolved = references.resolve(session, given)
        if resolved.kind is ReferenceKind.SCAN_FINDING and resolved.number == identity.id:
            raise UsageError(f"--reference {given!r}: finding {finding_id} cannot justify itself")
        disposition = dataclasses.replace(disposition, reference=str(resolved))
    if disposition.issue_id is not None:
        if session.get(m.SecurityIssue, disposition.issue_id) is None:
            raise NotFound(f"security issue {disposition.issue_id} does not exist")
    if disposition.kind is DispositionKind.DUPLICATE:
        other = session.get(ScanIdentity, disposition.duplicate_of)
        if other is None:
            raise NotFound(f"finding {disposition.duplicate_of} does not exist")
        if other.id == identity.id:
            raise UsageError(f"finding {finding_id} cannot be a duplicate of itself")
        if other.product_id != identity.product_id:
            raise UsageError(
                f"finding {finding_id} and finding {other.id} belong to different products"
            )
    before = None
    if identity.disposition_id is not None:
        prev = session.get(FindingDisposition, identity.disposition_id)
        before = None if prev is None else _disposition_digest(prev)
    row = FindingDisposition(
        identity_id=identity.id,
        kind=disposition.kind.value,
        issue_id=disposition.issue_id,
        duplicate_of_id=disposition.duplicate_of,
        reference=disposition.reference.strip(),
        rationale=disposition.rationale.strip(),
        actor=actor,
        at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    identity.disposition = row.kind
    identity.disposition_id = row.id
    audit.append(
        session,
        actor=actor,
        action="finding.dispose",
        object_type="scan_finding",
        object_id=identity.id,
        before=before,
        after=_disposition_digest(row),
        detail={
            "fingerprint": identity.fingerprint,
            **disposition.as_dict(),
            **({"reference_given": given} if given and given != disposition.reference else {}),
        },
    )
    return row


def _disposition_digest(d: FindingDisposition) -> str:
    return audit.digest(
        {
            "type": "finding_disposition",
            "id": d.id,
            "identity_id": d.identity_id,
            "kind": d.kind,
            "issue_id": d.issue_id,
            "duplicate_of": d.duplicate_of_id,
            "reference": d.reference,
            "rationale": d.rationale,
            "actor": d.actor,
            "at": d.at,
        }
    )


def disposition_history(session: Session, finding_id: int) -> list[dict[str, Any]]:
    if session.get(ScanIdentity, finding_id) is None:
        raise NotFound(f"finding {finding_id} does not exist (see 'psirt scans findings')")
    return [
        disposition_dict(d)
        for d in session.scalars(
            select(FindingDisposition)
            .where(FindingDisposition.identity_id == finding_id)
            .order_by(FindingDisposition.id)
        )
    ]


# ---------------------------------------------------------------------------------------------
# Test plans and attack surfaces


def _read_limited(path: Path) -> bytes:
    return limits.read_file(path, limits.resolve(limits.InputKind.RECORD))


def _decode_toml(data: bytes, source: str) -> dict[str, Any]:
    text = decode_utf8(data, source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, None, f"not valid TOML: {exc}") from None
    replace_nul(doc)
    return doc


def parse_plan(data: bytes, source: str) -> TestPlan:
    return TestPlan.from_mapping(_decode_toml(data, source), source)


def parse_surface(data: bytes, source: str) -> AttackSurface:
    """An attack-surface declaration in JSON (``{`` first) or TOML."""
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    doc = load_json(data, source) if body.startswith(b"{") else _decode_toml(data, source)
    return AttackSurface.from_mapping(doc, source)


def read_plan_file(path: Path) -> tuple[bytes, TestPlan]:
    data = _read_limited(path)
    return data, parse_plan(data, str(path))


def read_surface_file(path: Path) -> tuple[bytes, AttackSurface]:
    data = _read_limited(path)
    return data, parse_surface(data, str(path))


def set_plan(
    session: Session, *, actor: str, product: str, data: bytes, plan: TestPlan, file_name: str
) -> TestPlanRow:
    prod = get_product(session, product)
    row = TestPlanRow(
        product_id=prod.id,
        body=plan.as_dict(),
        sha256=hashlib.sha256(data).hexdigest(),
        file_name=Path(file_name).name,
        content=data,
        set_by=actor,
        set_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="plan.set",
        object_type="test_plan",
        object_id=row.id,
        after=audit.digest({"product": prod.id, "plan": row.body, "sha256": row.sha256}),
        detail={"product": prod.name, "sha256": row.sha256},
    )
    return row


def current_plan(session: Session, product: str) -> tuple[TestPlan, TestPlanRow] | None:
    prod = get_product(session, product)
    row = session.scalar(
        select(TestPlanRow)
        .where(TestPlanRow.product_id == prod.id)
        .order_by(TestPlanRow.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    return TestPlan.from_mapping(row.body, f"test plan {row.id}"), row


def set_surface(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    data: bytes,
    surface: AttackSurface,
    file_name: str,
) -> tuple[AttackSurfaceRow, str | None]:
    """Declare a release's attack surface; returns the row and the change against the
    previous declared release of the product (``None`` when there is none or no change)."""
    release = get_release(session, product, version)
    row = AttackSurfaceRow(
        release_id=release.id,
        body=surface.as_dict(),
        sha256=hashlib.sha256(data).hexdigest(),
        file_name=Path(file_name).name,
        content=data,
        declared_by=actor,
        declared_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    change = None
    prev = _previous_surface(session, release)
    if prev is not None:
        delta = prev[1].diff(surface)
        if delta.changed:
            change = f"changed from release {prev[0]}: {delta.describe()}"
    audit.append(
        session,
        actor=actor,
        action="surface.set",
        object_type="attack_surface",
        object_id=row.id,
        after=audit.digest({"release": release.id, "surface": row.body, "sha256": row.sha256}),
        detail={"product": product, "release": version, "change": change},
    )
    return row, change


def _surfaces_by_release(session: Session, product_id: int) -> dict[int, AttackSurface]:
    newest = (
        select(func.max(AttackSurfaceRow.id))
        .join(m.Release, AttackSurfaceRow.release_id == m.Release.id)
        .where(m.Release.product_id == product_id)
        .group_by(AttackSurfaceRow.release_id)
    )
    return {
        row.release_id: AttackSurface.from_mapping(row.body, f"attack surface {row.id}")
        for row in session.scalars(select(AttackSurfaceRow).where(AttackSurfaceRow.id.in_(newest)))
    }


def _previous_surface(session: Session, release: m.Release) -> tuple[str, AttackSurface] | None:
    surfaces = _surfaces_by_release(session, release.product_id)
    releases = session.scalars(
        select(m.Release)
        .where(m.Release.product_id == release.product_id, m.Release.id < release.id)
        .order_by(m.Release.id.desc())
    )
    for r in releases:
        if r.id in surfaces:
            return r.version, surfaces[r.id]
    return None


def current_surface(session: Session, product: str, version: str) -> AttackSurface | None:
    release = get_release(session, product, version)
    return _surfaces_by_release(session, release.product_id).get(release.id)


# ---------------------------------------------------------------------------------------------
# What is due


@dataclass(frozen=True, slots=True)
class DueView:
    product: str
    type: str
    status: str
    release: str | None
    deadline: dt.date | None
    reason: str


def due(
    session: Session, *, product: str | None = None, now: dt.datetime | None = None
) -> list[DueView]:
    """What is due or overdue for one product or every product with a plan or surfaces."""
    now = _utc(now or dt.datetime.now(dt.UTC))
    products = (
        [get_product(session, product)]
        if product is not None
        else list(session.scalars(select(m.Product).order_by(m.Product.name)))
    )
    out: list[DueView] = []
    for prod in products:
        planned = current_plan(session, prod.name)
        surfaces = _surfaces_by_release(session, prod.id)
        releases = list(
            session.scalars(
                select(m.Release).where(m.Release.product_id == prod.id).order_by(m.Release.id)
            )
        )
        if planned is None and not surfaces:
            continue
        versions = {r.id: r.version for r in releases}
        facts = [
            ActivityFact(
                ActivityType(a.type),
                versions.get(a.release_id) if a.release_id is not None else None,
                a.build,
                a.started,
                a.ended,
                a.independent,
            )
            for a in session.scalars(select(Activity).where(Activity.product_id == prod.id))
        ]
        items: list[DueItem] = evaluate_due(
            planned[0] if planned else None,
            plan_since=planned[1].set_at if planned else None,
            releases=[
                ReleaseFact(r.version, r.status, r.created_at, surfaces.get(r.id)) for r in releases
            ],
            activities=facts,
            now=now,
        )
        out.extend(
            DueView(prod.name, i.type.value, i.status.value, i.release, i.deadline, i.reason)
            for i in items
        )
    return out
