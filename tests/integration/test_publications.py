"""Publishing advisories and VEX documents through the service layer (SQLite and PostgreSQL):
release rules (embargo, disclosure decision, validation), versions, the R10 advisory id, and
the statements of a release from issues, confirmed supplier statements and unassessed
findings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from psirt.domain.issue import Action
from psirt.domain.policy import Policy, load_policy
from psirt.domain.publisher import Publisher
from psirt.domain.records import (
    ChangeRequest,
    DisclosureKind,
    NotAffected,
    Record,
    Triage,
    VexJustification,
)
from psirt.domain.risk import HarmSeverity
from psirt.errors import Conflict, UsageError
from psirt.services import issues, publications, supplier_advisories
from psirt.services.publications import CsafStatus, VexFormat
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store
from psirt.store.models_publications import PublicationRow
from tests.conftest import ASSETS
from tests.integration.issue_store import GATEWAY, as_stored, seed_gateway, seed_pump
from tests.publish_checks import cyclonedx_problems, official_openvex_problems, read_statements
from tests.unit.lifecycle.helpers import (
    T0,
    analysis_record,
    change_review,
    cross_product,
    day,
    disclosure,
    intake,
    release_record,
    resolution,
    review_signatures,
    sign,
    sign_all,
    triage_record,
    verification,
)

PUBLISHER = (ASSETS / "publish" / "publisher.toml").read_text()
POLICY = load_policy(PUBLISHER, source="publisher.toml")


def _open(store: Store, policy: Policy = POLICY, **intake_kw: object) -> int:
    rec = intake(acknowledged_at=T0 + dt.timedelta(hours=4), **intake_kw)
    with store.unit_of_work() as s:
        return issues.open_issue(s, rec, title="OpenSSL in pump", actor="pat", policy=policy,
                                 at=T0).issue_id  # fmt: skip


def _step(store: Store, iid: int, action: Action, records: list[Record], actor: str,
          at: dt.datetime, signatures: list | None = None) -> None:  # fmt: skip
    with store.unit_of_work() as s:
        issues.transition(s, iid, action, records, actor=actor, policy=POLICY,
                          signatures=signatures or [], at=at)  # fmt: skip


def _to_decision(store: Store, iid: int, *, triage: bool = True, **disclosure_kw: object) -> None:
    """Triage, a controlled analysis (minor harm) and the decision: a fix for both releases."""
    if triage:
        t = triage_record()
        _step(store, iid, Action.TRIAGE, [t], "pat", day(1), sign(t, "pat"))
    a = analysis_record(POLICY, harm_severity=HarmSeverity.MINOR)
    _step(store, iid, Action.ANALYZE, [a], "sam", day(3), sign(a, "sam", "sara", at=day(3)))
    d, r, c = disclosure(**disclosure_kw), resolution(), cross_product()
    _step(store, iid, Action.DECIDE, [d, r, c], "dan", day(5),
          sign_all([d, r], "dan", "sam", "sara"))  # fmt: skip


def _publish(store: Store, iid: int, status: CsafStatus, at: dt.datetime,
             policy: Policy = POLICY) -> publications.Published:  # fmt: skip
    with store.unit_of_work() as s:
        return publications.publish_advisory(s, iid, status=status, actor="cora", policy=policy,
                                             at=at)  # fmt: skip


def _count(store: Store, model: type[m.Base]) -> int:
    with store.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_an_embargo_and_the_disclosure_decision_hold_back_released_versions(store: Store) -> None:
    seed_pump(store)
    iid = _open(store, embargo_until=day(60))
    t = triage_record()
    _step(store, iid, Action.TRIAGE, [t], "pat", day(1), sign(t, "pat"))
    draft = _publish(store, iid, CsafStatus.DRAFT, day(2))
    assert (draft.document_id, draft.version, draft.status) == ("PSIRT-2025-0001", "0.1.0",
                                                                "draft")  # fmt: skip
    with pytest.raises(Conflict) as exc:
        _publish(store, iid, CsafStatus.FINAL, day(2))
    assert str(exc.value) == (
        "issue 1's advisory cannot be published as final: the embargo lasts until "
        "2025-05-02T09:00:00+00:00 (R1 embargo_until); no disclosure decision is recorded "
        "(R4) (a draft can be)"
    )
    _to_decision(store, iid, triage=False)
    rows = _count(store, PublicationRow)
    with pytest.raises(Conflict, match="interim: the embargo lasts until 2025-05-02"):
        _publish(store, iid, CsafStatus.INTERIM, day(10))
    assert _count(store, PublicationRow) == rows  # nothing was stored
    final = _publish(store, iid, CsafStatus.FINAL, day(61))
    assert (final.version, final.status, final.unchanged) == ("1.0.0", "final", False)
    doc = json.loads(final.content)
    assert doc["document"]["distribution"] == {"tlp": {"label": "WHITE"}}  # a public advisory
    assert [r["number"] for r in doc["document"]["tracking"]["revision_history"]] == ["1.0.0"]
    events = _count(store, m.AuditEvent)
    again = _publish(store, iid, CsafStatus.FINAL, day(62))
    assert (again.id, again.unchanged, again.sha256) == (final.id, True, final.sha256)
    assert _count(store, m.AuditEvent) == events  # publishing the same again writes nothing
    with store.reader() as s:
        trail = s.scalars(
            select(m.AuditEvent).where(m.AuditEvent.object_type == "publication")
            .order_by(m.AuditEvent.seq)
        ).all()  # fmt: skip
        assert [(e.action, e.detail["version"], e.detail["sha256"]) for e in trail] == [
            ("publication.publish", "0.1.0", draft.sha256),
            ("publication.publish", "1.0.0", final.sha256),
        ]
        assert audit.verify(s).ok


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ({"decision": DisclosureKind.NO_DISCLOSURE, "audiences": ()},
         "the disclosure decision (R4) is no_disclosure"),
        ({"decision": DisclosureKind.DEFER_UNDER_EMBARGO, "embargo_end": day(30)},
         "the disclosure decision (R4) defers disclosure until 2025-04-02T09:00:00+00:00"),
    ],
)  # fmt: skip
def test_a_disclosure_decision_that_does_not_disclose_allows_drafts_only(
    store: Store, decision: dict[str, object], message: str
) -> None:
    seed_pump(store)
    iid = _open(store)
    _to_decision(store, iid, **decision)
    with pytest.raises(Conflict, match=re.escape(message)):
        _publish(store, iid, CsafStatus.FINAL, day(10))
    assert _publish(store, iid, CsafStatus.DRAFT, day(10)).version == "0.1.0"
    if decision["decision"] is DisclosureKind.DEFER_UNDER_EMBARGO:
        assert _publish(store, iid, CsafStatus.FINAL, day(31)).version == "1.0.0"


def test_the_r10_advisory_id_names_the_advisory(store: Store) -> None:
    seed_pump(store)
    iid = _open(store)
    _to_decision(store, iid)
    assert _publish(store, iid, CsafStatus.INTERIM, day(6)).document_id == "PSIRT-2025-0001"
    _step(store, iid, Action.START_REMEDIATION, [ChangeRequest("CR-1207", "OpenSSL 3.0.8")],
          "dan", day(6))  # fmt: skip
    review = change_review()
    _step(store, iid, Action.ATTACH, [review], "dan", day(10), review_signatures(review, day(10)))
    v = as_stored(store, iid, verification(rescan=None), POLICY)
    _step(store, iid, Action.VERIFY, [v], "tess", day(22), sign(v, "quinn"))
    rel = as_stored(store, iid, release_record(day(40), sbom=None), POLICY)
    _step(store, iid, Action.RELEASE, [rel], "dan", day(40), sign(rel, "dan"))
    final = _publish(store, iid, CsafStatus.FINAL, day(41))
    assert (final.document_id, final.version) == ("PSIRT-2025-004", "1.0.0")
    assert final.summary == (
        "Initial release under the advisory id of the R10 release record; replaces PSIRT-2025-0001."
    )
    doc = json.loads(final.content)
    status = doc["vulnerabilities"][0]["product_status"]
    assert status["fixed"] == status["first_fixed"] == status["recommended"] == [
        "infusion-pump-4.2.1", "component-openssl-3.0.8-in-infusion-pump-4.2.1"
    ]  # fmt: skip
    assert status["known_affected"] == [
        "infusion-pump-4.2.0", "component-openssl-3.0.7-in-infusion-pump-4.2.0",
        "infusion-pump-4.1.3", "component-openssl-3.0.7-in-infusion-pump-4.1.3",
    ]  # fmt: skip
    with store.reader() as s:
        shown = issues.show_issue(s, iid, POLICY, at=day(42))
    assert [(p["document_id"], p["version"], p["status"], p["r10"])
            for p in shown.publications] == [
        ("PSIRT-2025-0001", "1.0.0", "interim", False),
        ("PSIRT-2025-004", "1.0.0", "final", True),
    ]  # fmt: skip
    # the next version keeps R10's id, and the same content is no new version
    assert _publish(store, iid, CsafStatus.FINAL, day(43)).unchanged


def test_a_final_document_that_fails_validation_is_not_published(store: Store) -> None:
    seed_pump(store)
    site = PUBLISHER.replace("contact_details", 'lang = "xx"\ncontact_details')
    policy = load_policy(site, source="site.toml")
    iid = _open(store, policy)
    _to_decision(store, iid)
    lang = "6.1.12 /document/lang: 'xx' is not a valid language tag: 'xx' is not a registered " \
        "language subtag"  # fmt: skip
    with pytest.raises(Conflict) as exc:
        _publish(store, iid, CsafStatus.FINAL, day(6), policy)
    assert str(exc.value) == (
        f"PSIRT-2025-0001 version 1.0.0 fails CSAF validation, so it is not published as final: "
        f"{lang}"
    )
    assert _count(store, PublicationRow) == 0
    draft = _publish(store, iid, CsafStatus.DRAFT, day(6), policy)
    assert draft.problems == (lang,)
    with store.reader() as s:
        row = s.get(PublicationRow, draft.id)
        assert row is not None and row.validation["valid"] is False


def test_publishing_needs_a_publisher(store: Store) -> None:
    seed_pump(store)
    iid = _open(store)
    with store.unit_of_work() as s, pytest.raises(UsageError, match=r"\[publisher\] table"):
        publications.publish_advisory(s, iid, status=CsafStatus.DRAFT, actor="cora",
                                      policy=load_policy())  # fmt: skip


# --------------------------------------------------------------------------- VEX


def _vex(store: Store, version: str, policy: Policy = POLICY) -> dict[str, publications.Published]:
    """The release's VEX in all three formats; they say the same."""
    out = {}
    for fmt in VexFormat:
        with store.unit_of_work() as s:
            out[fmt.value] = publications.publish_vex(s, GATEWAY, version, fmt, actor="cora",
                                                      policy=policy)  # fmt: skip
    read = {fmt: read_statements(fmt, p.content) for fmt, p in out.items()}
    assert read["csaf"] == read["cyclonedx"] == read["openvex"], read
    assert cyclonedx_problems(out["cyclonedx"].content) == []
    assert official_openvex_problems(json.loads(out["openvex"].content)) == []
    return out


def _finding(store: Store, version: str, cve: str) -> int:
    with store.reader() as s:
        return int(
            s.scalars(
                select(m.Finding.id)
                .join(m.Release, m.Finding.release_id == m.Release.id)
                .where(m.Release.version == version, m.Finding.advisory_id == cve)
            ).one()
        )


def test_vex_statements_from_an_issue_a_supplier_and_unassessed_findings(
    store: Store, tmp_path: Path
) -> None:
    seed_gateway(store, tmp_path)
    first = _vex(store, "3.1.0")
    assert read_statements("openvex", first["openvex"].content) == {
        ("CVE-2023-43804", "pkg:pypi/urllib3@1.26.4"): ("under_investigation", None, True),
        ("CVE-2023-45803", "pkg:pypi/urllib3@1.26.4"): ("under_investigation", None, True),
    }
    assert {p.version for p in first.values()} == {"1", "1.0.0"}
    again = _vex(store, "3.1.0")
    assert all(again[f].unchanged and again[f].id == first[f].id for f in again)

    # CVE-2023-45803 closed not affected for 3.1.0
    with store.unit_of_work() as s:
        iid = issues.promote_findings(s, [_finding(store, "3.1.0", "CVE-2023-45803")],
                                      actor="pat", policy=POLICY, at=T0).issue_id  # fmt: skip
    t = Triage(False, "the gateway never sends a request body on a redirect", "code review")
    _step(store, iid, Action.TRIAGE, [t], "pat", day(1), sign(t, "pat"))
    na = NotAffected(VexJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
                     "no request of the gateway has a body that a redirect could leak",
                     ("code review CR-31",), "sam", "quinn")  # fmt: skip
    _step(store, iid, Action.CLOSE_NOT_AFFECTED, [na], "sam", day(2), sign(na, "quinn"))
    # CVE-2023-43804: a supplier says not affected; a person confirms it
    docs, _ = supplier_advisories.read_paths([ASSETS / "publish" / "supplier-urllib3.openvex.json"])
    with store.unit_of_work() as s:
        supplier_advisories.import_documents(s, docs, actor="sam")
        (view,) = supplier_advisories.release_statements(s, product=GATEWAY, version="3.1.0")
        supplier_advisories.decide(s, actor="sara", match_id=view.match_id,
                                   decision=supplier_advisories.Decision.CONFIRMED,
                                   rationale="redirect=False in every pool (grep of the "
                                   "source)")  # fmt: skip
    second = _vex(store, "3.1.0")
    assert read_statements("csaf", second["csaf"].content) == {
        ("CVE-2023-43804", "pkg:pypi/urllib3@1.26.4"):
            ("not_affected", "vulnerable_code_not_in_execute_path", True),
        ("CVE-2023-45803", "pkg:pypi/urllib3@1.26.4"):
            ("not_affected", "vulnerable_code_not_in_execute_path", True),
    }  # fmt: skip
    assert [second[f].version for f in ("csaf", "cyclonedx", "openvex")] == ["2.0.0", "2", "2"]
    openvex = {s["vulnerability"]["name"]: s for s in
               json.loads(second["openvex"].content)["statements"]}  # fmt: skip
    assert openvex["CVE-2023-45803"]["impact_statement"] == (
        "no request of the gateway has a body that a redirect could leak"
    )
    assert openvex["CVE-2023-45803"]["status_notes"].startswith(
        f"security issue {iid} (CLOSED_NOT_AFFECTED): not affected: "
        "vulnerable_code_not_in_execute_path (not_affected record approved by quinn)"
    )
    supplier = openvex["CVE-2023-43804"]
    assert supplier["impact_statement"] == (
        "the build sets redirect=False on every pool; no redirect is followed"
    )
    assert supplier["status_notes"].startswith(
        "supplier statement (https://supplier.example/vex/urllib3-1.26.4-2023 version 1: "
        "not_affected), confirmed by sara on "
    )
    cdx = json.loads(second["cyclonedx"].content)
    assert {v["id"]: v["analysis"]["justification"] for v in cdx["vulnerabilities"]} == {
        "CVE-2023-43804": "code_not_reachable", "CVE-2023-45803": "code_not_reachable"
    }  # fmt: skip


def test_unassessed_findings_are_affected_when_the_policy_says_so(
    store: Store, tmp_path: Path
) -> None:
    seed_gateway(store, tmp_path)
    policy = load_policy(PUBLISHER.replace("[publishing]", '[publishing]\nunassessed_findings '
                                           '= "affected"'), source="site.toml")  # fmt: skip
    out = _vex(store, "3.2.1", policy)
    assert read_statements("cyclonedx", out["cyclonedx"].content) == {
        ("CVE-2023-45803", "pkg:pypi/urllib3@2.0.6"): ("affected", None, True),
    }
    (statement,) = json.loads(out["openvex"].content)["statements"]
    assert statement["action_statement"] == (
        "No remediation is available yet; the manufacturer has not assessed the vulnerability "
        "in this release."
    )
    with store.unit_of_work() as s:
        vex = publications.release_vex(s, GATEWAY, "3.2.1", policy)
    (st,) = vex.statements
    found = _finding(store, "3.2.1", "CVE-2023-45803")
    assert (st.source.value, st.findings) == ("unassessed", (found,))


def test_a_release_without_statements_has_no_vex(store: Store, tmp_path: Path) -> None:
    from psirt.services import catalog

    with store.unit_of_work() as s:
        catalog.add_product(s, actor="dana", name=GATEWAY)
        catalog.add_release(s, actor="dana", product=GATEWAY, version="4.0.0")
    with store.unit_of_work() as s, pytest.raises(UsageError, match="no statement to publish"):
        publications.publish_vex(s, GATEWAY, "4.0.0", VexFormat.OPENVEX, actor="cora",
                                 policy=POLICY)  # fmt: skip


def test_the_publisher_can_be_given_instead_of_the_policy(store: Store, tmp_path: Path) -> None:
    seed_gateway(store, tmp_path, with_fix=False)
    who = Publisher("Gateway Team", "https://gateway.example")
    with store.unit_of_work() as s:
        out = publications.publish_vex(s, GATEWAY, "3.2.0", VexFormat.OPENVEX, actor="cora",
                                       policy=load_policy(), publisher=who)  # fmt: skip
    doc = json.loads(out.content)
    assert (doc["author"], doc["@id"]) == (
        "Gateway Team", "https://gateway.example/vex/VEX-clinical-data-gateway-3.2.0"
    )  # fmt: skip
    assert dataclasses.asdict(out)["release"] == f"{GATEWAY}@3.2.0"
    assert out.content.endswith(b"\n")
