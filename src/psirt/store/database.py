"""The database a URL names, and what a failure of it means, in one line.

psirt works with SQLite (``sqlite:///PATH``, the default) and PostgreSQL through psycopg
(``postgresql://USER@HOST/NAME``). :func:`check_url` refuses anything else before a driver
is loaded; :func:`explain` turns a failure of the database itself (a server that cannot be
reached or went away, a file that is not a database, a lock held too long) into a
:class:`~psirt.errors.DatabaseError` naming the database without its password.

This module imports SQLAlchemy only inside the functions that need it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from psirt.errors import DatabaseError, NoDatabase

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

SUPPORTED = "SQLite (sqlite:///PATH) or PostgreSQL (postgresql://USER@HOST/NAME)"
# backend -> the drivers psirt installs for it (None: the URL names no driver)
_DRIVERS = {"sqlite": {None, "pysqlite"}, "postgresql": {None, "psycopg"}}
SQLITE_TIMEOUT = 30.0  # seconds a command waits for another writer (``?timeout=`` overrides)


def default_url() -> str:
    """``PSIRT_DATABASE_URL``, else the SQLite file under ``$XDG_DATA_HOME/psirt``."""
    url = os.environ.get("PSIRT_DATABASE_URL")
    if url:
        return url
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(data_home) / 'psirt' / 'psirt.db'}"


def normalise(url: str) -> str:
    """Plain ``postgresql://`` and ``postgres://`` URLs use psycopg 3, the driver psirt ships."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def display(url: str) -> str:
    """The URL as psirt names it in messages: as given, without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
    return parsed.render_as_string(hide_password=True)


def check_url(url: str) -> URL:
    """The parsed URL of a database psirt can use; :class:`DatabaseError` for anything else."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(normalise(url))
    except ArgumentError:
        raise DatabaseError(
            display(url), f"not a database URL: psirt works with {SUPPORTED}"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    drivers = _DRIVERS.get(backend)
    if drivers is None:
        raise DatabaseError(
            display(url), f"unsupported database {backend!r}: psirt works with {SUPPORTED}"
        )
    if (driver or None) not in drivers:
        raise DatabaseError(
            display(url),
            f"unsupported driver {driver!r}: psirt works with {SUPPORTED}",
        )
    return parsed


SQLITE_HEADER = b"SQLite format 3\x00"
# tables every psirt database has had since its first migration
PSIRT_TABLES = frozenset({"alembic_version", "audit_events"})


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    if url.get_backend_name() != "sqlite":
        return None
    name = url.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def check_sqlite_file(url: str, *, create: bool) -> None:
    """Refuse a SQLite URL whose file is not a psirt database, reading it and never writing
    it. A missing file is :class:`NoDatabase`, or, with ``create`` (``psirt init``), gets
    its folder made so that the database can be created there."""
    path = sqlite_file(check_url(url))
    if path is None:
        return
    name = display(url)
    if not path.exists():
        if not create:
            raise NoDatabase(name, str(path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(name, f"cannot create {path.parent}: {exc.strerror}") from None
        return
    hint = "; psirt init creates a database only where there is no file" if create else ""
    if not path.is_file():
        raise DatabaseError(name, f"not a file{hint}")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseError(name, f"cannot read {path}: {exc.strerror}") from None
    if not header:
        raise DatabaseError(name, f"an empty file, not a psirt database{hint}")
    if header != SQLITE_HEADER:
        raise DatabaseError(name, f"not a SQLite database{hint}")
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DatabaseError(name, str(exc)) from None
    if not PSIRT_TABLES <= tables:
        what = "without psirt's tables" if tables else "without tables"
        raise DatabaseError(name, f"a SQLite database {what}, not a psirt database{hint}")


def sqlite_timeout(url: URL) -> float:
    value = url.query.get("timeout")
    try:
        return float(value) if isinstance(value, str) else SQLITE_TIMEOUT
    except ValueError:
        return SQLITE_TIMEOUT


def _first_line(message: str) -> str:
    line = next((part.strip() for part in message.splitlines() if part.strip()), message)
    line = re.sub(r"\s+", " ", line)
    return line.removeprefix("connection failed: ")


def explain(exc: BaseException, url: str) -> DatabaseError | None:
    """The :class:`DatabaseError` a failure of the database at ``url`` means, or None when
    ``exc`` is not one (programming errors and constraint violations stay what they are)."""
    if isinstance(exc, DatabaseError):
        return exc
    from sqlalchemy import exc as sa

    name = display(url)
    if isinstance(exc, sa.DBAPIError):
        if not (
            type(exc) in (sa.OperationalError, sa.InterfaceError, sa.DatabaseError)
            or exc.connection_invalidated
        ):
            return None
        line = _first_line(str(exc.orig) if exc.orig is not None else str(exc))
        sqlite = name.startswith("sqlite")
        if sqlite and "database is locked" in line:
            try:
                timeout = sqlite_timeout(check_url(url))
            except DatabaseError:
                timeout = SQLITE_TIMEOUT
            return DatabaseError(
                name,
                f"locked by another writer for longer than {timeout:g} s; try again when "
                "it is done",
            )
        if sqlite and "file is not a database" in line:
            return DatabaseError(name, "not a SQLite database (file is not a database)")
        if exc.statement is None:  # failed while connecting
            return DatabaseError(name, f"cannot connect: {line}")
        if exc.connection_invalidated:
            return DatabaseError(name, f"connection lost: {line}")
        return DatabaseError(name, line)
    if isinstance(exc, sa.DisconnectionError | sa.TimeoutError):
        return DatabaseError(name, f"cannot connect: {_first_line(str(exc))}")
    return None


__all__ = [
    "SQLITE_TIMEOUT",
    "SUPPORTED",
    "check_sqlite_file",
    "check_url",
    "default_url",
    "display",
    "explain",
    "normalise",
    "sqlite_file",
]
