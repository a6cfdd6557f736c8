"""Versions of the Security Issue Resolution Procedure in the store (SQLite and PostgreSQL):
issued when the policy or the text changes, signed by the roles the policy names, kept as
issued, recorded in the audit chain, rendered byte for byte the same."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from sqlalchemy import select, update

from psirt.domain.policy import load_policy
from psirt.domain.records import Role, SignatureMeaning
from psirt.errors import Conflict, IntegrityError, NotFound, UsageError
from psirt.publish.render import RenderFormat, render
from psirt.services import activities, catalog, policy_store
from psirt.services import procedure as proc
from psirt.services.issues import Signer
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store
from psirt.store.models_procedure import ProcedureVersionRow

T0 = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)
SITE = load_policy('[timers]\ntriage_days = 5\n[people]\n"q.lee" = ["qa_approver"]\n'
                   '"m.diaz" = ["management"]\n', source="site.toml")  # fmt: skip
PLAN = b'[[activity]]\ntype = "penetration_test"\ninterval_days = 180\nindependent = true\n'


def approve(store: Store, policy=SITE, at=T0 + dt.timedelta(hours=2)):  # type: ignore[no-untyped-def]
    with store.unit_of_work() as s:
        proc.sign(s, signer=Signer("q.lee", Role.QA_APPROVER, SignatureMeaning.APPROVED),
                  policy=policy, at=at)  # fmt: skip
    with store.unit_of_work() as s:
        management = Signer("m.diaz", Role.MANAGEMENT, SignatureMeaning.APPROVED)
        stored, _ = proc.sign(s, signer=management, policy=policy, at=at + dt.timedelta(hours=1))
    return stored


def test_versions_signatures_and_the_audit_chain(store: Store) -> None:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="pat", name="Infusion Pump IP-300", description="pump")
    with store.unit_of_work() as s:
        first = proc.issue(s, actor="pat", policy=SITE, note="initial release", at=T0)
    assert first.issued and first.version.version == 1
    assert first.version.missing == (
        "approval by qa_approver other than the author",
        "approval by management other than the author",
    )
    with store.unit_of_work() as s:  # same policy, same products: nothing new
        again = proc.issue(s, actor="pat", policy=SITE, at=T0 + dt.timedelta(minutes=5))
    assert not again.issued and again.version.version == 1

    with store.unit_of_work() as s, pytest.raises(Conflict, match="pat issued procedure version 1"):
        proc.sign(s, signer=Signer("pat", Role.QA_APPROVER, SignatureMeaning.APPROVED), policy=SITE)
    with store.unit_of_work() as s, pytest.raises(Conflict, match="role design_authority does not"):
        proc.sign(s, signer=Signer("q.lee", Role.DESIGN_AUTHORITY, SignatureMeaning.APPROVED),
                  policy=SITE)  # fmt: skip
    with store.unit_of_work() as s, pytest.raises(Conflict, match="m.diaz does not hold role"):
        proc.sign(s, signer=Signer("m.diaz", Role.QA_APPROVER, SignatureMeaning.APPROVED),
                  policy=SITE)  # fmt: skip
    with store.unit_of_work() as s, pytest.raises(UsageError, match="the issuer is the author"):
        proc.sign(s, signer=Signer("q.lee", Role.QA_APPROVER, SignatureMeaning.AUTHORED),
                  policy=SITE)  # fmt: skip
    with store.unit_of_work() as s, pytest.raises(Conflict, match="has content digest"):
        proc.sign(s, signer=Signer("q.lee", Role.QA_APPROVER, SignatureMeaning.APPROVED),
                  policy=SITE, expected_digest="0000")  # fmt: skip
    approved = approve(store)
    assert approved.approved and approved.status == "Approved, in force"
    assert approved.approved_at == T0 + dt.timedelta(hours=3)
    assert [(x.signer, x.role.value) for x in approved.signatures] == [
        ("q.lee", "qa_approver"), ("m.diaz", "management")
    ]  # fmt: skip
    with store.unit_of_work() as s, pytest.raises(Conflict, match="already signed"):
        proc.sign(s, signer=Signer("q.lee", Role.QA_APPROVER, SignatureMeaning.APPROVED),
                  policy=SITE, at=T0 + dt.timedelta(hours=4))  # fmt: skip

    # A test plan changes the text, a policy change the policy: each makes a new version.
    with store.unit_of_work() as s:
        plan = activities.parse_plan(PLAN, "plan.toml")
        activities.set_plan(s, actor="pat", product="Infusion Pump IP-300", data=PLAN, plan=plan,
                            file_name="plan.toml")  # fmt: skip
    with store.unit_of_work() as s:
        second = proc.issue(s, actor="pat", policy=SITE, at=T0 + dt.timedelta(days=1))
    assert second.issued and second.version.version == 2
    assert second.version.changes == ("section 4 Inputs changed",)
    site2 = load_policy('[timers]\ntriage_days = 3\n[people]\n"q.lee" = ["qa_approver"]\n'
                        '"m.diaz" = ["management"]\n', source="site2.toml")  # fmt: skip
    with store.unit_of_work() as s:
        third = proc.issue(s, actor="pat", policy=site2, note="faster triage",
                           at=T0 + dt.timedelta(days=2))  # fmt: skip
    assert third.version.version == 3
    assert third.version.changes == (
        "policy timers.triage_days: 5 -> 3",
        "section 15 Timelines changed",
    )
    with store.unit_of_work() as s, pytest.raises(Conflict, match="superseded by version 2"):
        proc.sign(s, signer=Signer("q.lee", Role.QA_APPROVER, SignatureMeaning.REVIEWED),
                  policy=site2, version=1)  # fmt: skip

    with store.reader() as s:
        listed = proc.versions(s)
        events = [(e.action, e.object_type, e.object_id, e.actor, e.detail)
                  for e in s.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq))]  # fmt: skip
        report = audit.verify(s)
        recorded = policy_store.recorded_document(s, site2.digest)
    assert [v.status for v in listed] == [
        "Superseded by version 2 (was approved)",
        "Superseded by version 3 (was not approved)",
        "Issued, awaiting approval by qa_approver other than the author; approval by "
        "management other than the author",
    ]
    assert report.ok, report.problems
    procedure_events = [(action, oid, actor) for action, kind, oid, actor, _ in events
                        if kind == "procedure"]  # fmt: skip
    assert procedure_events == [
        ("procedure.issue", "PSIRT-SIRP v1", "pat"),
        ("procedure.sign", "PSIRT-SIRP v1", "q.lee"),
        ("procedure.sign", "PSIRT-SIRP v1", "m.diaz"),
        ("procedure.issue", "PSIRT-SIRP v2", "pat"),
        ("procedure.issue", "PSIRT-SIRP v3", "pat"),
    ]
    assert {oid for _, kind, oid, _, _ in events if kind == "policy"} == {SITE.digest, site2.digest}
    assert recorded["timers"]["triage_days"] == 3
    sign_detail = next(detail for action, *_, detail in events if action == "procedure.sign")
    assert sign_detail["signature"]["digest_sha256"] == listed[0].content_digest


def test_old_versions_render_as_issued_and_the_same_bytes_each_time(store: Store) -> None:
    with store.unit_of_work() as s:
        proc.issue(s, actor="pat", policy=SITE, at=T0)
    approve(store)
    with store.reader() as s:
        before = {f: render(proc.document(s, SITE).document, f) for f in RenderFormat}
        again = {f: render(proc.document(s, SITE, 1).document, f) for f in RenderFormat}
    assert before == again
    pdf = pypdf.PdfReader(io.BytesIO(before[RenderFormat.PDF]))
    assert pdf.metadata is not None
    assert pdf.metadata.creation_date == T0 + dt.timedelta(hours=3)  # when it was approved
    first_page = " ".join(pdf.pages[0].extract_text().split())
    assert "Version 1" in first_page and "Approved 2026-04-01" in first_page
    assert "q.lee approved 2026-04-01 10:00 UTC" in first_page

    policy = load_policy("[timers]\ntriage_days = 2\n", source="site3.toml")
    with store.reader() as s:
        draft = proc.document(s, policy)
    assert draft.version is None and draft.document.status == (
        "Draft: not issued; differs from version 1"
    )
    assert (
        "2 (shipped default: 10) days from T0" in render(draft.document, RenderFormat.MD).decode()
    )
    with store.unit_of_work() as s:
        proc.issue(s, actor="pat", policy=policy, at=T0 + dt.timedelta(days=1))
    with store.reader() as s:
        old = render(proc.document(s, policy, 1).document, RenderFormat.MD).decode()
    # version 1 keeps its text: the triage deadline of the policy it was issued under
    assert "5 (shipped default: 10) days from T0" in old
    assert "| Status | Superseded by version 2 (was approved) |" in old
    body_then = before[RenderFormat.MD].decode().split("## Contents", 1)[1]
    assert old.split("## Contents", 1)[1].split("\n---\n")[0] == body_then.split("\n---\n")[0]
    with store.reader() as s, pytest.raises(NotFound, match="no procedure version 9"):
        proc.document(s, policy, 9)


def test_an_edited_version_is_refused(store: Store) -> None:
    with store.unit_of_work() as s:
        proc.issue(s, actor="pat", policy=SITE, at=T0)
    with store.reader() as s:
        row = s.scalars(select(ProcedureVersionRow)).one()
        body = dict(row.body, organisation="Someone Else")
        s.execute(update(ProcedureVersionRow).values(body=body))
        with pytest.raises(IntegrityError, match="the stored text does not match its digest"):
            proc.document(s, SITE, 1)
        problems = [p.object for p in audit.verify(s).problems]
    assert "procedure_versions" in problems


def test_nothing_issued_yet(store: Store) -> None:
    with store.reader() as s:
        assert proc.versions(s) == []
        with pytest.raises(NotFound, match="no version of the procedure has been issued"):
            proc.get_version(s)
        draft = proc.document(s, SITE)
    assert draft.version is None and draft.file_stem == "security-issue-resolution-procedure-draft"
    assert draft.document.status == "Draft: not issued"
