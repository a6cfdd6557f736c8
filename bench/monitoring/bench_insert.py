"""How to write many findings: three ways of one bulk INSERT, on SQLite and PostgreSQL.

Run from the repository root:  .venv/bin/python bench/monitoring/bench_insert.py

Inserts the same ``--rows`` findings (three JSON list columns, two timestamps) into a freshly
migrated store three ways, each in one transaction, best of ``--repeat``:

- ``core``: ``connection.execute(insert(findings), rows)`` with Python lists and datetimes
  (SQLAlchemy encodes each JSON value and processes each parameter of each row);
- ``core-text``: the same statement against a ``table()`` clause whose JSON columns are typed
  ``String`` and bound as text encoded once per distinct list with orjson;
- ``driver``: ``connection.exec_driver_sql(sql, rows)`` (the DB-API ``executemany``), JSON as
  text encoded once, timestamps processed once (what ``psirt.services.scanning`` does).

Each way is then read back through the ORM and must give the same Python lists. PostgreSQL runs
on a throw-away database created on ``PSIRT_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and is skipped when unreachable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    String,
    column,
    create_engine,
    delete,
    insert,
    select,
    table,
    text,
)

from psirt.store import models as m
from psirt.store.db import Store, migrate

PG_ADMIN = os.environ.get("PSIRT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COLUMNS = (
    "release_id",
    "component_id",
    "advisory_id",
    "aliases",
    "related",
    "fixed_versions",
    "severity",
    "status",
    "first_seen",
    "last_seen",
)
JSON_COLUMNS = ("aliases", "related", "fixed_versions")
# JSON columns typed String (bound as text), the rest untyped (bound as given)
TEXT_FINDINGS = table(
    "findings", *(column(c, String) if c in JSON_COLUMNS else column(c) for c in COLUMNS)
)
FINDINGS: Any = m.Finding.__table__


def _values(n: int) -> list[tuple[int, str, list[str], list[str], list[str], str | None]]:
    out = []
    for i in range(n):
        group = i % 500
        aliases = [f"CVE-2024-{group:05d}", f"GHSA-{group:04x}-aaaa-bbbb", f"PYSEC-2024-{group}"]
        out.append(
            (
                i + 1,
                f"GHSA-{group:04x}-aaaa-bbbb",
                aliases,
                [f"CVE-2024-{group:05d}"],
                [f"{group % 7}.{group % 11}.1"],
                None if group % 3 else "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            )
        )
    return out


def _core(conn: Connection, release: int, values: list[Any], now: dt.datetime) -> None:
    rows = [
        {
            "release_id": release,
            "component_id": cid,
            "advisory_id": adv,
            "aliases": aliases,
            "related": related,
            "fixed_versions": fixed,
            "severity": sev,
            "status": "active",
            "first_seen": now,
            "last_seen": now,
        }
        for cid, adv, aliases, related, fixed, sev in values
    ]
    conn.execute(insert(FINDINGS), rows)


def _encoder() -> Callable[[list[str]], str]:
    cache: dict[tuple[str, ...], str] = {}

    def enc(value: list[str]) -> str:
        key = tuple(value)
        found = cache.get(key)
        if found is None:
            found = cache[key] = orjson.dumps(value).decode()
        return found

    return enc


def _core_text(conn: Connection, release: int, values: list[Any], now: dt.datetime) -> None:
    enc = _encoder()
    stamp = FINDINGS.c.first_seen.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    when = stamp(now) if stamp else now
    rows = [
        {
            "release_id": release,
            "component_id": cid,
            "advisory_id": adv,
            "aliases": enc(aliases),
            "related": enc(related),
            "fixed_versions": enc(fixed),
            "severity": sev,
            "status": "active",
            "first_seen": when,
            "last_seen": when,
        }
        for cid, adv, aliases, related, fixed, sev in values
    ]
    conn.execute(insert(TEXT_FINDINGS), rows)


def _driver(conn: Connection, release: int, values: list[Any], now: dt.datetime) -> None:
    enc = _encoder()
    p = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    j = f"CAST({p} AS JSON)" if conn.dialect.name == "postgresql" else p
    stamp = FINDINGS.c.first_seen.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    when = stamp(now) if stamp else now
    sql = (
        "INSERT INTO findings (release_id, component_id, advisory_id, aliases, related, "
        f"fixed_versions, severity, status, first_seen, last_seen) VALUES ({p}, {p}, {p}, "
        f"{j}, {j}, {j}, {p}, 'active', {p}, {p})"
    )
    rows = [
        (release, cid, adv, enc(aliases), enc(related), enc(fixed), sev, when, when)
        for cid, adv, aliases, related, fixed, sev in values
    ]
    conn.exec_driver_sql(sql, rows)


WAYS: dict[str, Callable[[Connection, int, list[Any], dt.datetime], None]] = {
    "core": _core,
    "core-text": _core_text,
    "driver": _driver,
}


def _prepare(engine: Engine, n: int) -> int:
    with engine.begin() as conn:
        pid = conn.execute(insert(m.Product).returning(m.Product.id), [{"name": "P"}]).scalar_one()
        rid = conn.execute(
            insert(m.Release).returning(m.Release.id),
            [{"product_id": pid, "version": "1.0", "status": "development"}],
        ).scalar_one()
        conn.execute(
            insert(m.Component.__table__),
            [
                {
                    "id": i + 1,
                    "release_id": rid,
                    "ref": f"c{i}",
                    "name": f"c{i}",
                    "version": "1",
                    "type": "library",
                    "hashes": {},
                    "licenses": [],
                }
                for i in range(n)
            ],
        )
    return int(rid)


def run(url: str, n: int, repeat: int) -> dict[str, float | str]:
    store = Store(url)
    migrate(store.engine)
    release = _prepare(store.engine, n)
    values = _values(n)
    now = dt.datetime.now(dt.UTC)
    out: dict[str, float | str] = {}
    for name, way in WAYS.items():
        best = float("inf")
        try:
            for _ in range(repeat):
                with store.engine.begin() as conn:
                    conn.execute(delete(FINDINGS))
                t = time.perf_counter()
                with store.engine.begin() as conn:
                    way(conn, release, values, now)
                best = min(best, time.perf_counter() - t)
        except Exception as exc:  # noqa: BLE001 - a way that fails on a backend is reported
            out[name] = f"fails: {type(exc).__name__}: {str(exc).splitlines()[0][:90]}"
            continue
        with store.reader() as s:
            back = {
                f.component_id: (f.aliases, f.related, f.fixed_versions, f.first_seen)
                for f in s.scalars(select(m.Finding))
            }
        want = {v[0]: (v[2], v[3], v[4], now) for v in values}
        out[name] = best if back == want else "wrong values read back"
    store.engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = run(f"sqlite:///{Path(tmp) / 'insert.db'}", args.rows, args.repeat)
    name = f"psirt_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no server: report and go on
        results["PostgreSQL"] = {w: f"not run: {type(exc).__name__}" for w in WAYS}
    else:
        try:
            base = PG_ADMIN.rpartition("/")[0]
            results["PostgreSQL (psycopg 3)"] = run(f"{base}/{name}", args.rows, args.repeat)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    def cell(v: float | str) -> str:
        return f"{v:.2f} s" if isinstance(v, float) else v

    lines = [
        f"Command: `.venv/bin/python bench/monitoring/bench_insert.py --rows {args.rows}`; "
        f"{args.rows:,} findings in one transaction, best of {args.repeat}.",
        "",
        "| backend | " + " | ".join(f"`{w}`" for w in WAYS) + " |",
        "|---|" + "---:|" * len(WAYS),
    ]
    lines += [
        f"| {backend} | " + " | ".join(cell(r[w]) for w in WAYS) + " |"
        for backend, r in results.items()
    ]
    text_ = "\n".join(lines) + "\n"
    print(text_)
    (Path(__file__).resolve().parent / "INSERT_RESULTS.md").write_text(text_, encoding="utf-8")


if __name__ == "__main__":
    main()
