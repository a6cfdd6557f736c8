"""Security issues: intake, gated transitions, signatures and the record history, in the store.

Every command follows one path: lock the issue row, load its events (ordered by ``seq``),
rebuild the aggregate with ``SecurityIssue.from_events`` under the active policy, call the
transition (its gate raises ``GateNotMet`` naming every missing record), append the new events
as ``issue_events`` rows (never updated or deleted), and change ``security_issues.state``
through ``audit.record_change`` with the event digests, the policy digest and the signature
digests in the audit detail. The caller's unit of work makes it one transaction.

Signatures: the acting user may sign what they submit (``sign=``); other people sign the same
record beforehand with ``sign_records`` (an ``issue.sign`` audit event holding the signature).
A transition uses every not-yet-used signature whose digest covers one of its records.

What psirt can compute goes into the record before anyone signs it: the risk status and SSVC
priority of R3, the re-scan of R9 and the SBOM evidence and VEX statuses of R10
(``issue_facts``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from psirt.domain.issue import (
    TERMINAL,
    Action,
    Deadline,
    Event,
    ReleaseResolution,
    SecurityIssue,
    State,
    assess,
)
from psirt.domain.policy import Policy
from psirt.domain.records import (
    AffectedRelease,
    Analysis,
    ChangeImpactReview,
    ChangeRequest,
    Closure,
    CrossProduct,
    CustomerNotice,
    DisclosureDecision,
    Duplicate,
    Intake,
    IntakeSource,
    ItemClass,
    NotAffected,
    Override,
    PostFix,
    Record,
    ReleaseAdvisory,
    ReleaseStatus,
    Reopen,
    Reportability,
    ReporterAcknowledgement,
    ResolutionDecision,
    Rework,
    RiskAcceptance,
    Role,
    Signature,
    SignatureMeaning,
    ThirdPartyNotice,
    Triage,
    Verification,
    check_text,
    key_name,
)
from psirt.errors import Conflict, InputError, IntegrityError, NotFound, UsageError
from psirt.ingest import limits
from psirt.ingest.text import decode_utf8
from psirt.matching.knowledge import kev_listed
from psirt.services import issue_facts, policy_store, scanning
from psirt.services.findings import stored_findings
from psirt.store import audit
from psirt.store import models as m

# The record each single-record transition takes.
SINGLE_RECORD: dict[Action, type[Record]] = {
    Action.TRIAGE: Triage,
    Action.CLOSE_NOT_AFFECTED: NotAffected,
    Action.CLOSE_DUPLICATE: Duplicate,
    Action.ANALYZE: Analysis,
    Action.START_REMEDIATION: ChangeRequest,
    Action.VERIFY: Verification,
    Action.REWORK: Rework,
    Action.RELEASE: ReleaseAdvisory,
    Action.MONITOR: PostFix,
    Action.ACCEPT_RISK: RiskAcceptance,
    Action.CLOSE: Closure,
    Action.REOPEN: Reopen,
    Action.OVERRIDE: Override,
}

# Records added without a state change, by kind and by a friendlier alias.
ATTACHABLE: dict[str, type[Record]] = {
    cls.KIND: cls
    for cls in (
        ReporterAcknowledgement,
        Reportability,
        ThirdPartyNotice,
        CustomerNotice,
        CrossProduct,
        ChangeImpactReview,
        DisclosureDecision,
    )
}
ATTACH_ALIASES: dict[str, str] = {
    "reporter-ack": ReporterAcknowledgement.KIND,
    "reportability": Reportability.KIND,
    "third-party": ThirdPartyNotice.KIND,
    "customer-notice": CustomerNotice.KIND,
    "cross-product": CrossProduct.KIND,
    "change-impact": ChangeImpactReview.KIND,
    "disclosure": DisclosureDecision.KIND,
}
DECISION_TABLES = ("disclosure", "resolution", "cross_product")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- record files


def _plain(value: Any, source: str, where: str) -> Any:
    """TOML values as the JSON types the record codecs read (dates as ISO 8601 text)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        raise InputError(source, where or None, "a time of day needs a date")
    if isinstance(value, dict):
        return {k: _plain(v, source, f"{where}.{k}" if where else k) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, source, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def parse_record_document(data: bytes, *, source: str) -> dict[str, Any]:
    """A record file's top-level table: JSON when it starts with ``{``, TOML otherwise."""
    text = decode_utf8(data, source, keep_nul=True)  # a record refuses NUL naming the field
    try:
        if text.lstrip().startswith("{") or source.lower().endswith(".json"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    source, f"line {exc.lineno}", f"not valid JSON: {exc.msg}"
                ) from None
            except ValueError:  # Python refuses integers of more than 4300 digits
                raise InputError(source, None, "not valid JSON: a number is too long") from None
        else:
            try:
                value = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise InputError(source, None, f"not valid TOML: {exc}") from None
            except ValueError:  # Python refuses integers of more than 4300 digits
                raise InputError(source, None, "not valid TOML: a number is too long") from None
        if not isinstance(value, dict):
            raise InputError(source, None, "expected an object (a table) at the top level")
        plain = _plain(value, source, "")
    except RecursionError:
        raise InputError(source, None, "nested too deeply") from None
    assert isinstance(plain, dict)
    return plain


def read_record_file(path: Path) -> dict[str, Any]:
    data = limits.read_file(path, limits.resolve(limits.InputKind.RECORD))
    return parse_record_document(data, source=str(path))


def record_from_data(
    cls: type[Record], data: dict[str, Any], *, source: str, location: str | None = None
) -> Record:
    """``cls.from_dict``: one ``InputError`` naming ``source`` and every bad field."""
    return cls.from_dict(data, source=source, location=location)


@dataclass(frozen=True, slots=True)
class DecisionRecords:
    """The records of one decision file."""

    disclosure: DisclosureDecision
    resolutions: tuple[ResolutionDecision, ...]
    cross_product: CrossProduct
    change_request: ChangeRequest | None

    @property
    def records(self) -> list[Record]:
        """R4, every R5, R12 (the records of the decide transition)."""
        return [self.disclosure, *self.resolutions, self.cross_product]


def decision_from_data(data: dict[str, Any], *, source: str) -> DecisionRecords:
    """R4, one or more R5, R12 (and an optional change request) from the ``[disclosure]``,
    ``[resolution]`` (or ``[[resolution]]``, one per group of releases), ``[cross_product]``
    (and ``[change_request]``) tables; one error naming every problem."""
    problems: list[tuple[str | None, str]] = [
        (
            key_name(name),
            "unknown table (expected disclosure, resolution, cross_product, change_request)",
        )
        for name in sorted(set(data) - {*DECISION_TABLES, "change_request"})
    ]
    problems.extend((name, "missing table") for name in DECISION_TABLES if name not in data)
    found: dict[str, list[Record]] = {}

    def read(cls: type[Record], name: str, raw: Any, location: str) -> None:
        try:
            found.setdefault(name, []).append(
                record_from_data(cls, raw, source=source, location=location)
            )
        except InputError as exc:
            problems.extend(exc.problems)

    if "disclosure" in data:
        read(DisclosureDecision, "disclosure", data["disclosure"], "disclosure")
    raw_resolutions = data.get("resolution")
    if isinstance(raw_resolutions, list):
        if not raw_resolutions:
            problems.append(("resolution", "at least one resolution is needed"))
        for i, raw in enumerate(raw_resolutions):
            read(ResolutionDecision, "resolution", raw, f"resolution[{i}]")
    elif "resolution" in data:
        read(ResolutionDecision, "resolution", raw_resolutions, "resolution")
    if "cross_product" in data:
        read(CrossProduct, "cross_product", data["cross_product"], "cross_product")
    if "change_request" in data:
        read(ChangeRequest, "change_request", data["change_request"], "change_request")
    if problems:
        raise InputError.of(source, problems)
    (d,), (c,) = found["disclosure"], found["cross_product"]
    crs = found.get("change_request", [])
    assert isinstance(d, DisclosureDecision) and isinstance(c, CrossProduct)
    rs = tuple(r for r in found["resolution"] if isinstance(r, ResolutionDecision))
    cr = crs[0] if crs else None
    assert cr is None or isinstance(cr, ChangeRequest)
    return DecisionRecords(d, rs, c, cr)


def attach_kind(kind: str) -> type[Record]:
    name = ATTACH_ALIASES.get(kind, kind)
    cls = ATTACHABLE.get(name)
    if cls is None:
        allowed = ", ".join([*ATTACH_ALIASES, *ATTACHABLE])
        raise UsageError(f"cannot attach a {kind!r} record; one of: {allowed}")
    return cls


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs, in which role, with which meaning (authored, reviewed, approved)."""

    who: str
    role: Role
    meaning: SignatureMeaning


def signer_for(
    policy: Policy, who: str, meaning: SignatureMeaning, role: Role | None = None
) -> Signer:
    """``role`` or, when omitted, the only role ``who`` holds in the policy's people table."""
    if role is None:
        held = policy.roles_of(who) or ()
        if len(held) != 1:
            raise UsageError(
                f"give --as-role for {who!r}: the policy lists "
                + (", ".join(r.value for r in held) if held else "no role")
                + " for them"
            )
        role = held[0]
    return Signer(who, role, meaning)


def prepare(record: Record, policy: Policy) -> Record:
    """The record as it will be stored and signed (an analysis gets its computed fields)."""
    if isinstance(record, Analysis):
        return assess(record, policy)
    return record


def with_facts(
    session: Session, row: m.SecurityIssue, issue: SecurityIssue, record: Record, policy: Policy
) -> Record:
    """``prepare``, and what psirt computes from the store: R9's re-scan of the fixed release,
    R10's SBOM evidence and VEX statuses. A value typed into these fields is replaced."""
    record = prepare(record, policy)
    if isinstance(record, Verification):
        found = issue_facts.rescan(session, row, issue, record.software_version)
        return dataclasses.replace(record, rescan=found)
    if isinstance(record, ReleaseAdvisory):
        evidence = issue_facts.sbom_evidence(session, row, issue, record.release_version)
        record = dataclasses.replace(record, sbom=evidence)
        return dataclasses.replace(
            record, vex_statuses=issue.vex_statuses(record, evidence.release)
        )
    return record


def _sig_key(sig: Signature) -> tuple[str, str, str, str]:
    return (sig.signer, sig.role.value, sig.digest_sha256, sig.signed_at.isoformat())


def _pending_signatures(
    session: Session, row: m.SecurityIssue, issue: SecurityIssue, records: Sequence[Record]
) -> list[Signature]:
    wanted = {r.digest() for r in records}
    used = {_sig_key(s) for e in issue.events for s in e.signatures}
    out: list[Signature] = []
    details = session.scalars(
        select(m.AuditEvent.detail)
        .where(
            m.AuditEvent.object_type == "issue",
            m.AuditEvent.object_id == str(row.id),
            m.AuditEvent.action == "issue.sign",
        )
        .order_by(m.AuditEvent.seq)
    )
    for detail in details:
        raw = detail.get("signature") if isinstance(detail, dict) else None
        sig = Signature.from_dict(raw, source="audit_events", location="detail.signature")
        if sig.digest_sha256 in wanted and _sig_key(sig) not in used:
            out.append(sig)
            used.add(_sig_key(sig))
    return out


def _sig_detail(sig: Signature) -> dict[str, Any]:
    return sig.to_dict()


# --------------------------------------------------------------------------- loading


def _issue_key(row: m.SecurityIssue) -> str:
    return str(row.id)


def get_row(session: Session, issue_id: int, *, lock: bool = False) -> m.SecurityIssue:
    row = session.get(m.SecurityIssue, issue_id, with_for_update=lock or None)
    if row is None:
        raise NotFound(f"issue {issue_id} does not exist (see 'psirt issue list')")
    return row


def load_events(session: Session, row: m.SecurityIssue) -> list[Event]:
    """The issue's events from their rows; a row that disagrees with its body is tampering."""
    events: list[Event] = []
    rows = session.scalars(
        select(m.IssueEvent).where(m.IssueEvent.issue_id == row.id).order_by(m.IssueEvent.seq)
    )
    for ev_row in rows:
        where = f"issue {row.id} event {ev_row.seq}"
        try:
            event = Event.from_dict(ev_row.body, source=f"issue_events {where}")
        except InputError as exc:
            raise IntegrityError(f"{where}: stored body does not decode: {exc}") from None
        if event.issue_id != _issue_key(row):
            raise IntegrityError(f"{where}: belongs to issue {event.issue_id}")
        if (
            event.seq != ev_row.seq
            or event.action.value != ev_row.kind
            or event.actor != ev_row.actor
            or event.policy_digest != ev_row.policy_digest
            or event.at != ev_row.at
        ):
            raise IntegrityError(f"{where}: row columns differ from the recorded event")
        events.append(event)
    return events


def load(session: Session, row: m.SecurityIssue, policy: Policy) -> SecurityIssue:
    """Rebuild the aggregate; the hash chain, every transition and the state column are checked."""
    events = load_events(session, row)
    if not events:
        raise IntegrityError(f"issue {row.id}: no events")
    issue = SecurityIssue.from_events(events, policy)
    if issue.state.value != row.state:
        raise IntegrityError(
            f"issue {row.id}: state {row.state} differs from its events ({issue.state.value})"
        )
    return issue


# --------------------------------------------------------------------------- writing


def _persist(
    session: Session,
    row: m.SecurityIssue,
    issue: SecurityIssue,
    new_events: Sequence[Event],
    *,
    actor: str,
    action: str,
    policy: Policy,
    before: str | None,
    extra: dict[str, Any] | None = None,
) -> None:
    policy_store.record_policy(session, policy, actor=actor)
    for event in new_events:
        session.add(
            m.IssueEvent(
                issue_id=row.id,
                seq=event.seq,
                kind=event.action.value,
                actor=event.actor,
                at=event.at,
                policy_digest=event.policy_digest,
                body=event.to_dict(),
            )
        )
    previous = row.state
    row.state = issue.state.value
    detail: dict[str, Any] = {
        "from": previous if before is not None else None,
        "to": issue.state.value,
        "policy_digest": policy.digest,
        "events": [
            {
                "seq": e.seq,
                "action": e.action.value,
                "digest": e.digest,
                "records": [{"kind": r.KIND, "digest": r.digest()} for r in e.records],
            }
            for e in new_events
        ],
        "signatures": [_sig_detail(s) for e in new_events for s in e.signatures],
        **(extra or {}),
    }
    audit.record_change(session, actor=actor, action=action, obj=row, before=before, detail=detail)


def _at(at: dt.datetime | None) -> dt.datetime:
    value = at or now()
    if value.tzinfo is None:
        raise InputError("issue", "at", "date-time needs a time zone")
    return value.astimezone(dt.UTC)


def _own_signatures(
    records: Sequence[Record], sign: Signer | None, at: dt.datetime
) -> list[Signature]:
    if sign is None:
        return []
    return [
        Signature.sign(r, signer=sign.who, role=sign.role, meaning=sign.meaning, at=at)
        for r in records
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: the issue, its state before and after, the new events."""

    issue_id: int
    title: str
    state_before: str | None
    state: str
    events: tuple[Event, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "issue": self.issue_id,
            "title": self.title,
            "from": self.state_before,
            "state": self.state,
            "events": [e.to_dict() for e in self.events],
        }


def open_issue(
    session: Session,
    intake: Intake,
    *,
    title: str,
    actor: str,
    policy: Policy,
    sign: Signer | None = None,
    at: dt.datetime | None = None,
    finding_ids: Sequence[int] = (),
) -> Outcome:
    """A new issue in RECEIVED with its intake record R1."""
    when = _at(at)
    if not title.strip():
        raise InputError("issue", "title", "must not be empty")
    check_text(title, "issue", "title")
    findings = [_finding_for_link(session, fid, None) for fid in finding_ids]
    row = m.SecurityIssue(title=title.strip(), state=State.RECEIVED.value, created_by=actor)
    session.add(row)
    session.flush()
    issue = SecurityIssue.open(
        _issue_key(row),
        intake,
        policy=policy,
        actor=actor,
        at=when,
        signatures=_own_signatures([intake], sign, when),
    )
    _persist(session, row, issue, issue.events, actor=actor, action="issue.create",
             policy=policy, before=None)  # fmt: skip
    for finding in findings:
        _link_finding(session, finding, row, actor=actor)
    return Outcome(row.id, row.title, None, issue.state.value, issue.events)


def transition(
    session: Session,
    issue_id: int,
    action: Action,
    records: Sequence[Record],
    *,
    actor: str,
    policy: Policy,
    sign: Signer | None = None,
    signatures: Sequence[Signature] = (),
    at: dt.datetime | None = None,
) -> Outcome:
    """Run one lifecycle command on a stored issue (a transition, an attachment or an override).

    ``records``: the one record of ``action`` (``SINGLE_RECORD``), an attachable record for
    ``Action.ATTACH``, or R4, one or more R5, R12 for ``Action.DECIDE``. Signatures:
    ``signatures`` given (collected elsewhere), those made earlier with ``sign_records``, and the
    actor's own.
    """
    when = _at(at)
    row = get_row(session, issue_id, lock=True)
    issue = load(session, row, policy)
    before_state = issue.state.value
    before = audit.object_digest(row)
    prepared = [with_facts(session, row, issue, r, policy) for r in records]
    _check_shape(action, prepared)
    signatures = [
        *signatures,
        *_pending_signatures(session, row, issue, prepared),
        *_own_signatures(prepared, sign, when),
    ]
    count = len(issue.events)
    kw: dict[str, Any] = {"actor": actor, "at": when, "signatures": tuple(signatures)}
    match action:
        case Action.DECIDE:
            d, *rs, c = prepared
            assert isinstance(d, DisclosureDecision)
            assert isinstance(c, CrossProduct)
            issue.decide(d, [r for r in rs if isinstance(r, ResolutionDecision)], c, **kw)
        case Action.ATTACH:
            issue.attach(prepared[0], **kw)
        case Action.OPEN:
            raise UsageError("open a new issue with open_issue()")
        case _:
            method = getattr(issue, action.value)
            method(prepared[0], **kw)
    new_events = issue.events[count:]
    _persist(session, row, issue, new_events, actor=actor, action=f"issue.{action.value}",
             policy=policy, before=before)  # fmt: skip
    return Outcome(row.id, row.title, before_state, issue.state.value, tuple(new_events))


def _check_shape(action: Action, records: Sequence[Record]) -> None:
    if action is Action.DECIDE:
        kinds = [type(r) for r in records]
        if (
            len(kinds) < 3
            or kinds[0] is not DisclosureDecision
            or kinds[-1] is not CrossProduct
            or any(k is not ResolutionDecision for k in kinds[1:-1])
        ):
            raise UsageError(
                "decide takes R4_disclosure, one or more R5_resolution and R12_cross_product"
            )
        return
    if len(records) != 1:
        raise UsageError(f"{action.value} takes one record")
    if action is Action.ATTACH:
        attach_kind(records[0].KIND)
        return
    expected = SINGLE_RECORD.get(action)
    if expected is None or not isinstance(records[0], expected):
        raise UsageError(f"{action.value} takes a {expected.KIND if expected else '?'} record")


def decide(
    session: Session,
    issue_id: int,
    disclosure: DisclosureDecision,
    resolution: ResolutionDecision | Sequence[ResolutionDecision],
    cross_product: CrossProduct,
    *,
    actor: str,
    policy: Policy,
    sign: Signer | None = None,
    change_request: ChangeRequest | None = None,
    at: dt.datetime | None = None,
) -> Outcome:
    """DECISION with R4, R5 (one per group of releases), R12; with a change request, on to
    REMEDIATION in the same transaction."""
    rs = [resolution] if isinstance(resolution, ResolutionDecision) else list(resolution)
    out = transition(session, issue_id, Action.DECIDE, [disclosure, *rs, cross_product],
                     actor=actor, policy=policy, sign=sign, at=at)  # fmt: skip
    if change_request is None:
        return out
    more = transition(session, issue_id, Action.START_REMEDIATION, [change_request],
                      actor=actor, policy=policy, sign=sign, at=at)  # fmt: skip
    return dataclasses.replace(more, state_before=out.state_before,
                               events=out.events + more.events)  # fmt: skip


def sign_records(
    session: Session,
    issue_id: int,
    records: Sequence[Record],
    *,
    signer: Signer,
    policy: Policy,
    action: str,
    at: dt.datetime | None = None,
) -> list[Signature]:
    """Sign records another person will submit; each signature goes into the audit chain."""
    when = _at(at)
    row = get_row(session, issue_id, lock=True)
    issue = load(session, row, policy)
    if issue.state in TERMINAL:
        raise Conflict(f"sign: issue {issue_id} is {issue.state.value}")
    held = policy.roles_of(signer.who)
    if held is not None and signer.role not in held:
        raise Conflict(f"sign: {signer.who} does not hold role {signer.role.value} in the policy")
    out = []
    digest = audit.object_digest(row)
    for record in (with_facts(session, row, issue, r, policy) for r in records):
        sig = Signature.sign(
            record, signer=signer.who, role=signer.role, meaning=signer.meaning, at=when
        )
        audit.record_change(
            session,
            actor=signer.who,
            action="issue.sign",
            obj=row,
            before=digest,
            detail={
                "for": action,
                "record_kind": record.KIND,
                "state": issue.state.value,
                "policy_digest": policy.digest,
                "signature": sig.to_dict(),
            },
        )
        out.append(sig)
    return out


# --------------------------------------------------------------------------- findings


def _finding_for_link(session: Session, finding_id: int, issue_row: m.SecurityIssue | None) -> Any:
    got = session.execute(
        select(m.Finding, m.Component, m.Release, m.Product)
        .join(m.Component, m.Finding.component_id == m.Component.id)
        .join(m.Release, m.Finding.release_id == m.Release.id)
        .join(m.Product, m.Release.product_id == m.Product.id)
        .where(m.Finding.id == finding_id)
    ).first()
    if got is None:
        raise NotFound(f"finding {finding_id} does not exist (see 'psirt findings list')")
    finding = got[0]
    if finding.status != "active":
        raise Conflict(f"finding {finding_id} is {finding.status}: {finding.retracted_reason}")
    if finding.issue_id is not None and (issue_row is None or finding.issue_id != issue_row.id):
        raise Conflict(f"finding {finding_id} already belongs to issue {finding.issue_id}")
    return got


def _link_finding(session: Session, got: Any, row: m.SecurityIssue, *, actor: str) -> None:
    finding, component, release, product = got
    if finding.issue_id == row.id:
        return
    finding.issue_id = row.id
    audit.append(
        session,
        actor=actor,
        action="finding.link_issue",
        object_type="finding",
        object_id=finding.id,
        detail={
            "issue": row.id,
            "advisory_id": finding.advisory_id,
            "product": product.name,
            "release": release.version,
            "component": component.name,
            "version": component.version,
        },
    )


def _vulnerability_ids(findings: Sequence[m.Finding]) -> tuple[str, ...]:
    """The findings' advisory ids, aliases and the CVEs their advisories list as related (a
    distro advisory names the CVEs it fixes there), CVE ids first."""
    ids: dict[str, None] = {}
    for f in findings:
        ids[f.advisory_id] = None
        for alias in (*(f.aliases or ()), *(f.related or ())):
            ids[str(alias)] = None
    cves = sorted(i for i in ids if i.startswith("CVE-"))
    return tuple(cves + sorted(i for i in ids if not i.startswith("CVE-")))


def intake_from_findings(
    session: Session,
    finding_ids: Sequence[int],
    *,
    status: ReleaseStatus = ReleaseStatus.UNDER_INVESTIGATION,
) -> tuple[str, Intake]:
    """Title and R1 for findings promoted to an issue: source widespread_vuln_feed (9.2 g),
    T0 = the earliest first_seen, releases and components from the findings."""
    if not finding_ids:
        raise UsageError("give at least one finding")
    rows = [_finding_for_link(session, fid, None) for fid in dict.fromkeys(finding_ids)]
    findings = [r[0] for r in rows]
    affected: dict[str, AffectedRelease] = {}
    classes: set[str | None] = set()
    for _finding, component, release, product in rows:
        key = f"{product.name}@{release.version}"
        affected.setdefault(
            key,
            AffectedRelease(product.name, release.version, status, component.purl or None),
        )
        classes.add(component.item_class)
    first = rows[0]
    finding, component, release, product = first
    advisories = scanning.load_advisories(session, [finding.advisory_id])
    advisory = advisories[0] if advisories else None
    text = ""
    if advisory is not None:
        text = advisory.summary.strip() or advisory.details.strip().split("\n", 1)[0]
    where = f"{component.name} {component.version}".strip()
    title = f"{finding.advisory_id} in {where}"
    if text:
        title += f": {text}"
    if len(title) > 120:
        title = title[:117].rstrip() + "..."
    source_name = advisory.source if advisory is not None else "knowledge base"
    summary = text or f"{finding.advisory_id} matched {where} in {product.name} {release.version}"
    item_classes = {c for c in classes if c}
    intake = Intake(
        source=IntakeSource.WIDESPREAD_VULN_FEED,
        learned_at=min(f.first_seen for f in findings),
        reporter="",
        channel=f"psirt SBOM match ({source_name} feed)",
        summary=summary,
        vulnerability_ids=_vulnerability_ids(findings),
        finding_ids=tuple(str(f.id) for f in findings),
        affected=tuple(affected.values()),
        item_class=ItemClass(item_classes.pop()) if len(item_classes) == 1 else None,
    )
    return title, intake


def promote_findings(
    session: Session,
    finding_ids: Sequence[int],
    *,
    actor: str,
    policy: Policy,
    title: str | None = None,
    status: ReleaseStatus = ReleaseStatus.UNDER_INVESTIGATION,
    sign: Signer | None = None,
    at: dt.datetime | None = None,
) -> Outcome:
    """A new issue from SBOM findings; the findings point at it afterwards."""
    default_title, intake = intake_from_findings(session, finding_ids, status=status)
    return open_issue(session, intake, title=title or default_title, actor=actor, policy=policy,
                      sign=sign, at=at, finding_ids=finding_ids)  # fmt: skip


def attach_findings(
    session: Session, issue_id: int, finding_ids: Sequence[int], *, actor: str, policy: Policy
) -> list[int]:
    """Link more findings to an existing issue (their releases go into the next analysis)."""
    if not finding_ids:
        raise UsageError("give at least one finding")
    row = get_row(session, issue_id, lock=True)
    issue = load(session, row, policy)
    if issue.state in TERMINAL:
        raise Conflict(f"attach: issue {issue_id} is {issue.state.value}")
    linked = []
    for fid in dict.fromkeys(finding_ids):
        got = _finding_for_link(session, fid, row)
        if got[0].issue_id != row.id:
            _link_finding(session, got, row, actor=actor)
            linked.append(fid)
    return linked


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class IssueSummary:
    id: int
    title: str
    state: str
    created_by: str
    created_at: dt.datetime
    t0: dt.datetime
    vulnerability_ids: tuple[str, ...]
    risk_control_status: str | None
    ssvc_priority: str | None
    kev: bool
    kev_ids: tuple[str, ...]  # the KEV-listed ids of the intake and of the linked findings
    next_due: dt.datetime | None
    next_due_what: str | None
    overdue: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IssueDetail:
    summary: IssueSummary
    events: tuple[Event, ...]
    release_matrix: dict[str, str]
    releases: tuple[ReleaseResolution, ...]
    deadlines: tuple[Deadline, ...]
    # the linked SBOM findings (psirt.services.findings.stored_findings, retracted ones too)
    # with "in_release_matrix"
    findings: tuple[dict[str, Any], ...]
    policy_digest: str
    # the published versions of the issue's advisory (psirt publish csaf), with "r10": whether
    # an R10 record names the document's tracking id as its advisory_id
    publications: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self.summary),
            "policy_digest": self.policy_digest,
            "release_matrix": self.release_matrix,
            "releases": [release_row(r) for r in self.releases],
            "deadlines": [{**dataclasses.asdict(d), "met": d.met} for d in self.deadlines],
            "findings": list(self.findings),
            "publications": list(self.publications),
            "events": [e.to_dict() for e in self.events],
        }


def _linked_ids(session: Session, issue_id: int | None = None) -> dict[int, list[str]]:
    """Issue -> the ids of its linked findings: advisory id, aliases and related CVEs."""
    q = select(m.Finding.issue_id, m.Finding.advisory_id, m.Finding.aliases, m.Finding.related)
    q = q.where(
        m.Finding.issue_id.is_not(None) if issue_id is None else m.Finding.issue_id == issue_id
    )
    out: dict[int, list[str]] = {}
    for owner, advisory_id, aliases, related in session.execute(q.order_by(m.Finding.id)):
        out.setdefault(owner, []).extend([advisory_id, *(aliases or ()), *(related or ())])
    return out


def release_row(r: ReleaseResolution) -> dict[str, Any]:
    """One release of the matrix: status, resolution in force, its gate and what it lacks."""
    return {
        "release": r.release,
        "status": r.status.value,
        "resolution": r.approach.value if r.approach else None,
        "gate": r.gate,
        "missing": list(r.missing),
    }


def _summary(
    row: m.SecurityIssue,
    issue: SecurityIssue,
    kev_ids: set[str],
    at: dt.datetime,
    linked_ids: Sequence[str] = (),
) -> IssueSummary:
    analysis = issue.analysis
    intake = issue.intake
    listed = kev_listed((*intake.vulnerability_ids, *linked_ids), kev_ids)
    kev = bool(analysis and analysis.kev_listed) or bool(listed)
    open_deadlines: list[Deadline] = []
    overdue: list[str] = []
    if issue.state not in TERMINAL:
        for d in issue.deadlines(at):
            if d.done_at is None:
                open_deadlines.append(d)
                if d.overdue:
                    overdue.append(d.id)
    nxt = min(open_deadlines, key=lambda d: d.due) if open_deadlines else None
    status = analysis.effective_status if analysis else None
    prio = analysis.ssvc_priority if analysis else None
    return IssueSummary(
        id=row.id,
        title=row.title,
        state=row.state,
        created_by=row.created_by,
        created_at=row.created_at,
        t0=issue.t0,
        vulnerability_ids=intake.vulnerability_ids,
        risk_control_status=status.value if status else None,
        ssvc_priority=prio.value if prio else None,
        kev=kev,
        kev_ids=listed,
        next_due=nxt.due if nxt else None,
        next_due_what=nxt.id if nxt else None,
        overdue=tuple(overdue),
    )


def list_issues(
    session: Session,
    policy: Policy,
    *,
    states: Sequence[str] = (),
    open_only: bool = False,
    at: dt.datetime | None = None,
) -> list[IssueSummary]:
    when = _at(at)
    q = select(m.SecurityIssue).order_by(m.SecurityIssue.id)
    if states:
        q = q.where(m.SecurityIssue.state.in_(list(states)))
    if open_only:
        q = q.where(m.SecurityIssue.state.not_in([s.value for s in TERMINAL]))
    kev = scanning.kev_ids(session)
    linked = _linked_ids(session)
    return [
        _summary(row, load(session, row, policy), kev, when, linked.get(row.id, ()))
        for row in session.scalars(q)
    ]


def summary_of(
    session: Session, issue_id: int, policy: Policy, *, at: dt.datetime | None = None
) -> IssueSummary:
    """One issue as ``list_issues`` shows it (state, SSVC, KEV and its listed ids, deadlines)."""
    row = get_row(session, issue_id)
    return _summary(row, load(session, row, policy), scanning.kev_ids(session), _at(at),
                    _linked_ids(session, row.id).get(row.id, ()))  # fmt: skip


def show_issue(
    session: Session, issue_id: int, policy: Policy, *, at: dt.datetime | None = None
) -> IssueDetail:
    when = _at(at)
    row = get_row(session, issue_id)
    issue = load(session, row, policy)
    matrix = issue.release_matrix()
    linked = tuple(
        {**f, "in_release_matrix": f"{f['product']}@{f['release']}" in matrix}
        for f in stored_findings(session, include_retracted=True, issue_id=row.id)
    )
    from psirt.services.publications import list_publications

    named = {r.advisory_id.strip() for r in issue.all(ReleaseAdvisory) if r.advisory_id.strip()}
    published = tuple(
        {**{k: v for k, v in p.as_dict().items() if k != "problems"},
         "r10": p.document_id in named}
        for p in list_publications(session, issue_id=row.id)
    )  # fmt: skip
    return IssueDetail(
        summary=summary_of(session, issue_id, policy, at=when),
        events=issue.events,
        release_matrix={k: v.value for k, v in matrix.items()},
        releases=tuple(issue.release_resolutions()),
        deadlines=tuple(issue.deadlines(when)),
        findings=linked,
        policy_digest=policy.digest,
        publications=published,
    )


def deadlines(
    session: Session, policy: Policy, *, issue_id: int | None = None, at: dt.datetime | None = None
) -> list[tuple[int, str, Deadline]]:
    """(issue, state, deadline) for one issue, or for every open issue."""
    when = _at(at)
    if issue_id is not None:
        rows = [get_row(session, issue_id)]
    else:
        rows = list(
            session.scalars(
                select(m.SecurityIssue)
                .where(m.SecurityIssue.state.not_in([s.value for s in TERMINAL]))
                .order_by(m.SecurityIssue.id)
            )
        )
    out: list[tuple[int, str, Deadline]] = []
    for row in rows:
        issue = load(session, row, policy)
        out.extend((row.id, row.state, d) for d in issue.deadlines(when))
    return out


# --------------------------------------------------------------------------- integrity


@dataclass(frozen=True, slots=True)
class EventProblem:
    issue_id: int
    reason: str


def verify_events(session: Session, policy: Policy) -> list[EventProblem]:
    """Every issue rebuilds from its events, and every event digest is the one the audit chain
    recorded when the event was appended (so a consistent rewrite of events is caught too)."""
    recorded: dict[tuple[str, int], str] = {}
    for object_id, detail in session.execute(
        select(m.AuditEvent.object_id, m.AuditEvent.detail)
        .where(m.AuditEvent.object_type == "issue")
        .order_by(m.AuditEvent.seq)
    ):
        for entry in (detail or {}).get("events", ()):
            recorded[(object_id, int(entry["seq"]))] = str(entry["digest"])
    problems: list[EventProblem] = []
    for row in session.scalars(select(m.SecurityIssue).order_by(m.SecurityIssue.id)):
        try:
            issue = load(session, row, policy)
        except IntegrityError as exc:
            problems.append(EventProblem(row.id, str(exc)))
            continue
        for event in issue.events:
            audited = recorded.get((str(row.id), event.seq))
            if audited is None:
                problems.append(EventProblem(row.id, f"event {event.seq} has no audit record"))
            elif audited != event.digest:
                problems.append(
                    EventProblem(row.id, f"event {event.seq} differs from its audit record")
                )
    return problems


# --------------------------------------------------------------------------- demo


DEMO_PRODUCT = "Patient Monitor PM-8"
DEMO_RELEASE = "7.4.2"
DEMO_ADVISORY = "CVE-2023-4863"
# Who signs in the demo walkthrough, and as what (the default policy lists no people).
DEMO_PEOPLE = {
    "psirt.lead": Role.PSIRT_LEAD,
    "security.owner": Role.SECURITY_RISK_OWNER,
    "safety.manager": Role.SAFETY_RISK_MANAGER,
    "regulatory": Role.REGULATORY_AFFAIRS,
    "design.authority": Role.DESIGN_AUTHORITY,
}


def _demo_sign(records: Sequence[Record], *who: str, at: dt.datetime) -> list[Signature]:
    return [
        Signature.sign(r, signer=w, role=DEMO_PEOPLE[w], meaning=SignatureMeaning.APPROVED, at=at)
        for r in records
        for w in who
    ]


def demo_walkthrough(
    session: Session, *, actor: str, policy: Policy | None = None, at: dt.datetime | None = None
) -> Outcome:
    """Open an issue from the demo portfolio's KEV-listed libwebp finding (Patient Monitor PM-8
    7.4.2, CVE-2023-4863) and walk it through triage and analysis to the decision (uncontrolled,
    out-of-cycle fix), leaving it in REMEDIATION. Idempotent: a second call returns the issue."""
    from psirt.domain.records import (
        Audience,
        DisclosureKind,
        EuRoute,
        ReleaseVehicle,
        ResolutionApproach,
        UsRoute,
    )
    from psirt.domain.risk import HarmSeverity, RiskControlStatus
    from psirt.domain.ssvc import Automatable, Exploitation, TechnicalImpact, ValueDensity

    policy = policy or policy_store.active_policy()
    got = session.execute(
        select(m.Finding)
        .join(m.Release, m.Finding.release_id == m.Release.id)
        .join(m.Product, m.Release.product_id == m.Product.id)
        .where(
            m.Product.name == DEMO_PRODUCT,
            m.Release.version == DEMO_RELEASE,
            m.Finding.advisory_id == DEMO_ADVISORY,
            m.Finding.status == "active",
        )
    ).scalar_one_or_none()
    if got is None:
        raise NotFound(f"no active {DEMO_ADVISORY} finding in {DEMO_PRODUCT} {DEMO_RELEASE}: "
                       "load the demo portfolio first")  # fmt: skip
    if got.issue_id is not None:
        row = get_row(session, got.issue_id)
        issue = load(session, row, policy)
        return Outcome(row.id, row.title, None, issue.state.value, ())
    when = _at(at)
    events: list[Event] = []
    opened = promote_findings(session, [got.id], actor=actor, policy=policy, at=when)
    issue_id = opened.issue_id
    events += opened.events
    key = f"{DEMO_PRODUCT}@{DEMO_RELEASE}"
    component = session.get(m.Component, got.component_id)
    purl = component.purl if component is not None else None

    def step(action: Action, records: Sequence[Record], *signers: str) -> None:
        prepared = [prepare(r, policy) for r in records]
        signed = prepared[:2] if action is Action.DECIDE else prepared
        out = transition(session, issue_id, action, prepared, actor=actor, policy=policy,
                         signatures=_demo_sign(signed, *signers, at=when), at=when)  # fmt: skip
        events.extend(out.events)

    step(Action.TRIAGE, [Triage(
        applicable=True,
        applicability_rationale="libwebp 1.3.1 decodes WebP images in the monitor's remote "
        "viewer and HL7 attachment preview",
        verifiability="crafted lossless WebP (Huffman table overflow) crashes the viewer on a "
        "bench unit",
        related_threats=("TM-07 malicious image from a compromised clinical network host",),
    )], "psirt.lead")  # fmt: skip
    kev_row = session.get(m.KevEntry, DEMO_ADVISORY)
    epss_row = session.get(m.EpssScore, DEMO_ADVISORY)
    vector = got.severity if got.severity and got.severity.startswith("CVSS:3") else None
    analysis = Analysis(
        cvss_v31=vector or "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        exploitation=Exploitation.ACTIVE,
        automatable=Automatable.NO,
        value_density=ValueDensity.CONCENTRATED,
        technical_impact=TechnicalImpact.TOTAL,
        harm_severity=HarmSeverity.CRITICAL,
        hazardous_situation="code execution on the monitor suppresses or falsifies alarms",
        hazard_refs=("HAZ-PM8-012 missed alarm",),
        kev_listed=kev_row is not None,
        kev_snapshot=when.date(),
        epss=epss_row.epss if epss_row is not None else None,
        epss_snapshot=(epss_row.score_date or when.date()) if epss_row is not None else None,
        nvd_snapshot=when.date(),
        root_cause="heap buffer overflow in BuildHuffmanTable of the bundled libwebp",
        cwes=("CWE-787",),
        affected=(AffectedRelease(DEMO_PRODUCT, DEMO_RELEASE, ReleaseStatus.AFFECTED, purl),),
        related_issues=(),
        safety_effectiveness_impact="alarm delivery and waveform display can be lost or altered",
        third_party_suppliers=("WebM Project (libwebp)",),
        item_class=ItemClass.MAINTAINED,
    )
    step(Action.ANALYZE, [analysis], "security.owner", "safety.manager")
    r7 = Reportability(
        risk_control_status=RiskControlStatus.UNCONTROLLED,
        harm_known=False,
        us_route=UsRoute.NON_ENFORCEMENT_806,
        eu_route=EuRoute.NONE,
        rationale="uncontrolled risk without known adverse events: FDA 2016 §VII.B 30/60-day "
        "route with ISAO participation",
        non_enforcement_evidence=("complaint database search: no adverse events",),
    )
    step(Action.ATTACH, [r7], "regulatory")
    step(Action.ATTACH, [ThirdPartyNotice(
        supplier="WebM Project (libwebp)", channel="upstream security contact", sent_at=when,
        acknowledged_at=when, content_ref="fix available upstream in libwebp 1.3.2",
    )])  # fmt: skip
    decision = [
        DisclosureDecision(
            decision=DisclosureKind.DISCLOSE_PUBLIC_ADVISORY,
            rationale="KEV-listed and uncontrolled: users need the compensating controls now",
            audiences=(Audience.USERS, Audience.REGULATORS, Audience.ISAO),
            cve_id=DEMO_ADVISORY,
        ),
        ResolutionDecision(
            approach=ResolutionApproach.FIX,
            release_vehicle=ReleaseVehicle.OUT_OF_CYCLE,
            rationale="update libwebp to 1.3.2 in an out-of-cycle firmware 7.4.3",
            target_date=(when + dt.timedelta(days=45)).date(),
            version_plan=(f"{DEMO_RELEASE} -> 7.4.3",),
        ),
        CrossProduct(query=f"findings of {DEMO_ADVISORY} across the portfolio", checked=(key,)),
    ]
    step(Action.DECIDE, decision, "design.authority", "security.owner", "safety.manager")
    step(Action.START_REMEDIATION, [ChangeRequest(
        "CR-PM8-2023-4863", "update the bundled libwebp to 1.3.2 and rebuild firmware 7.4.3"
    )])  # fmt: skip
    row = get_row(session, issue_id)
    return Outcome(row.id, row.title, None, row.state, tuple(events))
