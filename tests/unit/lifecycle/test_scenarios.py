"""End-to-end walks through the lifecycle, as a PSIRT would run them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from psirt.domain.issue import Event, SecurityIssue, State
from psirt.domain.policy import default_policy
from psirt.domain.records import (
    AffectedRelease,
    Audience,
    ChangeRequest,
    CustomerNotice,
    DisclosureKind,
    EuRoute,
    IntakeSource,
    ItemClass,
    NotAffected,
    NoticeKind,
    Override,
    ReleaseStatus,
    ReleaseVehicle,
    Reportability,
    ResolutionApproach,
    ThirdPartyNotice,
    Triage,
    UsRoute,
    VexJustification,
)
from psirt.domain.risk import Exploitability, HarmSeverity, RiskControlStatus
from psirt.domain.ssvc import Automatable, Exploitation, SsvcDecision
from psirt.errors import GateNotMet, IntegrityError

from .helpers import (
    T0,
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
    resolution,
    review_signatures,
    sign,
    to_analysis,
    to_triage,
    verification,
)


def test_kev_listed_openssl_in_fielded_pump_uncontrolled_out_of_cycle_fix() -> None:
    issue = to_triage("PUMP-2025-004")
    a = analysis_record(
        kev_listed=True,
        exploitation=Exploitation.ACTIVE,
        epss=0.93,
        third_party_suppliers=("OpenSSL Project",),
    )
    # KEV listing sets exploitability high; critical harm -> uncontrolled; SSVC immediate
    assert a.effective_exploitability is Exploitability.HIGH
    assert a.risk_control_status is RiskControlStatus.UNCONTROLLED
    assert a.risk_rule == "severity_critical_or_catastrophic_and_exploitability_medium_or_high"
    assert a.ssvc_priority is SsvcDecision.IMMEDIATE
    to_analysis(issue, a, day(3))

    # Deciding without R7 and the third-party notice is refused, naming both.
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(4))
    assert exc.value.missing == ("R7_reportability", "R8_third_party OpenSSL Project")

    r7 = Reportability(
        risk_control_status=RiskControlStatus.UNCONTROLLED,
        harm_known=False,
        us_route=UsRoute.NON_ENFORCEMENT_806,
        eu_route=EuRoute.NONE,
        rationale="uncontrolled, no adverse events; 30/60-day route with ISAO participation",
        non_enforcement_evidence=("no known serious adverse events (complaint search C-88)",),
    )
    issue.attach(r7, actor="rita", at=day(4), signatures=sign(r7, "rita"))
    tp = ThirdPartyNotice("OpenSSL Project", "openssl-security@", day(4))
    issue.attach(tp, actor="pat", at=day(4))

    # regular cycle is refused for uncontrolled risk (524B(b)(2)(B) floor)
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(5), r=resolution(release_vehicle=ReleaseVehicle.REGULAR_CYCLE))
    assert exc.value.missing == (
        "R5_resolution.release_vehicle out_of_cycle (uncontrolled)",
        "R5_resolution.regular_cycle_justification_ref",
    )
    decide(issue, day(5))
    assert issue.state is State.DECISION

    cr = ChangeRequest("CR-1207", "upgrade bundled OpenSSL to 3.0.8")
    issue.start_remediation(cr, actor="dan", at=day(6))
    review = change_review()
    issue.review_change(
        review, actor="dan", at=day(10), signatures=review_signatures(review, day(10))
    )

    # uncontrolled: no verification before the interim customer notice (FDA 4 elements)
    v = verification()
    with pytest.raises(GateNotMet) as exc:
        issue.verify(v, actor="tess", at=day(20), signatures=sign(v, "quinn"))
    assert exc.value.missing == ("R8_customer interim notice (uncontrolled risk)",)
    issue.attach(interim_notice(day(21)), actor="cora", at=day(21))
    issue.verify(v, actor="tess", at=day(22), signatures=sign(v, "quinn"))

    rel = release_record(day(40), issue)
    issue.release(rel, actor="dan", at=day(40), signatures=sign(rel, "dan"))
    assert issue.state is State.RELEASED
    issue.monitor(post_fix(), actor="pat", at=day(70))

    # closing needs the supplier's acknowledgement or a documented non-response
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(80), signatures=sign(c, "quinn"))
    assert exc.value.missing == (
        "R8_third_party OpenSSL Project acknowledged_at or non_response_documented",
    )
    issue.attach(dataclasses.replace(tp, acknowledged_at=day(9)), actor="pat", at=day(81))
    issue.close(c, actor="pat", at=day(82), signatures=sign(c, "quinn"))
    assert issue.state is State.CLOSED
    assert issue.release_matrix() == {
        "infusion-pump@4.2.0": ReleaseStatus.FIXED,
        "infusion-pump@4.1.3": ReleaseStatus.FIXED,
    }

    # timers: 30/60 days from T0, both met; SSVC immediate fix target 30 days missed
    deadlines = {d.id: d for d in issue.deadlines(day(90))}
    comms = deadlines["US_UNCONTROLLED_COMMS"]
    assert comms.due == T0 + dt.timedelta(days=30)
    assert comms.done_at == day(21) and comms.met and not comms.overdue
    fix = deadlines["US_UNCONTROLLED_FIX"]
    assert fix.due == T0 + dt.timedelta(days=60) and fix.done_at == day(40) and fix.met
    assert deadlines["SSVC_IMMEDIATE_FIX"].overdue
    assert deadlines["SSVC_IMMEDIATE_FIX"].due == T0 + dt.timedelta(days=30)
    assert deadlines["ACK"].met and deadlines["TRIAGE"].met and deadlines["ANALYSIS"].met

    # the events rebuild the same issue, through their dict form
    stored = [e.to_dict() for e in issue.events]
    rebuilt = SecurityIssue.from_events([Event.from_dict(d) for d in stored], default_policy())
    assert rebuilt.state is State.CLOSED
    assert [e.digest for e in rebuilt.events] == [e.digest for e in issue.events]
    assert {e.policy_digest for e in issue.events} == {default_policy().digest}


def test_deadlines_while_open_show_overdue_interim_notice() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(kev_listed=True), day(3))
    due = {d.id: d for d in issue.deadlines(day(31))}
    assert due["US_UNCONTROLLED_COMMS"].overdue and due["US_UNCONTROLLED_COMMS"].done_at is None
    assert not due["US_UNCONTROLLED_FIX"].overdue
    assert due["ANALYSIS"].done_at == day(3)


def test_pypi_advisory_not_affected_vulnerable_function_not_reachable() -> None:
    releases = (
        AffectedRelease("dose-calc-web", "3.4.0", ReleaseStatus.UNDER_INVESTIGATION,
                        "pkg:pypi/jinja2@3.1.2"),
    )  # fmt: skip
    issue = SecurityIssue.open(
        "DOSE-2025-011",
        intake(
            source=IntakeSource.WIDESPREAD_VULN_FEED, reporter="", channel="OSV PyPI feed",
            vulnerability_ids=("GHSA-h5c8-rqwp-cp95", "CVE-2024-22195"), affected=releases,
            item_class=ItemClass.MAINTAINED,
        ),
        policy=default_policy(), actor="pat", at=T0,
    )  # fmt: skip
    t = Triage(
        applicable=False,
        applicability_rationale="xmlattr filter never used; templates are not user supplied",
        verifiability="call-graph review of dose-calc-web 3.4.0",
    )
    issue.triage(t, actor="pat", at=day(1), signatures=sign(t, "pat"))  # feed: no ack needed
    na = NotAffected(
        justification=VexJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
        impact_statement="jinja2.filters.do_xmlattr is not reachable from any template",
        evidence=("callgraph-2025-03-04.html", "grep of templates/ for xmlattr: 0 hits"),
        author="sam",
        approver="sam",
    )
    with pytest.raises(GateNotMet) as exc:
        issue.close_not_affected(na, actor="sam", at=day(2), signatures=sign(na, "sam"))
    assert exc.value.missing == (
        "not_affected.approver other than the author",
        "not_affected approval by qa_approver or security_risk_owner other than the author "
        "(signed by sam)",
    )
    na = dataclasses.replace(na, approver="quinn")
    issue.close_not_affected(na, actor="sam", at=day(2), signatures=sign(na, "quinn"))
    assert issue.state is State.CLOSED_NOT_AFFECTED
    assert issue.release_matrix() == {"dose-calc-web@3.4.0": ReleaseStatus.NOT_AFFECTED}


def test_resolved_by_updating_intended_environment_of_use() -> None:
    issue = to_triage("GW-2025-002", item_class=ItemClass.SUPPORTED)
    a = analysis_record(
        cvss_v31="CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L",
        harm_severity=HarmSeverity.MINOR,
        item_class=ItemClass.SUPPORTED,
        automatable=Automatable.NO,
    )
    assert a.risk_control_status is RiskControlStatus.CONTROLLED
    assert a.risk_rule == "otherwise_controlled"
    to_analysis(issue, a, day(3))
    env = resolution(
        approach=ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE,
        release_vehicle=ReleaseVehicle.REGULAR_CYCLE,
        regular_cycle_justification_ref="CMP-7 §4 regular cycle",
    )
    d = disclosure(decision=DisclosureKind.DISCLOSE_TARGETED_CUSTOMERS, audiences=(Audience.USERS,))
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(5), d=d, r=env)
    assert exc.value.missing == (
        "R5_resolution.environment_document",
        "R5_resolution.environment_document_version",
        "R5_resolution.environment_requirements",
        "R5_resolution.evidence_risk_acceptable",
        "R5_resolution.user_capability_justification",
        "R5_resolution.labelling_update_ref",
        "R5_resolution.env_compensation_justification",
    )
    env = dataclasses.replace(
        env,
        environment_document="Security guide SG-PUMP",
        environment_document_version="rev E",
        environment_requirements=("place the gateway in a dedicated VLAN; deny inbound from "
                                  "hospital LAN except 10.20.0.0/24 on 8443",),
        evidence_risk_acceptable="penetration retest PT-55 with segmentation: not exploitable",
        user_capability_justification="HDO network admins configure VLANs routinely (usability "
                                      "study US-12)",
        labelling_update_ref="IFU 12.3 rev F, SG-PUMP rev E",
        env_compensation_justification="attack needs adjacency that segmentation removes; the "
                                       "protocol fix needs hardware revision B",
    )  # fmt: skip
    decide(issue, day(5), d=d, r=env)
    # the environment-of-use update is not a fix: no remediation, verification or release
    with pytest.raises(GateNotMet) as exc:
        issue.start_remediation(ChangeRequest("CR-88", "SG rev E"), actor="dan", at=day(6))
    assert exc.value.missing == (
        "R5_resolution.approach fix or interim_environment_then_fix for a release not yet fixed",
    )
    # closing needs, for each release, the change review and the customer notice
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(6), signatures=sign(c, "quinn"))
    assert exc.value.missing == (
        "R6_change_impact",
        "R8_customer (environment-of-use update)",
        "R4_disclosure done: R8_customer",
    )
    review = change_review(change_request_id="SG-PUMP rev E")
    issue.review_change(
        review, actor="dan", at=day(7), signatures=review_signatures(review, day(7))
    )
    notice = CustomerNotice(NoticeKind.FINAL, day(9), "gateway operators",
                            "segment the gateway per SG-PUMP rev E")  # fmt: skip
    issue.attach(notice, actor="cora", at=day(9))
    assert [(r.release, r.approach, r.gate) for r in issue.release_resolutions()] == [
        ("infusion-pump@4.2.0", ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE, "passed"),
        ("infusion-pump@4.1.3", ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE, "passed"),
    ]
    issue.close(c, actor="pat", at=day(10), signatures=sign(c, "quinn"))
    assert issue.state is State.CLOSED
    assert [e.action.value for e in issue.events][-4:] == ["decide", "attach", "attach", "close"]


def test_close_with_missing_change_impact_review_fails_and_names_it() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(), day(3))
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.REPORT_806, EuRoute.NONE,
                       "uncontrolled; correction reported")  # fmt: skip
    issue.attach(r7, actor="rita", at=day(3), signatures=sign(r7, "rita"))
    decide(issue, day(4))
    issue.start_remediation(ChangeRequest("CR-1207", "patch"), actor="dan", at=day(5))
    issue.attach(interim_notice(day(6)), actor="cora", at=day(6))
    v = verification()
    with pytest.raises(GateNotMet) as exc:
        issue.verify(v, actor="tess", at=day(7), signatures=sign(v, "quinn"))
    assert exc.value.missing == ("R6_change_impact",)
    # management waives the review for verification (signed override) ...
    ov = Override("verify", ("R6_change_impact",), "field emergency; review follows")
    issue.override(ov, actor="dan", at=day(7), signatures=sign(ov, "mona"))
    issue.verify(v, actor="tess", at=day(8), signatures=sign(v, "quinn"))
    r7 = dataclasses.replace(r7, us_submitted_at=day(8), us_report_number="806-1")
    issue.attach(r7, actor="rita", at=day(8), signatures=sign(r7, "rita"))
    rel = release_record(day(9), issue)
    issue.release(rel, actor="dan", at=day(9), signatures=sign(rel, "dan"))
    issue.monitor(post_fix(), actor="pat", at=day(30))
    # ... but closure re-checks it and names it
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(31), signatures=sign(c, "quinn"))
    assert exc.value.missing == ("R6_change_impact",)
    assert str(exc.value) == "close: gate not met; missing: R6_change_impact"
    review = change_review()
    issue.review_change(review, actor="dan", at=day(32),
                        signatures=review_signatures(review, day(32)))  # fmt: skip
    issue.close(c, actor="pat", at=day(33), signatures=sign(c, "quinn"))
    assert issue.state is State.CLOSED


def test_tampered_event_chain_does_not_rebuild() -> None:
    issue = to_triage()
    stored = [e.to_dict() for e in issue.events]
    stored[0]["records"][0]["data"]["learned_at"] = "2025-03-10T09:00:00+00:00"
    with pytest.raises(IntegrityError, match="digest does not match"):
        Event.from_dict(stored[0])
    events = list(issue.events)
    forged = dataclasses.replace(events[1], state_after=State.ANALYSIS)
    with pytest.raises(IntegrityError, match="not a valid transition"):
        SecurityIssue.from_events([events[0], forged], default_policy())
    with pytest.raises(IntegrityError, match="chain is broken"):
        SecurityIssue.from_events([events[1]], default_policy())
