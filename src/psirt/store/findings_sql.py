"""Bulk writes of findings and monitoring events, in plain SQL through the driver's
``executemany`` (SQLite and psycopg).

Re-matching a portfolio writes hundreds of thousands of rows in one transaction; SQLAlchemy's
per-row parameter processing would cost more than the database. The statement texts are fixed
here; every value is a bound parameter; JSON columns are bound as text already encoded (cast to
JSON on PostgreSQL). Callers declare the rows they are about to change to the seals first
(:func:`psirt.store.seal.before_change`); inserted rows are found by the seals on their own.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

from psirt.errors import UsageError
from psirt.store import models as m

CHUNK = 900  # bound parameters per IN list (SQLite's historical limit is 999)
FINDINGS = typing.cast(Table, m.Finding.__table__)

_STORED = (
    "SELECT id, component_id, advisory_id, CAST(aliases AS TEXT), CAST(related AS TEXT), "
    "CAST(fixed_versions AS TEXT), severity, status FROM findings WHERE {col} IN ({marks})"
)
_INSERT_FINDING = (
    "INSERT INTO findings (release_id, component_id, advisory_id, aliases, related, "
    "fixed_versions, severity, status, retracted_reason, first_seen, last_seen, snapshot_id, "
    "issue_id) VALUES ({p}, {p}, {p}, {j}, {j}, {j}, {p}, 'active', NULL, {p}, {p}, {p}, NULL)"
)
_INSERT_EVENT = (
    "INSERT INTO monitoring_events (kind, release_id, finding_id, advisory_id, at, detail, "
    "delivered) VALUES ({p}, {p}, {p}, {p}, {p}, {j}, {p})"
)
_ACTIVATE = (
    "UPDATE findings SET advisory_id = {p}, aliases = {j}, related = {j}, fixed_versions = {j}, "
    "severity = {p}, status = 'active', retracted_reason = NULL, retracted_cause = NULL, "
    "last_seen = {p} WHERE id = {p}"
)
_NEW_IDS = "SELECT id, component_id, advisory_id FROM findings WHERE id > {p}"
_RETRACT = (
    "UPDATE findings SET status = 'retracted', retracted_reason = {p}, retracted_cause = {p}, "
    "last_seen = {p} WHERE id = {p}"
)


class BulkFindings:
    """The bulk statements on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        dialect = conn.dialect
        if dialect.paramstyle == "qmark":
            self.p = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            self.p = "%s"
        else:  # psirt ships the drivers for SQLite and PostgreSQL (psycopg) only
            raise UsageError(
                f"database driver {dialect.driver!r} is not supported: use SQLite or "
                "PostgreSQL through psycopg (postgresql://...)"
            )
        # PostgreSQL types an untyped text parameter; JSON columns want it cast
        self.j = f"CAST({self.p} AS JSON)" if dialect.name == "postgresql" else self.p
        self.dialect = dialect

    def time(self, value: dt.datetime) -> Any:
        """``value`` as the driver must receive it for a UTCDateTime column."""
        column_type = FINDINGS.c.last_seen.type
        proc = column_type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return proc(value) if proc is not None else value

    def _marks(self, n: int) -> str:
        return ", ".join([self.p] * n)

    def _many(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self.conn.exec_driver_sql(sql, list(rows))

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> Sequence[Any]:
        return self.conn.exec_driver_sql(sql, params).all()

    def stored(self, *, column: str, keys: Sequence[Any]) -> list[Any]:
        """Findings whose ``column`` (``component_id`` or ``advisory_id``) is one of ``keys``:
        (id, component_id, advisory_id, aliases, related, fixed_versions, severity, status)
        with the JSON lists as stored text, in id order."""
        if column not in ("component_id", "advisory_id"):
            raise ValueError(column)
        found: list[Any] = []
        for start in range(0, len(keys), CHUNK):
            chunk = tuple(keys[start : start + CHUNK])
            sql = _STORED.format(col=column, marks=self._marks(len(chunk)))
            found.extend(self._rows(sql, chunk))
        found.sort(key=lambda r: r[0])
        return found

    def insert_findings(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Insert ``rows`` (one executemany) and return their ids in the same order.

        A row is (release_id, component_id, advisory_id, aliases, related, fixed_versions,
        severity, first_seen, last_seen, snapshot_id) with JSON already encoded."""
        before = self._rows("SELECT COALESCE(MAX(id), 0) FROM findings")[0][0]
        self._many(_INSERT_FINDING.format(p=self.p, j=self.j), rows)
        # Rows of other transactions may carry higher ids too: (component, advisory) is unique.
        ids: dict[tuple[int, str], int] = {
            (cid, adv): fid for fid, cid, adv in self._rows(_NEW_IDS.format(p=self.p), (before,))
        }
        return [ids[(r[1], r[2])] for r in rows]

    def activate(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """(advisory_id, aliases, related, fixed_versions, severity, last_seen, id): the
        finding matches (again) with these values."""
        self._many(_ACTIVATE.format(p=self.p, j=self.j), rows)

    def retract(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """(reason, cause, last_seen, id): the finding no longer matches."""
        self._many(_RETRACT.format(p=self.p), rows)

    def insert_events(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """(kind, release_id, finding_id, advisory_id, at, detail JSON, delivered)."""
        self._many(_INSERT_EVENT.format(p=self.p, j=self.j), rows)
