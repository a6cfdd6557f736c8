"""Findings over time: first seen, withdrawn advisories retract, KEV listings raise events."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from psirt.domain.sbom import Component, ParsedSbom, SbomFormat, Serialization
from psirt.services import catalog, feeds, monitoring, sboms
from psirt.services.catalog import ReleaseStatus
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store

RECORD = {
    "id": "PYSEC-2019-79",
    "modified": "2021-01-22T19:51:00Z",
    "aliases": ["CVE-2019-12308", "GHSA-7rp2-fm2h-wchj"],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Django"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.2"}, {"fixed": "2.2.2"}],
                }
            ],
        }
    ],
}


def _sbom(*components: tuple[str, str]) -> tuple[bytes, ParsedSbom]:
    comps = tuple(Component(name=n, version=v, purl=f"pkg:pypi/{n}@{v}") for n, v in components)
    data = json.dumps({"components": [c.purl for c in comps]}).encode()
    return data, ParsedSbom(SbomFormat.CYCLONEDX, "1.5", Serialization.JSON, comps)


def _feed(store: Store, path: Path, record: dict[str, object]) -> monitoring.RematchOutcome:
    path.write_text(json.dumps(record))
    with store.unit_of_work() as s:
        summary = feeds.import_feeds(s, [path], actor="feedbot")
        return monitoring.after_feed_import(s, summary, actor="feedbot")


def _setup(store: Store) -> None:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name="Gateway")
        for version, status, comps in (
            ("1.0", ReleaseStatus.FIELDED, (("django", "2.2.0"), ("requests", "2.25.1"))),
            ("2.0", ReleaseStatus.DEVELOPMENT, (("django", "2.2.1"),)),
            ("3.0", ReleaseStatus.RELEASED, (("django", "2.2.2"),)),
        ):
            catalog.add_release(s, actor="alice", product="Gateway", version=version, status=status)
            data, parsed = _sbom(*comps)
            sboms.import_sbom(
                s,
                actor="alice",
                product="Gateway",
                version=version,
                data=data,
                parsed=parsed,
                file_name=f"gw-{version}.json",
            )


def _findings(store: Store) -> list[tuple[str, str, str, str | None]]:
    with store.reader() as s:
        rows = s.execute(
            select(
                m.Release.version,
                m.Finding.advisory_id,
                m.Finding.status,
                m.Finding.retracted_reason,
            )
            .join(m.Release, m.Finding.release_id == m.Release.id)
            .order_by(m.Release.version)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_new_advisory_then_withdrawal(store: Store, tmp_path: Path) -> None:
    _setup(store)
    outcome = _feed(store, tmp_path / "a.json", RECORD)
    assert outcome.new == 2  # 1.0 (2.2.0) and 2.0 (2.2.1); 3.0 has the fixed version
    assert _findings(store) == [
        ("1.0", "CVE-2019-12308", "active", None),
        ("2.0", "CVE-2019-12308", "active", None),
    ]
    with store.reader() as s:
        events = s.scalars(select(m.MonitoringEvent)).all()
        # Only the fielded release raises an event; the development release does not.
        assert [(e.kind, e.detail["release"]) for e in events] == [
            ("release.newly_affected", "1.0")
        ]
        first_seen = {f.id: f.first_seen for f in s.scalars(select(m.Finding))}

    # The same record again: nothing changes, first_seen stays.
    outcome = _feed(store, tmp_path / "a.json", RECORD)
    assert outcome.new == 0 and outcome.retracted == 0

    withdrawn = {**RECORD, "modified": "2023-01-01T00:00:00Z", "withdrawn": "2023-01-01T00:00:00Z"}
    outcome = _feed(store, tmp_path / "b.json", withdrawn)
    assert outcome.retracted == 2
    assert _findings(store) == [
        ("1.0", "CVE-2019-12308", "retracted", "advisory withdrawn"),
        ("2.0", "CVE-2019-12308", "retracted", "advisory withdrawn"),
    ]
    with store.reader() as s:
        # Retracted, never deleted; first_seen kept.
        assert {f.id: f.first_seen for f in s.scalars(select(m.Finding))} == first_seen
        assert audit.verify(s).ok


def test_narrowed_range_retracts_what_no_longer_applies(store: Store, tmp_path: Path) -> None:
    _setup(store)
    _feed(store, tmp_path / "a.json", RECORD)
    narrowed = json.loads(json.dumps(RECORD))
    narrowed["modified"] = "2022-01-01T00:00:00Z"
    narrowed["affected"][0]["ranges"][0]["events"] = [{"introduced": "2.2"}, {"fixed": "2.2.1"}]
    outcome = _feed(store, tmp_path / "b.json", narrowed)
    assert outcome.retracted == 1
    assert _findings(store) == [
        ("1.0", "CVE-2019-12308", "active", None),
        ("2.0", "CVE-2019-12308", "retracted", "no longer matches the knowledge base"),
    ]


def test_kev_listing_of_an_existing_finding_is_an_event(store: Store, tmp_path: Path) -> None:
    _setup(store)
    _feed(store, tmp_path / "a.json", RECORD)
    kev = {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2099.01.01",
        "dateReleased": "2099-01-01T00:00:00.000Z",
        "count": 1,
        "vulnerabilities": [
            {
                "cveID": "CVE-2019-12308",
                "vendorProject": "Django",
                "product": "Django",
                "vulnerabilityName": "Django AdminURLFieldWidget XSS",
                "dateAdded": "2099-01-01",
                "shortDescription": "Test entry.",
                "requiredAction": "Apply updates.",
                "dueDate": "2099-01-22",
                "knownRansomwareCampaignUse": "Unknown",
                "notes": "",
                "cwes": ["CWE-79"],
            }
        ],
    }
    outcome = _feed(store, tmp_path / "kev.json", kev)
    assert outcome.kev_events == 2
    with store.reader() as s:
        kinds = sorted(
            (e.kind, e.detail.get("kev") == ["CVE-2019-12308"])
            for e in s.scalars(select(m.MonitoringEvent))
        )
    assert kinds == [
        ("finding.kev_listed", True),
        ("finding.kev_listed", True),
        ("release.newly_affected", False),
    ]


def test_bulk_written_rows_read_back_as_the_orm_writes_them(store: Store, tmp_path: Path) -> None:
    """Findings and events are inserted through the driver with JSON encoded once: the ORM
    reads them back as the same lists and mappings, and timestamps are stored in the form the
    ORM binds (an equality filter on ``first_seen`` finds the row on every backend)."""
    _setup(store)
    before = dt.datetime.now(dt.UTC)
    _feed(store, tmp_path / "a.json", RECORD)
    after = dt.datetime.now(dt.UTC)
    with store.reader() as s:
        rows = s.execute(
            select(m.Finding, m.Release.version)
            .join(m.Release, m.Finding.release_id == m.Release.id)
            .order_by(m.Release.version)
        ).all()
        assert [v for _, v in rows] == ["1.0", "2.0"]
        for f, _ in rows:
            assert f.advisory_id == "CVE-2019-12308"
            assert f.aliases == ["CVE-2019-12308", "GHSA-7rp2-fm2h-wchj", "PYSEC-2019-79"]
            assert f.related == []
            assert f.fixed_versions == ["2.2.2"]
            assert (f.status, f.retracted_reason, f.issue_id) == ("active", None, None)
            assert f.first_seen == f.last_seen and before <= f.first_seen <= after
            assert f.first_seen.tzinfo is not None
            assert s.scalar(select(m.Finding.id).where(m.Finding.first_seen == f.first_seen))
        (event,) = s.scalars(select(m.MonitoringEvent)).all()
        assert (event.kind, event.finding_id, event.advisory_id) == (
            "release.newly_affected",
            rows[0][0].id,
            "CVE-2019-12308",
        )
        assert event.detail == {
            "product": "Gateway",
            "release": "1.0",
            "status": "fielded",
            "kev": False,
        }
        assert event.delivered is False and event.at == rows[0][0].first_seen

    # Retraction and re-activation go through the same bulk statements.
    withdrawn = {**RECORD, "modified": "2023-01-01T00:00:00Z", "withdrawn": "2023-01-01T00:00:00Z"}
    _feed(store, tmp_path / "b.json", withdrawn)
    back = {**RECORD, "modified": "2024-01-01T00:00:00Z"}
    back["affected"] = [{**RECORD["affected"][0], "versions": ["2.2.0"]}]  # type: ignore[index]
    outcome = _feed(store, tmp_path / "c.json", back)
    assert outcome.new == 0
    assert _findings(store) == [
        ("1.0", "CVE-2019-12308", "active", None),
        ("2.0", "CVE-2019-12308", "active", None),
    ]
    with store.reader() as s:
        f = s.scalars(select(m.Finding).order_by(m.Finding.id)).first()
        assert f is not None and f.last_seen > f.first_seen
        assert s.scalar(select(m.Finding.id).where(m.Finding.last_seen == f.last_seen))
