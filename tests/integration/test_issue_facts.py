"""What psirt computes for R9 and R10 from the store (SQLite and PostgreSQL): the re-scan of the
fixed release from its stored findings, its SBOM evidence, the VEX statuses, and the gates that
refuse a claim the store contradicts."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from psirt.domain.issue import Action
from psirt.domain.policy import default_policy
from psirt.domain.records import Override, ReleaseStatus
from psirt.errors import GateNotMet
from psirt.ingest.sbom import read_sbom_file
from psirt.services import issue_facts, issues, sboms
from psirt.services.catalog import ReleaseStatus as Status
from psirt.store import models as m
from psirt.store.db import Store
from tests.conftest import ASSETS
from tests.integration.issue_store import GATEWAY, add_release, as_stored, scan, seed_gateway
from tests.unit.lifecycle.helpers import (
    analysis_record,
    change_review,
    day,
    release_record,
    review_signatures,
    sign,
    sign_all,
    triage_record,
    verification,
)

POLICY = default_policy()
FILES = ASSETS / "issues" / "gateway"
GW_SBOM = {v: FILES / f"gateway-{v}.cdx.json" for v in ("3.1.0", "3.2.0", "3.2.1")}


def _step(store: Store, iid: int, action: Action, records: list, actor: str, at,  # noqa: ANN001
          signatures: list | None = None) -> issues.Outcome:  # fmt: skip
    with store.unit_of_work() as s:
        return issues.transition(s, iid, action, records, actor=actor, policy=POLICY,
                                 signatures=signatures or [], at=at)  # fmt: skip


def _open(store: Store) -> int:
    """The gateway's CVE-2023-43804 issue, from the findings of 3.1.0 and 3.2.0."""
    with store.reader() as s:
        ids = sorted(
            f.id for f in s.query(m.Finding).filter(m.Finding.advisory_id == "CVE-2023-43804")
        )
    with store.unit_of_work() as s:
        return issues.promote_findings(s, ids, actor="pat", policy=POLICY, at=day(0)).issue_id


def _to_remediation(store: Store, iid: int) -> None:
    t = triage_record()
    _step(store, iid, Action.TRIAGE, [t], "pat", day(1), sign(t, "pat"))
    data = issues.read_record_file(FILES / "analysis.toml")
    a = issues.prepare(issues.record_from_data(type(analysis_record()), data, source="a"), POLICY)
    _step(store, iid, Action.ANALYZE, [a], "sam", day(2), sign(a, "sam", "sara"))
    found = issues.decision_from_data(issues.read_record_file(FILES / "decision.toml"), source="d")
    records = found.records
    _step(store, iid, Action.DECIDE, records, "dan", day(3),
          sign_all([found.disclosure, *found.resolutions], "dan", "sam", "sara"))  # fmt: skip
    assert found.change_request is not None
    _step(store, iid, Action.START_REMEDIATION, [found.change_request], "dan", day(4))
    review = change_review(change_request_id="CR-GW-77",
                           releases=(f"{GATEWAY}@3.2.0",))  # fmt: skip
    _step(store, iid, Action.ATTACH, [review], "dan", day(5), review_signatures(review, day(5)))


def _facts(store: Store, iid: int, version: str):  # noqa: ANN202
    with store.reader() as s:
        row = issues.get_row(s, iid)
        issue = issues.load(s, row, POLICY)
        return (issue_facts.rescan(s, row, issue, version),
                issue_facts.sbom_evidence(s, row, issue, version))  # fmt: skip


def test_rescan_reads_the_fixed_release_findings(store: Store, tmp_path: Path) -> None:
    seed_gateway(store, tmp_path)
    iid = _open(store)
    fixed, evidence = _facts(store, iid, "3.2.1")
    assert fixed.release == f"{GATEWAY}@3.2.1" and fixed.release_stored
    assert fixed.vulnerability_ids == ("CVE-2023-43804", "GHSA-v845-jxx5-vc9f", "PYSEC-2023-192")
    # 3.2.1 (urllib3 2.0.6) still has CVE-2023-45803, which is not this issue
    assert (fixed.findings_checked, fixed.found) == (1, ())
    assert fixed.sbom_sha256 == hashlib.sha256(GW_SBOM["3.2.1"].read_bytes()).hexdigest()
    assert fixed.scan_tool.startswith("psirt ") and fixed.scanned_at is not None
    assert fixed.scanned_at >= fixed.sbom_imported_at
    assert fixed.problems() == ([], [])
    assert evidence.sha256 == fixed.sbom_sha256 and evidence.document_id == fixed.sbom_document_id
    assert [(c.name, c.version, c.purl) for c in evidence.components] == [
        ("urllib3", "2.0.6", "pkg:pypi/urllib3@2.0.6")
    ]
    assert evidence.still_listed == ()

    still, evidence = _facts(store, iid, f"{GATEWAY}@3.2.0")
    assert still.findings_checked == 2
    assert [(f.advisory_id, f.component, f.version) for f in still.found] == [
        ("CVE-2023-43804", "urllib3", "2.0.4")
    ]
    assert still.problems()[1] == [
        f"R9_verification.rescan: {GATEWAY}@3.2.0 still has the issue's vulnerability "
        f"(finding {still.found[0].finding_id} CVE-2023-43804 in urllib3 2.0.4)"
    ]
    assert [c.version for c in evidence.still_listed] == ["2.0.4"]


def test_rescan_of_a_release_psirt_cannot_check(store: Store, tmp_path: Path) -> None:
    seed_gateway(store, tmp_path, with_fix=False)
    iid = _open(store)
    r, e = _facts(store, iid, "3.2.1")
    assert (r.release, r.release_stored, e.release_stored) == (f"{GATEWAY}@3.2.1", False, False)
    assert r.problems()[0] == [f"R9_verification.rescan: {GATEWAY}@3.2.1 is not a stored release"]
    add_release(store, GATEWAY, "3.2.1", None, Status.RELEASED)
    r, e = _facts(store, iid, "3.2.1")
    assert r.problems()[0] == [f"R9_verification.rescan: no SBOM of {GATEWAY}@3.2.1 is stored"]
    assert e.release_stored and e.document_id is None
    data, parsed = read_sbom_file(GW_SBOM["3.2.0"])
    with store.unit_of_work() as s:  # the release's first SBOM was wrong: still urllib3 2.0.4
        sboms.import_sbom(s, actor="alice", product=GATEWAY, version="3.2.1", data=data,
                          parsed=parsed, file_name="wrong.cdx.json")  # fmt: skip
    r, _ = _facts(store, iid, "3.2.1")
    assert r.problems()[0] == [f"R9_verification.rescan: {GATEWAY}@3.2.1 was never scanned"]
    scan(store, GATEWAY, "3.2.1")
    r, _ = _facts(store, iid, "3.2.1")
    assert r.problems()[0] == [] and [f.version for f in r.found] == ["2.0.4"]
    data, parsed = read_sbom_file(GW_SBOM["3.2.1"])
    with store.unit_of_work() as s:
        sboms.import_sbom(s, actor="alice", product=GATEWAY, version="3.2.1", data=data,
                          parsed=parsed, file_name=GW_SBOM["3.2.1"].name)  # fmt: skip
    r, _ = _facts(store, iid, "3.2.1")
    assert r.problems()[0] == [
        f"R9_verification.rescan: {GATEWAY}@3.2.1 was not scanned since its newest SBOM"
    ]
    scan(store, GATEWAY, "3.2.1")
    r, _ = _facts(store, iid, "3.2.1")
    assert r.problems() == ([], [])


def test_verification_refused_while_the_fixed_release_still_matches(
    store: Store, tmp_path: Path
) -> None:
    seed_gateway(store, tmp_path)
    iid = _open(store)
    _to_remediation(store, iid)
    # a verification naming 3.2.0 (still urllib3 2.0.4), with a typed re-scan claim
    typed = verification(software_version="3.2.0", rescan=None, rescan_tool="grype",
                         rescan_new_vulnerabilities=())  # fmt: skip
    v = as_stored(store, iid, typed, POLICY)
    with pytest.raises(GateNotMet) as exc:
        _step(store, iid, Action.VERIFY, [v], "tess", day(6), sign(v, "quinn"))
    with store.reader() as s:
        fid = s.query(m.Finding.id).join(m.Release).filter(
            m.Release.version == "3.2.0", m.Finding.advisory_id == "CVE-2023-43804"
        ).scalar()  # fmt: skip
    assert exc.value.missing == (
        "R9_verification.rescan_tool, rescan_date and rescan_new_vulnerabilities (psirt "
        "computes the re-scan; leave them out)",
        f"R9_verification.rescan: {GATEWAY}@3.2.0 still has the issue's vulnerability "
        f"(finding {fid} CVE-2023-43804 in urllib3 2.0.4)",
    )
    # what a person types into the computed field is replaced by what psirt finds
    v = as_stored(store, iid, verification(software_version="3.2.1"), POLICY)
    assert v.rescan is not None and v.rescan.sbom_document_id != 7
    _step(store, iid, Action.VERIFY, [v], "tess", day(6), sign(v, "quinn"))

    # R10: a true sbom_updated claim psirt can see is false is refused
    bad = as_stored(store, iid, release_record(
        day(7), release_version="3.2.0", sbom=None,
        release_statuses=(issues.AffectedRelease(GATEWAY, "3.2.0", ReleaseStatus.FIXED),
                          issues.AffectedRelease(GATEWAY, "3.1.0", ReleaseStatus.FIXED)),
    ), POLICY)  # fmt: skip
    with pytest.raises(GateNotMet) as exc:
        _step(store, iid, Action.RELEASE, [bad], "dan", day(7), sign(bad, "dan"))
    assert bad.sbom is not None
    assert exc.value.missing == (
        f"R9_verification of {GATEWAY}@3.2.0 (the last verification is of {GATEWAY}@3.2.1)",
        f"R10_release_advisory.release_statuses {GATEWAY}@3.1.0 fixed (its resolution is "
        "environment_of_use_update)",
        f"R10_release_advisory.sbom_updated: the SBOM of {GATEWAY}@3.2.0 (document "
        f"{bad.sbom.document_id}) still lists urllib3 2.0.4",
    )
    rel = as_stored(store, iid, release_record(
        day(7), release_version="3.2.1", sbom=None,
        release_statuses=(issues.AffectedRelease(GATEWAY, "3.2.0", ReleaseStatus.FIXED),),
    ), POLICY)  # fmt: skip
    assert [(a.release, a.status.value) for a in rel.vex_statuses] == [
        ("3.1.0", "affected"), ("3.2.0", "fixed"), ("3.2.1", "fixed")
    ]  # fmt: skip
    forged = dataclasses.replace(rel, vex_statuses=rel.vex_statuses[1:], sbom=None)
    assert as_stored(store, iid, forged, POLICY) == rel  # psirt's values replace typed ones
    out = _step(store, iid, Action.RELEASE, [rel], "dan", day(7), sign(rel, "dan"))
    assert out.state == "RELEASED"


def test_unscanned_fixed_release_needs_an_override(store: Store, tmp_path: Path) -> None:
    seed_gateway(store, tmp_path, with_fix=False)
    add_release(store, GATEWAY, "3.2.1", GW_SBOM["3.2.1"], Status.RELEASED)  # not scanned
    iid = _open(store)
    _to_remediation(store, iid)
    v = as_stored(store, iid, verification(software_version="3.2.1"), POLICY)
    item = f"R9_verification.rescan: {GATEWAY}@3.2.1 was never scanned"
    with pytest.raises(GateNotMet) as exc:
        _step(store, iid, Action.VERIFY, [v], "tess", day(6), sign(v, "quinn"))
    assert exc.value.missing == (item,)
    ov = Override("verify", (item,), "scanner outage; the release SBOM was reviewed by hand")
    _step(store, iid, Action.OVERRIDE, [ov], "dan", day(6), sign(ov, "mona"))
    out = _step(store, iid, Action.VERIFY, [v], "tess", day(6), sign(v, "quinn"))
    assert out.state == "VERIFICATION"
    with store.reader() as s:
        stored = issues.load(s, issues.get_row(s, iid), POLICY).events[-1].records[0]
    assert stored.rescan is not None and stored.rescan.scanned_at is None  # the record says so
