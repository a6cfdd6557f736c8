"""The issue lifecycle through the service layer, stored on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select, text

from psirt.domain.issue import Action
from psirt.domain.policy import default_policy, load_policy
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
    ReleaseStatus,
    ReleaseVehicle,
    Reportability,
    ResolutionApproach,
    Role,
    SignatureMeaning,
    ThirdPartyNotice,
    Triage,
    UsRoute,
    VexJustification,
)
from psirt.domain.risk import HarmSeverity, RiskControlStatus
from psirt.domain.ssvc import Automatable, Exploitation
from psirt.errors import Conflict, GateNotMet, InputError, IntegrityError
from psirt.services import issues, policy_store
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store
from tests.integration.issue_store import as_stored, seed_pump
from tests.unit.lifecycle.helpers import (
    T0,
    analysis_record,
    change_review,
    closure,
    cross_product,
    day,
    disclosure,
    intake,
    interim_notice,
    post_fix,
    release_record,
    resolution,
    review_signatures,
    sign,
    sign_all,
    triage_record,
    verification,
)

POLICY = default_policy()


def _open(store: Store, **intake_kw: object) -> int:
    rec = intake(acknowledged_at=T0 + dt.timedelta(hours=4), **intake_kw)
    with store.unit_of_work() as s:
        out = issues.open_issue(s, rec, title="OpenSSL in pump", actor="pat", policy=POLICY, at=T0)
    assert out.state == "RECEIVED"
    return out.issue_id


def _step(store: Store, iid: int, action: Action, records: list, actor: str, at: dt.datetime,
          signatures: list | None = None) -> issues.Outcome:  # fmt: skip
    with store.unit_of_work() as s:
        return issues.transition(s, iid, action, records, actor=actor, policy=POLICY,
                                 signatures=signatures or [], at=at)  # fmt: skip


def _triage(store: Store, iid: int) -> None:
    t = triage_record()
    _step(store, iid, Action.TRIAGE, [t], "pat", day(1), sign(t, "pat"))


def _decide(store: Store, iid: int, at: dt.datetime, d=None, r=None) -> issues.Outcome:  # noqa: ANN001
    d, r, c = d or disclosure(), r or resolution(), cross_product()
    return _step(store, iid, Action.DECIDE, [d, r, c], "dan", at,
                 sign_all([d, r], "dan", "sam", "sara"))  # fmt: skip


@dataclasses.dataclass
class Row:
    seq: int
    kind: str
    policy_digest: str | None
    body: dict


def _rows(store: Store, iid: int) -> list[Row]:
    with store.reader() as s:
        return [
            Row(r.seq, r.kind, r.policy_digest, r.body)
            for r in s.scalars(select(m.IssueEvent).where(m.IssueEvent.issue_id == iid)
                               .order_by(m.IssueEvent.seq))
        ]  # fmt: skip


def test_kev_openssl_pump_uncontrolled_out_of_cycle_fix(store: Store) -> None:
    seed_pump(store)
    iid = _open(store)
    _triage(store, iid)
    a = analysis_record(kev_listed=True, exploitation=Exploitation.ACTIVE, epss=0.93,
                        third_party_suppliers=("OpenSSL Project",))  # fmt: skip
    _step(store, iid, Action.ANALYZE, [a], "sam", day(3), sign(a, "sam", "sara", at=day(3)))
    with pytest.raises(GateNotMet) as exc:
        _decide(store, iid, day(4))
    assert exc.value.missing == ("R7_reportability", "R8_third_party OpenSSL Project")
    assert [r.seq for r in _rows(store, iid)] == [0, 1, 2]  # the refusal wrote nothing
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.NON_ENFORCEMENT_806,
                       EuRoute.NONE, "uncontrolled; 30/60-day route with ISAO",
                       non_enforcement_evidence=("complaint search C-88: none",))  # fmt: skip
    _step(store, iid, Action.ATTACH, [r7], "rita", day(4), sign(r7, "rita"))
    tp = ThirdPartyNotice("OpenSSL Project", "openssl-security@", day(4))
    _step(store, iid, Action.ATTACH, [tp], "pat", day(4))
    with pytest.raises(GateNotMet) as exc:
        _decide(store, iid, day(5), r=resolution(release_vehicle=ReleaseVehicle.REGULAR_CYCLE))
    assert "R5_resolution.release_vehicle out_of_cycle (uncontrolled)" in exc.value.missing
    _decide(store, iid, day(5))
    _step(store, iid, Action.START_REMEDIATION, [ChangeRequest("CR-1207", "OpenSSL 3.0.8")],
          "dan", day(6))  # fmt: skip
    review = change_review()
    _step(store, iid, Action.ATTACH, [review], "dan", day(10), review_signatures(review, day(10)))
    v = as_stored(store, iid, verification(rescan=None), POLICY)
    with pytest.raises(GateNotMet) as exc:
        _step(store, iid, Action.VERIFY, [v], "tess", day(20), sign(v, "quinn"))
    assert exc.value.missing == ("R8_customer interim notice (uncontrolled risk)",)
    _step(store, iid, Action.ATTACH, [interim_notice(day(21))], "cora", day(21))
    _step(store, iid, Action.VERIFY, [v], "tess", day(22), sign(v, "quinn"))
    rel = as_stored(store, iid, release_record(day(40), sbom=None), POLICY)
    _step(store, iid, Action.RELEASE, [rel], "dan", day(40), sign(rel, "dan"))
    _step(store, iid, Action.MONITOR, [post_fix()], "pat", day(70))
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        _step(store, iid, Action.CLOSE, [c], "pat", day(80), sign(c, "quinn"))
    assert exc.value.missing == (
        "R8_third_party OpenSSL Project acknowledged_at or non_response_documented",
    )
    _step(store, iid, Action.ATTACH, [dataclasses.replace(tp, acknowledged_at=day(9))],
          "pat", day(81))  # fmt: skip
    out = _step(store, iid, Action.CLOSE, [c], "pat", day(82), sign(c, "quinn"))
    assert (out.state_before, out.state) == ("POST_FIX_MONITORING", "CLOSED")

    rows = _rows(store, iid)
    assert [r.kind for r in rows] == [
        "open", "triage", "analyze", "attach", "attach", "decide", "start_remediation",
        "attach", "attach", "verify", "release", "monitor", "attach", "close",
    ]  # fmt: skip
    assert {r.policy_digest for r in rows} == {POLICY.digest}
    with store.reader() as s:
        detail = issues.show_issue(s, iid, POLICY, at=day(90))
        assert detail.summary.state == "CLOSED"
        assert detail.summary.risk_control_status == "uncontrolled"
        assert detail.summary.ssvc_priority == "immediate" and detail.summary.kev
        assert detail.release_matrix == {
            "infusion-pump@4.2.0": "fixed", "infusion-pump@4.1.3": "fixed"
        }  # fmt: skip
        due = {d.id: d for d in detail.deadlines}
        assert due["US_UNCONTROLLED_COMMS"].done_at == day(21) and due["US_UNCONTROLLED_COMMS"].met
        assert due["US_UNCONTROLLED_FIX"].done_at == day(40) and due["US_UNCONTROLLED_FIX"].met
        assert due["SSVC_IMMEDIATE_FIX"].overdue
        # every state change is in the audit chain with the signatures' digests
        trail = s.scalars(
            select(m.AuditEvent).where(m.AuditEvent.object_type == "issue",
                                       m.AuditEvent.object_id == str(iid))
            .order_by(m.AuditEvent.seq)
        ).all()  # fmt: skip
        assert [t.action for t in trail][:3] == ["issue.create", "issue.triage", "issue.analyze"]
        analyze = trail[2].detail
        assert (analyze["from"], analyze["to"]) == ("TRIAGE", "ANALYSIS")
        assert {(x["signer"], x["role"]) for x in analyze["signatures"]} == {
            ("sam", "security_risk_owner"), ("sara", "safety_risk_manager")
        }  # fmt: skip
        assert {x["digest_sha256"] for x in analyze["signatures"]} == {a.digest()}
        assert trail[-1].detail["to"] == "CLOSED"
        assert audit.verify(s).ok
        assert issues.verify_events(s, POLICY) == []


def test_pypi_advisory_not_affected_with_a_signature_given_beforehand(store: Store) -> None:
    rel = (AffectedRelease("dose-calc-web", "3.4.0", ReleaseStatus.UNDER_INVESTIGATION,
                           "pkg:pypi/jinja2@3.1.2"),)  # fmt: skip
    rec = intake(source=IntakeSource.WIDESPREAD_VULN_FEED, reporter="", channel="OSV PyPI",
                 vulnerability_ids=("GHSA-h5c8-rqwp-cp95", "CVE-2024-22195"),
                 affected=rel)  # fmt: skip
    with store.unit_of_work() as s:
        iid = issues.open_issue(s, rec, title="jinja2 xmlattr", actor="pat", policy=POLICY,
                                at=T0).issue_id  # fmt: skip
    t = Triage(False, "xmlattr filter never used", "call-graph review of 3.4.0")
    _step(store, iid, Action.TRIAGE, [t], "pat", day(1), sign(t, "pat"))
    na = NotAffected(VexJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
                     "jinja2.filters.do_xmlattr is not reachable from any template",
                     ("callgraph-2025-03-04.html",), author="sam", approver="quinn")  # fmt: skip
    with pytest.raises(GateNotMet) as exc:
        _step(store, iid, Action.CLOSE_NOT_AFFECTED, [na], "sam", day(2))
    assert exc.value.missing == (
        "not_affected approval by qa_approver or security_risk_owner other than the author "
        "(signed by quinn)",
    )
    quinn = issues.Signer("quinn", Role.QA_APPROVER, SignatureMeaning.APPROVED)
    with store.unit_of_work() as s:
        sigs = issues.sign_records(s, iid, [na], signer=quinn, policy=POLICY,
                                   action="close-not-affected", at=day(2))  # fmt: skip
    assert sigs[0].covers(na)
    out = _step(store, iid, Action.CLOSE_NOT_AFFECTED, [na], "sam", day(2))
    assert out.state == "CLOSED_NOT_AFFECTED"
    assert [s.signer for s in out.events[0].signatures] == ["quinn"]
    with store.reader() as s:
        detail = issues.show_issue(s, iid, POLICY, at=day(3))
    assert detail.release_matrix == {"dose-calc-web@3.4.0": "not_affected"}
    # a used signature is not used twice
    with store.unit_of_work() as s:
        row = issues.get_row(s, iid)
        issue = issues.load(s, row, POLICY)
        assert issues._pending_signatures(s, row, issue, [na]) == []


def test_environment_of_use_update_with_network_segmentation(store: Store) -> None:
    iid = _open(store, item_class=ItemClass.SUPPORTED)
    _triage(store, iid)
    a = analysis_record(cvss_v31="CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L",
                        harm_severity=HarmSeverity.MINOR, item_class=ItemClass.SUPPORTED,
                        automatable=Automatable.NO)  # fmt: skip
    assert a.risk_control_status is RiskControlStatus.CONTROLLED
    _step(store, iid, Action.ANALYZE, [a], "sam", day(3), sign(a, "sam", "sara"))
    env = resolution(approach=ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE,
                     release_vehicle=ReleaseVehicle.REGULAR_CYCLE,
                     regular_cycle_justification_ref="CMP-7 §4")  # fmt: skip
    d = disclosure(decision=DisclosureKind.DISCLOSE_TARGETED_CUSTOMERS, audiences=(Audience.USERS,))
    with pytest.raises(GateNotMet) as exc:
        _decide(store, iid, day(5), d=d, r=env)
    assert "R5_resolution.environment_requirements" in exc.value.missing
    assert "R5_resolution.env_compensation_justification" in exc.value.missing
    env = dataclasses.replace(
        env, environment_document="Security guide SG-PUMP", environment_document_version="rev E",
        environment_requirements=("dedicated VLAN; deny inbound except 10.20.0.0/24 on 8443",),
        evidence_risk_acceptable="retest PT-55 with segmentation: not exploitable",
        user_capability_justification="HDO network admins configure VLANs (study US-12)",
        labelling_update_ref="IFU 12.3 rev F", env_compensation_justification="needs adjacency",
    )  # fmt: skip
    _decide(store, iid, day(5), d=d, r=env)
    with pytest.raises(GateNotMet, match="a release not yet fixed"):
        _step(store, iid, Action.START_REMEDIATION, [ChangeRequest("CR-88", "SG rev E")], "dan",
              day(6))  # fmt: skip
    review = change_review(change_request_id="SG-PUMP rev E")
    _step(store, iid, Action.ATTACH, [review], "dan", day(7), review_signatures(review, day(7)))
    notice = CustomerNotice(NoticeKind.FINAL, day(9), "gateway operators", "segment per SG rev E")
    _step(store, iid, Action.ATTACH, [notice], "cora", day(9))
    c = closure()
    out = _step(store, iid, Action.CLOSE, [c], "pat", day(10), sign(c, "quinn"))
    assert (out.state_before, out.state) == ("DECISION", "CLOSED")
    with store.reader() as s:
        issue = issues.load(s, issues.get_row(s, iid), POLICY)
        detail = issues.show_issue(s, iid, POLICY)
    decided = issue.latest(type(env))
    assert decided is not None and decided.environment_requirements == env.environment_requirements
    assert [issues.release_row(r) for r in detail.releases] == [
        {"release": key, "status": "affected", "resolution": "environment_of_use_update",
         "gate": "passed", "missing": []}
        for key in ("infusion-pump@4.2.0", "infusion-pump@4.1.3")
    ]  # fmt: skip


def test_close_without_change_impact_review_fails_naming_it(store: Store) -> None:
    seed_pump(store)
    iid = _open(store)
    _triage(store, iid)
    a = analysis_record()
    _step(store, iid, Action.ANALYZE, [a], "sam", day(3), sign(a, "sam", "sara"))
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.REPORT_806, EuRoute.NONE,
                       "uncontrolled; correction reported")  # fmt: skip
    _step(store, iid, Action.ATTACH, [r7], "rita", day(3), sign(r7, "rita"))
    _decide(store, iid, day(4))
    _step(store, iid, Action.START_REMEDIATION, [ChangeRequest("CR-1207", "patch")], "dan", day(5))
    _step(store, iid, Action.ATTACH, [interim_notice(day(6))], "cora", day(6))
    from psirt.domain.records import Override

    ov = Override("verify", ("R6_change_impact",), "field emergency; review follows")
    _step(store, iid, Action.OVERRIDE, [ov], "dan", day(7), sign(ov, "mona"))
    v = as_stored(store, iid, verification(rescan=None), POLICY)
    _step(store, iid, Action.VERIFY, [v], "tess", day(8), sign(v, "quinn"))
    r7 = dataclasses.replace(r7, us_submitted_at=day(8), us_report_number="806-1")
    _step(store, iid, Action.ATTACH, [r7], "rita", day(8), sign(r7, "rita"))
    rel = as_stored(store, iid, release_record(day(9), sbom=None), POLICY)
    _step(store, iid, Action.RELEASE, [rel], "dan", day(9), sign(rel, "dan"))
    _step(store, iid, Action.MONITOR, [post_fix()], "pat", day(30))
    c = closure()
    with pytest.raises(GateNotMet, match=r"^close: gate not met; missing: R6_change_impact$"):
        _step(store, iid, Action.CLOSE, [c], "pat", day(31), sign(c, "quinn"))
    with store.reader() as s:
        assert issues.get_row(s, iid).state == "POST_FIX_MONITORING"
    review = change_review()
    _step(store, iid, Action.ATTACH, [review], "dan", day(32), review_signatures(review, day(32)))
    assert _step(store, iid, Action.CLOSE, [c], "pat", day(33), sign(c, "quinn")).state == "CLOSED"


def test_wrong_state_is_a_conflict_and_writes_nothing(store: Store) -> None:
    iid = _open(store)
    c = closure()
    with pytest.raises(Conflict, match="is RECEIVED, needs"):
        _step(store, iid, Action.CLOSE, [c], "pat", day(1), sign(c, "quinn"))
    assert len(_rows(store, iid)) == 1


def test_edited_event_row_is_caught(store: Store) -> None:
    iid = _open(store)
    _triage(store, iid)
    new_body = None
    with store.engine.begin() as conn:
        body = conn.execute(
            select(m.IssueEvent.body).where(m.IssueEvent.issue_id == iid, m.IssueEvent.seq == 1)
        ).scalar_one()
        body["actor"] = "mallory"
        new_body = body
        conn.execute(
            m.IssueEvent.__table__.update()
            .where(m.IssueEvent.issue_id == iid, m.IssueEvent.seq == 1)
            .values(body=new_body)
        )
    with store.reader() as s, pytest.raises(IntegrityError, match="digest does not match"):
        issues.load(s, issues.get_row(s, iid), POLICY)
    with store.reader() as s:
        problems = issues.verify_events(s, POLICY)
    assert [p.issue_id for p in problems] == [iid]
    assert "event 1" in problems[0].reason
    # a transition on the tampered issue is refused
    a = analysis_record()
    with pytest.raises(IntegrityError):
        _step(store, iid, Action.ANALYZE, [a], "sam", day(3), sign(a, "sam", "sara"))


def test_consistently_rewritten_events_are_caught_by_the_audit_record(store: Store) -> None:
    iid = _open(store)
    _triage(store, iid)
    # rewrite event 1 with a recomputed digest: the chain of events alone still holds
    with store.reader() as s:
        issue = issues.load(s, issues.get_row(s, iid), POLICY)
    forged = dataclasses.replace(issue.events[1], actor="mallory")
    with store.engine.begin() as conn:
        conn.execute(
            m.IssueEvent.__table__.update()
            .where(m.IssueEvent.issue_id == iid, m.IssueEvent.seq == 1)
            .values(body=forged.to_dict(), actor="mallory")
        )
    with store.reader() as s:
        problems = issues.verify_events(s, POLICY)
    assert [(p.issue_id, p.reason) for p in problems] == [
        (iid, "event 1 differs from its audit record")
    ]


def test_state_column_edit_is_caught_by_the_audit_chain(store: Store) -> None:
    iid = _open(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE security_issues SET state = 'CLOSED' WHERE id = :i"), {"i": iid})
    with store.reader() as s:
        report = audit.verify(s)
        assert not report.ok
        assert any(p.object == f"issue {iid}" for p in report.problems)
        with pytest.raises(IntegrityError, match="differs from its events"):
            issues.load(s, issues.get_row(s, iid), POLICY)


def test_policy_digest_is_stored_per_event_and_the_document_recorded(store: Store) -> None:
    custom = load_policy("[timers]\ntriage_days = 3\n", source="site.toml")
    assert custom.digest != POLICY.digest
    iid = _open(store)
    t = triage_record()
    with store.unit_of_work() as s:
        issues.transition(s, iid, Action.TRIAGE, [t], actor="pat", policy=custom,
                          signatures=sign(t, "pat"), at=day(1))  # fmt: skip
    rows = _rows(store, iid)
    assert [(r.seq, r.policy_digest) for r in rows] == [(0, POLICY.digest), (1, custom.digest)]
    assert [r.body["policy_digest"] for r in rows] == [POLICY.digest, custom.digest]
    with store.reader() as s:
        doc = policy_store.recorded_document(s, custom.digest)
        assert doc["timers"]["triage_days"] == 3
        assert policy_store.recorded_document(s, POLICY.digest)["timers"]["triage_days"] == 10
        # deadlines follow the policy they are read under
        due = {d.id: d.due for iid_, _, d in issues.deadlines(s, custom, issue_id=iid)}
        assert due["TRIAGE"] == T0 + dt.timedelta(days=3)


def test_demo_walkthrough_from_the_kev_libwebp_finding(store: Store) -> None:
    from psirt.services import demo

    # The demo portfolio walks the issue itself; a second walk returns it and writes nothing.
    with store.unit_of_work() as s:
        loaded = demo.load_portfolio(s, actor="alice")
    assert loaded.issue_id is not None
    assert [r.kind for r in _rows(store, loaded.issue_id)] == [
        "open", "triage", "analyze", "attach", "attach", "decide", "start_remediation"
    ]  # fmt: skip
    with store.unit_of_work() as s:
        out = issues.demo_walkthrough(s, actor="alice")
    assert out.state == "REMEDIATION"
    assert out.issue_id == loaded.issue_id and out.events == ()
    with store.reader() as s:
        detail = issues.show_issue(s, out.issue_id, POLICY)
        finding = s.scalar(select(m.Finding).where(m.Finding.issue_id == out.issue_id))
        assert finding is not None and finding.advisory_id == "CVE-2023-4863"
        finding_id, first_seen = finding.id, finding.first_seen
        assert audit.verify(s).ok
    sm = detail.summary
    assert sm.title.startswith("CVE-2023-4863 in libwebp 1.3.1")
    assert (sm.risk_control_status, sm.kev, sm.t0) == ("uncontrolled", True, first_seen)
    assert sm.ssvc_priority in ("out_of_cycle", "immediate")
    assert detail.release_matrix == {"Patient Monitor PM-8@7.4.2": "affected"}
    intake_rec = detail.events[0].records[0]
    assert intake_rec.source is IntakeSource.WIDESPREAD_VULN_FEED  # type: ignore[attr-defined]
    assert intake_rec.finding_ids == (str(finding_id),)  # type: ignore[attr-defined]
    resolution_rec = detail.events[5].records[1]
    assert resolution_rec.release_vehicle is ReleaseVehicle.OUT_OF_CYCLE  # type: ignore[attr-defined]


def test_promoted_finding_cannot_be_promoted_twice(store: Store) -> None:
    from psirt.services import demo

    with store.unit_of_work() as s:
        demo.load_portfolio(s, actor="alice")
        # The demo promoted the libwebp finding already; busybox's is still free.
        fid = s.scalar(select(m.Finding.id).where(m.Finding.advisory_id == "CVE-2018-1000500"))
        assert fid is not None
        out = issues.promote_findings(s, [fid], actor="pat", policy=POLICY)
        other = s.scalar(
            select(m.Finding.id).where(m.Finding.id != fid, m.Finding.issue_id.is_(None)).limit(1)
        )
        assert other is not None
        assert issues.attach_findings(s, out.issue_id, [other, fid], actor="pat",
                                      policy=POLICY) == [other]  # fmt: skip
    with store.unit_of_work() as s, pytest.raises(Conflict, match="already belongs to issue"):
        issues.promote_findings(s, [fid], actor="pat", policy=POLICY)


def test_title_with_a_nul_character_is_refused(store: Store) -> None:
    """PostgreSQL text cannot hold NUL: the title is refused as bad input, nothing is written."""
    with pytest.raises(InputError, match=r"^issue: title: contains a NUL character$"):
        with store.unit_of_work() as s:
            issues.open_issue(s, intake(), title="OpenSSL\x00 in pump", actor="pat",
                              policy=POLICY, at=T0)  # fmt: skip
    with store.reader() as s:
        assert s.scalars(select(m.SecurityIssue)).all() == []


def test_issue_stored_before_per_release_resolutions_loads_and_goes_on(store: Store) -> None:
    """Records as psirt e63103b wrote them (an environment-of-use update released through the
    fix path) load from the store, show per release, and the issue can be closed."""
    import json

    from tests.conftest import ASSETS

    stored = json.loads((ASSETS / "issues" / "stored" / "events-e63103b.json").read_text())
    bodies = stored["issues"]["environment_released"]
    with store.unit_of_work() as s:
        row = m.SecurityIssue(title="segmentation of the gateway", state="RELEASED",
                              created_by="pat")  # fmt: skip
        s.add(row)
        s.flush()
        prev = ""
        for body in bodies:
            # the store's issue number is part of each event, so the chain is digested anew;
            # the records and the signatures over them are as they were stored
            body = {**body, "issue_id": str(row.id), "prev_digest": prev}
            body.pop("digest")
            event = issues.Event.from_dict(body)
            prev = event.digest
            s.add(m.IssueEvent(issue_id=row.id, seq=event.seq, kind=event.action.value,
                               actor=event.actor, at=event.at, policy_digest=event.policy_digest,
                               body=event.to_dict()))  # fmt: skip
        iid = row.id
    with store.reader() as s:
        detail = issues.show_issue(s, iid, POLICY)
    assert [(r.release, r.approach.value if r.approach else None, r.gate)
            for r in detail.releases] == [
        ("infusion-pump@4.2.0", "environment_of_use_update", "passed"),
        ("infusion-pump@4.1.3", "environment_of_use_update", "passed"),
    ]  # fmt: skip
    _step(store, iid, Action.MONITOR, [post_fix()], "pat", day(40))
    c = closure()
    assert _step(store, iid, Action.CLOSE, [c], "pat", day(41), sign(c, "quinn")).state == "CLOSED"
