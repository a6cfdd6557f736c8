"""The store and the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from psirt.errors import Conflict, NotFound
from psirt.services import catalog
from psirt.services.catalog import ReleaseStatus
from psirt.store import audit
from psirt.store import models as m
from psirt.store.db import Store


def _seed(store: Store) -> None:
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name="InfusionPump X", manufacturer="Acme Medical")
        catalog.add_release(s, actor="alice", product="InfusionPump X", version="2.1.0")
        catalog.set_release_status(
            s,
            actor="bob",
            product="InfusionPump X",
            version="2.1.0",
            status=ReleaseStatus.FIELDED,
            gate_override="registered after the fact; reviewed on paper in CCB-2021-07",
        )


def test_changes_are_audited_and_chain_verifies(store: Store) -> None:
    _seed(store)
    with store.reader() as s:
        events = list(s.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq)))
        assert [(e.seq, e.actor, e.action) for e in events] == [
            (1, "alice", "product.add"),
            (2, "alice", "release.add"),
            (3, "bob", "release_gate.override"),
            (4, "bob", "release.status"),
        ]
        assert events[0].prev_hash == audit.GENESIS
        assert events[1].prev_hash == events[0].hash
        assert events[3].before_digest == events[1].after_digest
        assert events[3].after_digest != events[3].before_digest
        assert events[3].detail["gate_override"]["justification"].startswith("registered")
        report = audit.verify(s)
    assert report.ok, report.problems
    assert report.events == 4


def test_row_edited_behind_psirts_back_is_caught(store: Store) -> None:
    _seed(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE releases SET status = 'development' WHERE version = '2.1.0'"))
    with store.reader() as s:
        report = audit.verify(s)
    assert not report.ok
    assert report.problems[0].object == "release 1"
    assert report.problems[0].seq == 4
    assert "differs from its last audited state" in report.problems[0].reason


def test_audit_row_edited_is_caught_at_its_sequence(store: Store) -> None:
    _seed(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    with store.reader() as s:
        report = audit.verify(s)
    assert not report.ok
    assert report.problems[0].seq == 2
    assert report.problems[0].reason == "event content does not match its hash"


def test_deleted_audit_event_breaks_the_chain(store: Store) -> None:
    _seed(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    with store.reader() as s:
        report = audit.verify(s)
    reasons = {(p.seq, p.reason) for p in report.problems}
    assert (3, "sequence gap: expected 2") in reasons
    assert (3, "prev_hash does not match the event before") in reasons


def test_failed_unit_of_work_writes_nothing(store: Store) -> None:
    _seed(store)
    with pytest.raises(Conflict), store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name="Patient Monitor")
        catalog.add_product(s, actor="alice", name="InfusionPump X")
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(m.Product)) == 1
        assert audit.event_count(s) == 4
        assert audit.verify(s).ok


def test_unknown_product_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="product 'nope' does not exist"), store.unit_of_work() as s:
        catalog.add_release(s, actor="a", product="nope", version="1")
