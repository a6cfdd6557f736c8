"""Re-matching only the alias groups a feed import changed leaves the store exactly as a
full re-scan would: a ``scan_all`` right after it changes no finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from psirt.domain.sbom import Component, ParsedSbom, SbomFormat, Serialization
from psirt.services import catalog, feeds, monitoring, sboms, scanning
from psirt.services.catalog import ReleaseStatus
from psirt.store import models as m
from psirt.store.db import Store


def _record(vuln_id: str, aliases: list[str], pkg: str, introduced: str, fixed: str) -> Any:
    return {
        "id": vuln_id,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": aliases,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": pkg},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}
                ],
            }
        ],
    }


DJANGO_A = _record("PYSEC-2099-1", ["CVE-2099-1001"], "django", "2.2", "2.2.2")
FLASK_B = _record("GHSA-bbbb-bbbb-bbbb", ["CVE-2099-1002"], "flask", "0", "1.0")
DJANGO_C = _record("PYSEC-2099-3", ["CVE-2099-1003"], "django", "3.0", "3.0.1")
JINJA_D = _record("PYSEC-2099-4", ["CVE-2099-1004"], "jinja2", "0", "3.0")


def _setup(store: Store) -> None:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name="Monitor")
        for version, status, comps in (
            (
                "1.0",
                ReleaseStatus.FIELDED,
                (("django", "2.2.0"), ("flask", "0.12"), ("jinja2", "2.0")),
            ),
            (
                "2.0",
                ReleaseStatus.RELEASED,
                (("django", "3.0.0"), ("flask", "1.0"), ("jinja2", "2.0")),
            ),
            ("3.0", ReleaseStatus.DEVELOPMENT, (("django", "3.0.1"), ("flask", "1.0"))),
        ):
            catalog.add_release(s, actor="alice", product="Monitor", version=version, status=status)
            parsed = ParsedSbom(
                SbomFormat.CYCLONEDX,
                "1.5",
                Serialization.JSON,
                tuple(Component(name=n, version=v, purl=f"pkg:pypi/{n}@{v}") for n, v in comps),
            )
            sboms.import_sbom(
                s,
                actor="alice",
                product="Monitor",
                version=version,
                data=json.dumps([version, comps]).encode(),
                parsed=parsed,
                file_name=f"monitor-{version}.json",
            )


def _feed(store: Store, path: Path, *records: Any) -> monitoring.RematchOutcome:
    path.mkdir(exist_ok=True)
    for rec in records:
        (path / f"{rec['id']}.json").write_text(json.dumps(rec))
    with store.unit_of_work() as s:
        summary = feeds.import_feeds(s, [path], actor="feedbot")
        return monitoring.after_feed_import(s, summary, actor="feedbot")


def _state(store: Store) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    with store.reader() as s:
        rows = s.execute(
            select(m.Release.version, m.Component.name, m.Finding)
            .join(m.Component, m.Finding.component_id == m.Component.id)
            .join(m.Release, m.Finding.release_id == m.Release.id)
        ).all()
        return {
            (v, c, f.advisory_id): (f.status, f.retracted_reason, tuple(f.aliases), f.first_seen)
            for v, c, f in rows
        }


def test_changed_groups_only_and_equal_to_a_full_rescan(store: Store, tmp_path: Path) -> None:
    _setup(store)
    first = _feed(store, tmp_path / "one", DJANGO_A, FLASK_B, DJANGO_C, JINJA_D)
    assert (first.new, first.retracted) == (5, 0)
    jinja_before = {k: v for k, v in _state(store).items() if k[1] == "jinja2"}
    assert set(jinja_before) == {
        ("1.0", "jinja2", "CVE-2099-1004"),
        ("2.0", "jinja2", "CVE-2099-1004"),
    }

    # A withdrawn; B widened (flask 1.0 affected) and joins C's group through CVE-2099-1003.
    withdrawn = {
        **DJANGO_A,
        "modified": "2025-01-01T00:00:00Z",
        "withdrawn": "2025-01-01T00:00:00Z",
    }
    widened = _record(
        "GHSA-bbbb-bbbb-bbbb", ["CVE-2099-1002", "CVE-2099-1003"], "flask", "0", "1.0.1"
    )
    widened["modified"] = "2025-01-01T00:00:00Z"
    outcome = _feed(store, tmp_path / "two", withdrawn, widened)
    assert (outcome.new, outcome.retracted) == (2, 1)
    after = _state(store)
    assert after[("1.0", "django", "CVE-2099-1001")][:2] == ("retracted", "advisory withdrawn")
    # django 3.0.0's finding now carries the joined group under its primary id.
    assert ("2.0", "django", "CVE-2099-1003") not in after
    assert after[("2.0", "django", "CVE-2099-1002")][:3] == (
        "active",
        None,
        ("CVE-2099-1002", "CVE-2099-1003", "GHSA-bbbb-bbbb-bbbb", "PYSEC-2099-3"),
    )
    assert after[("2.0", "flask", "CVE-2099-1002")][0] == "active"
    assert after[("3.0", "flask", "CVE-2099-1002")][0] == "active"
    # jinja2's findings were outside the changed groups: not even touched.
    assert {k: v for k, v in after.items() if k[1] == "jinja2"} == jinja_before
    # Activities: one per release re-matched (every release holds django or flask).
    assert len(outcome.activities) == 3

    with store.unit_of_work() as s:
        full = scanning.scan_all(s, actor="alice")
    assert [(o.version, o.new, o.retracted, o.reactivated) for o in full] == [
        ("1.0", 0, 0, 0),
        ("2.0", 0, 0, 0),
        ("3.0", 0, 0, 0),
    ]
    assert _state(store) == after
    with store.reader() as s:
        events = s.execute(
            select(m.MonitoringEvent.kind, m.Release.version, m.MonitoringEvent.advisory_id)
            .join(m.Release, m.MonitoringEvent.release_id == m.Release.id)
            .order_by(m.MonitoringEvent.id)
        ).all()
    # fielded 1.0 and released 2.0 raise events; the development release 3.0 does not.
    assert [tuple(e) for e in events][-1:] == [
        ("release.newly_affected", "2.0", "CVE-2099-1002"),
    ]
