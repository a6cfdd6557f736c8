"""The security-issue aggregate: the IEC 81001-5-1 §9.2-9.5 lifecycle with its gates.

One ``SecurityIssue`` is one vulnerability in one product line. It holds an append-only list of
``Event`` values (the records, who, when, the policy digest, signatures, a hash chain); its state
is derived from them, so a store can persist the events and rebuild the issue with
``SecurityIssue.from_events``. Each transition is a method that checks its gate (rules.yaml
``guards``) and raises ``GateNotMet`` naming every missing record or field at once. A signed
``override`` waives named items for the next transition of that name and is itself an event.

Each affected release of the release matrix gets its own R5 resolution (the record's
``releases``; none named: every affected release): a fix, an update of the intended environment
of use, both, or an accepted residual risk. Each release's resolution has its own gate
(``release_resolutions``); the issue closes when every affected release passed it (G_close).
REMEDIATION, VERIFICATION and RELEASED are the states of the fix path; releases resolved by
other means are shown per release, and an issue with no release to fix closes from DECISION.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from psirt.domain.policy import ApprovalKind, Policy
from psirt.domain.records import (
    AffectedRelease,
    Analysis,
    Audience,
    ChangeImpactReview,
    ChangeRequest,
    Closure,
    CrossProduct,
    CustomerNotice,
    DisclosureDecision,
    DisclosureKind,
    Duplicate,
    EuIncidentCategory,
    EuRoute,
    Intake,
    ItemClass,
    NotAffected,
    NoticeKind,
    Override,
    PostFix,
    Record,
    ReleaseAdvisory,
    ReleaseStatus,
    ReleaseVehicle,
    Reopen,
    Reportability,
    ReporterAcknowledgement,
    ResolutionApproach,
    ResolutionDecision,
    ReviewAspect,
    Rework,
    RiskAcceptance,
    Signature,
    SignatureMeaning,
    ThirdPartyNotice,
    Triage,
    UsRoute,
    Verdict,
    Verification,
    record_from_dict,
    sha256_of,
)
from psirt.domain.risk import (
    RiskControlStatus,
    RiskEvaluation,
    RiskInputs,
    evaluate,
    exploitability_from_cvss,
)
from psirt.domain.ssvc import (
    SsvcDecision,
    SsvcInputs,
    SsvcOutcome,
    exploitation_from_feeds,
    public_safety_from_harm,
    supplier_priority,
)
from psirt.errors import Conflict, GateNotMet, InputError, IntegrityError

R = TypeVar("R", bound=Record)


class State(StrEnum):
    RECEIVED = "RECEIVED"
    TRIAGE = "TRIAGE"
    ANALYSIS = "ANALYSIS"
    DECISION = "DECISION"
    REMEDIATION = "REMEDIATION"
    VERIFICATION = "VERIFICATION"
    RELEASED = "RELEASED"
    POST_FIX_MONITORING = "POST_FIX_MONITORING"
    CLOSED = "CLOSED"
    CLOSED_NOT_AFFECTED = "CLOSED_NOT_AFFECTED"
    CLOSED_DUPLICATE = "CLOSED_DUPLICATE"
    OPEN_ACCEPTED = "OPEN_ACCEPTED"
    REOPENED = "REOPENED"


class Action(StrEnum):
    OPEN = "open"
    TRIAGE = "triage"
    CLOSE_NOT_AFFECTED = "close_not_affected"
    CLOSE_DUPLICATE = "close_duplicate"
    ANALYZE = "analyze"
    DECIDE = "decide"
    START_REMEDIATION = "start_remediation"
    VERIFY = "verify"
    REWORK = "rework"
    RELEASE = "release"
    MONITOR = "monitor"
    CLOSE = "close"
    ACCEPT_RISK = "accept_risk"
    REOPEN = "reopen"
    ATTACH = "attach"  # a record that does not change the state
    OVERRIDE = "override"


S = State
NA = ReleaseStatus.NOT_AFFECTED
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    Action.TRIAGE: (frozenset({S.RECEIVED}), S.TRIAGE),
    Action.CLOSE_NOT_AFFECTED: (frozenset({S.TRIAGE}), S.CLOSED_NOT_AFFECTED),
    Action.CLOSE_DUPLICATE: (frozenset({S.TRIAGE}), S.CLOSED_DUPLICATE),
    Action.ANALYZE: (frozenset({S.TRIAGE, S.REOPENED}), S.ANALYSIS),
    Action.DECIDE: (frozenset({S.ANALYSIS, S.OPEN_ACCEPTED}), S.DECISION),
    # from RELEASED / POST_FIX_MONITORING: a further fix release for releases still to fix
    Action.START_REMEDIATION: (
        frozenset({S.DECISION, S.RELEASED, S.POST_FIX_MONITORING}),
        S.REMEDIATION,
    ),
    Action.VERIFY: (frozenset({S.REMEDIATION}), S.VERIFICATION),
    Action.REWORK: (frozenset({S.VERIFICATION}), S.REMEDIATION),
    Action.RELEASE: (frozenset({S.VERIFICATION}), S.RELEASED),
    Action.MONITOR: (frozenset({S.RELEASED}), S.POST_FIX_MONITORING),
    # from DECISION: every release resolved without a fix (environment of use, acceptance)
    Action.CLOSE: (frozenset({S.POST_FIX_MONITORING, S.OPEN_ACCEPTED, S.DECISION}), S.CLOSED),
    Action.ACCEPT_RISK: (frozenset({S.DECISION}), S.OPEN_ACCEPTED),
    Action.REOPEN: (frozenset({S.POST_FIX_MONITORING, S.OPEN_ACCEPTED}), S.REOPENED),
}
TERMINAL = frozenset({S.CLOSED, S.CLOSED_NOT_AFFECTED, S.CLOSED_DUPLICATE})

# Which records may be attached (without a state change) in which states.
_ATTACHABLE: dict[type[Record], frozenset[State]] = {
    ReporterAcknowledgement: frozenset(State) - TERMINAL,
    Reportability: frozenset(State) - TERMINAL - {S.RECEIVED, S.TRIAGE},
    ThirdPartyNotice: frozenset(State) - {S.CLOSED_NOT_AFFECTED, S.CLOSED_DUPLICATE},
    CustomerNotice: frozenset(State) - TERMINAL - {S.RECEIVED},
    CrossProduct: frozenset(State) - TERMINAL - {S.RECEIVED},
    ChangeImpactReview: frozenset(
        {
            S.DECISION,
            S.REMEDIATION,
            S.VERIFICATION,
            S.RELEASED,
            S.POST_FIX_MONITORING,
            S.OPEN_ACCEPTED,
        }
    ),  # fmt: skip
    # A revised disclosure decision (after an embargo, or a change of audience): the newest
    # R4 is the one in force.
    DisclosureDecision: frozenset(
        {
            S.DECISION,
            S.REMEDIATION,
            S.VERIFICATION,
            S.RELEASED,
            S.POST_FIX_MONITORING,
            S.OPEN_ACCEPTED,
        }
    ),  # fmt: skip
}
# States where a risk acceptance for some releases is recorded without a state change (the
# issue is on another path for the other releases, or the acceptance is renewed).
_ACCEPT_ATTACH_STATES = frozenset(
    {S.DECISION, S.REMEDIATION, S.VERIFICATION, S.RELEASED, S.POST_FIX_MONITORING,
     S.OPEN_ACCEPTED}
)  # fmt: skip
_FIX_APPROACHES = frozenset(
    {ResolutionApproach.FIX, ResolutionApproach.INTERIM_ENVIRONMENT_THEN_FIX}
)
_ENV_APPROACHES = frozenset(
    {ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE, ResolutionApproach.INTERIM_ENVIRONMENT_THEN_FIX}
)
# Matrix statuses that call for a resolution (fixed or not affected without a fix: none).
_OPEN_STATUSES = frozenset({ReleaseStatus.AFFECTED, ReleaseStatus.UNDER_INVESTIGATION})


def merge_items(per_release: dict[str, list[str]], releases: int) -> list[str]:
    """Gate items of several releases as one list. An item that each of the issue's
    ``releases`` lacks is named once; an item only some lack names them
    (``"R6_change_impact for Gateway@3.1.0"``)."""
    which: dict[str, list[str]] = {}
    for key, items in per_release.items():
        for item in items:
            which.setdefault(item, []).append(key)
    return [
        item if len(keys) == releases else f"{item} for {', '.join(keys)}"
        for item, keys in which.items()
    ]


@dataclass(frozen=True, slots=True)
class ReleaseResolution:
    """One row of the release matrix: status, the R5 in force and what its gate still lacks."""

    release: str
    status: ReleaseStatus
    needs_resolution: bool
    approach: ResolutionApproach | None
    missing: tuple[str, ...]

    @property
    def gate(self) -> str:
        if not self.needs_resolution:
            return "none needed"
        return "passed" if not self.missing else "open"


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Event:
    """One append-only entry: records + actor + time + policy digest + signatures."""

    seq: int
    issue_id: str
    action: Action
    records: tuple[Record, ...]
    actor: str
    at: dt.datetime
    policy_digest: str
    signatures: tuple[Signature, ...]
    state_after: State
    prev_digest: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "issue_id": self.issue_id,
            "action": self.action.value,
            "records": [{"kind": r.KIND, "data": r.to_dict()} for r in self.records],
            "actor": self.actor,
            "at": self.at.isoformat(),
            "policy_digest": self.policy_digest,
            "signatures": [s.to_dict() for s in self.signatures],
            "state_after": self.state_after.value,
            "prev_digest": self.prev_digest,
        }

    @property
    def digest(self) -> str:
        return sha256_of(self.body())

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "digest": self.digest}

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "event") -> Event:
        if not isinstance(data, dict):
            raise InputError(source, None, "expected an object")
        try:
            seq = data["seq"]
            raw_records = data["records"]
            raw_sigs = data["signatures"]
            if not isinstance(seq, int) or not isinstance(raw_records, list):
                raise InputError(source, "seq", "expected an integer and a list of records")
            if not isinstance(raw_sigs, list):
                raise InputError(source, "signatures", "expected an array")
            records = []
            for i, item in enumerate(raw_records):
                if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
                    raise InputError(source, f"records[{i}].kind", "expected a record kind")
                records.append(
                    record_from_dict(
                        item["kind"],
                        item.get("data"),
                        source=source,
                        location=f"records[{i}].data",
                    )
                )
            sigs = tuple(
                Signature.from_dict(s, source=source, location=f"signatures[{i}]")
                for i, s in enumerate(raw_sigs)
            )
            at = dt.datetime.fromisoformat(str(data["at"]))
            event = cls(
                seq=seq,
                issue_id=str(data["issue_id"]),
                action=Action(data["action"]),
                records=tuple(records),
                actor=str(data["actor"]),
                at=at,
                policy_digest=str(data["policy_digest"]),
                signatures=sigs,
                state_after=State(data["state_after"]),
                prev_digest=str(data["prev_digest"]),
            )
        except KeyError as exc:
            raise InputError(source, str(exc.args[0]), "missing field") from None
        except ValueError as exc:
            raise InputError(source, None, str(exc)) from None
        if "digest" in data and data["digest"] != event.digest:
            raise IntegrityError(f"{source}: event {seq}: digest does not match its content")
        return event


@dataclass(frozen=True, slots=True)
class Deadline:
    """A timer of rules.yaml ``timers``: due date, when it was met, overdue or not."""

    id: str
    what: str
    due: dt.datetime
    source: str
    done_at: dt.datetime | None
    overdue: bool

    @property
    def met(self) -> bool:
        return self.done_at is not None and self.done_at <= self.due


# --------------------------------------------------------------------------- assessment


def risk_evaluation(analysis: Analysis, policy: Policy) -> RiskEvaluation | None:
    """The controlled/uncontrolled evaluation of ``analysis`` under ``policy``.

    None when the inputs are not yet there (no exploitability and no CVSS vector, or no harm
    severity and not a confidentiality-only issue).
    """
    base = analysis.base_exploitability
    if base is None:
        score = analysis.cvss_v31_score or analysis.cvss_v40_score
        if score is None:
            return None
        base = exploitability_from_cvss(score, policy.risk)
    if analysis.harm_severity is None and not (
        analysis.confidentiality_only or analysis.known_serious_adverse_event_or_death
    ):
        return None
    inputs = RiskInputs(
        base_exploitability=base,
        severity=analysis.harm_severity,
        kev_listed=analysis.kev_listed,
        actively_exploited=analysis.exploitation.value == "active",
        public_poc=analysis.exploitation.value == "public_poc",
        epss=analysis.epss,
        verified_device_side_controls=analysis.verified_device_side_controls,
        multi_patient_harm_possible=analysis.multi_patient_harm_possible,
        confidentiality_only=analysis.confidentiality_only,
        verified_compensating_controls=analysis.verified_compensating_controls,
        known_serious_adverse_event_or_death=analysis.known_serious_adverse_event_or_death,
    )
    return evaluate(inputs, policy.risk)


def ssvc_outcome(
    analysis: Analysis, policy: Policy, status: RiskControlStatus | None
) -> SsvcOutcome:
    """SSVC supplier priority, with the 524B floor when the risk is uncontrolled."""
    exploitation = exploitation_from_feeds(
        reported=analysis.exploitation,
        kev_listed=analysis.kev_listed,
        epss=analysis.epss,
        epss_active_above=policy.ssvc.epss_active_above,
        epss_bump_at=policy.ssvc.epss_bump_at,
        epss_poc_active_at=policy.ssvc.epss_poc_active_at,
    )
    severity = None if analysis.confidentiality_only else analysis.harm_severity
    inputs = SsvcInputs(
        exploitation,
        analysis.automatable,
        analysis.value_density,
        analysis.technical_impact,
        public_safety_from_harm(severity, policy.ssvc.public_safety),
    )
    floor = policy.uncontrolled_ssvc_min if status is RiskControlStatus.UNCONTROLLED else None
    return supplier_priority(inputs, floor=floor, floor_reason="uncontrolled risk (524B(b)(2)(B))")


def assess(analysis: Analysis, policy: Policy) -> Analysis:
    """``analysis`` with its computed fields filled under ``policy`` (sign the result)."""
    evaluation = risk_evaluation(analysis, policy)
    status = evaluation.status if evaluation else None
    effective = analysis.risk_override.status if analysis.risk_override else status
    ssvc = ssvc_outcome(analysis, policy, effective)
    return dataclasses.replace(
        analysis,
        risk_control_status=status,
        risk_rule=evaluation.rule if evaluation else "",
        effective_exploitability=evaluation.exploitability if evaluation else None,
        ssvc_priority=ssvc.decision,
        ssvc_row=ssvc.row,
    )


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    current = start
    added = 0
    while added < days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


# --------------------------------------------------------------------------- the aggregate


class _Gate:
    """Collects every missing item of one transition, then raises once."""

    def __init__(self, issue: SecurityIssue, transition: str) -> None:
        self.issue = issue
        self.transition = transition
        self.missing: list[str] = []

    def need(self, ok: object, name: str) -> None:
        if not ok:
            self.missing.append(name)

    def text(self, value: str | None, name: str) -> None:
        self.need(value is not None and value.strip(), name)

    def approvals(
        self,
        kind: ApprovalKind,
        record: Record,
        signatures: Sequence[Signature],
        *,
        author: str,
        label: str,
        signer: str | None = None,
    ) -> None:
        """The policy's approval rule for ``kind`` holds for ``record``."""
        policy = self.issue.policy
        rule = policy.approvals[kind]
        valid: list[Signature] = []
        for sig in signatures:
            if sig.meaning is not SignatureMeaning.APPROVED or not sig.covers(record):
                continue
            held = policy.roles_of(sig.signer)
            if held is not None and sig.role not in held:
                self.missing.append(f"{label}: {sig.signer} does not hold role {sig.role.value}")
                continue
            if rule.distinct_from_author and sig.signer == author:
                continue
            if signer is not None and sig.signer != signer:
                continue
            if sig.role in rule.roles:
                valid.append(sig)
        suffix = " other than the author" if rule.distinct_from_author else ""
        if signer is not None:
            suffix += f" (signed by {signer})"
        if rule.all:
            for role in rule.roles:
                if not any(s.role is role for s in valid):
                    self.missing.append(f"{label} approval by {role.value}{suffix}")
        elif not valid:
            roles = " or ".join(r.value for r in rule.roles)
            self.missing.append(f"{label} approval by {roles}{suffix}")

    def check(self) -> None:
        waived = self.issue._pending_waivers(self.transition)
        remaining = [m for m in dict.fromkeys(self.missing) if m not in waived]
        if remaining:
            raise GateNotMet(self.transition, remaining)


class SecurityIssue:
    """One vulnerability x one product line, rebuilt from its events."""

    def __init__(self, issue_id: str, policy: Policy) -> None:
        if not issue_id.strip():
            raise InputError("issue", "issue_id", "must not be empty")
        self.issue_id = issue_id
        self.policy = policy
        self._events: list[Event] = []
        self._state: State | None = None

    # ----------------------------------------------------------------- reading

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(self._events)

    @property
    def state(self) -> State:
        if self._state is None:
            raise Conflict(f"issue {self.issue_id} has no intake yet")
        return self._state

    @property
    def intake(self) -> Intake:
        rec = self.latest(Intake)
        assert rec is not None  # an issue exists only through open()
        return rec

    @property
    def t0(self) -> dt.datetime:
        return self.intake.learned_at

    def all(self, kind: type[R]) -> list[R]:
        return [r for e in self._events for r in e.records if isinstance(r, kind)]

    def latest(self, kind: type[R]) -> R | None:
        found = self.all(kind)
        return found[-1] if found else None

    def _event_of(self, record: Record) -> Event:
        for event in reversed(self._events):
            if any(r is record for r in event.records):
                return event
        raise LookupError(record.KIND)

    @property
    def analysis(self) -> Analysis | None:
        return self.latest(Analysis)

    @property
    def risk_status(self) -> RiskControlStatus | None:
        analysis = self.analysis
        return analysis.effective_status if analysis else None

    def item_class(self) -> ItemClass | None:
        analysis = self.analysis
        if analysis is not None and analysis.item_class is not None:
            return analysis.item_class
        return self.intake.item_class

    def _entries(self, *, with_releases: bool = True) -> dict[str, AffectedRelease]:
        """product@release -> its current entry, from intake, analysis, VEX (and releases)."""
        matrix = {a.key: a for a in self.intake.affected}
        for event in self._events:
            for rec in event.records:
                if isinstance(rec, Analysis) and rec.affected is not None:
                    matrix.update({a.key: a for a in rec.affected})
                elif isinstance(rec, NotAffected):
                    for key in rec.releases or tuple(matrix):
                        product, _, release = key.rpartition("@")
                        entry = matrix.get(key) or AffectedRelease(product, release, NA)
                        matrix[key] = dataclasses.replace(entry, status=NA)
                elif isinstance(rec, ReleaseAdvisory) and with_releases:
                    matrix.update({a.key: a for a in rec.release_statuses})
        return matrix

    def release_matrix(self) -> dict[str, ReleaseStatus]:
        """product@release -> current status, from intake, analysis, VEX and releases."""
        return {k: a.status for k, a in self._entries().items()}

    def affected_releases(self) -> list[str]:
        """The releases that need a resolution: affected or under investigation, as the intake
        and the analysis say (a fix release does not take them off)."""
        return [k for k, a in self._entries(with_releases=False).items()
                if a.status in _OPEN_STATUSES]  # fmt: skip

    def component_purls(self) -> tuple[str, ...]:
        """The affected components' package URLs named by the intake and the analyses."""
        purls = [a.component_purl for a in self.intake.affected if a.component_purl]
        for analysis in self.all(Analysis):
            purls.extend(a.component_purl for a in analysis.affected or () if a.component_purl)
        return tuple(dict.fromkeys(purls))

    def resolutions(self) -> dict[str, ResolutionDecision]:
        """product@release -> the R5 in force: the latest naming the release, or applying to
        every affected release."""
        affected = self.affected_releases()
        out: dict[str, ResolutionDecision] = {}
        for rec in self.all(ResolutionDecision):
            out.update(dict.fromkeys(rec.releases or affected, rec))
        return out

    def pending_fix(self) -> list[str]:
        """Releases resolved by a fix that no R10 release has marked fixed yet."""
        released = self.all(ReleaseAdvisory)
        return [
            key
            for key, r5 in self.resolutions().items()
            if r5.approach in _FIX_APPROACHES and not any(r.fixes(key) for r in released)
        ]

    def release_resolutions(self) -> list[ReleaseResolution]:
        """Each release of the matrix with the resolution in force and its gate status."""
        affected = set(self.affected_releases())
        resolutions = self.resolutions()
        out = []
        for key, status in self.release_matrix().items():
            r5 = resolutions.get(key)
            missing = self._release_items(key, resolutions) if key in affected else []
            out.append(ReleaseResolution(
                key, status, key in affected, r5.approach if r5 else None,
                tuple(dict.fromkeys(missing)),
            ))  # fmt: skip
        return out

    def vex_statuses(
        self, release: ReleaseAdvisory, fixed_release: str
    ) -> tuple[AffectedRelease, ...]:
        """The VEX status of every release once ``release`` is out: the release matrix with its
        release statuses, and the fixed release itself as fixed."""
        entries = self._entries()
        entries.update({a.key: a for a in release.release_statuses})
        out = [AffectedRelease(a.product, a.release, a.status) for a in entries.values()]
        product, at, version = fixed_release.rpartition("@")
        if at and fixed_release not in entries:
            out.append(AffectedRelease(product, version, ReleaseStatus.FIXED))
        return tuple(out)

    def _pending_waivers(self, transition: str) -> set[str]:
        waived: set[str] = set()
        for event in reversed(self._events):
            if event.action is not Action.OVERRIDE:
                if event.action is not Action.ATTACH:
                    break
                continue
            for rec in event.records:
                if isinstance(rec, Override) and rec.transition == transition:
                    waived.update(rec.waived)
        return waived

    # ----------------------------------------------------------------- writing

    def _append(
        self,
        action: Action,
        records: Iterable[Record],
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature],
        state_after: State,
    ) -> Event:
        if at.tzinfo is None:
            raise InputError(action.value, "at", "date-time needs a time zone")
        if not actor.strip():
            raise InputError(action.value, "actor", "must not be empty")
        if self._events and at < self._events[-1].at:
            raise Conflict(f"{action.value}: {at.isoformat()} is before the last event")
        event = Event(
            seq=len(self._events),
            issue_id=self.issue_id,
            action=action,
            records=tuple(records),
            actor=actor,
            at=at,
            policy_digest=self.policy.digest,
            signatures=tuple(signatures),
            state_after=state_after,
            prev_digest=self._events[-1].digest if self._events else "",
        )
        self._events.append(event)
        self._state = state_after
        return event

    def _from(self, action: Action) -> State:
        sources, target = TRANSITIONS[action]
        if self.state not in sources:
            allowed = ", ".join(sorted(s.value for s in sources))
            raise Conflict(
                f"{action.value}: issue {self.issue_id} is {self.state.value}, needs {allowed}"
            )
        return target

    @classmethod
    def open(
        cls,
        issue_id: str,
        intake: Intake,
        *,
        policy: Policy,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> SecurityIssue:
        """RECEIVED with the intake record R1 (T0 = ``intake.learned_at``)."""
        issue = cls(issue_id, policy)
        gate = _Gate(issue, Action.OPEN.value)
        if intake.source.value in policy.external_sources:
            gate.text(intake.reporter, "R1_intake.reporter")
        gate.text(intake.channel, "R1_intake.channel")
        gate.need(intake.affected, "R1_intake.affected")
        if gate.missing:
            raise GateNotMet(Action.OPEN.value, gate.missing)
        issue._append(
            Action.OPEN, [intake], actor=actor, at=at, signatures=signatures, state_after=S.RECEIVED
        )
        return issue

    @classmethod
    def from_events(cls, events: Sequence[Event], policy: Policy) -> SecurityIssue:
        """Rebuild from stored events; the hash chain and every transition are checked."""
        if not events:
            raise IntegrityError("no events")
        issue = cls(events[0].issue_id, policy)
        prev = ""
        for i, event in enumerate(events):
            where = f"issue {issue.issue_id} event {i}"
            if event.seq != i or event.prev_digest != prev or event.issue_id != issue.issue_id:
                raise IntegrityError(f"{where}: the chain is broken")
            if i == 0:
                ok = event.action is Action.OPEN and event.state_after is S.RECEIVED
            elif event.action in (Action.ATTACH, Action.OVERRIDE):
                ok = event.state_after is issue._state
            elif event.action in TRANSITIONS:
                sources, target = TRANSITIONS[event.action]
                ok = issue._state in sources and event.state_after is target
            else:
                ok = False
            if not ok:
                raise IntegrityError(f"{where}: {event.action.value} is not a valid transition")
            issue._events.append(event)
            issue._state = event.state_after
            prev = event.digest
        return issue

    def attach(
        self,
        record: Record,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """Add a record that does not move the state (acknowledgements, notices, R7, R6, R12)."""
        states = _ATTACHABLE.get(type(record))
        if states is None:
            raise Conflict(f"attach: {record.KIND} is recorded through its transition")
        if self.state not in states:
            raise Conflict(f"attach: {record.KIND} cannot be added to a {self.state.value} issue")
        label = f"attach {record.KIND}"
        gate = _Gate(self, label)
        if isinstance(record, Reportability):
            gate.text(record.rationale, "R7_reportability.rationale")
            gate.approvals(
                ApprovalKind.REPORTABILITY,
                record,
                signatures,
                author=actor,
                label="R7_reportability",
            )
        elif isinstance(record, ThirdPartyNotice):
            gate.text(record.supplier, "R8_third_party.supplier")
        elif isinstance(record, CustomerNotice):
            gate.text(record.description_and_impact, "R8_customer.description_and_impact")
            self._known_releases(gate, record.releases, "R8_customer.releases")
        elif isinstance(record, ChangeImpactReview):
            gate.text(record.change_request_id, "R6_change_impact.change_request_id")
            self._known_releases(gate, record.releases, "R6_change_impact.releases")
        elif isinstance(record, DisclosureDecision):
            self._disclosure_gate(gate, record)
            gate.approvals(
                ApprovalKind.DECISION, record, signatures, author=actor, label="R4_disclosure"
            )
        gate.check()
        return self._append(
            Action.ATTACH,
            [record],
            actor=actor,
            at=at,
            signatures=signatures,
            state_after=self.state,
        )

    def review_change(
        self,
        review: ChangeImpactReview,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """R6: the change impact review (each aspect reviewer signs it)."""
        return self.attach(review, actor=actor, at=at, signatures=signatures)

    def override(
        self,
        override: Override,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature],
    ) -> Event:
        """Waive named gate items for the next ``override.transition``; signed and recorded."""
        if self.state in TERMINAL:
            raise Conflict(f"override: issue {self.issue_id} is {self.state.value}")
        gate = _Gate(self, Action.OVERRIDE.value)
        gate.text(override.justification, "override.justification")
        gate.need(override.waived, "override.waived")
        gate.need(override.transition in {a.value for a in TRANSITIONS}, "override.transition")
        gate.approvals(ApprovalKind.OVERRIDE, override, signatures, author=actor, label="override")
        if gate.missing:
            raise GateNotMet(Action.OVERRIDE.value, gate.missing)
        return self._append(
            Action.OVERRIDE,
            [override],
            actor=actor,
            at=at,
            signatures=signatures,
            state_after=self.state,
        )

    # ----------------------------------------------------------------- transitions

    def triage(
        self, triage: Triage, *, actor: str, at: dt.datetime, signatures: Sequence[Signature] = ()
    ) -> Event:
        """RECEIVED -> TRIAGE. G_ack: an external reporter acknowledged within policy time."""
        target = self._from(Action.TRIAGE)
        gate = _Gate(self, Action.TRIAGE.value)
        intake = self.intake
        if intake.source.value in self.policy.external_sources:
            acks = [a.sent_at for a in self.all(ReporterAcknowledgement)]
            if intake.acknowledged_at is not None:
                acks.append(intake.acknowledged_at)
            days = self.policy.timers.ack_business_days
            if not acks:
                gate.missing.append("R8_reporter_ack")
            elif min(acks) > add_business_days(intake.learned_at, days):
                gate.missing.append(f"R8_reporter_ack within {days} business days of learned_at")
        gate.text(triage.applicability_rationale, "R2_triage.applicability_rationale")
        gate.text(triage.verifiability, "R2_triage.verifiability")
        gate.approvals(ApprovalKind.TRIAGE, triage, signatures, author=actor, label="R2_triage")
        gate.check()
        return self._append(
            Action.TRIAGE, [triage], actor=actor, at=at, signatures=signatures, state_after=target
        )

    def close_not_affected(
        self,
        not_affected: NotAffected,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """TRIAGE -> CLOSED_NOT_AFFECTED. G_not_affected: VEX justification + evidence +
        approver other than the author."""
        target = self._from(Action.CLOSE_NOT_AFFECTED)
        gate = _Gate(self, Action.CLOSE_NOT_AFFECTED.value)
        rec = not_affected
        gate.need(rec.evidence and all(e.strip() for e in rec.evidence), "not_affected.evidence")
        gate.text(rec.author, "not_affected.author")
        gate.text(rec.approver, "not_affected.approver")
        gate.need(
            not rec.approver.strip() or rec.approver != rec.author,
            "not_affected.approver other than the author",
        )
        known = set(self.release_matrix())
        for key in rec.releases:
            gate.need(key in known, f"not_affected.releases {key} (not a release of this issue)")
        gate.approvals(
            ApprovalKind.NOT_AFFECTED,
            rec,
            signatures,
            author=rec.author,
            label="not_affected",
            signer=rec.approver or None,
        )
        gate.check()
        return self._append(
            Action.CLOSE_NOT_AFFECTED, [rec], actor=actor, at=at, signatures=signatures,
            state_after=target,
        )  # fmt: skip

    def close_duplicate(
        self,
        duplicate: Duplicate,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """TRIAGE -> CLOSED_DUPLICATE with the link to the master issue."""
        target = self._from(Action.CLOSE_DUPLICATE)
        gate = _Gate(self, Action.CLOSE_DUPLICATE.value)
        gate.text(duplicate.master_issue_id, "duplicate.master_issue_id")
        gate.need(
            duplicate.master_issue_id != self.issue_id, "duplicate.master_issue_id (another issue)"
        )
        gate.approvals(
            ApprovalKind.DUPLICATE, duplicate, signatures, author=actor, label="duplicate"
        )
        gate.check()
        return self._append(
            Action.CLOSE_DUPLICATE, [duplicate], actor=actor, at=at, signatures=signatures,
            state_after=target,
        )  # fmt: skip

    def analyze(
        self,
        analysis: Analysis,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """TRIAGE|REOPENED -> ANALYSIS with R3, assessed under the policy and jointly signed."""
        target = self._from(Action.ANALYZE)
        gate = _Gate(self, Action.ANALYZE.value)
        if self.state is S.TRIAGE:
            triage = self.latest(Triage)
            gate.need(triage is not None and triage.applicable, "R2_triage.applicable")
        expected = assess(analysis, self.policy)
        for name in ("risk_control_status", "risk_rule", "ssvc_priority", "ssvc_row"):
            gate.need(
                getattr(expected, name) == getattr(analysis, name),
                f"R3_analysis.{name} as assessed under the policy",
            )
        if analysis.risk_override is not None:
            ov = analysis.risk_override
            gate.text(ov.justification, "R3_analysis.risk_override.justification")
            gate.text(ov.approver, "R3_analysis.risk_override.approver")
            gate.need(
                any(
                    s.signer == ov.approver
                    and s.meaning is SignatureMeaning.APPROVED
                    and s.covers(analysis)
                    for s in signatures
                ),
                f"R3_analysis.risk_override approval by {ov.approver or 'its approver'}",
            )
        gate.approvals(
            ApprovalKind.ANALYSIS, analysis, signatures, author=actor, label="R3_analysis"
        )
        gate.check()
        return self._append(
            Action.ANALYZE, [analysis], actor=actor, at=at, signatures=signatures,
            state_after=target,
        )  # fmt: skip

    def _analysis_complete(self, gate: _Gate) -> None:
        a = self.analysis
        if a is None:
            gate.missing.append("R3_analysis")
            return
        gate.need(a.cvss_v31 or a.cvss_v40, "R3_analysis.cvss_vector")
        gate.need(a.affected, "R3_analysis.affected")
        gate.text(a.root_cause, "R3_analysis.root_cause")
        gate.need(a.related_issues is not None, "R3_analysis.related_issues")
        gate.text(a.safety_effectiveness_impact, "R3_analysis.safety_effectiveness_impact")
        gate.need(a.effective_status is not None, "R3_analysis.risk_control_status")
        gate.need(a.kev_snapshot is not None, "R3_analysis.kev_snapshot")
        if a.epss is not None:
            gate.need(a.epss_snapshot is not None, "R3_analysis.epss_snapshot")

    def _reportability_gates(self, gate: _Gate) -> None:
        """G_uncontrolled and G_harm."""
        a = self.analysis
        if a is None:
            return
        uncontrolled = a.effective_status is RiskControlStatus.UNCONTROLLED
        harm = a.known_serious_adverse_event_or_death
        if not (uncontrolled or harm):
            return
        r7 = self.latest(Reportability)
        if r7 is None:
            gate.missing.append("R7_reportability")
            return
        if uncontrolled:
            gate.need(
                r7.risk_control_status is RiskControlStatus.UNCONTROLLED,
                "R7_reportability.risk_control_status uncontrolled",
            )
            gate.need(
                r7.us_route
                in {UsRoute.REPORT_806, UsRoute.NON_ENFORCEMENT_806, UsRoute.MDR_803,
                    UsRoute.NOT_US_MARKET},
                "R7_reportability.us_route (806 report, 806 non-enforcement or 803)",
            )  # fmt: skip
            if r7.us_route is UsRoute.NON_ENFORCEMENT_806:
                gate.need(r7.non_enforcement_evidence, "R7_reportability.non_enforcement_evidence")
        if harm:
            gate.need(r7.harm_known, "R7_reportability.harm_known")
            gate.need(
                r7.us_route in {UsRoute.MDR_803, UsRoute.NOT_US_MARKET},
                "R7_reportability.us_route 803 MDR (806 non-enforcement is closed)",
            )
            gate.need(
                r7.eu_route in {EuRoute.SERIOUS_INCIDENT, EuRoute.FSCA, EuRoute.NOT_EU_MARKET},
                "R7_reportability.eu_route MDR Art. 87 (serious incident or FSCA)",
            )
            if r7.eu_route in {EuRoute.SERIOUS_INCIDENT, EuRoute.FSCA}:
                gate.need(r7.eu_category is not None, "R7_reportability.eu_category")

    def _resolution_fields(
        self, gate: _Gate, resolution: ResolutionDecision, label: str, *, uncontrolled: bool
    ) -> None:
        """R5 on its own: rationale, target, release vehicle, and G_env_only for an
        environment-of-use update (MDCG 2019-16 §3.6)."""
        gate.text(resolution.rationale, f"{label}.rationale")
        if resolution.approach is not ResolutionApproach.ACCEPT_RESIDUAL_RISK:
            gate.need(resolution.target_date is not None, f"{label}.target_date")
        if resolution.release_vehicle is ReleaseVehicle.REGULAR_CYCLE:
            if uncontrolled and self.policy.uncontrolled_release_vehicle == "out_of_cycle":
                gate.missing.append(f"{label}.release_vehicle out_of_cycle (uncontrolled)")
            gate.text(
                resolution.regular_cycle_justification_ref,
                f"{label}.regular_cycle_justification_ref",
            )
        if (
            uncontrolled
            and resolution.approach is ResolutionApproach.ACCEPT_RESIDUAL_RISK
            and not self.policy.allow_accepting_uncontrolled_risk
        ):
            gate.missing.append(f"{label}.approach (uncontrolled risk cannot be accepted)")
        if resolution.approach in _ENV_APPROACHES:
            self._environment_fields(gate, resolution, label)

    def _environment_fields(self, gate: _Gate, r: ResolutionDecision, label: str) -> None:
        """G_env_only: the versioned environment document and the §3.6 justifications."""
        gate.text(r.environment_document, f"{label}.environment_document")
        gate.text(r.environment_document_version, f"{label}.environment_document_version")
        gate.need(r.environment_requirements, f"{label}.environment_requirements")
        gate.text(r.evidence_risk_acceptable, f"{label}.evidence_risk_acceptable")
        gate.text(r.user_capability_justification, f"{label}.user_capability_justification")
        gate.text(r.labelling_update_ref, f"{label}.labelling_update_ref")
        if r.approach is ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE:
            gate.text(r.env_compensation_justification, f"{label}.env_compensation_justification")

    def _known_releases(self, gate: _Gate, keys: Iterable[str], label: str) -> None:
        known = self.release_matrix()
        for key in keys:
            gate.need(key in known, f"{label} {key} (not a release of this issue)")

    def decide(
        self,
        disclosure: DisclosureDecision,
        resolution: ResolutionDecision | Sequence[ResolutionDecision],
        cross_product: CrossProduct,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """ANALYSIS|OPEN_ACCEPTED -> DECISION with R4, R5 (one per group of releases) and R12
        (9.5 bullets 1, 2, 4, 5). Every affected release must have a resolution afterwards."""
        target = self._from(Action.DECIDE)
        gate = _Gate(self, Action.DECIDE.value)
        resolutions = (
            [resolution] if isinstance(resolution, ResolutionDecision) else list(resolution)
        )
        self._analysis_complete(gate)
        self._reportability_gates(gate)
        status = self.risk_status
        uncontrolled = status is RiskControlStatus.UNCONTROLLED
        # R4
        self._disclosure_gate(gate, disclosure)
        # R5, one per group of releases
        gate.need(resolutions, "R5_resolution")
        labels = (
            ["R5_resolution"]
            if len(resolutions) == 1
            else [f"R5_resolution[{i}]" for i in range(len(resolutions))]
        )
        decided = self.resolutions()
        named: dict[str, str] = {}
        for r5, label in zip(resolutions, labels, strict=True):
            self._resolution_fields(gate, r5, label, uncontrolled=uncontrolled)
            if len(resolutions) > 1 and not r5.releases:
                gate.missing.append(f"{label}.releases (name the releases of each resolution)")
            self._known_releases(gate, r5.releases, f"{label}.releases")
            for key in r5.releases:
                if key in named:
                    gate.missing.append(f"{label}.releases {key} (also in {named[key]})")
                named.setdefault(key, label)
            decided.update(dict.fromkeys(r5.releases or self.affected_releases(), r5))
        for key in self.affected_releases():
            gate.need(key in decided, f"R5_resolution for {key}")
        # R12
        gate.need(cross_product.checked, "R12_cross_product.checked")
        gate.text(cross_product.query, "R12_cross_product.query")
        # G_third_party (notified now; acknowledged by closure)
        a = self.analysis
        notified = {n.supplier for n in self.all(ThirdPartyNotice)}
        for supplier in a.third_party_suppliers if a else ():
            gate.need(supplier in notified, f"R8_third_party {supplier}")
        gate.approvals(
            ApprovalKind.DECISION, disclosure, signatures, author=actor, label="R4_disclosure"
        )
        for r5, label in zip(resolutions, labels, strict=True):
            gate.approvals(ApprovalKind.DECISION, r5, signatures, author=actor, label=label)
        gate.check()
        return self._append(
            Action.DECIDE, [disclosure, *resolutions, cross_product], actor=actor, at=at,
            signatures=signatures, state_after=target,
        )  # fmt: skip

    def start_remediation(
        self,
        change_request: ChangeRequest,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """DECISION (or, for a further fix release, RELEASED|POST_FIX_MONITORING) -> REMEDIATION
        with the change request (62304 §9.4); a release resolved by a fix must be left to fix."""
        target = self._from(Action.START_REMEDIATION)
        gate = _Gate(self, Action.START_REMEDIATION.value)
        gate.need(
            self.pending_fix(),
            "R5_resolution.approach fix or interim_environment_then_fix for a release not yet "
            "fixed",
        )
        gate.text(change_request.change_request_id, "change_request.change_request_id")
        gate.text(change_request.description, "change_request.description")
        gate.check()
        return self._append(
            Action.START_REMEDIATION, [change_request], actor=actor, at=at,
            signatures=signatures, state_after=target,
        )  # fmt: skip

    def _change_review(self, gate: _Gate, key: str | None = None) -> None:
        """G_change_review: the R6 covering ``key`` (any R6 when None) approved by every
        required reviewer."""
        reviews = [r for r in self.all(ChangeImpactReview) if key is None or r.covers(key)]
        if not reviews:
            gate.missing.append("R6_change_impact")
            return
        review = reviews[-1]
        sigs = self._event_of(review).signatures
        for name in self.policy.required_review_aspects:
            aspect = ReviewAspect(name)
            entry = review.aspect(aspect)
            if entry is None:
                gate.missing.append(f"R6_change_impact.{aspect.value}")
                continue
            gate.need(
                entry.verdict is Verdict.APPROVED, f"R6_change_impact.{aspect.value} approved"
            )
            gate.need(
                any(
                    s.signer == entry.reviewer
                    and s.meaning in (SignatureMeaning.REVIEWED, SignatureMeaning.APPROVED)
                    and s.covers(review)
                    for s in sigs
                ),
                f"R6_change_impact.{aspect.value} signature by {entry.reviewer}",
            )

    def _per_release(
        self, keys: Iterable[str], check: Callable[[_Gate, str], None]
    ) -> dict[str, list[str]]:
        """``check`` run for each release: what each lacks."""
        per: dict[str, list[str]] = {}
        for key in keys:
            scratch = _Gate(self, "release")
            check(scratch, key)
            per[key] = scratch.missing
        return per

    def _interim_notice(self, gate: _Gate) -> None:
        if self.risk_status is not RiskControlStatus.UNCONTROLLED:
            return
        interim = [n for n in self.all(CustomerNotice) if n.kind is NoticeKind.INTERIM]
        if not interim:
            gate.missing.append("R8_customer interim notice (uncontrolled risk)")
        else:
            gate.missing.extend(interim[-1].missing_fda_elements())

    def _rescan(self, gate: _Gate, v: Verification, *, typed_refused: bool) -> None:
        """G_verify rescan_no_new_vulns, from the re-scan psirt computed (R9 ``rescan``)."""
        if typed_refused and v.typed_rescan:
            gate.missing.append(
                "R9_verification.rescan_tool, rescan_date and rescan_new_vulnerabilities "
                "(psirt computes the re-scan; leave them out)"
            )
        if v.rescan is None:
            if self.policy.require_rescan or v.rescan_new_vulnerabilities:
                gate.missing.append(
                    "R9_verification.rescan (computed by psirt from the stored findings of the "
                    "fixed release)"
                )
            return
        unknown, found = v.rescan.problems()
        if self.policy.require_rescan:
            gate.missing.extend(unknown)
        gate.missing.extend(found)

    def verify(
        self,
        verification: Verification,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """REMEDIATION -> VERIFICATION. G_change_review for the releases being fixed; interim
        customer notice if uncontrolled; the computed re-scan of the fixed release is clean."""
        target = self._from(Action.VERIFY)
        gate = _Gate(self, Action.VERIFY.value)
        # The change under verification fixes some of the releases still to fix: one of them
        # at least has its R6 (closure checks each release's own).
        reviews = self._per_release(self.pending_fix(), self._change_review)
        if reviews and all(reviews.values()):
            gate.missing.extend(merge_items(reviews, len(self.release_matrix())))
        self._interim_notice(gate)
        gate.text(verification.tester, "R9_verification.tester")
        gate.text(verification.software_version, "R9_verification.software_version")
        self._rescan(gate, verification, typed_refused=True)
        gate.check()
        return self._append(
            Action.VERIFY, [verification], actor=actor, at=at, signatures=signatures,
            state_after=target,
        )  # fmt: skip

    def rework(
        self, rework: Rework, *, actor: str, at: dt.datetime, signatures: Sequence[Signature] = ()
    ) -> Event:
        """VERIFICATION -> REMEDIATION (verification found the change wanting)."""
        target = self._from(Action.REWORK)
        gate = _Gate(self, Action.REWORK.value)
        gate.text(rework.reason, "rework.reason")
        gate.check()
        return self._append(
            Action.REWORK, [rework], actor=actor, at=at, signatures=signatures, state_after=target
        )

    @staticmethod
    def fixed_release(release: ReleaseAdvisory) -> str:
        """The release R10 names: psirt's resolution of ``release_version`` when computed."""
        return release.sbom.release if release.sbom is not None else release.release_version

    @staticmethod
    def _verified_release(v: Verification, fixed: str) -> str:
        """The release R9 verified, as ``fixed`` names it when they are the same."""
        if v.rescan is not None:
            return v.rescan.release
        if fixed.rpartition("@")[2] == v.software_version:  # recorded before psirt resolved it
            return fixed
        return v.software_version

    def release(
        self,
        release: ReleaseAdvisory,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """VERIFICATION -> RELEASED. G_verify, G_item_class, advisory per R4, R7 filings; the
        SBOM and VEX claims checked against what psirt computed."""
        target = self._from(Action.RELEASE)
        gate = _Gate(self, Action.RELEASE.value)
        fixed = self.fixed_release(release)
        v = self.latest(Verification)
        if v is None:
            gate.missing.append("R9_verification")
        else:
            gate.need(v.targeted_test_passed, "R9_verification.targeted_test_passed")
            gate.need(v.regression_passed, "R9_verification.regression_passed")
            self._rescan(gate, v, typed_refused=False)
            gate.need(v.tester_independence is not None, "R9_verification.tester_independence")
            verified = self._verified_release(v, fixed)
            gate.need(
                verified == fixed,
                f"R9_verification of {fixed} (the last verification is of {verified})",
            )
            verify_event = self._event_of(v)
            gate.approvals(
                ApprovalKind.VERIFICATION,
                v,
                verify_event.signatures,
                author=verify_event.actor,
                label="R9_verification",
            )
        gate.need(release.release_statuses, "R10_release_advisory.release_statuses")
        self._known_releases(
            gate, (a.key for a in release.release_statuses), "R10_release_advisory.release_statuses"
        )
        resolutions = self.resolutions()
        for a in release.release_statuses:
            r5 = resolutions.get(a.key)
            if a.status is ReleaseStatus.FIXED and r5 is not None:
                gate.need(
                    r5.approach in _FIX_APPROACHES,
                    f"R10_release_advisory.release_statuses {a.key} fixed (its resolution is "
                    f"{r5.approach.value})",
                )
        self._release_evidence(gate, release, fixed)
        self._item_class_gate(gate, release)
        disclosure = self.latest(DisclosureDecision)
        if (
            disclosure is not None
            and disclosure.decision is DisclosureKind.DISCLOSE_PUBLIC_ADVISORY
        ):
            gate.text(release.advisory_id, "R10_release_advisory.advisory_id")
        r7 = self.latest(Reportability)
        if r7 is not None:
            if r7.us_route in {UsRoute.REPORT_806, UsRoute.MDR_803}:
                gate.need(r7.us_submitted_at is not None, "R7_reportability.us_submitted_at")
            if r7.eu_route in {EuRoute.SERIOUS_INCIDENT, EuRoute.FSCA}:
                gate.need(r7.eu_submitted_at is not None, "R7_reportability.eu_submitted_at")
        gate.approvals(
            ApprovalKind.RELEASE, release, signatures, author=actor, label="R10_release_advisory"
        )
        gate.check()
        return self._append(
            Action.RELEASE, [release], actor=actor, at=at, signatures=signatures,
            state_after=target,
        )  # fmt: skip

    def _release_evidence(self, gate: _Gate, release: ReleaseAdvisory, fixed: str) -> None:
        """R10's computed SBOM evidence and VEX statuses, and the claims checked against them."""
        label = "R10_release_advisory"
        sbom = release.sbom
        if sbom is None:
            gate.missing.append(f"{label}.sbom (computed by psirt from the fixed release's SBOM)")
        elif not sbom.release_stored:
            gate.missing.append(f"{label}.release_version: {fixed} is not a stored release")
        elif release.sbom_updated:
            if sbom.document_id is None:
                gate.missing.append(f"{label}.sbom_updated: no SBOM of {fixed} is stored")
            for c in sbom.still_listed:
                gate.missing.append(
                    f"{label}.sbom_updated: the SBOM of {fixed} (document {sbom.document_id}) "
                    f"still lists {c}"
                )
        gate.need(
            release.vex_statuses == self.vex_statuses(release, fixed),
            f"{label}.vex_statuses as computed from the release matrix",
        )
        if release.vex_updated:
            for a in release.vex_statuses:
                gate.need(
                    a.status is not ReleaseStatus.UNDER_INVESTIGATION,
                    f"{label}.vex_updated: {a.key} is still under_investigation",
                )

    def _item_class_gate(self, gate: _Gate, release: ReleaseAdvisory | None) -> None:
        """G_item_class: obligations of maintained / supported / required software items."""
        cls = self.item_class()
        if cls is None:
            gate.missing.append("R3_analysis.item_class")
            return
        if cls is ItemClass.MAINTAINED and release is not None:
            gate.need(release.update_available, "R10_release_advisory.update_available")
            gate.text(release.integrity, "R10_release_advisory.integrity")
        elif cls is ItemClass.SUPPORTED:
            gate.need(self.all(CustomerNotice), "R8_customer (supported software)")
            if release is not None:
                gate.text(
                    release.compatibility_statement, "R10_release_advisory.compatibility_statement"
                )
        elif cls is ItemClass.REQUIRED and release is not None:
            gate.need(
                release.compensating_control_requirements,
                "R10_release_advisory.compensating_control_requirements",
            )
            gate.text(
                release.residual_risk_disclosure, "R10_release_advisory.residual_risk_disclosure"
            )

    def monitor(
        self,
        post_fix: PostFix,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """RELEASED -> POST_FIX_MONITORING with R11."""
        target = self._from(Action.MONITOR)
        gate = _Gate(self, Action.MONITOR.value)
        gate.text(post_fix.effectiveness_method, "R11_post_fix.effectiveness_method")
        gate.text(post_fix.effectiveness_result, "R11_post_fix.effectiveness_result")
        if post_fix.deployment_rate is not None:
            gate.need(0.0 <= post_fix.deployment_rate <= 1.0, "R11_post_fix.deployment_rate 0..1")
        gate.check()
        return self._append(
            Action.MONITOR, [post_fix], actor=actor, at=at, signatures=signatures,
            state_after=target,
        )  # fmt: skip

    def _accepted_releases(self, acceptance: RiskAcceptance) -> list[str]:
        """The releases an R15 covers: those it names, else every release resolved by accepting
        the residual risk."""
        if acceptance.releases:
            return list(acceptance.releases)
        return [
            key
            for key, r5 in self.resolutions().items()
            if r5.approach is ResolutionApproach.ACCEPT_RESIDUAL_RISK
        ]

    def _acceptance_fields(self, gate: _Gate, r: RiskAcceptance) -> None:
        gate.text(r.residual_risk_statement, "R15_risk_acceptance.residual_risk_statement")
        gate.need(r.compensating_controls, "R15_risk_acceptance.compensating_controls")
        gate.text(r.controlled_risk_evidence, "R15_risk_acceptance.controlled_risk_evidence")
        gate.text(r.user_information_ref, "R15_risk_acceptance.user_information_ref")
        gate.text(r.approver, "R15_risk_acceptance.approver")

    def accept_risk(
        self,
        acceptance: RiskAcceptance,
        *,
        actor: str,
        at: dt.datetime,
        signatures: Sequence[Signature] = (),
    ) -> Event:
        """R15 for the releases resolved by accepting the residual risk, signed by management
        and the safety risk manager. DECISION -> OPEN_ACCEPTED when every affected release is
        resolved so; otherwise (other releases on their own path, or a renewed acceptance) the
        record is added without a state change."""
        resolutions = self.resolutions()
        all_accepted = bool(resolutions) and all(
            resolutions.get(key) is not None
            and resolutions[key].approach is ResolutionApproach.ACCEPT_RESIDUAL_RISK
            for key in self.affected_releases()
        )
        if self.state is S.DECISION and all_accepted:
            action, target = Action.ACCEPT_RISK, self._from(Action.ACCEPT_RISK)
        elif self.state in _ACCEPT_ATTACH_STATES:
            action, target = Action.ATTACH, self.state
        else:
            allowed = ", ".join(sorted(s.value for s in _ACCEPT_ATTACH_STATES))
            raise Conflict(
                f"accept_risk: issue {self.issue_id} is {self.state.value}, needs {allowed}"
            )
        gate = _Gate(self, Action.ACCEPT_RISK.value)
        r = acceptance
        covered = self._accepted_releases(r)
        self._known_releases(gate, r.releases, "R15_risk_acceptance.releases")
        gate.need(covered, "R5_resolution.approach accept_residual_risk")
        for key in covered:
            r5 = resolutions.get(key)
            gate.need(
                r5 is not None and r5.approach is ResolutionApproach.ACCEPT_RESIDUAL_RISK,
                f"R5_resolution.approach accept_residual_risk for {key}",
            )
        if (
            self.risk_status is not RiskControlStatus.CONTROLLED
            and not self.policy.allow_accepting_uncontrolled_risk
        ):
            gate.missing.append("R3_analysis.risk_control_status controlled")
        self._acceptance_fields(gate, r)
        gate.need(r.review_on > at.date(), "R15_risk_acceptance.review_on in the future")
        self._item_class_gate(gate, None)
        gate.approvals(
            ApprovalKind.RISK_ACCEPTANCE,
            r,
            signatures,
            author=actor,
            label="R15_risk_acceptance",
        )
        gate.check()
        return self._append(action, [r], actor=actor, at=at, signatures=signatures,
                            state_after=target)  # fmt: skip

    # ----------------------------------------------------------------- per-release gates

    def _release_items(
        self, key: str, resolutions: dict[str, ResolutionDecision] | None = None
    ) -> list[str]:
        """What release ``key``'s resolution still lacks; empty when it passed its gate."""
        r5 = (self.resolutions() if resolutions is None else resolutions).get(key)
        gate = _Gate(self, "release")
        if r5 is None:
            gate.missing.append("R5_resolution")
            return gate.missing
        if r5.approach in _ENV_APPROACHES:
            self._environment_items(gate, r5, key)
        if r5.approach in _FIX_APPROACHES:
            self._fix_items(gate, key)
        if r5.approach is ResolutionApproach.ACCEPT_RESIDUAL_RISK:
            self._acceptance_items(gate, key)
        return gate.missing

    def _environment_items(self, gate: _Gate, r5: ResolutionDecision, key: str) -> None:
        """An environment-of-use update: the document and its justifications, R6 where the
        policy requires it, the customer notice where required."""
        self._environment_fields(gate, r5, "R5_resolution")
        if self.policy.environment_update_change_review:
            self._change_review(gate, key)
        if (
            self.policy.environment_update_customer_notice
            or self.item_class() is ItemClass.SUPPORTED
            or self.risk_status is RiskControlStatus.UNCONTROLLED
        ):
            gate.need(
                any(n.covers(key) for n in self.all(CustomerNotice)),
                "R8_customer (environment-of-use update)",
            )

    def _fix_items(self, gate: _Gate, key: str) -> None:
        """A fix: the change request the release's R6 reviewed, that R6, the R10 marking the
        release fixed and the R9 of that R10's release."""
        requests = {cr.change_request_id for cr in self.all(ChangeRequest)}
        gate.need(requests, "change_request")
        reviews = [r for r in self.all(ChangeImpactReview) if r.covers(key)]
        if requests and reviews and reviews[-1].change_request_id not in requests:
            gate.missing.append(
                f"change_request {reviews[-1].change_request_id} (reviewed by R6_change_impact)"
            )
        self._change_review(gate, key)
        fixes = [r for r in self.all(ReleaseAdvisory) if r.fixes(key)]
        if not fixes:
            gate.missing.append("R10_release_advisory (a release marking it fixed)")
            return
        fixed = self.fixed_release(fixes[-1])
        gate.need(
            any(self._verified_release(v, fixed) == fixed for v in self.all(Verification)),
            f"R9_verification of {fixed}",
        )

    def _acceptance_items(self, gate: _Gate, key: str) -> None:
        """An accepted residual risk: the R15 covering the release, with its approvals."""
        found = [r for r in self.all(RiskAcceptance) if key in self._accepted_releases(r)]
        if not found:
            gate.missing.append("R15_risk_acceptance")
            return
        r15 = found[-1]
        event = self._event_of(r15)
        self._acceptance_fields(gate, r15)
        gate.approvals(
            ApprovalKind.RISK_ACCEPTANCE,
            r15,
            event.signatures,
            author=event.actor,
            label="R15_risk_acceptance",
        )

    def close(
        self, closure: Closure, *, actor: str, at: dt.datetime, signatures: Sequence[Signature] = ()
    ) -> Event:
        """POST_FIX_MONITORING|OPEN_ACCEPTED|DECISION -> CLOSED. G_close: every affected
        release's resolution passed its gate, disclosure done, third parties settled, R12."""
        target = self._from(Action.CLOSE)
        gate = _Gate(self, Action.CLOSE.value)
        resolutions = self.resolutions()
        per = {key: self._release_items(key, resolutions) for key in self.affected_releases()}
        gate.missing.extend(merge_items(per, len(self.release_matrix())))
        self._disclosure_done(gate)
        for supplier, notice in self._third_party_notices().items():
            gate.need(
                notice.settled,
                f"R8_third_party {supplier} acknowledged_at or non_response_documented",
            )
        gate.need(self.latest(CrossProduct) is not None, "R12_cross_product")
        gate.text(closure.rmf_updated_ref, "R16_closure.rmf_updated_ref")
        gate.need(closure.problem_report_closed, "R16_closure.problem_report_closed")
        gate.approvals(ApprovalKind.CLOSURE, closure, signatures, author=actor, label="R16_closure")
        gate.check()
        return self._append(
            Action.CLOSE, [closure], actor=actor, at=at, signatures=signatures, state_after=target
        )

    def _third_party_notices(self) -> dict[str, ThirdPartyNotice]:
        latest: dict[str, ThirdPartyNotice] = {}
        for notice in self.all(ThirdPartyNotice):
            latest[notice.supplier] = notice
        return latest

    def _disclosure_gate(self, gate: _Gate, disclosure: DisclosureDecision) -> None:
        """What an R4 needs, at the decision and when it is revised later."""
        gate.text(disclosure.rationale, "R4_disclosure.rationale")
        if disclosure.decision is DisclosureKind.DEFER_UNDER_EMBARGO:
            gate.need(disclosure.embargo_end is not None, "R4_disclosure.embargo_end")
        status = self.risk_status
        if status is RiskControlStatus.UNCONTROLLED:
            gate.need(
                disclosure.decision is not DisclosureKind.NO_DISCLOSURE,
                "R4_disclosure.decision (no_disclosure needs controlled risk)",
            )
            if self.policy.uncontrolled_requires_customer_audience:
                gate.need(Audience.USERS in disclosure.audiences, "R4_disclosure.audiences users")
        elif disclosure.decision is DisclosureKind.NO_DISCLOSURE:
            gate.need(status is RiskControlStatus.CONTROLLED, "R3_analysis.risk_control_status")

    def _disclosure_done(self, gate: _Gate) -> None:
        d = self.latest(DisclosureDecision)
        if d is None:
            gate.missing.append("R4_disclosure")
            return
        match d.decision:
            case DisclosureKind.DISCLOSE_PUBLIC_ADVISORY:
                gate.need(
                    any(r.advisory_id for r in self.all(ReleaseAdvisory)),
                    "R4_disclosure done: R10_release_advisory.advisory_id",
                )
            case DisclosureKind.DISCLOSE_TARGETED_CUSTOMERS:
                gate.need(self.all(CustomerNotice), "R4_disclosure done: R8_customer")
            case DisclosureKind.DISCLOSE_REGULATOR_ONLY:
                r7 = self.latest(Reportability)
                gate.need(
                    r7 is not None and (r7.us_submitted_at or r7.eu_submitted_at),
                    "R4_disclosure done: R7_reportability submitted",
                )
            case DisclosureKind.NO_DISCLOSURE:
                gate.text(d.rationale, "R4_disclosure.rationale")
            case DisclosureKind.DEFER_UNDER_EMBARGO:
                gate.missing.append("R4_disclosure decided after the embargo")

    def reopen(
        self, reopen: Reopen, *, actor: str, at: dt.datetime, signatures: Sequence[Signature] = ()
    ) -> Event:
        """POST_FIX_MONITORING|OPEN_ACCEPTED -> REOPENED (KEV listing, PoC, field incident ...)."""
        target = self._from(Action.REOPEN)
        gate = _Gate(self, Action.REOPEN.value)
        gate.text(reopen.details, "reopen.details")
        gate.check()
        return self._append(
            Action.REOPEN, [reopen], actor=actor, at=at, signatures=signatures, state_after=target
        )

    # ----------------------------------------------------------------- timers

    def _first_event_at(self, action: Action, after: int = 0) -> dt.datetime | None:
        for event in self._events[after:]:
            if event.action is action:
                return event.at
        return None

    def deadlines(self, now: dt.datetime) -> list[Deadline]:
        """Due dates of rules.yaml ``timers`` from T0 and the analysis; overdue when past due
        and not done (or done late)."""
        t = self.policy.timers
        t0 = self.t0
        out: list[Deadline] = []

        def add(
            id_: str, what: str, due: dt.datetime, source: str, done: dt.datetime | None
        ) -> None:
            overdue = (done if done is not None else now) > due
            out.append(Deadline(id_, what, due, source, done, overdue))

        intake = self.intake
        if intake.source.value in self.policy.external_sources:
            acks = [a.sent_at for a in self.all(ReporterAcknowledgement)]
            if intake.acknowledged_at is not None:
                acks.append(intake.acknowledged_at)
            add("ACK", "acknowledge the reporter", add_business_days(t0, t.ack_business_days),
                "D; FDA 2016 §X.C.i", min(acks) if acks else None)  # fmt: skip
        add("TRIAGE", "triage (9.3)", t0 + dt.timedelta(days=t.triage_days), "D",
            self._first_event_at(Action.TRIAGE))  # fmt: skip
        if self.state is S.CLOSED_NOT_AFFECTED or self.state is S.CLOSED_DUPLICATE:
            return out
        add("ANALYSIS", "analysis (9.4)", t0 + dt.timedelta(days=t.analysis_days), "D",
            self._first_event_at(Action.ANALYZE))  # fmt: skip
        released = self._first_event_at(Action.RELEASE)
        analysis = self.analysis
        if analysis is None:
            return out
        if analysis.effective_status is RiskControlStatus.UNCONTROLLED:
            interim = [n.sent_at for n in self.all(CustomerNotice) if n.kind is NoticeKind.INTERIM]
            add("US_UNCONTROLLED_COMMS",
                "customer communication (4 elements) + interim controls + remediation plan",
                t0 + dt.timedelta(days=t.uncontrolled_comms_days), "FDA 2016 §VII.B(2)",
                min(interim) if interim else None)  # fmt: skip
            add("US_UNCONTROLLED_FIX", "fix validated and deployable fix distributed",
                t0 + dt.timedelta(days=t.uncontrolled_fix_days), "FDA 2016 §VII.B(3)",
                released)  # fmt: skip
        prio = analysis.ssvc_priority
        if prio is not None:
            if prio in t.ssvc_interim_days:
                notices = [n.sent_at for n in self.all(CustomerNotice)]
                add(f"SSVC_{prio.value.upper()}_INTERIM", "interim mitigation / customer notice",
                    t0 + dt.timedelta(days=t.ssvc_interim_days[prio]), "D",
                    min(notices) if notices else None)  # fmt: skip
            if prio in t.ssvc_fix_days:
                add(f"SSVC_{prio.value.upper()}_FIX", f"fix released (SSVC {prio.value})",
                    t0 + dt.timedelta(days=t.ssvc_fix_days[prio]), "D", released)  # fmt: skip
            if prio in t.ssvc_review_days and prio is SsvcDecision.DEFER:
                add("SSVC_DEFER_REVIEW", "re-review the deferred issue",
                    t0 + dt.timedelta(days=t.ssvc_review_days[prio]), "D", None)  # fmt: skip
        r7 = self.latest(Reportability)
        if r7 is not None:
            if r7.us_route is UsRoute.REPORT_806 and r7.correction_started_at is not None:
                add("US_806_REPORT", "21 CFR 806 report",
                    add_business_days(r7.correction_started_at, t.report_806_working_days),
                    "21 CFR 806.10(b)", r7.us_submitted_at)  # fmt: skip
            if r7.eu_route in {EuRoute.SERIOUS_INCIDENT, EuRoute.FSCA} and r7.eu_category:
                days = {
                    EuIncidentCategory.SERIOUS_INCIDENT: t.eu_serious_incident_days,
                    EuIncidentCategory.DEATH_OR_SERIOUS_DETERIORATION:
                        t.eu_death_or_deterioration_days,
                    EuIncidentCategory.PUBLIC_HEALTH_THREAT: t.eu_public_health_threat_days,
                }[r7.eu_category]  # fmt: skip
                aware = r7.eu_aware_at or t0
                add(f"EU_{r7.eu_category.value.upper()}", "MDR Art. 87 report",
                    aware + dt.timedelta(days=days), "MDR Art. 87", r7.eu_submitted_at)  # fmt: skip
        acceptance = self.latest(RiskAcceptance)
        accepting = any(
            r5.approach is ResolutionApproach.ACCEPT_RESIDUAL_RISK
            for r5 in self.resolutions().values()
        )
        if acceptance is not None and accepting and self.state not in TERMINAL:
            review = dt.datetime.combine(acceptance.review_on, dt.time(23, 59), tzinfo=t0.tzinfo)
            add("RISK_ACCEPTANCE_REVIEW", "re-review the accepted residual risk", review,
                "R15", None)  # fmt: skip
        return out
