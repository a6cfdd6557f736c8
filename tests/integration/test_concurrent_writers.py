"""Two writers at once take turns, on SQLite and PostgreSQL.

A writer that reads before it takes the writer lock acts on what it read: two imports of the
same feed both found an advisory missing and both inserted it, two ``psirt product add`` of one
name both found the name free; on PostgreSQL the later one died with a unique violation. Write
transactions take the writer lock before their first statement (the audit chain's advisory lock
on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the second waits and then sees the first's
rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from psirt.cli.main import main
from psirt.errors import Conflict
from psirt.ingest.feeds import osv
from psirt.services import catalog, feeds
from psirt.services.feeds import FeedImportSummary
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store
from tests.conftest import require_shared


def _waiting_backends(url: str) -> int:
    """PostgreSQL sessions of this database waiting for a lock."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _wait_until_blocked(url: str, started: threading.Event) -> None:
    """Return once the second writer is blocked behind the first (or has given up)."""
    assert started.wait(30)
    if not url.startswith("postgresql"):
        time.sleep(0.5)  # SQLite waits inside its busy handler, which nothing can observe
        return
    deadline = time.monotonic() + 30
    while _waiting_backends(url) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)


def _ids_in(path: Path) -> set[str]:
    return {a.id for batch in osv.read_zip(path) for a in batch.advisories}


def _check_store(db_url: str, feed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(db_url)
    try:
        with store.reader() as s:
            stored = set(s.scalars(select(m.Advisory.id)))
            snapshots = [
                (sn.id, sn.counts["imported"], sn.counts["unchanged"])
                for sn in s.scalars(select(m.FeedSnapshot).order_by(m.FeedSnapshot.id))
            ]
            events = [
                (e.seq, e.action, e.object_id)
                for e in s.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq))
            ]
            report = audit.verify(s)
    finally:
        store.engine.dispose()
    assert stored == _ids_in(feed)
    total = len(stored)
    # one snapshot imported every record, the other found each of them unchanged
    assert sorted(counts for _, *counts in snapshots) == [[0, total], [total, 0]]
    assert events == [(n, "feed.import", str(sn[0])) for n, sn in enumerate(snapshots, 1)]
    assert report.ok, report.problems
    capsys.readouterr()
    assert main(["--database", db_url, "audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit chain intact: 2 events verified\n"


def _one_after_the_other(
    db_url: str, first: Callable[[Session], object], second: Callable[[Session], object]
) -> tuple[dict[str, object], dict[str, BaseException]]:
    """Run ``first`` and ``second`` in two threads, each in its own unit of work; the first
    keeps its transaction open until the second has started its own and is blocked."""
    first_done = threading.Event()
    second_started = threading.Event()
    results: dict[str, object] = {}
    failures: dict[str, BaseException] = {}

    def run_first() -> None:
        store = Store(db_url)
        try:
            with store.unit_of_work() as s:
                results["first"] = first(s)
                first_done.set()
                _wait_until_blocked(db_url, second_started)
        except BaseException as exc:  # noqa: BLE001 - reported by the tests
            failures["first"] = exc
            first_done.set()
        finally:
            store.engine.dispose()

    def run_second() -> None:
        store = Store(db_url)
        try:
            assert first_done.wait(60)
            second_started.set()
            with store.unit_of_work() as s:
                results["second"] = second(s)
        except BaseException as exc:  # noqa: BLE001 - reported by the tests
            failures["second"] = exc
            second_started.set()
        finally:
            store.engine.dispose()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results, failures


def test_two_threads_import_the_same_feed_at_once(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = require_shared("osv", "cran-rconsortium-advisories.zip")
    results, failures = _one_after_the_other(
        db_url,
        lambda s: feeds.import_feeds(s, [feed], actor="alice"),
        lambda s: feeds.import_feeds(s, [feed], actor="bob"),
    )
    assert not failures, {k: f"{type(v).__name__}: {v}" for k, v in failures.items()}
    first, second = results["first"], results["second"]
    assert isinstance(first, FeedImportSummary) and isinstance(second, FeedImportSummary)
    total = len(_ids_in(feed))
    assert (first.imported, first.unchanged) == (total, 0)
    assert (second.imported, second.unchanged) == (0, total)
    _check_store(db_url, feed, capsys)


def test_two_threads_add_the_same_product_at_once(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second finds the product the first added: a conflict psirt reports (exit 2), not a
    unique violation of the database."""
    results, failures = _one_after_the_other(
        db_url,
        lambda s: catalog.add_product(s, actor="alice", name="Pump").id,
        lambda s: catalog.add_product(s, actor="bob", name="Pump").id,
    )
    assert "first" in results and set(failures) == {"second"}, failures
    assert isinstance(failures["second"], Conflict), repr(failures["second"])
    assert str(failures["second"]) == "product 'Pump' exists already"
    store = Store(db_url)
    try:
        with store.reader() as s:
            products = [(p.id, p.name) for p in s.scalars(select(m.Product))]
            report = audit.verify(s)
    finally:
        store.engine.dispose()
    assert products == [(results["first"], "Pump")]
    assert report.ok, report.problems
    capsys.readouterr()
    assert main(["--database", db_url, "audit", "verify"]) == 0


def test_two_processes_import_the_same_feed_at_once(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = require_shared("osv", "go-vulndb-osv.zip")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PSIRT_DATABASE_URL": db_url,
        "PSIRT_USER": "alice",
    }
    code = "from psirt.cli.main import run; run()"
    procs = [
        subprocess.Popen(  # noqa: S603 - the test's own interpreter
            [sys.executable, "-c", code, "feed", "import", str(feed), "-f", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    _check_store(db_url, feed, capsys)
