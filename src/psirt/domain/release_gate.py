"""The release gate: R13a open-issue review at every product release (IEC 81001-5-1 9.5).

"Open issues SHALL be reviewed periodically, at minimum at each product release." A release of a
product is approved only with an R13a review whose minutes cover every open, deferred and
accepted security issue of the product (rules.yaml ``G_release_gate``; an OPEN_ACCEPTED issue
must appear in it) and give, for every KEV-listed vulnerability present in the release, a
documented assessment that it is not applicable or is mitigated (``G_kev_release``, FDA
premarket guidance 2025 §V.A.2). The people the policy names sign the minutes.

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
from psirt.domain.policy import ApprovalRule, Policy
from psirt.domain.records import (
    Record,
    Role,
    Signature,
    SignatureMeaning,
    VexJustification,
    sha256_of,
)
from psirt.errors import GateNotMet, InputError

__all__ = [
    "DEFAULT_APPROVAL",
    "GATE",
    "Attendee",
    "IssueDecision",
    "IssueReview",
    "KevAssessment",
    "KevAssessmentKind",
    "KevFinding",
    "OpenIssue",
    "ReleaseGateReview",
    "approval_rule",
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

    def content(self) -> dict[str, Any]:
        """The signed part: every field but the signatures."""
        body = self.to_dict()
        del body["signatures"]
        return body

    def digest(self) -> str:
        return sha256_of(self.content())

    def signed(self, *signatures: Signature) -> ReleaseGateReview:
        """The same minutes with ``signatures`` added (duplicates dropped)."""
        merged = tuple(dict.fromkeys((*self.signatures, *signatures)))
        return dataclasses.replace(self, signatures=merged)

    def entry(self, issue_id: str) -> IssueReview | None:
        return next((e for e in self.issues if e.issue_id == issue_id), None)


@dataclass(frozen=True, slots=True)
class OpenIssue:
    """A security issue of the product that is not closed, as the store has it now."""

    issue_id: str
    state: State
    title: str = ""
    releases: tuple[str, ...] = ()  # the product's releases it names, "version: status"


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
) -> list[str]:
    """Every item missing for approving the release (empty when the gate is met).

    G_release_gate: the minutes, their attendees and sign-off, and an entry for every open
    issue of the product whose state is the issue's current state. G_kev_release: an assessment
    (not applicable or mitigated, with a rationale and a reference) for every KEV finding.
    """
    if review is None:
        missing = ["R13a release-gate review"]
        missing += [f"R13a entry for issue {i.issue_id} ({i.state.value})" for i in open_issues]
        missing += [f"KEV {f.label}: not_applicable or mitigated assessment" for f in kev_findings]
        return missing
    missing = _minutes_items(review, policy)
    missing += _coverage_items(review, open_issues)
    missing += _kev_items(review, kev_findings)
    missing += _signature_items(review, policy)
    return list(dict.fromkeys(missing))


def check_gate(
    review: ReleaseGateReview | None,
    open_issues: Sequence[OpenIssue],
    kev_findings: Sequence[KevFinding],
    policy: Policy,
) -> None:
    """Raise ``GateNotMet("release approval", missing)`` unless the gate is met."""
    missing = evaluate_gate(review, open_issues, kev_findings, policy)
    if missing:
        raise GateNotMet(GATE, missing)
