"""Seals: every evidence table in the audit chain.

Each evidence table (products, releases, SBOM documents and their components, feeds and
advisories, findings, monitoring events, issues and their decision records, activities, scan
results, dispositions, test plans, attack surfaces, release-gate records) is split into
partitions (the findings of one release, the decision records of one issue, ...; small tables
are one partition). A partition's state is a *multiset hash* of its rows (AdHash, Bellare and
Micciancio 1997): the sum, modulo 2**4096, of SHAKE-256 expansions (512 bytes) of each row's
canonical JSON. The sum changes by the difference of the row hashes when a row is added,
changed or removed, so a transaction only reads the rows it wrote.

Every transaction that writes evidence seals it in the audit chain: the transaction's last
event (or a ``store.seal`` event of its own when it appended none) carries ``detail["seal"]``,
which records, for each partition the transaction changed, the number of rows and the sha256
of the state before (``from``) and after (``to``) the change, and the highest integer id of
each table it wrote. ``psirt audit verify`` recomputes every partition from the rows and
compares it with the newest ``to`` in the chain (an edited, deleted or inserted row breaks it),
checks that each seal continues from the previous one, and checks the working copy in
``audit_seal_parts``.

What a transaction wrote is found without cooperation from the code that wrote it:

* new rows of tables with integer ids are those above the table's sealed ``max_id`` (ids are
  never reused: AUTOINCREMENT on SQLite, sequences on PostgreSQL);
* rows changed or deleted through the ORM (objects, ``update()``/``delete()`` statements) are
  read before the change by session hooks;
* code that changes rows with its own SQL calls :func:`before_change` first.

Writers are serialised (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock of the audit
chain taken at the first write), so the rows above ``max_id`` are those of this transaction.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    LargeBinary,
    Table,
    bindparam,
    select,
)
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from psirt.store import models as m

BITS = 4096
WIDTH = BITS // 8
MASK = (1 << BITS) - 1
CHUNK = 900
CHAIN_LOCK = 814005001  # the audit chain's PostgreSQL advisory lock (see audit._lock_chain)
_KEY = "psirt_seal"

# Every evidence table and the column that partitions it (None: the table is one partition).
SEALED: dict[str, str | None] = {
    "products": None,
    "releases": None,
    "sbom_documents": None,
    "components": "release_id",
    "component_support": None,
    "feed_snapshots": None,
    "advisories": None,
    "advisory_packages": None,
    "kev": None,
    "epss": None,
    "findings": "release_id",
    "security_issues": None,
    "issue_events": "issue_id",
    "monitoring_events": "release_id",
    "activity_inputs": None,
    "activities": "product_id",
    "scan_identities": "product_id",
    "scan_results": "activity_id",
    "finding_dispositions": None,
    "test_plans": None,
    "attack_surfaces": None,
    "release_gate_reviews": None,
    "release_gate_decisions": None,
    "supplier_documents": None,
    "supplier_statements": "document_id",
    "supplier_matches": "release_id",
    "supplier_assessment_decisions": "release_id",
    "procedure_versions": None,
    "procedure_signatures": None,
    "publications": None,
}
# Tables that are not evidence of their own: the chain itself and the seals' working copy.
NOT_SEALED = frozenset({"audit_events", "audit_seal_tables", "audit_seal_parts"})
WHOLE = "*"
_PART_NOUN = {"release_id": "release", "issue_id": "issue", "product_id": "product"}
_PART_NOUN["activity_id"] = "activity"
_PART_NOUN["document_id"] = "supplier document"


def sealed_tables() -> dict[str, Table]:
    tables = m.Base.metadata.tables
    return {name: tables[name] for name in SEALED}


def _pk(table: Table) -> Column[Any]:
    (col,) = table.primary_key.columns
    return col


def _int_pk(table: Table) -> bool:
    return _pk(table).type.python_type is int


@dataclass(frozen=True, slots=True)
class _Shape:
    """How a sealed table is read for hashing on one database: every column as the text the
    database stores (binary columns as bytes), read with the driver's own cursor.

    A row's hash is taken over what the database holds, not over values converted by
    SQLAlchemy: the same on every read of the same database, and cheap."""

    name: str
    pk: str
    int_pk: bool
    columns: tuple[str, ...]  # after the raw primary key, in select order
    binary: frozenset[int]
    part: int | None  # index of the partition column in ``columns``
    select: str  # SELECT <raw pk>, <columns> FROM <table>
    p: str  # the driver's parameter mark


def _column_sql(col: Column[Any], dialect: str, quoted: str) -> str:
    kind = col.type
    if isinstance(kind, LargeBinary):
        return quoted
    if dialect != "postgresql":
        return f"CAST({quoted} AS TEXT)"
    # PostgreSQL formats dates, times and floats by session settings: pin the forms.
    if isinstance(kind, m.UTCDateTime | DateTime):
        return f"to_char({quoted} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    if isinstance(kind, Date):
        return f"to_char({quoted}, 'YYYY-MM-DD')"
    if isinstance(kind, Float):
        return f"CAST(CAST({quoted} AS NUMERIC) AS TEXT)"
    return f"CAST({quoted} AS TEXT)"


_SHAPES: dict[tuple[str, str], _Shape] = {}


def _shape(dialect: Any, name: str) -> _Shape:
    found = _SHAPES.get((dialect.name, name))
    if found is not None:
        return found
    t = sealed_tables()[name]
    quote = dialect.identifier_preparer.quote
    pk = _pk(t)
    cols = tuple(t.columns)
    exprs = [f"{quote(pk.name)} AS k"] + [
        f"{_column_sql(c, dialect.name, quote(c.name))} AS c{i}" for i, c in enumerate(cols)
    ]
    names = tuple(c.name for c in cols)
    part_col = SEALED[name]
    found = _Shape(
        name=name,
        pk=pk.name,
        int_pk=_int_pk(t),
        columns=names,
        binary=frozenset(i for i, c in enumerate(cols) if isinstance(c.type, LargeBinary)),
        part=names.index(part_col) if part_col else None,
        # built from the table's own column names, quoted by the dialect: no input in it
        select=f"SELECT {', '.join(exprs)} FROM {quote(t.name)}",  # noqa: S608
        p="?" if dialect.paramstyle == "qmark" else "%s",
    )
    _SHAPES[(dialect.name, name)] = found
    return found


def _element(shape: _Shape, values: Sequence[Any]) -> int:
    """The hash of one row (``values`` without the raw primary key): its non-null columns by
    name as JSON, binary ones by their sha256, expanded to 4096 bits."""
    body: dict[str, Any] = {}
    for i, (name, value) in enumerate(zip(shape.columns, values, strict=True)):
        if value is None:
            continue
        if i in shape.binary:
            value = "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
        body[name] = value
    data = orjson.dumps([shape.name, body], option=orjson.OPT_SORT_KEYS)
    return int.from_bytes(hashlib.shake_256(data).digest(WIDTH), "little")


def _part(shape: _Shape, values: Sequence[Any]) -> str:
    if shape.part is None:
        return WHOLE
    value = values[shape.part]
    return "-" if value is None else str(value)


Raw = tuple[Any, str, int]  # primary key, partition, element


def _read(
    conn: Connection, shape: _Shape, where: str = "", params: Sequence[Any] = ()
) -> Iterator[Raw]:
    """Rows of ``shape``'s table (optionally filtered) as (key, partition, element)."""
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    sql = shape.select + (f" WHERE {where}" if where else "")
    if conn.dialect.name == "postgresql" and not params:
        cursor = dbapi.cursor(name=f"psirt_seal_{shape.name}")  # streamed, not held whole
    else:
        cursor = dbapi.cursor()
    try:
        cursor.execute(sql, tuple(params))
        while True:
            batch = cursor.fetchmany(2000)
            if not batch:
                break
            for row in batch:
                values = row[1:]
                yield row[0], _part(shape, values), _element(shape, values)
    finally:
        cursor.close()


def _read_keys(conn: Connection, shape: _Shape, keys: Sequence[Any]) -> Iterator[Raw]:
    quoted = conn.dialect.identifier_preparer.quote(shape.pk)
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        marks = ", ".join([shape.p] * len(chunk))
        yield from _read(conn, shape, f"{quoted} IN ({marks})", chunk)


def _read_above(conn: Connection, shape: _Shape, limit: int) -> Iterator[Raw]:
    quoted = conn.dialect.identifier_preparer.quote(shape.pk)
    yield from _read(conn, shape, f"{quoted} > {shape.p} ORDER BY 1", (limit,))


def table_state(conn: Connection, table: str) -> dict[str, tuple[int, int]]:
    """Every partition of ``table`` as (rows, multiset hash), recomputed from its rows."""
    out: dict[str, list[int]] = {}
    for _key, part, elem in _read(conn, _shape(conn.dialect, table)):
        slot = out.get(part)
        if slot is None:
            slot = out[part] = [0, 0]
        slot[0] += 1
        slot[1] += elem
    return {part: (n, total & MASK) for part, (n, total) in out.items()}


def part_of(table: str, row: Mapping[str, Any]) -> str:
    """The partition of a row given by column name (as the seal names it)."""
    col = SEALED[table]
    if col is None:
        return WHOLE
    value = row[col]
    return "-" if value is None else str(value)


def state_digest(acc: int) -> str:
    return hashlib.sha256(acc.to_bytes(WIDTH, "little")).hexdigest()


def label(table: str, part: str) -> str:
    """``findings of release 3``, ``advisories``."""
    col = SEALED.get(table)
    if col is None or part == WHOLE:
        return table
    noun = _PART_NOUN.get(col, col)
    return f"{table} of {noun} {part}" if part != "-" else f"{table} without a {noun}"


# --- tracking what a transaction writes ------------------------------------------------------


@dataclass
class _Tracker:
    max_ids: dict[str, int]
    # table -> primary key -> (partition, element) at the last seal; None: the row did not exist
    old: dict[str, dict[Any, tuple[str, int] | None]] = field(default_factory=dict)


def _lock(session: Session) -> None:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})")


def _tracker(session: Session) -> _Tracker:
    found = session.info.get(_KEY)
    if found is None:
        _lock(session)
        conn = session.connection()
        max_ids = {
            name: int(value or 0)
            for name, value in conn.execute(select(m.SealTable.table_name, m.SealTable.max_id))
        }
        found = session.info[_KEY] = _Tracker(max_ids)
    return typing.cast(_Tracker, found)


def begin_write(session: Session) -> None:
    """Take the writer's lock and start tracking (done by the hooks on the first ORM write)."""
    _tracker(session)


def _capture(tracker: _Tracker, shape: _Shape, rows: Iterable[Raw]) -> None:
    olds = tracker.old.setdefault(shape.name, {})
    limit = tracker.max_ids.get(shape.name, 0) if shape.int_pk else None
    for key, part, elem in rows:
        if key in olds or (limit is not None and key > limit):
            continue
        olds[key] = (part, elem)


def before_change(session: Session, table: str, keys: Iterable[Any]) -> None:
    """Record the sealed state of rows that are about to be changed or deleted with SQL that
    the session hooks do not see (call it before the statement)."""
    tracker = _tracker(session)
    conn = session.connection()
    shape = _shape(conn.dialect, table)
    olds = tracker.old.setdefault(table, {})
    limit = tracker.max_ids.get(table, 0) if shape.int_pk else None
    wanted = [k for k in dict.fromkeys(keys) if k not in olds and (limit is None or k <= limit)]
    if wanted:
        _capture(tracker, shape, _read_keys(conn, shape, wanted))
        for k in wanted:
            olds.setdefault(k, None)


def before_insert(session: Session, table: str, keys: Iterable[Any]) -> None:
    """Rows with these keys are about to be inserted into a table without integer ids: the
    rows that exist are captured as they are, the others recorded as absent."""
    before_change(session, table, keys)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    stmt: Any = state.statement
    table = getattr(stmt, "table", None)
    name = getattr(table, "name", None)
    if name not in SEALED:
        return
    session = state.session
    t = sealed_tables()[name]
    pk = _pk(t)
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    keys = [r[pk.name] for r in rows if isinstance(r, Mapping) and pk.name in r]
    _tracker(session)  # new rows with integer ids are found above the sealed max_id
    if state.is_insert:
        if not _int_pk(t):
            before_insert(session, name, keys)
        return
    where = stmt.whereclause
    if where is None and keys:  # bulk UPDATE by primary key
        before_change(session, name, keys)
        return
    q = select(pk) if where is None else select(pk).where(where)
    before_change(session, name, list(session.connection().execute(q).scalars()))


def _on_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    changed: dict[str, list[Any]] = {}
    inserted: dict[str, list[Any]] = {}
    for obj in list(session.dirty) + list(session.deleted):
        t = getattr(obj, "__table__", None)
        if t is None or t.name not in SEALED:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        identity = orm_inspect(obj).identity
        if identity:
            changed.setdefault(t.name, []).append(identity[0])
    for obj in session.new:
        t = getattr(obj, "__table__", None)
        if t is None or t.name not in SEALED:
            continue
        if not _int_pk(t):
            inserted.setdefault(t.name, []).append(getattr(obj, _pk(t).key))
        else:
            changed.setdefault(t.name, [])
    if not changed and not inserted:
        return
    _tracker(session)
    for name, keys in changed.items():
        if keys:
            before_change(session, name, keys)
    for name, keys in inserted.items():
        before_insert(session, name, keys)


def install(target: Any) -> None:
    """Attach the hooks to a sessionmaker (or Session class)."""
    from sqlalchemy import event

    event.listen(target, "do_orm_execute", _on_execute)
    event.listen(target, "before_flush", _on_flush)
    event.listen(target, "before_commit", _on_commit)
    event.listen(target, "after_transaction_end", _on_end)


def _on_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: commit or rollback
        session.info.pop(_KEY, None)
        session.info.pop("audit_tip", None)


# --- sealing at commit ------------------------------------------------------------------------


@dataclass
class _Delta:
    add: int = 0
    sub: int = 0
    rows: int = 0

    @property
    def empty(self) -> bool:
        return self.rows == 0 and (self.add - self.sub) & MASK == 0


def _on_commit(session: Session) -> None:
    session.flush()  # pending ORM changes start the tracking (before_flush)
    if session.info.get(_KEY) is None and "audit_tip" not in session.info:
        return
    seal_transaction(session)


def seal_transaction(session: Session, *, actor: str | None = None, reason: str = "") -> int:
    """Seal what this transaction wrote; returns the number of partitions sealed."""
    tracker = _tracker(session)
    conn = session.connection()
    deltas: dict[tuple[str, str], _Delta] = {}
    max_ids: dict[str, int] = {}
    for name in SEALED:
        shape = _shape(conn.dialect, name)
        olds = tracker.old.get(name, {})
        if shape.int_pk:
            limit = tracker.max_ids.get(name, 0)
            top = limit
            for key, part, elem in _read_above(conn, shape, limit):
                d = deltas.setdefault((name, part), _Delta())
                d.add += elem
                d.rows += 1
                top = key
            if top != limit:
                max_ids[name] = top
        if not olds:
            continue
        current = {key: (part, elem) for key, part, elem in _read_keys(conn, shape, list(olds))}
        for key, old in olds.items():
            if old is not None:
                d = deltas.setdefault((name, old[0]), _Delta())
                d.sub += old[1]
                d.rows -= 1
            now = current.get(key)
            if now is not None:
                d = deltas.setdefault((name, now[0]), _Delta())
                d.add += now[1]
                d.rows += 1
    tracker.old.clear()
    changed = {k: d for k, d in deltas.items() if not d.empty}
    if not changed and not max_ids:
        tracker.max_ids.update(max_ids)
        return 0
    cached = _cached_parts(session, sorted(set(changed)))
    detail: dict[str, Any] = {}
    new_parts: dict[tuple[str, str], tuple[int, int]] = {}
    for (name, part), d in sorted(changed.items()):
        old_rows, old_acc = cached.get((name, part), (0, None))
        acc = ((old_acc or 0) + d.add - d.sub) & MASK
        rows = old_rows + d.rows
        new_parts[(name, part)] = (rows, acc)
        entry = detail.setdefault(name, {}).setdefault("parts", {})
        entry[part] = {
            "rows": rows,
            "from": state_digest(old_acc) if old_acc is not None else None,
            "to": state_digest(acc),
        }
    for name, top in max_ids.items():
        detail.setdefault(name, {})["max_id"] = top
    from psirt.store import audit

    body: dict[str, Any] = {"tables": detail}
    if reason:
        body["reason"] = reason
    if "audit_tip" in session.info:
        # The transaction's last event carries the seal of what the transaction wrote.
        seq = audit.amend_tip(session, {"seal": body})
    else:
        seq = audit.append(
            session,
            actor=actor or "psirt",
            action=audit.SEAL_ACTION,
            object_type="store",
            object_id="seal",
            detail={"seal": body},
        ).seq
    _write_cache(session, new_parts, set(cached), max_ids, seq)
    tracker.max_ids.update(max_ids)
    return len(changed)


def _cached_parts(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int]]:
    out: dict[tuple[str, str], tuple[int, int]] = {}
    conn = session.connection()
    by_table: dict[str, list[str]] = {}
    for name, part in keys:
        by_table.setdefault(name, []).append(part)
    sp = typing.cast(Table, m.SealPart.__table__)
    for name, parts in by_table.items():
        for start in range(0, len(parts), CHUNK):
            chunk = parts[start : start + CHUNK]
            for row in conn.execute(
                select(sp.c.part, sp.c.rows, sp.c.acc).where(
                    sp.c.table_name == name, sp.c.part.in_(chunk)
                )
            ):
                out[(name, row.part)] = (int(row.rows), int.from_bytes(row.acc, "little"))
    return out


def _write_cache(
    session: Session,
    parts: Mapping[tuple[str, str], tuple[int, int]],
    existing: set[tuple[str, str]],
    max_ids: Mapping[str, int],
    seq: int,
) -> None:
    conn = session.connection()
    sp = typing.cast(Table, m.SealPart.__table__)
    st = typing.cast(Table, m.SealTable.__table__)
    inserts, updates = [], []
    for (name, part), (rows, acc) in parts.items():
        values = {"rows": rows, "acc": acc.to_bytes(WIDTH, "little"), "seq": seq}
        if (name, part) in existing:
            updates.append({"t": name, "p": part, **values})
        else:
            inserts.append({"table_name": name, "part": part, **values})
    if updates:  # one executemany
        conn.execute(
            sp.update()
            .where(sp.c.table_name == bindparam("t"), sp.c.part == bindparam("p"))
            .values(rows=bindparam("rows"), acc=bindparam("acc"), seq=bindparam("seq")),
            updates,
        )
    if inserts:
        conn.execute(sp.insert(), inserts)
    known = set(conn.execute(select(st.c.table_name)).scalars())
    for name, top in max_ids.items():
        if name in known:
            conn.execute(st.update().where(st.c.table_name == name).values(max_id=top, seq=seq))
        else:
            conn.execute(st.insert().values(table_name=name, max_id=top, seq=seq))


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SealProblem:
    seq: int | None
    object: str
    reason: str


@dataclass
class SealChain:
    """What the chain's ``store.seal`` events say, read in order by :func:`audit.verify`."""

    parts: dict[tuple[str, str], tuple[int, int, str]] = field(default_factory=dict)
    max_ids: dict[str, int] = field(default_factory=dict)
    problems: list[SealProblem] = field(default_factory=list)

    def add(self, seq: int, detail: Mapping[Any, Any]) -> None:
        """Read the seal an event's ``detail`` carries (``detail["seal"]``), if any."""
        body = detail.get("seal")
        tables = body.get("tables") if isinstance(body, dict) else None
        if not isinstance(tables, dict):
            return
        for name, info in tables.items():
            if not isinstance(info, dict):
                continue
            for part, entry in (info.get("parts") or {}).items():
                prev = self.parts.get((name, part))
                before = prev[2] if prev else None
                if entry.get("from") != before:
                    where = f"the state sealed at event {prev[0]}" if prev else "an empty table"
                    self.problems.append(
                        SealProblem(
                            seq,
                            label(name, part),
                            f"seal does not continue from {where}: the seals' working copy "
                            "(audit_seal_parts) was changed",
                        )
                    )
                self.parts[(name, part)] = (seq, int(entry.get("rows", 0)), entry.get("to", ""))
            if "max_id" in info:
                self.max_ids[name] = int(info["max_id"])


def _present(
    session: Session,
) -> tuple[dict[tuple[str, str], tuple[int, int]], dict[str, list[Any]]]:
    """Every partition's row count and multiset hash, recomputed from the rows, and the ids
    of each table's rows (integer ids only) for naming what was added."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    ids: dict[str, list[Any]] = {}
    conn = session.connection()
    for name in SEALED:
        shape = _shape(conn.dialect, name)
        acc: dict[str, list[int]] = {}
        keys = ids.setdefault(name, [])
        for key, part, elem in _read(conn, shape):
            slot = acc.get(part)
            if slot is None:
                slot = acc[part] = [0, 0]
            slot[0] += 1
            slot[1] += elem
            if shape.int_pk:
                keys.append(key)
        for part, (n, total) in acc.items():
            out[(name, part)] = (n, total & MASK)
    return out, ids


def verify(session: Session, chain: SealChain) -> list[SealProblem]:
    """Compare every evidence table with the newest seals of ``chain``."""
    problems = list(chain.problems)
    present, ids = _present(session)
    for key in sorted(set(present) | set(chain.parts)):
        name, part = key
        rows, acc = present.get(key, (0, 0))
        sealed = chain.parts.get(key)
        where = label(name, part)
        if sealed is None:
            problems.append(
                SealProblem(None, where, f"{rows} row(s) were never sealed (written outside psirt)")
            )
            continue
        seq, sealed_rows, to = sealed
        if state_digest(acc) == to and rows == sealed_rows:
            continue
        if rows < sealed_rows:
            why = f"{sealed_rows - rows} row(s) sealed at event {seq} are missing"
        elif rows > sealed_rows:
            why = f"{rows - sealed_rows} row(s) more than sealed at event {seq}"
        else:
            why = f"rows differ from the state sealed at event {seq}"
        problems.append(SealProblem(seq, where, why))
    for name, keys in ids.items():
        top = chain.max_ids.get(name, 0)
        unsealed = [k for k in keys if isinstance(k, int) and k > top]
        if unsealed:
            shown = ", ".join(str(k) for k in unsealed[:5]) + (" ..." if len(unsealed) > 5 else "")
            problems.append(
                SealProblem(None, name, f"id(s) {shown} above the highest sealed id {top}")
            )
    problems.extend(_check_cache(session, chain))
    return problems


def _check_cache(session: Session, chain: SealChain) -> list[SealProblem]:
    out: list[SealProblem] = []
    conn = session.connection()
    sp = typing.cast(Table, m.SealPart.__table__)
    seen: set[tuple[str, str]] = set()
    for row in conn.execute(select(sp.c.table_name, sp.c.part, sp.c.rows, sp.c.acc)):
        key = (row.table_name, row.part)
        seen.add(key)
        sealed = chain.parts.get(key)
        acc = int.from_bytes(row.acc, "little")
        if sealed is None or sealed[2] != state_digest(acc) or sealed[1] != row.rows:
            out.append(
                SealProblem(
                    sealed[0] if sealed else None,
                    f"audit_seal_parts ({label(*key)})",
                    "the seals' working copy differs from the chain",
                )
            )
    for key, (seq, _rows, _to) in chain.parts.items():
        if key not in seen:
            out.append(
                SealProblem(
                    seq, f"audit_seal_parts ({label(*key)})", "the seals' working copy is missing"
                )
            )
    return out


def initial_seal(session: Session, *, actor: str, reason: str) -> int:
    """Seal every row not sealed yet (a store created before seals existed)."""
    _tracker(session)
    return seal_transaction(session, actor=actor, reason=reason)
