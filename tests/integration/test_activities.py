"""Activity records on SQLite and PostgreSQL: stable identities, gone markers, dispositions,
audit, record_activity, the CI gate and what is due."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from psirt.domain.activity import ActivityType, Disposition, DispositionKind
from psirt.domain.policy import default_policy
from psirt.domain.release_gate import ReleaseGateReview
from psirt.domain.scan import CodeLocation, Severity
from psirt.errors import NotFound, UsageError
from psirt.ingest.scans import parse
from psirt.services import activities, catalog, release_gate, scan_imports
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store
from psirt.store.models_activities import (
    Activity,
    ActivityInput,
    FindingDisposition,
    ScanIdentity,
    ScanResultRow,
)
from tests.conftest import ASSETS, require_shared

ACT = ASSETS / "activities"


def _bandit() -> tuple[bytes, dict[str, Any]]:
    data = require_shared("scanners", "defectdojo", "bandit", "dd.json").read_bytes()
    return data, json.loads(data)


def _reword(doc: dict[str, Any]) -> bytes:
    """The same findings, every free text rewritten as a newer tool version might."""
    for r in doc["results"]:
        r["issue_text"] = "Reworded: " + r["issue_text"].upper()
        r["test_name"] = r["test_name"] + " (renamed check)"
        r["more_info"] = r["more_info"].replace("latest", "1.8.0")
    doc["generated_at"] = "2031-01-01T00:00:00Z"
    return json.dumps(doc).encode()


def _setup(store: Store, *versions: str) -> None:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name="Pump")
        for v in versions or ("1.0",):
            catalog.add_release(s, actor="alice", product="Pump", version=v)


def _import(store: Store, data: bytes, name: str = "bandit.json", **kw: Any) -> Any:
    with store.unit_of_work() as s:
        return scan_imports.import_scan(
            s,
            actor="alice",
            product="Pump",
            version=kw.pop("version", "1.0"),
            data=data,
            result=parse(data, source=name),
            file_name=name,
            **kw,
        )


def test_import_records_activity_evidence_and_identities(store: Store) -> None:
    _setup(store)
    data, _doc = _bandit()
    parsed = parse(data, source="dd.json")
    started = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    out = _import(
        store,
        data,
        performer="ext-lab",
        independent=True,
        build="4f1c2e9",
        started=started,
        targets=["git@example.test:pump.git"],
    )
    assert (out.type, out.format, out.tool) == ("sast", "bandit", "Bandit")
    assert (out.results, out.new, out.seen_again, out.gone) == (47, 47, 0, 0)
    with store.reader() as s:
        act = s.get(Activity, out.activity_id)
        assert act is not None
        assert (act.type, act.performer, act.independent, act.build) == (
            "sast",
            "ext-lab",
            True,
            "4f1c2e9",
        )
        assert act.started == started
        assert act.scope["targets"] == ["git@example.test:pump.git"]
        assert act.summary["by_severity"] == {
            "critical": 0,
            "high": 0,
            "medium": 36,
            "low": 11,
            "info": 0,
        }
        evidence = s.get(ActivityInput, act.input_id)
        assert evidence is not None and evidence.content == data
        assert evidence.sha256 == out.input_sha256
        prints = {i.fingerprint: i for i in s.scalars(select(ScanIdentity))}
        assert set(prints) == {f.fingerprint for f in parsed.results}
        first = parsed.results[0]
        ident = prints[first.fingerprint]
        assert (ident.rule_id, ident.tool, ident.activity_type) == (first.rule_id, "bandit", "sast")
        row = s.scalar(select(ScanResultRow).where(ScanResultRow.identity_id == ident.id))
        assert row is not None and row.location is not None
        assert row.location["path"] == "dojo/tools/acunetix/parser.py"
        assert row.location["start_line"] == 39
        events = [e for e in s.scalars(select(m.AuditEvent)) if e.action == "activity.record"]
        assert [(e.object_id, e.detail["input_sha256"]) for e in events] == [
            (str(out.activity_id), out.input_sha256)
        ]
        assert audit.verify(s).ok


def test_reimport_with_changed_descriptions_keeps_identity_and_disposition(store: Store) -> None:
    _setup(store)
    data, doc = _bandit()
    first = _import(store, data)
    with store.reader() as s:
        before = {i.fingerprint: i.id for i in s.scalars(select(ScanIdentity))}
        target_id = s.scalars(select(ScanIdentity.id).order_by(ScanIdentity.id)).first()
        assert target_id is not None
    with store.unit_of_work() as s:
        activities.dispose(
            s,
            actor="bob",
            finding_id=target_id,
            disposition=Disposition(
                DispositionKind.FALSE_POSITIVE,
                rationale="md5 used as a cache key, not for security",
            ),
        )
    reworded = _reword(doc)
    assert reworded != data
    second = _import(store, reworded, name="bandit-reworded.json")
    assert (second.results, second.new, second.seen_again, second.gone) == (47, 0, 47, 0)
    assert second.input_sha256 != first.input_sha256
    with store.reader() as s:
        after = {i.fingerprint: i.id for i in s.scalars(select(ScanIdentity))}
        assert after == before
        views = {f.id: f for f in activities.list_findings(s, activity=second.activity_id)}
        assert set(views) == set(before.values())
        kept = views[target_id]
        assert kept.disposition is not None
        assert kept.disposition["kind"] == "false_positive"
        assert kept.disposition["rationale"] == "md5 used as a cache key, not for security"
        assert kept.message.startswith("Reworded: ")
        assert (kept.first_activity, kept.last_activity) == (first.activity_id, second.activity_id)
        assert not any(v.new for v in views.values())
        # the false positive stays out of the open list
        open_ids = {f.id for f in activities.list_findings(s, product="Pump", open_only=True)}
        assert target_id not in open_ids and len(open_ids) == 46


def test_reimport_of_reworded_sarif_keeps_identities(store: Store) -> None:
    _setup(store)
    path = require_shared("scanners", "defectdojo", "sarif", "codeQL-output.sarif")
    data = path.read_bytes()
    doc = json.loads(data)
    for run in doc["runs"]:
        for result in run.get("results", []):
            if "message" in result:
                result["message"] = {"text": "A different wording of the same result."}
        for rule in run["tool"]["driver"].get("rules", []):
            rule["fullDescription"] = {"text": "Rewritten rule help."}
    first = _import(store, data, name="codeql.sarif")
    second = _import(store, json.dumps(doc).encode(), name="codeql-reworded.sarif")
    assert first.results == second.results == 72
    assert (second.new, second.seen_again, second.gone) == (0, 72, 0)


def test_gone_back_and_suppressed_false_positive(store: Store) -> None:
    _setup(store)
    data, doc = _bandit()
    full = _import(store, data)
    parsed = parse(data, source="dd.json")
    dropped = parsed.results[:5]
    subset = dict(doc, results=doc["results"][5:])
    second = _import(store, json.dumps(subset).encode(), name="subset.json")
    assert (second.results, second.new, second.gone) == (42, 0, 5)
    with store.reader() as s:
        gone = {
            i.fingerprint: i
            for i in s.scalars(
                select(ScanIdentity).where(ScanIdentity.gone_activity_id.is_not(None))
            )
        }
        assert set(gone) == {f.fingerprint for f in dropped}
        assert {i.gone_activity_id for i in gone.values()} == {second.activity_id}
        fp_id = gone[dropped[0].fingerprint].id
    with store.unit_of_work() as s:
        activities.dispose(
            s,
            actor="bob",
            finding_id=fp_id,
            disposition=Disposition(DispositionKind.FALSE_POSITIVE, rationale="test code only"),
        )
    third = _import(store, data, name="full-again.json")
    assert (third.new, third.back, third.gone) == (0, 5, 0)
    with store.reader() as s:
        assert not list(
            s.scalars(select(ScanIdentity).where(ScanIdentity.gone_activity_id.is_not(None)))
        )
        blocking = scan_imports.blocking_findings(s, third.activity_id, Severity.LOW, new_only=True)
        # the four findings that came back are new again; the false positive stays suppressed
        assert {f.fingerprint for f in blocking} == {f.fingerprint for f in dropped[1:]}
        assert all(f.first_activity == full.activity_id for f in blocking)
    # A different tool's run does not mark the Bandit findings gone.
    other = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "Semgrep OSS"}}, "results": []}],
    }
    fourth = _import(store, json.dumps(other).encode(), name="semgrep.sarif")
    assert (fourth.results, fourth.gone) == (0, 0)


def test_dispositions_are_append_only_and_audited(store: Store) -> None:
    _setup(store)
    data, _ = _bandit()
    _import(store, data)
    with store.unit_of_work() as s:
        ids = list(s.scalars(select(ScanIdentity.id).order_by(ScanIdentity.id)))
        issue = m.SecurityIssue(title="Weak hash in parser", created_by="alice")
        s.add(issue)
        s.flush()
        audit.record_change(s, actor="alice", action="issue.add", obj=issue)
        issue_id = issue.id
    a, b = ids[0], ids[1]
    with store.unit_of_work() as s:
        activities.dispose(
            s,
            actor="bob",
            finding_id=a,
            disposition=Disposition(DispositionKind.NOT_APPLICABLE, rationale="dead code"),
        )
        activities.dispose(
            s,
            actor="carol",
            finding_id=a,
            disposition=Disposition(DispositionKind.PROMOTED, issue_id=issue_id),
        )
        activities.dispose(
            s,
            actor="carol",
            finding_id=b,
            disposition=Disposition(DispositionKind.DUPLICATE, duplicate_of=a),
        )
    with store.reader() as s:
        history = activities.disposition_history(s, a)
        assert [(h["kind"], h["actor"], h["issue_id"]) for h in history] == [
            ("not_applicable", "bob", None),
            ("promoted", "carol", issue_id),
        ]
        view = next(f for f in activities.list_findings(s, product="Pump") if f.id == a)
        assert view.disposition is not None and view.disposition["kind"] == "promoted"
        dup = next(f for f in activities.list_findings(s, product="Pump") if f.id == b)
        assert dup.disposition is not None and dup.disposition["duplicate_of"] == a
        events = [e for e in s.scalars(select(m.AuditEvent)) if e.action == "finding.dispose"]
        assert [(e.object_id, e.actor, e.detail["kind"]) for e in events] == [
            (str(a), "bob", "not_applicable"),
            (str(a), "carol", "promoted"),
            (str(b), "carol", "duplicate"),
        ]
        assert events[0].before_digest is None
        assert events[1].before_digest == events[0].after_digest
        assert len(list(s.scalars(select(FindingDisposition)))) == 3
        assert audit.verify(s).ok


def test_disposition_refusals(store: Store) -> None:
    _setup(store)
    data, _ = _bandit()
    _import(store, data)
    with pytest.raises(UsageError, match="needs a rationale"):
        Disposition(DispositionKind.FALSE_POSITIVE, rationale="  ")
    with pytest.raises(UsageError, match="needs a reference"):
        Disposition(DispositionKind.ACCEPTED)
    with pytest.raises(UsageError, match="needs the security issue"):
        Disposition(DispositionKind.ATTACHED)
    with store.reader() as s:
        first = s.scalars(select(ScanIdentity.id).order_by(ScanIdentity.id)).first()
        assert first is not None
    with pytest.raises(NotFound, match="security issue 999"), store.unit_of_work() as s:
        activities.dispose(
            s,
            actor="bob",
            finding_id=first,
            disposition=Disposition(DispositionKind.ATTACHED, issue_id=999),
        )
    with pytest.raises(UsageError, match="duplicate of itself"), store.unit_of_work() as s:
        activities.dispose(
            s,
            actor="bob",
            finding_id=first,
            disposition=Disposition(DispositionKind.DUPLICATE, duplicate_of=first),
        )
    with pytest.raises(NotFound, match="finding 123456"), store.unit_of_work() as s:
        activities.dispose(
            s,
            actor="bob",
            finding_id=123456,
            disposition=Disposition(DispositionKind.NOT_APPLICABLE, rationale="x"),
        )
    with store.reader() as s:
        assert not list(s.scalars(select(FindingDisposition)))


def _records(store: Store) -> dict[str, int]:
    """An issue, an SBOM finding and release-gate minutes (two versions) of Pump 1.0."""
    with store.unit_of_work() as s:
        issue = m.SecurityIssue(title="Weak hash in parser", created_by="alice")
        s.add(issue)
        s.flush()
        audit.record_change(s, actor="alice", action="issue.add", obj=issue)
        release = catalog.get_release(s, "Pump", "1.0")
        comp = m.Component(release_id=release.id, name="zlib", version="1.2.13")
        s.add(comp)
        s.flush()
        finding = m.Finding(
            release_id=release.id, component_id=comp.id, advisory_id="CVE-2023-45853"
        )
        s.add(finding)
        s.flush()
        minutes = ReleaseGateReview(
            product="Pump", release="1.0", held_on=dt.date(2025, 3, 1), chair="dan",
            attendees=(), minutes="Accepted the MD5 finding of the parser until 1.1.",
        )  # fmt: skip
        for _ in range(2):
            release_gate.record_review(
                s, actor="dan", product="Pump", version="1.0", review=minutes,
                policy=default_policy(),
            )  # fmt: skip
        return {"issue": issue.id, "finding": finding.id}


def test_disposition_references_are_resolved_and_stored(store: Store) -> None:
    _setup(store)
    data, _ = _bandit()
    out = _import(store, data)
    ids = _records(store)
    with store.reader() as s:
        scan = list(s.scalars(select(ScanIdentity.id).order_by(ScanIdentity.id)))
    act = f"activity:{out.activity_id}"
    given = [
        (DispositionKind.ACCEPTED, str(ids["issue"]), f"issue:{ids['issue']}"),
        (DispositionKind.ACCEPTED, f"Issue:{ids['issue']}", f"issue:{ids['issue']}"),
        (DispositionKind.ACCEPTED, "review:Pump@1.0", "review:Pump@1.0#2"),
        (DispositionKind.ACCEPTED, "review:Pump@1.0#1", "review:Pump@1.0#1"),
        (DispositionKind.FALSE_POSITIVE, act, act),
        (DispositionKind.NOT_APPLICABLE, f"finding:{ids['finding']}", f"finding:{ids['finding']}"),
        (DispositionKind.DUPLICATE, f"scan-finding:{scan[5]}", f"scan-finding:{scan[5]}"),
        (DispositionKind.PROMOTED, f"issue:{ids['issue']}", f"issue:{ids['issue']}"),
    ]  # fmt: skip
    with store.unit_of_work() as s:
        for i, (kind, text_, _stored) in enumerate(given):
            activities.dispose(
                s,
                actor="bob",
                finding_id=scan[i],
                disposition=Disposition(
                    kind, rationale="reviewed", reference=text_, issue_id=ids["issue"],
                    duplicate_of=scan[5] if kind is DispositionKind.DUPLICATE else None,
                ),
            )  # fmt: skip
    with store.reader() as s:
        stored = [activities.disposition_history(s, scan[i])[-1]["reference"] for i in range(8)]
        assert stored == [g[2] for g in given]
        events = [e for e in s.scalars(select(m.AuditEvent)) if e.action == "finding.dispose"]
        assert [(e.detail["reference"], e.detail.get("reference_given")) for e in events[:3]] == [
            (f"issue:{ids['issue']}", str(ids["issue"])),
            (f"issue:{ids['issue']}", f"Issue:{ids['issue']}"),
            ("review:Pump@1.0#2", "review:Pump@1.0"),
        ]
        assert audit.verify(s).ok


def _scan_findings_and_issue(store: Store) -> tuple[int, int, int]:
    _setup(store)
    data, _ = _bandit()
    _import(store, data)
    with store.unit_of_work() as s:
        issue = m.SecurityIssue(title="Weak hash in parser", created_by="alice")
        s.add(issue)
        s.flush()
        audit.record_change(s, actor="alice", action="issue.add", obj=issue)
        first, second = list(s.scalars(select(ScanIdentity.id).order_by(ScanIdentity.id)))[:2]
        return first, second, issue.id


def _nothing_disposed(store: Store) -> None:
    with store.reader() as s:
        assert not list(s.scalars(select(FindingDisposition)))
        assert not [e for e in s.scalars(select(m.AuditEvent)) if e.action == "finding.dispose"]


@pytest.mark.parametrize(
    ("reference", "error", "message"),
    [
        ("issue:999", NotFound, "--reference 'issue:999': security issue 999 does not exist"),
        ("999", NotFound, "--reference '999': security issue 999 does not exist"),
        ("finding:999", NotFound, "--reference 'finding:999': SBOM finding 999 does not exist"),
        ("scan-finding:9999", NotFound,
         "--reference 'scan-finding:9999': scanner finding 9999 does not exist"),
        ("activity:999", NotFound, "--reference 'activity:999': activity 999 does not exist"),
        ("review:Pump@2.0", NotFound,
         "--reference 'review:Pump@2.0': release '2.0' of product 'Pump' does not exist"),
        ("review:Pump@1.0", NotFound,
         "--reference 'review:Pump@1.0': no release-gate review of Pump 1.0"),
        ("CAPA-17", UsageError, "--reference 'CAPA-17': not a record reference"),
    ],
)  # fmt: skip
def test_unknown_disposition_references_are_refused(
    store: Store, reference: str, error: type[Exception], message: str
) -> None:
    first, _second, _issue = _scan_findings_and_issue(store)
    disposition = Disposition(DispositionKind.ACCEPTED, reference=reference)
    with pytest.raises(error) as info, store.unit_of_work() as s:
        activities.dispose(s, actor="bob", finding_id=first, disposition=disposition)
    assert str(info.value).startswith(message)
    _nothing_disposed(store)


def test_every_disposition_kind_checks_its_reference(store: Store) -> None:
    first, second, issue = _scan_findings_and_issue(store)
    _records(store)  # minutes of Pump 1.0, versions 1 and 2
    for kind in DispositionKind:
        for reference, message in (
            ("activity:999", "--reference 'activity:999': activity 999 does not exist"),
            ("review:Pump@1.0#3",
             "--reference 'review:Pump@1.0#3': the release-gate review of Pump 1.0 has no "
             "version 3"),
            (f"scan-finding:{first}",
             f"--reference 'scan-finding:{first}': finding {first} cannot justify itself"),
        ):  # fmt: skip
            disposition = Disposition(
                kind, rationale="reviewed", issue_id=issue, reference=reference,
                duplicate_of=second if kind is DispositionKind.DUPLICATE else None,
            )  # fmt: skip
            with pytest.raises((NotFound, UsageError)) as info, store.unit_of_work() as s:
                activities.dispose(s, actor="bob", finding_id=first, disposition=disposition)
            assert str(info.value).startswith(message), kind
    _nothing_disposed(store)


def test_record_activity_for_sbom_scans(store: Store) -> None:
    _setup(store)
    started = dt.datetime(2025, 5, 2, 8, 0, tzinfo=dt.UTC)
    with store.unit_of_work() as s:
        act_id = activities.record_activity(
            s,
            actor="scheduler",
            product="Pump",
            version="1.0",
            type="sbom_scan",
            tool="psirt matcher",
            tool_version="0.1",
            started=started,
            ended=started + dt.timedelta(seconds=40),
            scope={"components": 212},
            summary={"feed_snapshot": 7, "new_findings": 3},
        )
    with store.reader() as s:
        views = activities.list_activities(s, product="Pump", type=ActivityType.SBOM_SCAN)
        assert [(v.id, v.release, v.tool, v.summary["feed_snapshot"]) for v in views] == [
            (act_id, "1.0", "psirt matcher", 7)
        ]
        assert views[0].input_file is None and views[0].performer == "scheduler"
        assert audit.verify(s).ok
    with pytest.raises(UsageError, match="not an activity type"), store.unit_of_work() as s:
        activities.record_activity(
            s,
            actor="x",
            product="Pump",
            version=None,
            type="audit",
            tool=None,
            tool_version=None,
            started=started,
            ended=None,
            scope={},
            summary={},
        )


def test_ci_gate_new_only_blocks_new_undispositioned_findings_only(store: Store) -> None:
    _setup(store)
    data, doc = _bandit()
    reports = [("dd.json", data, parse(data, source="dd.json"))]
    with store.unit_of_work() as s:
        gate = scan_imports.ci_check(
            s,
            actor="ci",
            product="Pump",
            version="1.0",
            reports=reports,
            threshold=Severity.HIGH,
            new_only=True,
        )
    assert gate.passed and gate.imports[0].results == 47
    # Nothing of the first run counts as new for a second run; a new medium one does.
    extra = dict(doc["results"][0])
    extra.update(filename="pump/new_module.py", line_number=7, code="7 h = hashlib.md5(x)\n")
    doc["results"].append(extra)
    again = json.dumps(doc).encode()
    with store.unit_of_work() as s:
        gate = scan_imports.ci_check(
            s,
            actor="ci",
            product="Pump",
            version="1.0",
            reports=[("dd2.json", again, parse(again, source="dd2.json"))],
            threshold=Severity.MEDIUM,
            new_only=True,
        )
    assert not gate.passed
    assert [(f.rule_id, f.location and f.location["path"]) for f in gate.blocking] == [
        ("B303", "pump/new_module.py")
    ]


def _ci(store: Store, data: bytes, name: str, threshold: Severity, **kw: Any) -> Any:
    with store.unit_of_work() as s:
        return scan_imports.ci_check(
            s,
            actor="ci",
            product="Pump",
            version="1.0",
            reports=[(name, data, parse(data, source=name))],
            threshold=threshold,
            **kw,
        )


def test_ci_gate_fails_while_a_finding_stays_open(store: Store) -> None:
    """An identical re-run fails as the first run did: the findings are still open. A
    disposition takes a finding out; --new-only looks at first sightings only."""
    _setup(store)
    data, _doc = _bandit()
    parsed = parse(data, source="dd.json")
    medium = {
        (f.rule_id, f.location.path, f.location.start_line)
        for f in parsed.results
        if f.severity is Severity.MEDIUM and isinstance(f.location, CodeLocation)
    }
    assert len(medium) == 36

    def where(gate: Any) -> set[tuple[str, str, int]]:
        return {
            (f.rule_id, f.location["path"], f.location["start_line"])
            for f in gate.blocking
            if f.location is not None
        }

    first = _ci(store, data, "run1.json", Severity.MEDIUM)
    assert not first.passed and where(first) == medium and all(f.new for f in first.blocking)
    since = {f.id: f.first_seen for f in first.blocking}
    second = _ci(store, data, "run2.json", Severity.MEDIUM)
    assert not second.passed
    assert where(second) == medium and not any(f.new for f in second.blocking)
    assert {f.id: f.first_seen for f in second.blocking} == since
    assert all(f.first_activity == first.imports[0].activity_id for f in second.blocking)
    assert all(f.last_activity == second.imports[0].activity_id for f in second.blocking)
    assert [Severity(f.severity) for f in second.blocking] == [Severity.MEDIUM] * 36
    # the low ones never block at medium; everything blocks at low
    assert len(_ci(store, data, "run3.json", Severity.LOW).blocking) == 47
    assert _ci(store, data, "run4.json", Severity.HIGH).passed
    assert _ci(store, data, "run5.json", Severity.MEDIUM, new_only=True).passed

    reviewed = second.blocking[0]
    with store.unit_of_work() as s:
        activities.dispose(
            s,
            actor="bob",
            finding_id=reviewed.id,
            disposition=Disposition(DispositionKind.FALSE_POSITIVE, rationale="test fixture"),
        )
    third = _ci(store, data, "run6.json", Severity.MEDIUM)
    assert not third.passed
    assert where(third) == medium - {
        (reviewed.rule_id, reviewed.location["path"], reviewed.location["start_line"])
    }


def test_due_activities_with_reasons(store: Store) -> None:
    _setup(store, "1.0", "1.1")
    plan_data = (ACT / "plan.toml").read_bytes()
    with store.unit_of_work() as s:
        activities.set_plan(
            s,
            actor="alice",
            product="Pump",
            data=plan_data,
            plan=activities.parse_plan(plan_data, "plan.toml"),
            file_name="plan.toml",
        )
        for version, name in (("1.0", "surface-1.0.toml"), ("1.1", "surface-1.1.json")):
            raw = (ACT / name).read_bytes()
            _row, change = activities.set_surface(
                s,
                actor="alice",
                product="Pump",
                version=version,
                data=raw,
                surface=activities.parse_surface(raw, name),
                file_name=name,
            )
        assert change is not None and "Bluetooth LE" in change
        catalog.set_release_status(
            s,
            actor="alice",
            product="Pump",
            version="1.0",
            status=catalog.ReleaseStatus.RELEASED,
            gate_override="activity-due test: release gate not under test here",
        )
    data, _ = _bandit()
    _import(store, data, version="1.1", build="abc123")
    now = dt.datetime.now(dt.UTC)
    with store.reader() as s:
        found = [(d.type, d.release, d.status, d.reason) for d in activities.due(s, now=now)]
    reasons = [r for *_k, r in found]
    assert (
        "dast",
        "1.0",
        "overdue",
        "required every release; release 1.0 was released and has no dast",
    ) in found
    assert (
        "dast",
        "1.1",
        "due",
        "required every release; release 1.1 is not released yet and has no dast",
    ) in found
    surface = [
        (t, rel, st)
        for t, rel, st, r in found
        if r.startswith("attack surface changed from release 1.0 to 1.1 (+interfaces: Bluetooth LE")
    ]
    assert sorted(surface) == [
        ("dast", "1.1", "due"),
        ("penetration_test", "1.1", "due"),
        ("threat_model_review", "1.1", "due"),
    ]
    assert any(
        "no penetration_test by an independent performer recorded for 1.1" in r for r in reasons
    )
    assert found[0][2] == "overdue"  # overdue first
    # SAST ran on the newest build: not due. Ninety days on, the DAST interval is overdue.
    assert not any(r.startswith("required every build") for r in reasons)
    with store.reader() as s:
        later = activities.due(s, product="Pump", now=now + dt.timedelta(days=120))
    interval = [d for d in later if d.type == "dast" and d.release is None]
    assert [d.status for d in interval] == ["overdue"]
    assert "no dast recorded since the plan was set" in interval[0].reason
    assert "30 days overdue" in interval[0].reason
