"""G_release_gate and G_kev_release: the R13a review refuses, naming every missing item, then
passes; the review file format and its errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum
from types import MappingProxyType

import pytest

from psirt.domain.issue import State
from psirt.domain.policy import ApprovalRule, default_policy, load_policy
from psirt.domain.records import Role, Signature, SignatureMeaning, VexJustification
from psirt.domain.release_gate import (
    DEFAULT_APPROVAL,
    Attendee,
    IssueDecision,
    IssueReview,
    KevAssessment,
    KevAssessmentKind,
    KevFinding,
    OpenIssue,
    ReleaseGateReview,
    approval_rule,
    check_gate,
    evaluate_gate,
)
from psirt.errors import GateNotMet, InputError
from psirt.services.release_gate import parse_review
from tests.conftest import ASSETS

RG = ASSETS / "release_gate"
AT = dt.datetime(2025, 3, 14, 15, 0, tzinfo=dt.UTC)
POLICY = default_policy()

ACCEPTED = OpenIssue("7", State.OPEN_ACCEPTED, "CVE-2024-6387 in openssh", ("4.3.0: affected",))
REMEDIATION = OpenIssue("9", State.REMEDIATION, "CVE-2023-4863 in libwebp", ("4.3.0: affected",))
LIBWEBP = KevFinding(("GHSA-j7hp-h8jx-5ppr", "CVE-2023-4863"), ("CVE-2023-4863",), "libwebp",
                     "1.3.1", "12")  # fmt: skip
PILLOW = KevFinding(("CVE-2023-4863",), ("CVE-2023-4863",), "pillow", "8.1.0", "13")


def _review(**changes: object) -> ReleaseGateReview:
    base = ReleaseGateReview(
        product="Infusion Pump IP-300",
        release="4.3.0",
        held_on=dt.date(2025, 3, 14),
        chair="dan",
        attendees=(
            Attendee("dan", Role.DESIGN_AUTHORITY),
            Attendee("quinn", Role.QA_APPROVER),
            Attendee("sara", Role.SAFETY_RISK_MANAGER),
        ),
        minutes="Open-issue review of 4.3.0: every open issue and KEV finding discussed.",
        issues=(
            IssueReview(
                "7",
                State.OPEN_ACCEPTED,
                IssueDecision.RISK_ACCEPTED,
                "R15 acceptance stands; compensating control: SSH disabled in clinical mode",
                risk_accepted_until=dt.date(2025, 9, 30),
            ),
            IssueReview(
                "9",
                State.REMEDIATION,
                IssueDecision.FIX_IN_THIS_RELEASE,
                "libwebp 1.3.2 is in 4.3.0; verification R9 passed",
            ),
        ),  # fmt: skip
        kev=(
            KevAssessment(
                "CVE-2023-4863",
                KevAssessmentKind.MITIGATED,
                "libwebp updated to 1.3.2 in 4.3.0; pillow decodes no WebP here",
                issue_id="9",
            ),
        ),  # fmt: skip
    )
    return dataclasses.replace(base, **changes)


def _signed(
    review: ReleaseGateReview, *who: tuple[str, Role, SignatureMeaning]
) -> ReleaseGateReview:
    return review.signed(
        *(Signature.sign(review, signer=n, role=r, meaning=mn, at=AT) for n, r, mn in who)
    )


CHAIR = ("dan", Role.DESIGN_AUTHORITY, SignatureMeaning.AUTHORED)
DA = ("dana", Role.DESIGN_AUTHORITY, SignatureMeaning.APPROVED)
QA = ("quinn", Role.QA_APPROVER, SignatureMeaning.APPROVED)


def _complete() -> ReleaseGateReview:
    return _signed(_review(), CHAIR, DA, QA)


def test_complete_review_passes() -> None:
    assert evaluate_gate(_complete(), [ACCEPTED, REMEDIATION], [LIBWEBP, PILLOW], POLICY) == []
    check_gate(_complete(), [ACCEPTED, REMEDIATION], [LIBWEBP, PILLOW], POLICY)


def test_without_a_review_every_item_is_named() -> None:
    with pytest.raises(GateNotMet) as info:
        check_gate(None, [ACCEPTED, REMEDIATION], [LIBWEBP], POLICY)
    assert info.value.transition == "release approval"
    assert info.value.missing == (
        "R13a release-gate review",
        "R13a entry for issue 7 (OPEN_ACCEPTED)",
        "R13a entry for issue 9 (REMEDIATION)",
        "KEV CVE-2023-4863 in libwebp@1.3.1: not_applicable or mitigated assessment",
    )


def test_g_release_gate_accepted_issue_must_appear_then_passes() -> None:
    without = _signed(_review(issues=_review().issues[1:]), CHAIR, DA, QA)
    assert evaluate_gate(without, [ACCEPTED, REMEDIATION], [LIBWEBP], POLICY) == [
        "R13a entry for issue 7 (OPEN_ACCEPTED)"
    ]
    assert evaluate_gate(_complete(), [ACCEPTED, REMEDIATION], [LIBWEBP], POLICY) == []


def test_g_release_gate_entry_of_an_older_state_is_stale() -> None:
    now_accepted = dataclasses.replace(REMEDIATION, state=State.VERIFICATION)
    assert evaluate_gate(_complete(), [ACCEPTED, now_accepted], [], POLICY) == [
        "R13a entry for issue 9: reviewed as REMEDIATION, now VERIFICATION"
    ]


def test_g_release_gate_entries_need_their_decision_details() -> None:
    entries = (
        IssueReview("7", State.OPEN_ACCEPTED, IssueDecision.RISK_ACCEPTED, "  "),
        IssueReview("9", State.REMEDIATION, IssueDecision.DEFERRED, "carried with controls"),
    )
    review = _signed(_review(issues=entries), CHAIR, DA, QA)
    assert evaluate_gate(review, [ACCEPTED, REMEDIATION], [], POLICY) == [
        "R13a entry for issue 7: notes",
        "R13a entry for issue 7: risk_accepted_until",
        "R13a entry for issue 9: target_release of the deferred fix",
    ]
    fixed = (
        dataclasses.replace(
            entries[0], notes="R15 stands", risk_accepted_until=dt.date(2025, 9, 30)
        ),
        dataclasses.replace(entries[1], target_release="4.3.1"),
    )
    assert evaluate_gate(_signed(_review(issues=fixed), CHAIR, DA, QA),
                         [ACCEPTED, REMEDIATION], [], POLICY) == []  # fmt: skip


def test_minutes_attendees_and_chair() -> None:
    review = _signed(_review(minutes=" ", attendees=(Attendee("quinn", Role.QA_APPROVER),)),
                     CHAIR, DA, QA)  # fmt: skip
    assert evaluate_gate(review, [], [], POLICY) == [
        "R13a minutes",
        "R13a attendees: the chair dan is not listed",
    ]
    assert evaluate_gate(_signed(_review(attendees=()), CHAIR, DA, QA), [], [], POLICY) == [
        "R13a attendees"
    ]


def test_g_kev_release_refuses_each_finding_then_passes() -> None:
    review = _signed(_review(kev=()), CHAIR, DA, QA)
    assert evaluate_gate(review, [], [LIBWEBP, PILLOW], POLICY) == [
        "KEV CVE-2023-4863 in libwebp@1.3.1: not_applicable or mitigated assessment",
        "KEV CVE-2023-4863 in pillow@8.1.0: not_applicable or mitigated assessment",
    ]
    libwebp = KevAssessment(
        "cve-2023-4863", KevAssessmentKind.MITIGATED, "updated", issue_id="9", component="libwebp"
    )
    only_libwebp = _review(kev=(libwebp,))
    assert evaluate_gate(_signed(only_libwebp, CHAIR, DA, QA), [], [LIBWEBP, PILLOW], POLICY) == [
        "KEV CVE-2023-4863 in pillow@8.1.0: not_applicable or mitigated assessment"
    ]
    both = _review(kev=(*only_libwebp.kev, KevAssessment(
        "CVE-2023-4863", KevAssessmentKind.NOT_APPLICABLE, "pillow is built without WebP",
        vex_justification=VexJustification.VULNERABLE_CODE_NOT_PRESENT, component="pillow@8.1.0",
    )))  # fmt: skip
    assert evaluate_gate(_signed(both, CHAIR, DA, QA), [], [LIBWEBP, PILLOW], POLICY) == []


def test_g_kev_release_assessment_needs_rationale_and_reference() -> None:
    bare = _review(kev=(KevAssessment("CVE-2023-4863", KevAssessmentKind.NOT_APPLICABLE, ""),))
    assert evaluate_gate(_signed(bare, CHAIR, DA, QA), [], [LIBWEBP], POLICY) == [
        "KEV CVE-2023-4863 in libwebp@1.3.1: rationale",
        "KEV CVE-2023-4863 in libwebp@1.3.1: reference (issue_id or vex_justification)",
    ]


def test_approvals_by_the_policy_default_independent_of_the_chair() -> None:
    review = _review()
    # The shipped policy names the release-gate approvers; they are the built-in fallback too.
    assert approval_rule(POLICY) == DEFAULT_APPROVAL
    assert evaluate_gate(review, [], [], POLICY) == [
        "R13a minutes signed by the chair dan (authored)",
        "R13a approval by design_authority other than the chair",
        "R13a approval by qa_approver other than the chair",
    ]
    chair_approves = ("dan", Role.DESIGN_AUTHORITY, SignatureMeaning.APPROVED)
    assert evaluate_gate(_signed(review, CHAIR, chair_approves, QA), [], [], POLICY) == [
        "R13a approval by design_authority other than the chair"
    ]
    reviewed_only = ("quinn", Role.QA_APPROVER, SignatureMeaning.REVIEWED)
    assert evaluate_gate(_signed(review, CHAIR, DA, reviewed_only), [], [], POLICY) == [
        "R13a approval by qa_approver other than the chair"
    ]
    assert evaluate_gate(_signed(review, CHAIR, DA, QA), [], [], POLICY) == []


def test_signature_over_other_minutes_does_not_count() -> None:
    old = _review(minutes="draft minutes")
    stale = Signature.sign(old, signer="quinn", role=Role.QA_APPROVER,
                           meaning=SignatureMeaning.APPROVED, at=AT)  # fmt: skip
    review = _signed(_review(), CHAIR, DA).signed(stale)
    assert evaluate_gate(review, [], [], POLICY) == [
        "R13a signature by quinn: signed other minutes (digest differs)",
        "R13a approval by qa_approver other than the chair",
    ]


def test_people_table_checks_roles_of_signers_and_attendees() -> None:
    policy = load_policy(
        '[people]\ndan = ["design_authority"]\ndana = ["design_authority"]\n'
        'quinn = ["qa_approver"]\nsara = ["psirt_lead"]\n'
    )
    impostor = ("sara", Role.QA_APPROVER, SignatureMeaning.APPROVED)
    review = _signed(_review(), CHAIR, DA, impostor)
    assert evaluate_gate(review, [], [], policy) == [
        "R13a attendees: sara does not hold role safety_risk_manager",
        "R13a signature by sara: does not hold role qa_approver",
        "R13a approval by qa_approver other than the chair",
    ]


class _Kind(StrEnum):
    RELEASE_GATE = "release_gate"


def test_a_release_gate_entry_of_the_policy_replaces_the_default() -> None:
    rule = ApprovalRule((Role.MANAGEMENT, Role.DESIGN_AUTHORITY), all=False,
                        distinct_from_author=False)  # fmt: skip
    policy = dataclasses.replace(POLICY, approvals=MappingProxyType({_Kind.RELEASE_GATE: rule}))
    assert approval_rule(policy) is rule  # type: ignore[arg-type]
    chair_approves = ("dan", Role.DESIGN_AUTHORITY, SignatureMeaning.APPROVED)
    assert evaluate_gate(_signed(_review(), CHAIR, chair_approves), [], [], policy) == []
    assert evaluate_gate(_signed(_review(), CHAIR), [], [], policy) == [
        "R13a approval by management or design_authority"
    ]


def test_digest_leaves_signatures_out_and_round_trips() -> None:
    review = _complete()
    assert review.digest() == _review().digest()
    assert all(s.covers(review) for s in review.signatures)
    assert review.signed(*review.signatures) == review
    again = ReleaseGateReview.from_dict(review.to_dict())
    assert again == review and again.digest() == review.digest()
    assert _review(minutes="changed").digest() != review.digest()


def test_review_file_is_parsed() -> None:
    data = (RG / "review-pm8-7.4.2.toml").read_bytes()
    review = parse_review(data, source="review.toml", product="Patient Monitor PM-8",
                          version="7.4.2")  # fmt: skip
    assert (review.product, review.release, review.chair) == (
        "Patient Monitor PM-8",
        "7.4.2",
        "dana.design",
    )
    assert review.held_on == dt.date(2025, 3, 14)
    assert [(a.name, a.role) for a in review.attendees][:2] == [
        ("dana.design", Role.DESIGN_AUTHORITY),
        ("quinn.qa", Role.QA_APPROVER),
    ]
    (entry,) = review.issues
    assert (entry.issue_id, entry.state, entry.decision, entry.target_release) == (
        "1",
        State.REMEDIATION,
        IssueDecision.DEFERRED,
        "7.4.3",
    )
    assert entry.kev_epss_refreshed_on == dt.date(2025, 3, 14)
    (kev,) = review.kev
    assert (kev.vulnerability_id, kev.assessment, kev.issue_id) == (
        "CVE-2023-4863",
        KevAssessmentKind.MITIGATED,
        "1",
    )


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("invalid-duplicate-issue.toml", "issues[1].issue_id: issue 1 appears twice"),
        (
            "invalid-assessment.toml",
            "kev[0].assessment: 'accepted' is not one of not_applicable, mitigated",
        ),
        ("invalid-other-release.toml", "release: '7.4.1', but the command names '7.4.2'"),
        ("invalid-missing-chair.json", "chair: missing field"),
        ("invalid-state.toml", "issues[0].state: 'PARKED' is not one of RECEIVED"),
    ],
)
def test_invalid_review_files(asset: str, message: str) -> None:
    source = f"files/{asset}"
    with pytest.raises(InputError) as info:
        parse_review((RG / asset).read_bytes(), source=source, product="Patient Monitor PM-8",
                     version="7.4.2")  # fmt: skip
    assert str(info.value).startswith(f"{source}: {message}")


def test_a_site_policy_names_other_release_approvers() -> None:
    site = load_policy(
        '[approvals.release_gate]\nroles = ["management"]\nall = false\n', source="site.toml"
    )
    assert approval_rule(site).roles == (Role.MANAGEMENT,)
    review = _review()
    missing = evaluate_gate(review, [], [], site)
    assert "R13a approval by management other than the chair" in missing
    assert not any("design_authority" in item for item in missing)
