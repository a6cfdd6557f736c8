"""Engine, migrations and the unit of work.

The default store is a SQLite file at ``$XDG_DATA_HOME/psirt/psirt.db`` in WAL mode;
``PSIRT_DATABASE_URL`` points psirt at another database (PostgreSQL for teams).

Alembic is imported only to migrate (``psirt init``, ``psirt demo``): every other command
compares the ``alembic_version`` table with :data:`SCHEMA_HEAD`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from psirt.errors import UsageError
from psirt.store import seal
from psirt.store.database import check_sqlite_file, check_url, default_url, display, sqlite_timeout

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The revision id of the newest migration in migrations/versions (a test checks it against
# Alembic's head): a new migration changes it.
SCHEMA_HEAD = "0007"
__all__ = ["SCHEMA_HEAD", "Store", "default_url", "make_engine", "migrate", "schema_is_current"]


def make_engine(url: str | None = None) -> Engine:
    """The engine of ``url`` (default: :func:`default_url`); :class:`DatabaseError` for a
    URL psirt cannot use. SQLite waits ``?timeout=`` seconds (default 30) for a writer."""
    parsed = check_url(url or default_url())
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": sqlite_timeout(parsed)})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy drive BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Take the write lock at the start: the audit chain needs one writer at a time.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def migrate(engine: Engine, *, actor: str = "psirt", through_migrations: bool = False) -> None:
    """Create the database or bring its schema to the newest migration (idempotent), then seal
    any evidence written before the audit chain sealed every table (see
    :mod:`psirt.store.seal`). An existing SQLite file must be a psirt database."""
    from alembic import command

    check_sqlite_file(engine.url.render_as_string(hide_password=False), create=True)
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite rebuilds a table to change it; foreign keys must be off meanwhile (outside
            # any transaction) and are checked before the migration commits.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                if not through_migrations and not inspect(conn).get_table_names():
                    # A new database gets the newest schema at once (the migrations produce
                    # the same schema: tests/integration/test_schema.py compares them).
                    from psirt.store.models import Base

                    Base.metadata.create_all(conn)
                    command.stamp(cfg, "head")
                else:
                    command.upgrade(cfg, "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    sessions = sessionmaker(engine, expire_on_commit=False)
    seal.install(sessions)
    with sessions() as session, session.begin():
        seal.initial_seal(session, actor=actor, reason="rows written before this store sealed them")


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at :data:`SCHEMA_HEAD` (its ``alembic_version`` table must exist)."""
    with engine.connect() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return current == [SCHEMA_HEAD]


def _take_writer_lock(session: Session) -> None:
    """Wait until no other transaction writes, before reading anything.

    A writer that reads before it holds the lock can act on a state another writer is
    changing: two ``psirt product add`` of one name both find the name free and both insert
    it. SQLite begins every transaction with ``BEGIN IMMEDIATE`` (:func:`make_engine`); on
    PostgreSQL the writer takes the audit chain's transaction-level advisory lock, which the
    seal takes at the first write anyway (:mod:`psirt.store.seal`), here at its start.
    """
    if session.get_bind().dialect.name == "postgresql":
        from psirt.store.audit import _lock_chain

        _lock_chain(session)


class Store:
    """A database psirt works on: an engine plus sessions that commit or roll back whole."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if url is None:
            url = engine.url.render_as_string(hide_password=False) if engine else default_url()
        self.url = url  # as given: messages name it (without its password)
        self.engine = engine or make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        seal.install(self._sessions)

    @property
    def display_url(self) -> str:
        """The database URL without its password."""
        return self.engine.url.render_as_string(hide_password=True)

    def ensure_schema(self) -> None:
        """Refuse a database that is missing, not psirt's, or not migrated to the newest
        schema; nothing is created or written."""
        check_sqlite_file(self.url, create=False)
        if not inspect(self.engine).has_table("alembic_version") or not schema_is_current(
            self.engine
        ):
            raise UsageError(
                f"database {display(self.url)} is not initialised or not current: run 'psirt init'"
            )

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: committed when the block ends normally, rolled back otherwise.

        Writers take turns from their first statement (:func:`_take_writer_lock`)."""
        session = self._sessions()
        try:
            _take_writer_lock(session)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reader(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()
