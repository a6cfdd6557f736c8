"""SBOM scans are activity records: ``psirt scan`` and every re-match after a feed import
record an ``sbom_scan`` activity per release, with the feed snapshot, counts and
knowledge-base size; a scanned release no longer lacks its ``sbom_scan``."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from psirt import __version__
from psirt.demo import data_dir
from psirt.domain.activity import ActivityType
from psirt.domain.sbom import Component, ParsedSbom, SbomFormat, Serialization
from psirt.errors import NotFound, UsageError
from psirt.services import activities, catalog, feeds, monitoring, sboms, scanning
from psirt.services.catalog import ReleaseStatus
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store
from psirt.store.models_activities import Activity

RECORD = {
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
PRODUCT = "Clinical Data Gateway"


def _setup(store: Store) -> None:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name=PRODUCT)
        for version, status, comps in (
            ("1.0", ReleaseStatus.FIELDED, (("django", "2.2.0"), ("requests", "2.25.1"))),
            ("2.0", ReleaseStatus.DEVELOPMENT, (("django", "2.2.1"), ("flask", "2.0.0"))),
            ("3.0", ReleaseStatus.DEVELOPMENT, (("flask", "2.0.0"),)),
        ):
            catalog.add_release(s, actor="alice", product=PRODUCT, version=version, status=status)
            parsed = ParsedSbom(
                SbomFormat.CYCLONEDX,
                "1.5",
                Serialization.JSON,
                tuple(Component(name=n, version=v, purl=f"pkg:pypi/{n}@{v}") for n, v in comps),
            )
            sboms.import_sbom(
                s,
                actor="alice",
                product=PRODUCT,
                version=version,
                data=json.dumps([version, comps]).encode(),
                parsed=parsed,
                file_name=f"gw-{version}.json",
            )
        data, plan = activities.read_plan_file(data_dir() / "plans" / "clinical-gateway-plan.toml")
        activities.set_plan(
            s, actor="alice", product=PRODUCT, data=data, plan=plan, file_name="plan.toml"
        )


def _scans(store: Store) -> list[activities.ActivityView]:
    with store.reader() as s:
        return activities.list_activities(s, product=PRODUCT, type=ActivityType.SBOM_SCAN)


def _sbom_scan_due(store: Store) -> set[str | None]:
    with store.reader() as s:
        return {d.release for d in activities.due(s, product=PRODUCT) if d.type == "sbom_scan"}


def test_feed_import_rematch_records_one_scan_per_release(store: Store, tmp_path: Path) -> None:
    _setup(store)
    assert _sbom_scan_due(store) == {"1.0", "2.0", "3.0"}
    path = tmp_path / "django.json"
    path.write_text(json.dumps(RECORD))
    with store.unit_of_work() as s:
        summary = feeds.import_feeds(s, [path], actor="feedbot")
        outcome = monitoring.after_feed_import(s, summary, actor="feedbot")
        snapshot = s.get(m.FeedSnapshot, summary.snapshot_id)
        assert snapshot is not None
        sha = snapshot.sha256
    assert outcome.new == 2 and len(outcome.activities) == 2
    scans = _scans(store)
    # Only the releases holding django were re-matched; 3.0 was not.
    assert [(a.release, a.type, a.tool, a.tool_version) for a in scans] == [
        ("1.0", "sbom_scan", "psirt", __version__),
        ("2.0", "sbom_scan", "psirt", __version__),
    ]
    first = scans[0]
    assert first.scope == {"components": 1, "whole_release": False, "packages": ["PyPI/django"]}
    assert first.summary["trigger"] == "feed import"
    assert first.summary["feed_snapshot"] == summary.snapshot_id
    assert first.summary["feed_sha256"] == sha and len(sha) == 64
    assert {k: first.summary[k] for k in ("new", "unchanged", "retracted", "events")} == {
        "new": 1,
        "unchanged": 0,
        "retracted": 0,
        "events": 1,  # 1.0 is fielded
    }
    assert scans[1].summary["events"] == 0  # 2.0 is in development
    assert first.summary["knowledge_base"]["advisories"] == 1
    assert first.performer == "feedbot" and first.ended is not None
    assert first.started <= first.ended
    assert _sbom_scan_due(store) == {"3.0"}

    # Withdrawn: the re-match is recorded too, with the retraction.
    withdrawn = {**RECORD, "modified": "2023-01-01T00:00:00Z", "withdrawn": "2023-01-01T00:00:00Z"}
    path.write_text(json.dumps(withdrawn))
    with store.unit_of_work() as s:
        summary2 = feeds.import_feeds(s, [path], actor="feedbot")
        monitoring.after_feed_import(s, summary2, actor="feedbot")
    later = _scans(store)[2:]
    assert [(a.release, a.summary["retracted"], a.summary["new"]) for a in later] == [
        ("1.0", 1, 0),
        ("2.0", 1, 0),
    ]
    assert {a.summary["feed_snapshot"] for a in later} == {summary2.snapshot_id}
    assert summary2.snapshot_id != summary.snapshot_id
    with store.reader() as s:
        assert audit.verify(s).ok
        recorded = s.scalars(
            select(m.AuditEvent.object_id).where(m.AuditEvent.action == "activity.record")
        ).all()
    assert sorted(map(int, recorded)) == sorted(a.id for a in _scans(store))


def test_psirt_scan_records_the_scan_and_satisfies_the_plan(store: Store, tmp_path: Path) -> None:
    _setup(store)
    path = tmp_path / "django.json"
    path.write_text(json.dumps(RECORD))
    with store.unit_of_work() as s:
        feeds.import_feeds(s, [path], actor="feedbot")  # no re-match: nothing recorded yet
    assert _scans(store) == []
    with store.unit_of_work() as s:
        out = scanning.scan_release(s, actor="alice", product=PRODUCT, version="3.0")
    assert (out.components, out.new) == (1, 0)
    (scan,) = _scans(store)
    assert (scan.release, scan.performer, scan.tool) == ("3.0", "alice", "psirt")
    assert scan.scope == {"components": 1, "whole_release": True}
    assert scan.summary["trigger"] == "scan"
    assert scan.summary["knowledge_base"]["advisories"] == 1
    assert _sbom_scan_due(store) == {"1.0", "2.0"}
    with store.unit_of_work() as s:
        outcomes = scanning.scan_all(s, actor="alice")
    assert [(o.version, o.new, o.events) for o in outcomes] == [
        ("1.0", 1, 1),
        ("2.0", 1, 0),
        ("3.0", 0, 0),
    ]
    assert [(a.release, a.summary["new"], a.summary["unchanged"]) for a in _scans(store)] == [
        ("3.0", 0, 0),
        ("1.0", 1, 0),
        ("2.0", 1, 0),
        ("3.0", 0, 0),
    ]
    assert _sbom_scan_due(store) == set()


def _item(version: str | None, **kw: object) -> activities.NewActivity:
    start = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
    values: dict[str, object] = {
        "product": PRODUCT,
        "version": version,
        "type": ActivityType.SBOM_SCAN,
        "tool": "psirt",
        "tool_version": "1.2",
        "started": start,
        "ended": start + dt.timedelta(seconds=5),
        "scope": {"components": 2, "whole_release": True},
        "summary": {"new": 1, "b": [2, 1], "a": None},
    }
    values.update(kw)
    return activities.NewActivity(**values)  # type: ignore[arg-type]


def test_record_activities_writes_what_record_activity_writes(store: Store) -> None:
    """The batch form gives the same rows and the same audit events as one call per item,
    in order, and the audit chain (bulk-appended events among single ones) verifies."""
    _setup(store)
    items = [_item("2.0"), _item(None, type="code_review", tool=None), _item("1.0")]
    with store.unit_of_work() as s:
        one = [
            activities.record_activity(
                s,
                actor="bob",
                product=i.product,
                version=i.version,
                type=i.type,
                tool=i.tool,
                tool_version=i.tool_version,
                started=i.started,
                ended=i.ended,
                scope=i.scope,
                summary=i.summary,
            )
            for i in items
        ]
    with store.unit_of_work() as s:
        many = activities.record_activities(s, actor="bob", items=items)
        # a single append after the bulk ones continues the chain
        audit.append(s, actor="bob", action="test.after", object_type="t", object_id=1)
    assert many == [one[-1] + 1, one[-1] + 2, one[-1] + 3]
    with store.reader() as s:
        rows = {a.id: a for a in s.scalars(select(Activity))}
        fields = ("product_id", "release_id", "type", "method", "tool", "tool_version", "build",
                  "scope", "started", "ended", "performer", "independent", "input_id", "summary",
                  "recorded_by")  # fmt: skip
        for a, b in zip(one, many, strict=True):
            assert [getattr(rows[a], f) for f in fields] == [getattr(rows[b], f) for f in fields]
        assert rows[many[0]].summary == {"a": None, "b": [2, 1], "new": 1}
        assert rows[many[1]].release_id is None and rows[many[1]].type == "code_review"
        events = [
            e
            for e in s.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq))
            if e.action in ("activity.record", "test.after")
        ]
        assert [(e.action, e.object_id) for e in events] == [
            *(("activity.record", str(i)) for i in one + many),
            ("test.after", "1"),
        ]
        by_id = {e.object_id: e for e in events if e.action == "activity.record"}
        for a, b in zip(one, many, strict=True):
            ea, eb = by_id[str(a)], by_id[str(b)]
            # the last event of each transaction also carries the transaction's seal
            assert {**ea.detail, "seal": None} == {**eb.detail, "seal": None}
            assert ea.after_digest != eb.after_digest  # the digest covers the activity id
            assert activities.activity_digest(rows[b], None) == eb.after_digest
        seqs = [e.seq for e in s.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq))]
        assert seqs == list(range(1, len(seqs) + 1))
        report = audit.verify(s)
    assert report.ok, report.problems


def test_record_activities_refuses_bad_items_and_writes_nothing(store: Store) -> None:
    _setup(store)
    with store.reader() as s:
        before = audit.event_count(s)
    cases = [
        (_item("9.9"), NotFound, "release '9.9' of product 'Clinical Data Gateway'"),
        (_item("1.0", product="Nope"), NotFound, "product 'Nope' does not exist"),
        (_item("1.0", type="coffee"), UsageError, "'coffee' is not an activity type"),
        (
            _item("1.0", ended=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
            UsageError,
            "before it starts",
        ),
    ]
    for bad, error, message in cases:
        with pytest.raises(error, match=re.escape(message)), store.unit_of_work() as s:
            activities.record_activities(s, actor="bob", items=[_item("2.0"), bad])
    assert _scans(store) == []
    with store.reader() as s:
        assert audit.event_count(s) == before
