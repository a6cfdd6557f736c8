"""The schema a new database gets at once equals the one the migrations build step by step."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from psirt.store import models as m
from psirt.store.db import Store, migrate
from psirt.store.models import Base


def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def _autoincrement_tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            sql = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type='table'"))
            return {name for name, ddl in sql if "AUTOINCREMENT" in (ddl or "")}
    finally:
        engine.dispose()


@pytest.mark.parametrize("through_migrations", [True, False], ids=["migrations", "create_all"])
def test_sqlite_schema_matches_the_models(tmp_path: Path, through_migrations: bool) -> None:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    store = Store(url)
    migrate(store.engine, through_migrations=through_migrations)
    store.engine.dispose()
    assert _diff(url) == []
    integer_ids = {
        t.name
        for t in Base.metadata.tables.values()
        if len(t.primary_key.columns) == 1
        and list(t.primary_key.columns)[0].type.python_type is int
    }
    assert "findings" in integer_ids
    assert _autoincrement_tables(url) >= integer_ids


@pytest.mark.postgres
def test_postgresql_migrations_match_the_models(pg_database: str) -> None:
    engine = create_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    store = Store(pg_database)
    migrate(store.engine, through_migrations=True)
    store.engine.dispose()
    assert _diff(pg_database) == []


def test_ids_are_never_reused_after_a_deletion(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    store = Store(url)
    migrate(store.engine)
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (name, description, manufacturer, created_at) "
                "VALUES ('a', '', '', '2026-01-01'), ('b', '', '', '2026-01-01')"
            )
        )
        conn.execute(text("DELETE FROM products WHERE name = 'b'"))
        conn.execute(
            text(
                "INSERT INTO products (name, description, manufacturer, created_at) "
                "VALUES ('c', '', '', '2026-01-01')"
            )
        )
        ids = dict(conn.execute(text("SELECT name, id FROM products")).all())
    store.engine.dispose()
    assert ids == {"a": 1, "c": 3}


def test_upgrade_from_0003_keeps_the_rows_and_seals_them(tmp_path: Path) -> None:
    from alembic import command

    from psirt.store import audit
    from psirt.store.db import alembic_config

    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    store = Store(url)
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(
            text(
                "INSERT INTO products (id, name, description, manufacturer, created_at) "
                "VALUES (1, 'Pump', '', '', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO releases (id, product_id, version, status, created_at) "
                "VALUES (1, 1, '1.0', 'fielded', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO components (id, release_id, ref, name, version, type, hashes, "
                "licenses) VALUES (7, 1, 'a', 'openssl', '3.0.7', 'library', '{}', '[]')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO findings (id, release_id, component_id, advisory_id, aliases, "
                "related, fixed_versions, status, first_seen, last_seen) VALUES (3, 1, 7, "
                "'CVE-2023-0286', '[]', '[]', '[]', 'active', '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00')"
            )
        )
    migrate(store.engine)
    with store.reader() as s:
        rows = s.execute(text("SELECT id, component_id, advisory_id FROM findings")).all()
        assert [tuple(r) for r in rows] == [(3, 7, "CVE-2023-0286")]
        report = audit.verify(s)
        sealed = [
            (e.action, e.detail) for e in s.scalars(select(m.AuditEvent)) if "seal" in e.detail
        ]
    store.engine.dispose()
    assert len(sealed) == 1 and sealed[0][0] == "store.seal"
    assert set(sealed[0][1]["seal"]["tables"]) == {
        "products",
        "releases",
        "components",
        "findings",
    }
    # the rows written without psirt have no audit events of their own, but they are sealed
    assert all("sealed" not in p.reason and "seal" not in p.object for p in report.problems)
    assert {p.object for p in report.problems} == {"product 1", "release 1"}
    assert _autoincrement_tables(url) >= {"findings", "components"}
