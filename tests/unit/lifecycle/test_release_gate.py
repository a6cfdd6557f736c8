"""G_release_gate and G_kev_release: the R13a review refuses, naming every missing item, then
passes; the review file format and its errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum
from types import MappingProxyType

import pytest

from psirt.demo import data_dir
from psirt.domain.issue import State
from psirt.domain.policy import ApprovalRule, default_policy, load_policy
from psirt.domain.records import Role, Signature, SignatureMeaning, VexJustification, sha256_of
from psirt.domain.release_gate import (
    DEFAULT_APPROVAL,
    Attendee,
    DueActivity,
    GateFinding,
    IssueDecision,
    IssueReview,
    KevAssessment,
    KevAssessmentKind,
    KevFinding,
    OpenIssue,
    ReleaseGateReview,
    UnreviewedRelease,
    UnreviewedReleaseReview,
    approval_rule,
    blocking_activities,
    blocking_findings,
    check_gate,
    evaluate_gate,
)
from psirt.domain.scan import Severity
from psirt.domain.severity import severity_level
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
        (
            "invalid-unreviewed-twice.toml",
            "unreviewed_releases[1].release: release 7.4.1 appears twice",
        ),
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


# --------------------------------------------------------------------------- without review

OLD = UnreviewedRelease("4.1.0", "fielded", "3", "unreviewed", "alice",
                        dt.datetime(2025, 1, 7, 9, 0, tzinfo=dt.UTC), ("7", "9"))  # fmt: skip
PAST = UnreviewedRelease("4.2.0", "released", "5", "override", "mona",
                         dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.UTC))  # fmt: skip


def test_releases_registered_without_review_must_be_listed_with_their_open_issues() -> None:
    issues_ = [ACCEPTED, REMEDIATION]
    assert evaluate_gate(_complete(), issues_, [], POLICY, unreviewed=[OLD, PAST]) == [
        "R13a entry for release 4.1.0 registered fielded without review (decision 3 by alice, "
        "2025-01-07); its open issues: 7, 9",
        "R13a entry for release 4.2.0 moved to released without review (decision 5 by mona, "
        "2025-02-03)",
    ]
    assert evaluate_gate(None, [], [], POLICY, unreviewed=[PAST]) == [
        "R13a release-gate review",
        "R13a entry for release 4.2.0 moved to released without review (decision 5 by mona, "
        "2025-02-03)",
    ]
    partial = _review(unreviewed_releases=(
        UnreviewedReleaseReview("4.1.0", " ", ("9",)),
        UnreviewedReleaseReview("4.2.0", "released under CAPA-12 during the field action"),
    ))  # fmt: skip
    assert evaluate_gate(_signed(partial, CHAIR, DA, QA), issues_, [], POLICY,
                         unreviewed=[OLD, PAST]) == [
        "R13a entry for release 4.1.0 registered without review: notes",
        "R13a entry for release 4.1.0 registered without review: issue 7 not listed",
    ]  # fmt: skip
    complete = _review(unreviewed_releases=(
        UnreviewedReleaseReview("4.1.0", "fielded before psirt; both issues reviewed", ("7", "9")),
        partial.unreviewed_releases[1],
    ))  # fmt: skip
    signed = _signed(complete, CHAIR, DA, QA)
    assert evaluate_gate(signed, issues_, [], POLICY, unreviewed=[OLD, PAST]) == []
    check_gate(signed, issues_, [], POLICY, unreviewed=[OLD, PAST])
    with pytest.raises(GateNotMet):
        check_gate(_complete(), issues_, [], POLICY, unreviewed=[OLD])


def test_minutes_without_unreviewed_releases_keep_their_digest() -> None:
    review = _review()
    body = review.to_dict()
    assert body["unreviewed_releases"] == []
    del body["signatures"], body["unreviewed_releases"]
    assert review.digest() == sha256_of(body)  # as minutes were digested before the field
    listed = _review(unreviewed_releases=(UnreviewedReleaseReview("4.1.0", "seen", ("7",)),))
    assert listed.digest() != review.digest()
    assert ReleaseGateReview.from_dict(listed.to_dict()) == listed


T = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
FINDINGS = [
    GateFinding("sbom", "11", Severity.CRITICAL, "CVE-2024-3094 in xz@5.6.0", T),
    GateFinding("sbom", "12", Severity.MEDIUM, "CVE-2022-32746 in samba@4.15.5", T),
    GateFinding("sbom", "13", None, "PYSEC-2023-175 in pillow@8.1.0", T),
    GateFinding("scan", "4", Severity.HIGH, "B602 at src/app.py:12", T),
    GateFinding("scan", "5", Severity.LOW, "B311 at src/rand.py:3", T),
]
DUE = [
    DueActivity("penetration_test", "due", "4.3.0", "attack surface changed"),
    DueActivity("dast", "overdue", "4.1.0", "required every release"),
    DueActivity("dast", "due", None, "required every 90 days; due in 12 days"),
    DueActivity("sast", "due", "4.4.0", "required every build"),
]


def _gate_policy(text: str) -> object:
    return load_policy("[release_gate]\n" + text, source="site.toml").release_gate


def test_blocking_findings_and_activities_follow_the_policy() -> None:
    shipped = POLICY.release_gate
    assert (shipped.sbom_findings_at, shipped.scan_findings_at) == (Severity.HIGH, Severity.HIGH)
    assert [f.finding_id for f in blocking_findings(FINDINGS, shipped)] == ["11", "13", "4"]
    assert [(d.type, d.release) for d in blocking_activities(DUE, "4.3.0", shipped)] == [
        ("penetration_test", "4.3.0"),
        ("dast", "4.1.0"),
    ]
    low = _gate_policy('sbom_findings_at = "medium"\nscan_findings_at = "low"\n'
                       "unknown_severity_blocks = false\n")  # fmt: skip
    assert [f.finding_id for f in blocking_findings(FINDINGS, low)] == ["11", "12", "4", "5"]
    off = _gate_policy("untriaged_sbom_findings = false\nundispositioned_scan_findings = false\n"
                       "overdue_activities = false\n")  # fmt: skip
    assert blocking_findings(FINDINGS, off) == []
    assert blocking_activities(DUE, "4.3.0", off) == []
    assert FINDINGS[2].label == (
        "untriaged SBOM finding 13 (no severity): PYSEC-2023-175 in pillow@8.1.0, open since "
        "2025-03-01: attach it to a security issue"
    )
    assert FINDINGS[3].label.endswith("B602 at src/app.py:12, open since 2025-03-01: dispose "
                                      "of it (psirt scans dispose)")  # fmt: skip
    blocking = blocking_findings(FINDINGS, shipped)
    due = blocking_activities(DUE, "4.3.0", shipped)
    missing = evaluate_gate(_complete(), [ACCEPTED, REMEDIATION], [LIBWEBP, PILLOW], POLICY,
                            untriaged=blocking, due=due)  # fmt: skip
    assert missing == [f.label for f in blocking] + [
        "penetration_test due: attack surface changed",
        "dast overdue: required every release",
    ]


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Severity.CRITICAL),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Severity.HIGH),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:L", Severity.MEDIUM),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", Severity.INFO),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Severity.CRITICAL),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", Severity.HIGH),
        ("MODERATE", Severity.MEDIUM),
        ("Important", Severity.HIGH),
        ("negligible", Severity.INFO),
        ("3.9", Severity.LOW),
        ("", None),
        ("unknown", None),
        ("11.0", None),
        (None, None),
    ],
)
def test_severity_level_of_advisory_severities(value: str | None, level: Severity | None) -> None:
    assert severity_level(value) is level


def test_review_file_lists_releases_registered_without_review() -> None:
    path = data_dir() / "reviews" / "patient-monitor-7.5.0-review.toml"
    review = parse_review(path.read_bytes(), source=str(path), product="Patient Monitor PM-8",
                          version="7.5.0")  # fmt: skip
    (entry,) = review.unreviewed_releases
    assert (entry.release, entry.issues) == ("7.4.2", ("1",))
    assert entry.notes.startswith("fielded since 2024-01-22, taken into psirt without a gate")
    assert review.release_entry("7.4.2") is entry and review.release_entry("7.5.0") is None
    assert [(e.issue_id, e.decision) for e in review.issues] == [
        ("1", IssueDecision.FIX_IN_THIS_RELEASE)
    ]
