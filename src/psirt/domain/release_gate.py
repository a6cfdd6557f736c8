"""The release gate: R13a open-issue review at every product release (IEC 81001-5-1 9.5).

"Open issues SHALL be reviewed periodically, at minimum at each product release." A release of a
product is approved only with an R13a review whose minutes cover every open, deferred and
accepted security issue of the product (rules.yaml ``G_release_gate``; an OPEN_ACCEPTED issue
must appear in it) and give, for every KEV-listed vulnerability present in the release, a
documented assessment that it is not applicable or is mitigated (``G_kev_release``, FDA
premarket guidance 2025 §V.A.2). The people the policy names sign the minutes.

Besides the minutes, the policy's ``[release_gate]`` settings decide what else blocks
(:func:`blocking_findings`, :func:`blocking_activities`): findings of the release at or above a
severity that nobody triaged (SBOM findings not attached to a security issue, scanner findings
without a disposition) and activities overdue for the product or due for the release. A release
of the product registered as released or fielded without a release-gate review
(:class:`UnreviewedRelease`) must be covered by the product's next review: the minutes list it
and its open issues (:class:`UnreviewedReleaseReview`).

``ReleaseGateReview`` is a lifecycle ``Record``: its canonical JSON is what a ``Signature``
digests, and the signatures it carries are left out of that digest, so they can be collected
after the minutes are written. ``evaluate_gate`` lists every missing item; ``check_gate``
raises ``GateNotMet("release approval", missing)`` naming all of them at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from psirt.domain.issue import State
from psirt.domain.policy import ApprovalRule, Policy, ReleaseGatePolicy
from psirt.domain.records import (
    Record,
    Role,
    Signature,
    SignatureMeaning,
    VexJustification,
    sha256_of,
)
from psirt.domain.scan import Severity
from psirt.errors import GateNotMet, InputError

__all__ = [
    "DEFAULT_APPROVAL",
    "GATE",
    "Attendee",
    "DueActivity",
    "GateFinding",
    "IssueDecision",
    "IssueReview",
    "KevAssessment",
    "KevAssessmentKind",
    "KevFinding",
    "OpenIssue",
    "ReleaseGateReview",
    "UnreviewedRelease",
    "UnreviewedReleaseReview",
    "approval_rule",
    "blocking_activities",
    "blocking_findings",
    "check_gate",
    "evaluate_gate",
]

GATE = "release approval"

# Who approves a release when the policy has no ``release_gate`` approval entry: the design
# authority and an independent QA approver, neither of them the chair who wrote the minutes.
DEFAULT_APPROVAL = ApprovalRule(
    roles=(Role.DESIGN_AUTHORITY, Role.QA_APPROVER), all=True, distinct_from_author=True
)
_APPROVAL_KIND = "release_gate"


class IssueDecision(StrEnum):
    """What the release-gate review decided for one open issue (REPORT.md R13a)."""

    FIX_IN_THIS_RELEASE = "fix_in_this_release"
    DEFERRED = "deferred"  # carried to a later release, with interim controls
    RISK_ACCEPTED = "risk_accepted"  # carried under an R15 risk acceptance until a date
    ESCALATE = "escalate"  # to management or an out-of-cycle release


class KevAssessmentKind(StrEnum):
    """rules.yaml G_kev_release: the only assessments that let a KEV-listed vulnerability ship."""

    NOT_APPLICABLE = "not_applicable"
    MITIGATED = "mitigated"


def _need_text(value: str, source: str, where: str) -> None:
    if not value.strip():
        raise InputError(source, where, "must not be empty")


@dataclass(frozen=True, slots=True)
class Attendee(Record):
    KIND: ClassVar[str] = "attendee"
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class IssueReview(Record):
    """One open security issue as the review saw it, with its re-evaluation and decision."""

    KIND: ClassVar[str] = "R13a_issue"
    issue_id: str
    state: State  # the issue's lifecycle state when reviewed
    decision: IssueDecision
    notes: str
    risk_reevaluation: str = ""  # current risk, re-evaluated (KEV, EPSS, exploits, field data)
    kev_epss_refreshed_on: dt.date | None = None
    target_release: str = ""  # deferred: the release that will carry the fix
    risk_accepted_until: dt.date | None = None  # risk accepted: the R15 review/expiry date

    def missing(self) -> list[str]:
        label = f"R13a entry for issue {self.issue_id}"
        out = []
        if not self.notes.strip():
            out.append(f"{label}: notes")
        if self.decision is IssueDecision.DEFERRED and not self.target_release.strip():
            out.append(f"{label}: target_release of the deferred fix")
        if self.decision is IssueDecision.RISK_ACCEPTED and self.risk_accepted_until is None:
            out.append(f"{label}: risk_accepted_until")
        return out


@dataclass(frozen=True, slots=True)
class KevAssessment(Record):
    """A KEV-listed vulnerability in the release, assessed not applicable or mitigated.

    The reference is the security issue that holds the assessment (``issue_id``) or the VEX
    justification of a not-applicable assessment, or both. ``component`` narrows the assessment
    to one component (name, or name@version) when the vulnerability is in several.
    """

    KIND: ClassVar[str] = "R13a_kev"
    vulnerability_id: str
    assessment: KevAssessmentKind
    rationale: str
    issue_id: str = ""
    vex_justification: VexJustification | None = None
    component: str = ""

    def covers(self, finding: KevFinding) -> bool:
        wanted = self.vulnerability_id.strip().upper()
        if wanted not in {i.upper() for i in finding.vulnerability_ids}:
            return False
        comp = self.component.strip()
        return not comp or comp in (finding.component, finding.component_label)


@dataclass(frozen=True, slots=True)
class UnreviewedReleaseReview(Record):
    """A release of the product that was registered as released or fielded without a
    release-gate review, reviewed now: the open issues it has (every one of them listed) and
    what the review found."""

    KIND: ClassVar[str] = "R13a_unreviewed_release"
    release: str
    notes: str
    issues: tuple[str, ...] = ()

    def missing(self, release: UnreviewedRelease) -> list[str]:
        label = f"R13a entry for release {self.release} registered without review"
        out = [] if self.notes.strip() else [f"{label}: notes"]
        listed = set(self.issues)
        out.extend(f"{label}: issue {i} not listed" for i in release.open_issues
                   if i not in listed)  # fmt: skip
        return out


@dataclass(frozen=True, slots=True)
class ReleaseGateReview(Record):
    """R13a: the minutes of the open-issue review held before a product release is approved."""

    KIND: ClassVar[str] = "R13a_release_gate_review"
    product: str
    release: str
    held_on: dt.date
    chair: str
    attendees: tuple[Attendee, ...]
    minutes: str
    issues: tuple[IssueReview, ...] = ()
    kev: tuple[KevAssessment, ...] = ()
    signatures: tuple[Signature, ...] = ()  # not part of what is signed
    # releases of the product registered without review that these minutes cover
    unreviewed_releases: tuple[UnreviewedReleaseReview, ...] = ()

    def __post_init__(self) -> None:
        for name in ("product", "release", "chair"):
            _need_text(getattr(self, name), self.KIND, name)
        for i, attendee in enumerate(self.attendees):
            _need_text(attendee.name, self.KIND, f"attendees[{i}].name")
        seen: set[str] = set()
        for i, entry in enumerate(self.issues):
            _need_text(entry.issue_id, self.KIND, f"issues[{i}].issue_id")
            if entry.issue_id in seen:
                raise InputError(self.KIND, f"issues[{i}].issue_id",
                                 f"issue {entry.issue_id} appears twice")  # fmt: skip
            seen.add(entry.issue_id)
        keys: set[tuple[str, str]] = set()
        for i, kev in enumerate(self.kev):
            _need_text(kev.vulnerability_id, self.KIND, f"kev[{i}].vulnerability_id")
            key = (kev.vulnerability_id.upper(), kev.component)
            if key in keys:
                raise InputError(self.KIND, f"kev[{i}].vulnerability_id",
                                 f"{kev.vulnerability_id} is assessed twice")  # fmt: skip
            keys.add(key)
        versions: set[str] = set()
        for i, covered in enumerate(self.unreviewed_releases):
            _need_text(covered.release, self.KIND, f"unreviewed_releases[{i}].release")
            if covered.release in versions:
                raise InputError(self.KIND, f"unreviewed_releases[{i}].release",
                                 f"release {covered.release} appears twice")  # fmt: skip
            versions.add(covered.release)

    def content(self) -> dict[str, Any]:
        """The signed part: every field but the signatures (and no ``unreviewed_releases``
        when there are none, so minutes written before that field existed keep their
        digest)."""
        body = self.to_dict()
        del body["signatures"]
        if not body["unreviewed_releases"]:
            del body["unreviewed_releases"]
        return body

    def digest(self) -> str:
        return sha256_of(self.content())

    def signed(self, *signatures: Signature) -> ReleaseGateReview:
        """The same minutes with ``signatures`` added (duplicates dropped)."""
        merged = tuple(dict.fromkeys((*self.signatures, *signatures)))
        return dataclasses.replace(self, signatures=merged)

    def entry(self, issue_id: str) -> IssueReview | None:
        return next((e for e in self.issues if e.issue_id == issue_id), None)

    def release_entry(self, version: str) -> UnreviewedReleaseReview | None:
        return next((e for e in self.unreviewed_releases if e.release == version), None)


@dataclass(frozen=True, slots=True)
class OpenIssue:
    """A security issue of the product that is not closed, as the store has it now."""

    issue_id: str
    state: State
    title: str = ""
    releases: tuple[str, ...] = ()  # the product's releases it names, "version: status"
    versions: tuple[str, ...] = ()  # the product's releases it concerns: named or linked


@dataclass(frozen=True, slots=True)
class UnreviewedRelease:
    """A release of the product registered as released or fielded without a release-gate
    review (``kind`` "unreviewed": registered so; "override": moved there past the gate), not
    yet covered by an approved review of the product."""

    release: str
    status: str
    decision_id: str
    kind: str
    decided_by: str
    decided_at: dt.datetime
    open_issues: tuple[str, ...] = ()  # its security issues that are not closed

    @property
    def label(self) -> str:
        how = "moved to" if self.kind == "override" else "registered"
        day = self.decided_at.date().isoformat()
        return (f"release {self.release} {how} {self.status} without review (decision "
                f"{self.decision_id} by {self.decided_by}, {day})")  # fmt: skip


@dataclass(frozen=True, slots=True)
class GateFinding:
    """A finding of the release that nobody triaged: an active SBOM finding not attached to a
    security issue (``source`` "sbom"), or an open scanner finding without a disposition
    ("scan"). ``severity`` is None when the advisory gives none."""

    source: str
    finding_id: str
    severity: Severity | None
    what: str  # "CVE-2024-3094 in xz@5.6.0", "B602 at src/app.py:12"
    since: dt.datetime

    @property
    def label(self) -> str:
        kind = "SBOM finding" if self.source == "sbom" else "scanner finding"
        todo = ("attach it to a security issue" if self.source == "sbom"
                else "dispose of it (psirt scans dispose)")  # fmt: skip
        return (f"untriaged {kind} {self.finding_id} "
                f"({self.severity.value if self.severity else 'no severity'}): {self.what}, "
                f"open since {self.since.date().isoformat()}: {todo}")  # fmt: skip


@dataclass(frozen=True, slots=True)
class DueActivity:
    """An activity of the product's test plan that is due or overdue (see
    ``psirt.domain.activity.evaluate_due``)."""

    type: str
    status: str  # due | overdue
    release: str | None
    reason: str

    @property
    def label(self) -> str:
        return f"{self.type} {self.status}: {self.reason}"


@dataclass(frozen=True, slots=True)
class KevFinding:
    """A KEV-listed vulnerability found in a component of the release."""

    vulnerability_ids: tuple[str, ...]  # the advisory id, aliases and related ids
    kev_ids: tuple[str, ...]  # those of them the KEV catalog lists
    component: str
    component_version: str = ""
    finding_id: str = ""

    @property
    def component_label(self) -> str:
        if self.component_version:
            return f"{self.component}@{self.component_version}"
        return self.component

    @property
    def label(self) -> str:
        return f"{'/'.join(self.kev_ids) or self.vulnerability_ids[0]} in {self.component_label}"


def approval_rule(policy: Policy) -> ApprovalRule:
    """The policy's ``release_gate`` approval entry, or ``DEFAULT_APPROVAL``."""
    for kind, rule in policy.approvals.items():
        if kind.value == _APPROVAL_KIND:
            return rule
    return DEFAULT_APPROVAL


def _minutes_items(review: ReleaseGateReview, policy: Policy) -> list[str]:
    out = []
    if not review.minutes.strip():
        out.append("R13a minutes")
    if not review.attendees:
        out.append("R13a attendees")
    elif review.chair not in {a.name for a in review.attendees}:
        out.append(f"R13a attendees: the chair {review.chair} is not listed")
    for attendee in review.attendees:
        held = policy.roles_of(attendee.name)
        if held is not None and attendee.role not in held:
            out.append(f"R13a attendees: {attendee.name} does not hold role {attendee.role.value}")
    return out


def _coverage_items(review: ReleaseGateReview, open_issues: Sequence[OpenIssue]) -> list[str]:
    out = []
    for issue in open_issues:
        entry = review.entry(issue.issue_id)
        if entry is None:
            out.append(f"R13a entry for issue {issue.issue_id} ({issue.state.value})")
            continue
        if entry.state is not issue.state:
            out.append(
                f"R13a entry for issue {issue.issue_id}: reviewed as {entry.state.value}, "
                f"now {issue.state.value}"
            )
        out.extend(entry.missing())
    return out


def _kev_items(review: ReleaseGateReview, kev_findings: Sequence[KevFinding]) -> list[str]:
    out = []
    for finding in kev_findings:
        found = [a for a in review.kev if a.covers(finding)]
        if not found:
            out.append(f"KEV {finding.label}: not_applicable or mitigated assessment")
            continue
        assessment = found[-1]
        if not assessment.rationale.strip():
            out.append(f"KEV {finding.label}: rationale")
        if not assessment.issue_id.strip() and assessment.vex_justification is None:
            out.append(f"KEV {finding.label}: reference (issue_id or vex_justification)")
    return out


def blocking_findings(
    findings: Sequence[GateFinding], policy: ReleaseGatePolicy
) -> list[GateFinding]:
    """The untriaged findings the policy lets block the gate: SBOM findings at or above
    ``sbom_findings_at`` (and without a severity when ``unknown_severity_blocks``), scanner
    findings at or above ``scan_findings_at``; each kind only when its switch is on."""
    out = []
    for f in findings:
        if f.source == "sbom":
            if not policy.untriaged_sbom_findings:
                continue
            if f.severity is None:
                blocks = policy.unknown_severity_blocks
            else:
                blocks = f.severity.rank >= policy.sbom_findings_at.rank
        else:
            blocks = (policy.undispositioned_scan_findings and f.severity is not None
                      and f.severity.rank >= policy.scan_findings_at.rank)  # fmt: skip
        if blocks:
            out.append(f)
    return out


def blocking_activities(
    items: Sequence[DueActivity], release: str, policy: ReleaseGatePolicy
) -> list[DueActivity]:
    """Activities that block the gate of ``release`` when ``overdue_activities`` is on: every
    overdue one of the product, and those due for ``release`` itself (they are overdue the
    moment it ships)."""
    if not policy.overdue_activities:
        return []
    return [i for i in items if i.status == "overdue" or i.release == release]


def _unreviewed_items(
    review: ReleaseGateReview | None, unreviewed: Sequence[UnreviewedRelease]
) -> list[str]:
    out = []
    for release in unreviewed:
        entry = review.release_entry(release.release) if review is not None else None
        if entry is None:
            issues = f"; its open issues: {', '.join(release.open_issues)}" if (
                release.open_issues) else ""  # fmt: skip
            out.append(f"R13a entry for {release.label}{issues}")
            continue
        out.extend(entry.missing(release))
    return out


def _signature_items(review: ReleaseGateReview, policy: Policy) -> list[str]:
    out = []
    rule = approval_rule(policy)
    valid: list[Signature] = []
    chair_signed = False
    for sig in review.signatures:
        if not sig.covers(review):
            out.append(f"R13a signature by {sig.signer}: signed other minutes (digest differs)")
            continue
        held = policy.roles_of(sig.signer)
        if held is not None and sig.role not in held:
            out.append(f"R13a signature by {sig.signer}: does not hold role {sig.role.value}")
            continue
        if sig.signer == review.chair and sig.meaning is SignatureMeaning.AUTHORED:
            chair_signed = True
        if sig.meaning is not SignatureMeaning.APPROVED or sig.role not in rule.roles:
            continue
        if rule.distinct_from_author and sig.signer == review.chair:
            continue
        valid.append(sig)
    if not chair_signed:
        out.append(f"R13a minutes signed by the chair {review.chair} (authored)")
    suffix = " other than the chair" if rule.distinct_from_author else ""
    if rule.all:
        out.extend(
            f"R13a approval by {role.value}{suffix}"
            for role in rule.roles
            if not any(s.role is role for s in valid)
        )
    elif not valid:
        out.append(f"R13a approval by {' or '.join(r.value for r in rule.roles)}{suffix}")
    return out


def evaluate_gate(
    review: ReleaseGateReview | None,
    open_issues: Sequence[OpenIssue],
    kev_findings: Sequence[KevFinding],
    policy: Policy,
    *,
    unreviewed: Sequence[UnreviewedRelease] = (),
    untriaged: Sequence[GateFinding] = (),
    due: Sequence[DueActivity] = (),
) -> list[str]:
    """Every item missing for approving the release (empty when the gate is met).

    G_release_gate: the minutes, their attendees and sign-off, and an entry for every open
    issue of the product whose state is the issue's current state. G_kev_release: an assessment
    (not applicable or mitigated, with a rationale and a reference) for every KEV finding.
    ``unreviewed``: releases of the product registered without review that the minutes must
    cover, each with its open issues. ``untriaged`` and ``due``: the findings and activities
    that block (see :func:`blocking_findings` and :func:`blocking_activities`); no minutes
    make up for them.
    """
    blockers = [f.label for f in untriaged] + [a.label for a in due]
    if review is None:
        missing = ["R13a release-gate review"]
        missing += [f"R13a entry for issue {i.issue_id} ({i.state.value})" for i in open_issues]
        missing += [f"KEV {f.label}: not_applicable or mitigated assessment" for f in kev_findings]
        missing += _unreviewed_items(None, unreviewed)
        return missing + blockers
    missing = _minutes_items(review, policy)
    missing += _coverage_items(review, open_issues)
    missing += _kev_items(review, kev_findings)
    missing += _unreviewed_items(review, unreviewed)
    missing += _signature_items(review, policy)
    return list(dict.fromkeys(missing + blockers))


def check_gate(
    review: ReleaseGateReview | None,
    open_issues: Sequence[OpenIssue],
    kev_findings: Sequence[KevFinding],
    policy: Policy,
    *,
    unreviewed: Sequence[UnreviewedRelease] = (),
    untriaged: Sequence[GateFinding] = (),
    due: Sequence[DueActivity] = (),
) -> None:
    """Raise ``GateNotMet("release approval", missing)`` unless the gate is met."""
    missing = evaluate_gate(review, open_issues, kev_findings, policy, unreviewed=unreviewed,
                            untriaged=untriaged, due=due)  # fmt: skip
    if missing:
        raise GateNotMet(GATE, missing)
