"""The release gate through the service, on SQLite and PostgreSQL: refusals naming every item,
signatures collected as new review versions, approval, override, audit and tampering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlalchemy import select, text

from psirt.domain.activity import Disposition, DispositionKind
from psirt.domain.issue import State
from psirt.domain.policy import default_policy, load_policy
from psirt.domain.records import AffectedRelease, Intake, IntakeSource, ReleaseStatus, Role
from psirt.domain.records import SignatureMeaning as Meaning
from psirt.domain.release_gate import (
    Attendee,
    IssueDecision,
    IssueReview,
    KevAssessment,
    KevAssessmentKind,
    ReleaseGateReview,
    UnreviewedReleaseReview,
)
from psirt.domain.scan import Severity as ScanSeverity
from psirt.errors import GateNotMet, IntegrityError, UsageError
from psirt.ingest.scans import parse
from psirt.services import activities, catalog, issues, scan_imports
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


def _pump_findings(store: Store) -> list[int]:
    with store.reader() as s:
        release = catalog.get_release(s, PUMP, "4.3.0")
        return list(
            s.scalars(
                select(m.Finding.id)
                .where(m.Finding.release_id == release.id)
                .order_by(m.Finding.id)
            )
        )


def test_gate_refuses_then_approves(store: Store) -> None:
    issue_id = _seed(store)
    libwebp, zlib = _pump_findings(store)
    with store.reader() as s:
        report = gate.gate_report(s, product=PUMP, version="4.3.0", policy=POLICY)
        unreviewed = s.scalar(
            select(ReleaseGateDecisionRow.id).where(ReleaseGateDecisionRow.kind == "unreviewed")
        )
    assert [(i.issue_id, i.state, i.releases) for i in report.open_issues] == [
        (str(issue_id), State.RECEIVED, ("4.2.0: affected",))
    ]
    assert [(f.kev_ids, f.component_label) for f in report.kev_findings] == [
        (("CVE-2023-4863",), "libwebp@1.3.1")
    ]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert report.missing == (
        "R13a release-gate review",
        f"R13a entry for issue {issue_id} (RECEIVED)",
        "KEV CVE-2023-4863 in libwebp@1.3.1: not_applicable or mitigated assessment",
        f"R13a entry for release 4.2.0 registered fielded without review (decision {unreviewed} "
        f"by alice, {today}); its open issues: {issue_id}",
        f"untriaged SBOM finding {libwebp} (no severity): GHSA-j7hp-h8jx-5ppr in libwebp@1.3.1, "
        f"open since {today}: attach it to a security issue",
        f"untriaged SBOM finding {zlib} (no severity): CVE-2023-45853 in zlib@1.2.13, "
        f"open since {today}: attach it to a security issue",
    )
    # Triage: both findings go to the pump's issue (its next analysis covers 4.3.0).
    with store.unit_of_work() as s:
        issues.attach_findings(s, issue_id, [libwebp, zlib], actor="pat", policy=POLICY)
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
        f"R13a entry for release 4.2.0 registered fielded without review (decision {unreviewed} "
        f"by alice, {today}); its open issues: {issue_id}",
        "R13a approval by design_authority other than the chair",
        "R13a approval by qa_approver other than the chair",
    )

    kev = KevAssessment(
        "CVE-2023-4863",
        KevAssessmentKind.MITIGATED,
        "libwebp 1.3.2 replaces 1.3.1 in the 4.3.0 build",
        issue_id=str(issue_id),
    )
    covers = UnreviewedReleaseReview(
        "4.2.0", "fielded before psirt; its libwebp issue is fixed by 4.3.0", (str(issue_id),)
    )
    complete = dataclasses.replace(_minutes(issue_id), kev=(kev,), unreviewed_releases=(covers,))
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
        (decision,) = s.scalars(
            select(ReleaseGateDecisionRow).where(ReleaseGateDecisionRow.kind == "approval")
        ).all()
        assert (decision.kind, decision.status, decision.review_id) == (
            "approval",
            "released",
            history[3].id,
        )
        assert decision.covered["issues"] == [{"issue": str(issue_id), "state": "RECEIVED"}]
        assert decision.covered["unreviewed"] == [
            {"decision": unreviewed, "release": "4.2.0", "issues": [str(issue_id)]}
        ]
        gates = {(r.product, r.version): r.gate for r in catalog.list_releases(s)}
        assert gates[(PUMP, "4.2.0")] == "registered without review; covered by the review of 4.3.0"
        assert gates[(PUMP, "4.3.0")] == "approved"
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


MONITOR = "Patient Monitor PM-8"


def _review_of(version: str, *covers: UnreviewedReleaseReview) -> ReleaseGateReview:
    return ReleaseGateReview(
        product=MONITOR,
        release=version,
        held_on=AT.date(),
        chair="dan",
        attendees=(Attendee("dan", Role.DESIGN_AUTHORITY), Attendee("quinn", Role.QA_APPROVER)),
        minutes=f"Open-issue review of {version}.",
        unreviewed_releases=covers,
    )


def _record_signed(store: Store, review: ReleaseGateReview) -> None:
    with store.unit_of_work() as s:
        chair = _signer("dan", Role.DESIGN_AUTHORITY, Meaning.AUTHORED)
        gate.record_review(s, actor="dan", product=MONITOR, version=review.release,
                           review=review, policy=POLICY, at=AT, sign=chair)  # fmt: skip
        for who, role in (("dana", Role.DESIGN_AUTHORITY), ("quinn", Role.QA_APPROVER)):
            gate.sign_review(s, product=MONITOR, version=review.release, policy=POLICY, at=AT,
                             signer=_signer(who, role, Meaning.APPROVED))  # fmt: skip


def test_releases_registered_without_review_must_be_covered_by_the_next_review(
    store: Store,
) -> None:
    """7.3.0 registered as fielded, 7.4.0 moved to released past the gate: both carry a gate
    decision of their own, and the next review (of 7.5.0) must list them and their open
    issues; its approval covers them, and the review of 7.6.0 need not list them again."""
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name=MONITOR)
        catalog.add_release(s, actor="alice", product=MONITOR, version="7.3.0",
                            status=Status.FIELDED)  # fmt: skip
        for version in ("7.4.0", "7.5.0", "7.6.0"):
            catalog.add_release(s, actor="alice", product=MONITOR, version=version)
        catalog.set_release_status(s, actor="mona", product=MONITOR, version="7.4.0",
                                   status=Status.RELEASED, gate_override="CAPA-12")  # fmt: skip
        intake = Intake(
            source=IntakeSource.WIDESPREAD_VULN_FEED, learned_at=AT, reporter="", channel="feed",
            summary="CVE-2024-3094 in xz", vulnerability_ids=("CVE-2024-3094",),
            affected=(AffectedRelease(MONITOR, "7.3.0", ReleaseStatus.AFFECTED),),
        )  # fmt: skip
        issue = issues.open_issue(s, intake, title="xz", actor="pat", policy=POLICY, at=AT)
    issue_id = str(issue.issue_id)
    with store.reader() as s:
        rows = s.scalars(select(ReleaseGateDecisionRow).order_by(ReleaseGateDecisionRow.id)).all()
        assert [(d.kind, d.status, d.decided_by) for d in rows] == [
            ("unreviewed", "fielded", "alice"),
            ("override", "released", "mona"),
        ]
        unreviewed, override = (d.id for d in rows)
        events = {e.action: e for e in s.scalars(select(m.AuditEvent))}
        assert events["release_gate.unreviewed"].detail == {
            "release": f"{MONITOR}@7.3.0",
            "status": "fielded",
        }
        assert audit.verify(s).ok
        report = gate.gate_report(s, product=MONITOR, version="7.5.0", policy=POLICY)
        own = gate.gate_report(s, product=MONITOR, version="7.3.0", policy=POLICY)
        listed = {(r.version, r.gate) for r in catalog.list_releases(s, MONITOR)}
    assert [(u.release, u.kind, u.decision_id, u.open_issues) for u in report.unreviewed] == [
        ("7.3.0", "unreviewed", str(unreviewed), (issue_id,)),
        ("7.4.0", "override", str(override), ()),
    ]
    assert [(w.decision_id, w.covered_by) for w in own.without_review] == [(unreviewed, None)]
    assert listed == {
        ("7.3.0", "registered without review; not yet covered by a review"),
        ("7.4.0", "gate overridden; not yet covered by a review"),
        ("7.5.0", ""),
        ("7.6.0", ""),
    }
    today = dt.datetime.now(dt.UTC).date().isoformat()
    # A review that does not list them is refused, naming each and its open issues.
    issue_entry = IssueReview(issue_id, State.RECEIVED, IssueDecision.DEFERRED, "fix in 7.6.0",
                              target_release="7.6.0")  # fmt: skip
    bare = dataclasses.replace(_review_of("7.5.0"), issues=(issue_entry,))
    _record_signed(store, bare)
    with pytest.raises(GateNotMet) as refused, store.unit_of_work() as s:
        gate.approve_release(s, actor="dan", product=MONITOR, version="7.5.0", policy=POLICY)
    assert refused.value.missing == (
        f"R13a entry for release 7.3.0 registered fielded without review (decision {unreviewed} "
        f"by alice, {today}); its open issues: {issue_id}",
        f"R13a entry for release 7.4.0 moved to released without review (decision {override} "
        f"by mona, {today})",
    )
    # Listing 7.3.0 without its open issue is not enough either.
    partial = dataclasses.replace(bare, unreviewed_releases=(
        UnreviewedReleaseReview("7.3.0", "fielded before psirt"),
        UnreviewedReleaseReview("7.4.0", "CAPA-12: released during the field action"),
    ))  # fmt: skip
    _record_signed(store, partial)
    with pytest.raises(GateNotMet) as refused, store.unit_of_work() as s:
        gate.approve_release(s, actor="dan", product=MONITOR, version="7.5.0", policy=POLICY)
    assert refused.value.missing == (
        f"R13a entry for release 7.3.0 registered without review: issue {issue_id} not listed",
    )
    complete = dataclasses.replace(partial, unreviewed_releases=(
        UnreviewedReleaseReview("7.3.0", "fielded before psirt; xz fixed in 7.6.0", (issue_id,)),
        partial.unreviewed_releases[1],
    ))  # fmt: skip
    _record_signed(store, complete)
    with store.unit_of_work() as s:
        done = gate.approve_release(s, actor="dan", product=MONITOR, version="7.5.0", policy=POLICY)
    assert done.met and done.status == "released"
    with store.reader() as s:
        approval = s.scalar(
            select(ReleaseGateDecisionRow).where(ReleaseGateDecisionRow.kind == "approval")
        )
        assert approval is not None
        assert approval.covered["unreviewed"] == [
            {"decision": unreviewed, "release": "7.3.0", "issues": [issue_id]},
            {"decision": override, "release": "7.4.0", "issues": []},
        ]
        own = gate.gate_report(s, product=MONITOR, version="7.3.0", policy=POLICY)
        assert [w.covered_by for w in own.without_review] == [("7.5.0", approval.id)]
        assert own.as_dict()["registered_without_review"][0]["covered_by"] == {
            "release": "7.5.0",
            "approval": approval.id,
        }
        listed = {(r.version, r.gate) for r in catalog.list_releases(s, MONITOR)}
        assert listed == {
            ("7.3.0", "registered without review; covered by the review of 7.5.0"),
            ("7.4.0", "gate overridden; covered by the review of 7.5.0"),
            ("7.5.0", "approved"),
            ("7.6.0", ""),
        }
        after = gate.gate_report(s, product=MONITOR, version="7.6.0", policy=POLICY)
        assert after.unreviewed == ()
        assert audit.verify(s).ok


def _sarif(*results: tuple[str, str, int, str], tool: str = "ruff") -> bytes:
    return json.dumps({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": tool}},
        "results": [
            {"ruleId": rule, "level": level, "message": {"text": rule},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": path},
                                                 "region": {"startLine": line}}}]}
            for rule, path, line, level in results
        ],
    }]}).encode()  # fmt: skip


HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"  # 7.5
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8


def test_untriaged_findings_and_due_activities_block_as_the_policy_says(store: Store) -> None:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name=PUMP)
        catalog.add_release(s, actor="alice", product=PUMP, version="0.9", status=Status.FIELDED)
        rel = catalog.add_release(s, actor="alice", product=PUMP, version="1.0")
        intake = Intake(
            source=IntakeSource.WIDESPREAD_VULN_FEED, learned_at=AT, reporter="", channel="feed",
            summary="openssl", affected=(AffectedRelease(PUMP, "1.0", ReleaseStatus.AFFECTED),),
        )  # fmt: skip
        issue = issues.open_issue(s, intake, title="openssl", actor="pat", policy=POLICY, at=AT)
        ids = {}
        for name, severity, status, issue_id in (
            ("expat", HIGH, "active", None),
            ("zlib", "MODERATE", "active", None),
            ("pcre2", None, "active", None),
            ("openssl", CRITICAL, "active", issue.issue_id),
            ("curl", CRITICAL, "retracted", None),
        ):
            comp = m.Component(release_id=rel.id, name=name, version="1.0")
            s.add(comp)
            s.flush()
            f = m.Finding(release_id=rel.id, component_id=comp.id, advisory_id=f"CVE-{name}",
                          severity=severity, status=status, issue_id=issue_id)  # fmt: skip
            s.add(f)
            s.flush()
            ids[name] = f.id
        plan = b'[[activity]]\ntype = "dast"\nevery_release = true\n'
        parsed = activities.parse_plan(plan, "plan.toml")
        activities.set_plan(s, actor="alice", product=PUMP, data=plan, plan=parsed,
                            file_name="plan.toml")  # fmt: skip
        for version, data in (
            ("1.0", _sarif(("S608", "src/db.py", 40, "error"), ("S311", "src/rand.py", 9, "note"))),
            # another tool's run of 0.9: its open finding is no finding of 1.0
            ("0.9", _sarif(("S105", "src/old.py", 3, "error"), tool="Semgrep OSS")),
        ):
            result = parse(data, source="r.sarif")
            scan_imports.import_scan(s, actor="ci", product=PUMP, version=version, data=data,
                                     result=result, file_name="r.sarif")  # fmt: skip
    with store.reader() as s:
        scan = {f.rule_id: f.id for f in activities.list_findings(s, product=PUMP, open_only=True)}
        assert set(scan) == {"S608", "S311", "S105"}
        report = gate.gate_report(s, product=PUMP, version="1.0", policy=POLICY)
    assert [(f.source, f.finding_id, f.severity, f.what) for f in report.untriaged] == [
        ("sbom", str(ids["expat"]), ScanSeverity.HIGH, "CVE-expat in expat@1.0"),
        ("sbom", str(ids["pcre2"]), None, "CVE-pcre2 in pcre2@1.0"),
        ("scan", str(scan["S608"]), ScanSeverity.HIGH, "S608 at src/db.py:40"),
    ]
    assert [(d.type, d.status, d.release) for d in report.due] == [
        ("dast", "overdue", "0.9"),
        ("dast", "due", "1.0"),
    ]
    labels = [f.label for f in report.untriaged] + [d.label for d in report.due]
    assert all(label in report.missing for label in labels)
    assert report.missing[-5:] == tuple(labels)
    assert labels[0].startswith(f"untriaged SBOM finding {ids['expat']} (high): CVE-expat in ")
    assert labels[2].endswith(": dispose of it (psirt scans dispose)")
    assert report.as_dict()["untriaged_findings"][2]["finding"] == str(scan["S608"])
    assert [a["type"] for a in report.as_dict()["due_activities"]] == ["dast", "dast"]

    # Triaged: the high SBOM finding attached to the issue, the scanner finding dispositioned.
    with store.unit_of_work() as s:
        issues.attach_findings(s, issue.issue_id, [ids["expat"]], actor="pat", policy=POLICY)
        activities.dispose(s, actor="bob", finding_id=scan["S608"], disposition=Disposition(
            DispositionKind.FALSE_POSITIVE, rationale="constant query"))  # fmt: skip
    with store.reader() as s:
        report = gate.gate_report(s, product=PUMP, version="1.0", policy=POLICY)
        assert [f.finding_id for f in report.untriaged] == [str(ids["pcre2"])]

        # The policy decides what blocks.
        def blocked(text: str) -> tuple[list[str], list[str]]:
            policy = load_policy(text, source="site.toml")
            r = gate.gate_report(s, product=PUMP, version="1.0", policy=policy)
            return [f.what for f in r.untriaged], [f"{d.type} {d.release}" for d in r.due]

        assert blocked("[release_gate]\nunknown_severity_blocks = false\n") == (
            [], ["dast 0.9", "dast 1.0"]
        )  # fmt: skip
        medium = "[release_gate]\nsbom_findings_at = 'medium'\nscan_findings_at = 'low'\n"
        assert blocked(medium) == (
            ["CVE-zlib in zlib@1.0", "CVE-pcre2 in pcre2@1.0", "S311 at src/rand.py:9"],
            ["dast 0.9", "dast 1.0"],
        )
        off = ("[release_gate]\nuntriaged_sbom_findings = false\n"
               "undispositioned_scan_findings = false\noverdue_activities = false\n")  # fmt: skip
        assert blocked(off + "scan_findings_at = 'info'\n") == ([], [])
