"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL: a throw-away database is created per test session on ``PSIRT_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``, trust auth) and dropped after. When the server is
unreachable the PostgreSQL cases skip with the reason, unless ``PSIRT_REQUIRE_POSTGRES`` is set
(as in CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from psirt.store.db import Store, migrate

PG_ADMIN_URL = os.environ.get(
    "PSIRT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = f"psirt_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {exc}"
        if os.environ.get("PSIRT_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _fresh_pg(url: str) -> Store:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    store = Store(url)
    migrate(store.engine)
    return store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'psirt.db'}"
        store = Store(url)
        migrate(store.engine)
        store.engine.dispose()
        yield url
    else:
        url = request.getfixturevalue("pg_database")
        store = _fresh_pg(url)
        store.engine.dispose()
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.engine.dispose()
