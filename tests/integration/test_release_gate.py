"""The release gate through the service, on SQLite and PostgreSQL: refusals naming every item,
signatures collected as new review versions, approval, override, audit and tampering."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select, text

from psirt.domain.issue import State
from psirt.domain.policy import default_policy
from psirt.domain.records import AffectedRelease, Intake, IntakeSource, ReleaseStatus, Role
from psirt.domain.records import SignatureMeaning as Meaning
from psirt.domain.release_gate import (
    Attendee,
    IssueDecision,
    IssueReview,
    KevAssessment,
    KevAssessmentKind,
    ReleaseGateReview,
)
from psirt.errors import GateNotMet, IntegrityError, UsageError
from psirt.services import catalog, issues
from psirt.services import release_gate as gate
from psirt.services.catalog import ReleaseStatus as Status
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store
from psirt.store.models_release_gate import ReleaseGateDecisionRow, ReleaseGateReviewRow

PUMP = "Infusion Pump IP-300"
AT = dt.datetime(2025, 3, 14, 15, 0, tzinfo=dt.UTC)
POLICY = default_policy()


def _seed(store: Store) -> int:
    """Pump 4.2.0 (fielded) and 4.3.0 (in development) with a KEV-listed libwebp; one issue of
    the pump, one of another product. Returns the pump issue's number."""
    with store.unit_of_work() as s:
        for product in (PUMP, "Patient Monitor PM-8"):
            catalog.add_product(s, actor="alice", name=product)
        catalog.add_release(s, actor="alice", product=PUMP, version="4.2.0", status=Status.FIELDED)
        rel = catalog.add_release(s, actor="alice", product=PUMP, version="4.3.0")
        catalog.add_release(s, actor="alice", product="Patient Monitor PM-8", version="7.4.2")
        s.add(m.KevEntry(cve_id="CVE-2023-4863", date_added=dt.date(2023, 9, 13)))
        for name, version, advisory, aliases in (
            ("libwebp", "1.3.1", "GHSA-j7hp-h8jx-5ppr", ["CVE-2023-4863"]),
            ("zlib", "1.2.13", "CVE-2023-45853", []),
        ):
            comp = m.Component(release_id=rel.id, name=name, version=version)
            s.add(comp)
            s.flush()
            s.add(
                m.Finding(
                    release_id=rel.id, component_id=comp.id, advisory_id=advisory, aliases=aliases
                )
            )
        opened = []
        for product, version in ((PUMP, "4.2.0"), ("Patient Monitor PM-8", "7.4.2")):
            intake = Intake(
                source=IntakeSource.WIDESPREAD_VULN_FEED,
                learned_at=AT - dt.timedelta(days=30),
                reporter="KEV catalog",
                channel="feed",
                summary="CVE-2023-4863 heap overflow in libwebp",
                vulnerability_ids=("CVE-2023-4863",),
                affected=(AffectedRelease(product, version, ReleaseStatus.AFFECTED),),
            )
            out = issues.open_issue(
                s,
                intake,
                title=f"CVE-2023-4863 in {product}",
                actor="pat",
                policy=POLICY,
                at=AT - dt.timedelta(days=30),
            )
            opened.append(out.issue_id)
    return opened[0]


def _minutes(issue_id: int) -> ReleaseGateReview:
    return ReleaseGateReview(
        product=PUMP,
        release="4.3.0",
        held_on=AT.date(),
        chair="dan",
        attendees=(Attendee("dan", Role.DESIGN_AUTHORITY), Attendee("quinn", Role.QA_APPROVER)),
        minutes="Open-issue review of 4.3.0.",
        issues=(
            IssueReview(
                str(issue_id),
                State.RECEIVED,
                IssueDecision.FIX_IN_THIS_RELEASE,
                "libwebp 1.3.2 goes into 4.3.0 before release",
            ),
        ),
    )


def _signer(who: str, role: Role, meaning: Meaning) -> issues.Signer:
    return issues.Signer(who, role, meaning)


def test_gate_refuses_then_approves(store: Store) -> None:
    issue_id = _seed(store)
    with store.reader() as s:
        report = gate.gate_report(s, product=PUMP, version="4.3.0", policy=POLICY)
    assert [(i.issue_id, i.state, i.releases) for i in report.open_issues] == [
        (str(issue_id), State.RECEIVED, ("4.2.0: affected",))
    ]
    assert [(f.kev_ids, f.component_label) for f in report.kev_findings] == [
        (("CVE-2023-4863",), "libwebp@1.3.1")
    ]
    assert report.missing == (
        "R13a release-gate review",
        f"R13a entry for issue {issue_id} (RECEIVED)",
        "KEV CVE-2023-4863 in libwebp@1.3.1: not_applicable or mitigated assessment",
    )
    with pytest.raises(GateNotMet) as refused, store.unit_of_work() as s:
        catalog.set_release_status(
            s, actor="dan", product=PUMP, version="4.3.0", status=Status.RELEASED
        )
    assert "approved R13a release-gate review of Infusion Pump IP-300 4.3.0" in str(refused.value)

    with store.unit_of_work() as s:
        gate.record_review(
            s,
            actor="dan",
            product=PUMP,
            version="4.3.0",
            review=_minutes(issue_id),
            policy=POLICY,
            sign=_signer("dan", Role.DESIGN_AUTHORITY, Meaning.AUTHORED),
            at=AT,
        )
    with pytest.raises(GateNotMet) as refused, store.unit_of_work() as s:
        gate.approve_release(s, actor="dan", product=PUMP, version="4.3.0", policy=POLICY)
    assert refused.value.missing == (
        "KEV CVE-2023-4863 in libwebp@1.3.1: not_applicable or mitigated assessment",
        "R13a approval by design_authority other than the chair",
        "R13a approval by qa_approver other than the chair",
    )

    kev = KevAssessment(
        "CVE-2023-4863",
        KevAssessmentKind.MITIGATED,
        "libwebp 1.3.2 replaces 1.3.1 in the 4.3.0 build",
        issue_id=str(issue_id),
    )
    complete = dataclasses.replace(_minutes(issue_id), kev=(kev,))
    with store.unit_of_work() as s:
        gate.record_review(
            s,
            actor="dan",
            product=PUMP,
            version="4.3.0",
            review=complete,
            policy=POLICY,
            sign=_signer("dan", Role.DESIGN_AUTHORITY, Meaning.AUTHORED),
            at=AT,
        )
        for who, role in (("dana", Role.DESIGN_AUTHORITY), ("quinn", Role.QA_APPROVER)):
            gate.sign_review(
                s,
                product=PUMP,
                version="4.3.0",
                policy=POLICY,
                signer=_signer(who, role, Meaning.APPROVED),
                at=AT,
            )
    with store.unit_of_work() as s:
        done = gate.approve_release(
            s,
            actor="dan",
            product=PUMP,
            version="4.3.0",
            policy=POLICY,
            released_on=dt.date(2025, 3, 20),
        )
    assert done.met and done.status == "released"
    with store.reader() as s:
        history = gate.review_history(s, PUMP, "4.3.0")
        assert [(h.seq, len(h.review.signatures)) for h in history] == [
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 3),
        ]
        assert history[1].digest == history[3].digest != history[0].digest
        release = catalog.get_release(s, PUMP, "4.3.0")
        assert (release.status, release.released_on) == ("released", dt.date(2025, 3, 20))
        (decision,) = s.scalars(select(ReleaseGateDecisionRow)).all()
        assert (decision.kind, decision.status, decision.review_id) == (
            "approval",
            "released",
            history[3].id,
        )
        assert decision.covered["issues"] == [{"issue": str(issue_id), "state": "RECEIVED"}]
        actions = [e.action for e in s.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq))]
        assert actions[-6:] == [
            "release_gate.review",
            "release_gate.review",
            "release_gate.sign",
            "release_gate.sign",
            "release_gate.approve",
            "release.status",
        ]
        report = audit.verify(s)
    assert report.ok, report.problems
    # released -> fielded is no new release approval; the approval stands
    with store.unit_of_work() as s:
        catalog.set_release_status(
            s, actor="dan", product=PUMP, version="4.3.0", status=Status.FIELDED
        )


def test_override_is_recorded_and_audited(store: Store) -> None:
    _seed(store)
    with pytest.raises(UsageError, match="needs a justification"), store.unit_of_work() as s:
        catalog.set_release_status(
            s,
            actor="mona",
            product=PUMP,
            version="4.3.0",
            status=Status.RELEASED,
            gate_override="  ",
        )
    with store.unit_of_work() as s:
        catalog.set_release_status(
            s,
            actor="mona",
            product=PUMP,
            version="4.3.0",
            status=Status.RELEASED,
            gate_override="field safety corrective action CAPA-88",
        )
    with store.reader() as s:
        report = gate.gate_report(s, product=PUMP, version="4.3.0", policy=POLICY)
        assert report.status == "released" and not report.met
        assert [(d.kind, d.status, d.justification, d.decided_by) for d in report.decisions] == [
            ("override", "released", "field safety corrective action CAPA-88", "mona")
        ]
        last = s.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq.desc()).limit(2)).all()
        assert [e.action for e in last] == ["release.status", "release_gate.override"]
        assert last[0].detail["gate_override"]["justification"].startswith("field safety")
        assert audit.verify(s).ok


def test_closed_and_other_product_issues_are_not_open_for_the_pump(store: Store) -> None:
    issue_id = _seed(store)
    with store.unit_of_work() as s:
        row = issues.get_row(s, issue_id)
        s.execute(text("UPDATE security_issues SET state = 'CLOSED' WHERE id = :i"), {"i": row.id})
    with store.reader() as s:
        assert gate.open_issues(s, PUMP, POLICY) == []
        other = gate.open_issues(s, "Patient Monitor PM-8", POLICY)
    assert [(i.issue_id, i.releases) for i in other] == [(str(issue_id + 1), ("7.4.2: affected",))]


def test_tampered_minutes_are_caught(store: Store) -> None:
    issue_id = _seed(store)
    with store.unit_of_work() as s:
        gate.record_review(
            s,
            actor="dan",
            product=PUMP,
            version="4.3.0",
            review=_minutes(issue_id),
            policy=POLICY,
            at=AT,
        )
    with store.unit_of_work() as s:
        (row,) = s.scalars(select(ReleaseGateReviewRow)).all()
        row.body = {**row.body, "minutes": "rewritten afterwards"}
    with store.reader() as s:
        problems = audit.verify(s).problems
        assert [(p.object, p.reason) for p in problems] == [
            (f"release_gate_review {row.id}", "row differs from its last audited state")
        ]
        with pytest.raises(IntegrityError, match="do not match their digest"):
            gate.gate_report(s, product=PUMP, version="4.3.0", policy=POLICY)


def test_review_of_another_release_is_refused(store: Store) -> None:
    issue_id = _seed(store)
    with (
        pytest.raises(UsageError, match="for Infusion Pump IP-300 4.3.0, not"),
        store.unit_of_work() as s,
    ):
        gate.record_review(
            s,
            actor="dan",
            product=PUMP,
            version="4.2.0",
            review=_minutes(issue_id),
            policy=POLICY,
            at=AT,
        )
