"""A new SBOM for a release keeps the evidence of the old one: findings of components it lists
again keep their identity (and their issue), findings of components it drops are retracted
with the reason and the import that caused it, nothing is deleted and no id comes back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from psirt.domain.policy import load_policy
from psirt.domain.sbom import Component, ParsedSbom, SbomFormat, Serialization
from psirt.errors import UsageError
from psirt.services import catalog, feeds, issues, sboms, scanning
from psirt.services.catalog import ReleaseStatus
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store

DJANGO = {
    "id": "PYSEC-2019-79",
    "modified": "2021-01-22T19:51:00Z",
    "aliases": ["CVE-2019-12308", "GHSA-7rp2-fm2h-wchj"],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Django"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.2"}, {"fixed": "2.2.2"}]}
            ],
        }
    ],
}
REQUESTS = {
    "id": "PYSEC-2023-74",
    "modified": "2023-06-05T19:15:00Z",
    "aliases": ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}
            ],
        }
    ],
}


def _sbom(*components: tuple[str, str]) -> tuple[bytes, ParsedSbom]:
    comps = tuple(Component(name=n, version=v, purl=f"pkg:pypi/{n}@{v}") for n, v in components)
    data = json.dumps({"components": [c.purl for c in comps]}).encode()
    return data, ParsedSbom(SbomFormat.CYCLONEDX, "1.5", Serialization.JSON, comps)


def _import(store: Store, name: str, *components: tuple[str, str]) -> sboms.SbomImportResult:
    data, parsed = _sbom(*components)
    with store.unit_of_work() as s:
        return sboms.import_sbom(
            s, actor="alice", product="Gateway", version="1.0", data=data, parsed=parsed,
            file_name=name,
        )  # fmt: skip


def _scan(store: Store) -> scanning.ScanOutcome:
    with store.unit_of_work() as s:
        return scanning.scan_release(s, actor="alice", product="Gateway", version="1.0")


def _findings(store: Store) -> dict[int, tuple[str, str, str, str | None, str | None]]:
    with store.reader() as s:
        rows = s.execute(
            select(
                m.Finding.id,
                m.Finding.advisory_id,
                m.Component.name,
                m.Component.version,
                m.Finding.status,
                m.Finding.retracted_reason,
            ).join(m.Component, m.Finding.component_id == m.Component.id)
        ).all()
    return {r[0]: (r[1], f"{r[2]}@{r[3]}", r[4], r[5], None) for r in rows}


@pytest.fixture
def gateway(store: Store, tmp_path: Path) -> Store:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name="Gateway")
        catalog.add_release(
            s, actor="alice", product="Gateway", version="1.0", status=ReleaseStatus.FIELDED
        )
    for record in (DJANGO, REQUESTS):
        path = tmp_path / f"{record['id']}.json"
        path.write_text(json.dumps(record))
        with store.unit_of_work() as s:
            feeds.import_feeds(s, [path], actor="feedbot")
    return store


def test_a_new_sbom_keeps_findings_issue_links_and_ids(gateway: Store) -> None:
    store = gateway
    _import(store, "gw-1.json", ("django", "2.2.0"), ("requests", "2.25.1"))
    assert _scan(store).new == 2
    before = _findings(store)
    django_id = next(i for i, f in before.items() if f[0] == "CVE-2019-12308")
    requests_id = next(i for i, f in before.items() if f[0] == "CVE-2023-32681")
    with store.unit_of_work() as s:
        issue_id = issues.promote_findings(
            s, [django_id], actor="alice", policy=load_policy()
        ).issue_id
        events = s.scalar(select(func.count()).select_from(m.MonitoringEvent))
    assert events == 2  # a fielded release newly affected, twice

    # requests goes, django stays, a new component comes
    result = _import(store, "gw-2.json", ("django", "2.2.0"), ("urllib3", "2.0.7"))
    assert (result.findings_carried_over, result.findings_retracted) == (1, 1)
    after = _findings(store)
    assert after[django_id] == ("CVE-2019-12308", "django@2.2.0", "active", None, None)
    assert after[requests_id] == (
        "CVE-2023-32681",
        "requests@2.25.1",
        "retracted",
        "component removed from the SBOM",
        None,
    )
    with store.reader() as s:
        retracted = s.get(m.Finding, requests_id)
        assert retracted is not None and retracted.retracted_cause == f"sbom:{result.sbom_id}"
        linked = s.get(m.Finding, django_id)
        assert linked is not None and linked.issue_id == issue_id
        component = s.get(m.Component, linked.component_id)
        assert component is not None and (component.sbom_id, component.retired_by_sbom_id) == (
            result.sbom_id,
            None,
        )
        # the replaced SBOM's components are kept, retired by the new document
        retired = s.scalars(
            select(m.Component.name).where(m.Component.retired_by_sbom_id == result.sbom_id)
        ).all()
        assert sorted(retired) == ["django", "requests"]
        assert s.scalar(select(func.count()).select_from(m.MonitoringEvent)) == events

    # the re-scan finds nothing new, keeps finding 1 and does not bring back the retracted one
    outcome = _scan(store)
    assert (outcome.new, outcome.still, outcome.retracted, outcome.components) == (0, 1, 0, 2)
    assert _findings(store) == after

    # the issue still points at the same vulnerability
    with store.reader() as s:
        shown = issues.show_issue(s, issue_id, load_policy())
        assert "CVE-2019-12308" in json.dumps(shown, default=str)
        assert "CVE-2023-32681" not in json.dumps(shown, default=str)
        assert audit.verify(s).ok

    # going back to the first SBOM: requests comes back as a new finding with a new id
    _import(store, "gw-1.json", ("django", "2.2.0"), ("requests", "2.25.1"))
    outcome = _scan(store)
    assert outcome.new == 1
    final = _findings(store)
    back = [i for i, f in final.items() if f[0] == "CVE-2023-32681" and f[2] == "active"]
    assert len(back) == 1 and back[0] > max(before)
    assert final[requests_id][2] == "retracted"
    with store.reader() as s:
        assert audit.verify(s).ok
        docs = s.scalars(select(m.SbomDocument.file_name).order_by(m.SbomDocument.id)).all()
        assert docs == ["gw-1.json", "gw-2.json", "gw-1.json"]


def test_the_same_document_again_changes_nothing(gateway: Store) -> None:
    first = _import(gateway, "gw-1.json", ("django", "2.2.0"))
    again = _import(gateway, "gw-1.json", ("django", "2.2.0"))
    assert again.unchanged and again.sbom_id == first.sbom_id


def test_an_empty_sbom_replaces_a_release_only_when_asked(gateway: Store) -> None:
    _import(gateway, "gw-1.json", ("django", "2.2.0"))
    _scan(gateway)
    data, parsed = _sbom()
    with pytest.raises(UsageError, match="lists no components; it would replace the 1 components"):
        with gateway.unit_of_work() as s:
            sboms.import_sbom(s, actor="alice", product="Gateway", version="1.0", data=data,
                              parsed=parsed, file_name="empty.json")  # fmt: skip
    with gateway.unit_of_work() as s:
        result = sboms.import_sbom(
            s, actor="alice", product="Gateway", version="1.0", data=data, parsed=parsed,
            file_name="empty.json", allow_empty=True,
        )  # fmt: skip
    assert result.findings_retracted == 1
    assert "the SBOM lists no components" in result.problems
    assert [f[2] for f in _findings(gateway).values()] == ["retracted"]
