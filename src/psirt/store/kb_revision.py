"""The revision of the knowledge base a database holds: schema version, newest feed snapshot,
number of advisories. ``psirt match`` keys its cache by it (``psirt.services.kb_cache``).

This module imports neither SQLAlchemy nor the rest of the store: a cache hit on a SQLite file
is read with the standard ``sqlite3`` module.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Plain SQL that SQLite and PostgreSQL both run (alembic_version holds one row).
REVISION_SQL = (
    "SELECT (SELECT max(version_num) FROM alembic_version),"
    " (SELECT max(id) FROM feed_snapshots), (SELECT count(*) FROM advisories)"
)


def sqlite_file_revision(path: Path) -> tuple[Any, ...] | None:
    """The revision read from a SQLite file, opened read-only (None when it cannot be read)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            row = conn.execute(REVISION_SQL).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return tuple(row) if row is not None else None


def session_revision(session: Session) -> tuple[Any, ...]:
    """The revision as seen by ``session`` (any database psirt works with)."""
    from sqlalchemy import text

    return tuple(session.execute(text(REVISION_SQL)).one())
