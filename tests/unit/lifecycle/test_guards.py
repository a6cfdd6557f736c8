"""Every guard of rules.yaml refuses with the exact missing names, then passes."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from psirt.domain.issue import SecurityIssue, State
from psirt.domain.policy import default_policy
from psirt.domain.records import (
    AspectReview,
    ChangeRequest,
    CustomerNotice,
    DisclosureKind,
    EuIncidentCategory,
    EuRoute,
    FindingRef,
    ItemClass,
    NotAffected,
    NoticeKind,
    Override,
    Reopen,
    ReopenTrigger,
    Reportability,
    ResolutionApproach,
    ReviewAspect,
    Rework,
    RiskAcceptance,
    UsRoute,
    Verdict,
    VexJustification,
)
from psirt.domain.risk import HarmSeverity, RiskControlStatus
from psirt.errors import Conflict, GateNotMet

from .helpers import (
    T0,
    ack,
    analysis_record,
    change_review,
    closure,
    day,
    decide,
    disclosure,
    intake,
    interim_notice,
    post_fix,
    release_record,
    rescan,
    resolution,
    review_signatures,
    sign,
    to_analysis,
    to_triage,
    triage_record,
    verification,
)

CONTROLLED = {"harm_severity": HarmSeverity.MINOR}


def opened(**kw: object) -> SecurityIssue:
    return SecurityIssue.open("ISS-7", intake(**kw), policy=default_policy(), actor="pat", at=T0)


def test_g_ack_external_reporter_acknowledged_in_time() -> None:
    issue = opened()
    t = triage_record()
    with pytest.raises(GateNotMet) as exc:
        issue.triage(t, actor="pat", at=day(1), signatures=sign(t, "pat"))
    assert exc.value.transition == "triage"
    assert exc.value.missing == ("R8_reporter_ack",)
    issue.attach(ack(day(9)), actor="pat", at=day(9))  # Monday + 5 business days = day 7
    with pytest.raises(GateNotMet) as exc:
        issue.triage(t, actor="pat", at=day(9), signatures=sign(t, "pat"))
    assert exc.value.missing == ("R8_reporter_ack within 5 business days of learned_at",)
    late = opened()
    late.attach(ack(day(7)), actor="pat", at=day(7))
    late.triage(t, actor="pat", at=day(8), signatures=sign(t, "pat"))
    assert late.state is State.TRIAGE


def test_triage_record_fields_and_signature() -> None:
    issue = opened(acknowledged_at=T0)
    t = triage_record(applicability_rationale=" ", verifiability="")
    with pytest.raises(GateNotMet) as exc:
        issue.triage(t, actor="pat", at=day(1))
    assert exc.value.missing == (
        "R2_triage.applicability_rationale",
        "R2_triage.verifiability",
        "R2_triage approval by psirt_lead or security_risk_owner",
    )


def test_g_not_affected_needs_evidence_and_independent_approver() -> None:
    issue = to_triage()
    na = NotAffected(VexJustification.COMPONENT_NOT_PRESENT, "", (), "sam", "")
    with pytest.raises(GateNotMet) as exc:
        issue.close_not_affected(na, actor="sam", at=day(2))
    assert exc.value.missing == (
        "not_affected.evidence",
        "not_affected.approver",
        "not_affected approval by qa_approver or security_risk_owner other than the author",
    )
    na = dataclasses.replace(na, evidence=("SBOM diff: openssl absent",), approver="quinn")
    # a signature by someone else than the named approver does not count
    with pytest.raises(GateNotMet):
        issue.close_not_affected(na, actor="sam", at=day(2), signatures=sign(na, "sam"))
    issue.close_not_affected(na, actor="sam", at=day(2), signatures=sign(na, "quinn"))
    assert issue.state is State.CLOSED_NOT_AFFECTED


def test_g_analysis_complete_names_every_missing_field() -> None:
    issue = to_triage()
    a = analysis_record(
        cvss_v31=None, base_exploitability=None, root_cause="", related_issues=None,
        safety_effectiveness_impact="", kev_snapshot=None, epss_snapshot=None, affected=None,
    )  # fmt: skip
    to_analysis(issue, a, day(3))
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(4))
    assert exc.value.missing == (
        "R3_analysis.cvss_vector",
        "R3_analysis.affected",
        "R3_analysis.root_cause",
        "R3_analysis.related_issues",
        "R3_analysis.safety_effectiveness_impact",
        "R3_analysis.risk_control_status",
        "R3_analysis.kev_snapshot",
        "R3_analysis.epss_snapshot",
    )
    fixed = SecurityIssue("ISS-8", default_policy())
    assert fixed.issue_id == "ISS-8"
    issue2 = to_triage()
    to_analysis(issue2, analysis_record(**CONTROLLED), day(3))
    decide(issue2, day(4))
    assert issue2.state is State.DECISION


def test_analysis_must_be_assessed_under_policy_and_jointly_signed() -> None:
    issue = to_triage()
    a = dataclasses.replace(analysis_record(), risk_control_status=RiskControlStatus.CONTROLLED)
    with pytest.raises(GateNotMet) as exc:
        issue.analyze(a, actor="sam", at=day(3), signatures=sign(a, "sam"))
    assert exc.value.missing == (
        "R3_analysis.risk_control_status as assessed under the policy",
        "R3_analysis approval by safety_risk_manager",
    )


def test_g_uncontrolled_requires_reportability() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(), day(3))
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(4), d=disclosure(decision=DisclosureKind.NO_DISCLOSURE, audiences=()))
    assert exc.value.missing == (
        "R7_reportability",
        "R4_disclosure.decision (no_disclosure needs controlled risk)",
        "R4_disclosure.audiences users",
    )
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.ROUTINE_PATCH,
                       EuRoute.NONE, "x")  # fmt: skip
    with pytest.raises(GateNotMet) as exc:
        issue.attach(r7, actor="rita", at=day(4), signatures=sign(r7, "sam"))
    assert exc.value.missing == ("R7_reportability approval by regulatory_affairs",)
    issue.attach(r7, actor="rita", at=day(4), signatures=sign(r7, "rita"))
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(4))
    assert exc.value.missing == (
        "R7_reportability.us_route (806 report, 806 non-enforcement or 803)",
    )
    r7 = dataclasses.replace(r7, us_route=UsRoute.REPORT_806, correction_started_at=day(5))
    issue.attach(r7, actor="rita", at=day(5), signatures=sign(r7, "rita"))
    decide(issue, day(5))
    due = {d.id: d for d in issue.deadlines(day(30))}
    assert due["US_806_REPORT"].due == dt.datetime(
        2025, 3, 21, 9, tzinfo=dt.UTC
    )  # Sat + 10 work days
    assert due["US_806_REPORT"].overdue


def test_g_harm_closes_the_806_non_enforcement_route() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(known_serious_adverse_event_or_death=True), day(3))
    assert issue.analysis is not None
    assert issue.analysis.risk_rule == "known_serious_adverse_event_or_death"
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.NON_ENFORCEMENT_806,
                       EuRoute.NONE, "x", non_enforcement_evidence=("e",))  # fmt: skip
    issue.attach(r7, actor="rita", at=day(3), signatures=sign(r7, "rita"))
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(4))
    assert exc.value.missing == (
        "R7_reportability.harm_known",
        "R7_reportability.us_route 803 MDR (806 non-enforcement is closed)",
        "R7_reportability.eu_route MDR Art. 87 (serious incident or FSCA)",
    )
    r7 = dataclasses.replace(
        r7, harm_known=True, us_route=UsRoute.MDR_803, eu_route=EuRoute.SERIOUS_INCIDENT,
        eu_category=EuIncidentCategory.DEATH_OR_SERIOUS_DETERIORATION, eu_aware_at=day(2),
    )  # fmt: skip
    issue.attach(r7, actor="rita", at=day(4), signatures=sign(r7, "rita"))
    decide(issue, day(4))
    due = {d.id: d for d in issue.deadlines(day(5))}
    assert due["EU_DEATH_OR_SERIOUS_DETERIORATION"].due == day(12)


def test_g_item_class_maintained_and_required() -> None:
    issue = _to_verification(item_class=ItemClass.MAINTAINED)
    rel = release_record(day(20), issue, update_available=False, integrity="")
    with pytest.raises(GateNotMet) as exc:
        issue.release(rel, actor="dan", at=day(20), signatures=sign(rel, "dan"))
    assert exc.value.missing == (
        "R10_release_advisory.update_available",
        "R10_release_advisory.integrity",
    )
    issue = _to_verification(item_class=ItemClass.REQUIRED)
    with pytest.raises(GateNotMet) as exc:
        issue.release(rel, actor="dan", at=day(20), signatures=sign(rel, "dan"))
    assert exc.value.missing == (
        "R10_release_advisory.compensating_control_requirements",
        "R10_release_advisory.residual_risk_disclosure",
    )
    rel = dataclasses.replace(
        rel, compensating_control_requirements=("OS vendor patch KB-1 applied by HDO",),
        residual_risk_disclosure="IFU 9.4 residual risk of the required OS",
    )  # fmt: skip
    issue.release(rel, actor="dan", at=day(20), signatures=sign(rel, "dan"))
    assert issue.state is State.RELEASED


def _to_verification(**analysis_kw: object) -> SecurityIssue:
    issue = to_triage()
    to_analysis(issue, analysis_record(**CONTROLLED, **analysis_kw), day(3))
    decide(issue, day(4))
    issue.start_remediation(ChangeRequest("CR-1207", "upgrade"), actor="dan", at=day(5))
    review = change_review()
    issue.review_change(
        review, actor="dan", at=day(6), signatures=review_signatures(review, day(6))
    )
    v = verification()
    issue.verify(v, actor="tess", at=day(7), signatures=sign(v, "quinn"))
    return issue


def test_g_change_review_every_required_aspect_approved_and_signed() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(**CONTROLLED), day(3))
    decide(issue, day(4))
    with pytest.raises(Conflict):
        issue.verify(verification(), actor="tess", at=day(5))  # still in DECISION
    issue.start_remediation(ChangeRequest("CR-1207", "upgrade"), actor="dan", at=day(5))
    review = change_review(aspects=(
        AspectReview(ReviewAspect.SAFETY, "sara", Verdict.REJECTED),
        AspectReview(ReviewAspect.SECURITY, "sam", Verdict.APPROVED),
        AspectReview(ReviewAspect.EFFECTIVENESS, "dan", Verdict.APPROVED),
    ))  # fmt: skip
    issue.review_change(
        review, actor="dan", at=day(6), signatures=review_signatures(review, day(6))[1:]
    )
    v = verification()
    with pytest.raises(GateNotMet) as exc:
        issue.verify(v, actor="tess", at=day(7), signatures=sign(v, "quinn"))
    assert exc.value.missing == (
        "R6_change_impact.safety approved",
        "R6_change_impact.safety signature by sara",
        "R6_change_impact.regulatory",
    )
    review = change_review()
    issue.review_change(
        review, actor="dan", at=day(7), signatures=review_signatures(review, day(7))
    )
    issue.verify(v, actor="tess", at=day(7), signatures=sign(v, "quinn"))
    assert issue.state is State.VERIFICATION


def test_g_verify_results_and_independent_approval() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(**CONTROLLED), day(3))
    decide(issue, day(4))
    issue.start_remediation(ChangeRequest("CR-1207", "upgrade"), actor="dan", at=day(5))
    review = change_review()
    issue.review_change(
        review, actor="dan", at=day(6), signatures=review_signatures(review, day(6))
    )
    # a typed re-scan result is refused, and so is a re-scan that still finds the issue
    still = rescan(found=(FindingRef(17, "CVE-2023-0286", "openssl", "3.0.7"),))
    typed = verification(rescan_new_vulnerabilities=(), rescan_tool="grype 0.74", rescan=still)
    with pytest.raises(GateNotMet) as exc:
        issue.verify(typed, actor="quinn", at=day(7), signatures=sign(typed, "quinn"))
    assert exc.value.missing == (
        "R9_verification.rescan_tool, rescan_date and rescan_new_vulnerabilities (psirt "
        "computes the re-scan; leave them out)",
        "R9_verification.rescan: infusion-pump@4.2.1 still has the issue's vulnerability "
        "(finding 17 CVE-2023-0286 in openssl 3.0.7)",
    )
    bad = verification(regression_passed=False, tester_independence=None)
    issue.verify(bad, actor="quinn", at=day(7), signatures=sign(bad, "quinn"))
    rel = release_record(day(8), issue)
    with pytest.raises(GateNotMet) as exc:
        issue.release(rel, actor="dan", at=day(8), signatures=sign(rel, "dan"))
    assert exc.value.missing == (
        "R9_verification.regression_passed",
        "R9_verification.tester_independence",
        "R9_verification approval by qa_approver other than the author",
    )
    issue.rework(Rework("regression"),
                 actor="dan", at=day(8))  # fmt: skip
    good = verification()
    issue.verify(good, actor="tess", at=day(9), signatures=sign(good, "quinn"))
    issue.release(rel, actor="dan", at=day(9), signatures=sign(rel, "dan"))
    assert issue.state is State.RELEASED


def test_g_close_and_risk_acceptance_path() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(**CONTROLLED), day(3))
    accept = resolution(approach=ResolutionApproach.ACCEPT_RESIDUAL_RISK, target_date=None)
    decide(issue, day(4), r=accept, d=disclosure(decision=DisclosureKind.NO_DISCLOSURE,
                                                 rationale="controlled, minor harm"))  # fmt: skip
    with pytest.raises(GateNotMet) as exc:
        issue.start_remediation(ChangeRequest("CR-1207", "x"), actor="dan", at=day(5))
    assert exc.value.missing == (
        "R5_resolution.approach fix or interim_environment_then_fix for a release not yet fixed",
    )
    ra = RiskAcceptance(
        residual_risk_statement="minor harm, adjacent network only",
        compensating_controls=("pump VLAN",),
        controlled_risk_evidence="matrix: minor x medium = controlled",
        user_information_ref="SG-PUMP rev E §4",
        approver="mona",
        review_on=dt.date(2025, 9, 1),
    )
    with pytest.raises(GateNotMet) as exc:
        issue.accept_risk(ra, actor="mona", at=day(5), signatures=sign(ra, "mona"))
    assert exc.value.missing == (
        "R15_risk_acceptance approval by management other than the author",
        "R15_risk_acceptance approval by safety_risk_manager other than the author",
    )
    issue.accept_risk(ra, actor="pat", at=day(5), signatures=sign(ra, "mona", "sara"))
    assert issue.state is State.OPEN_ACCEPTED
    assert {d.id for d in issue.deadlines(day(6))} >= {"RISK_ACCEPTANCE_REVIEW"}
    c = closure(rmf_updated_ref="", problem_report_closed=False)
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(6), signatures=sign(c, "pat"))
    assert exc.value.missing == (
        "R16_closure.rmf_updated_ref",
        "R16_closure.problem_report_closed",
        "R16_closure approval by qa_approver other than the author",
    )
    c = closure()
    issue.close(c, actor="pat", at=day(6), signatures=sign(c, "quinn"))
    assert issue.state is State.CLOSED


def test_accepting_uncontrolled_risk_is_refused() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(), day(3))
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.REPORT_806, EuRoute.NONE, "x")
    issue.attach(r7, actor="rita", at=day(3), signatures=sign(r7, "rita"))
    accept = resolution(approach=ResolutionApproach.ACCEPT_RESIDUAL_RISK)
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(4), r=accept)
    assert exc.value.missing == ("R5_resolution.approach (uncontrolled risk cannot be accepted)",)


def test_override_needs_signed_justification_and_waives_only_named_items() -> None:
    issue = opened()
    ov = Override("triage", ("R8_reporter_ack",), "")
    with pytest.raises(GateNotMet) as exc:
        issue.override(ov, actor="pat", at=day(1), signatures=sign(ov, "pat"))
    assert exc.value.missing == (
        "override.justification",
        "override approval by management or qa_approver other than the author",
    )
    ov = Override("triage", ("R8_reporter_ack",), "reporter anonymous, no channel back")
    issue.override(ov, actor="pat", at=day(1), signatures=sign(ov, "mona"))
    t = triage_record(verifiability="")
    with pytest.raises(GateNotMet) as exc:
        issue.triage(t, actor="pat", at=day(1), signatures=sign(t, "pat"))
    assert exc.value.missing == ("R2_triage.verifiability",)
    t = triage_record()
    issue.triage(t, actor="pat", at=day(1), signatures=sign(t, "pat"))
    assert [e.action.value for e in issue.events] == ["open", "override", "triage"]


def test_reopen_returns_to_analysis() -> None:
    issue = _to_verification()
    rel = release_record(day(20), issue)
    issue.release(rel, actor="dan", at=day(20), signatures=sign(rel, "dan"))
    issue.monitor(post_fix(), actor="pat", at=day(30))
    with pytest.raises(GateNotMet) as exc:
        issue.reopen(Reopen(ReopenTrigger.KEV_LISTING, ""), actor="pat", at=day(31))
    assert exc.value.missing == ("reopen.details",)
    issue.reopen(Reopen(ReopenTrigger.KEV_LISTING, "KEV added 2025-04-02"), actor="pat", at=day(31))
    to_analysis(issue, analysis_record(kev_listed=True, **CONTROLLED), day(32))
    assert issue.state is State.ANALYSIS


def test_wrong_state_and_time_order_conflict() -> None:
    issue = opened(acknowledged_at=T0)
    with pytest.raises(Conflict, match="needs TRIAGE"):
        issue.close_not_affected(
            NotAffected(VexJustification.COMPONENT_NOT_PRESENT, "", ("e",), "a", "b"),
            actor="pat", at=day(1),
        )  # fmt: skip
    with pytest.raises(Conflict, match="before the last event"):
        issue.attach(ack(T0 - dt.timedelta(days=1)), actor="pat", at=T0 - dt.timedelta(days=1))
    notice = CustomerNotice(NoticeKind.FINAL, day(1), "x", "y")
    with pytest.raises(Conflict):
        issue.attach(notice, actor="pat", at=day(1))  # RECEIVED: nothing to notify yet
    assert interim_notice(day(1)).missing_fda_elements() == []
