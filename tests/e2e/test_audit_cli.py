"""psirt audit head | verify --head | log: a cut-off tail, deleted newest events, bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from psirt.cli.main import main
from psirt.store import models as m
from psirt.store import seal


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "psirt.db"
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("PSIRT_USER", "alice")
    assert main(["init"]) == 0
    assert main(["product", "add", "Infusion Pump IP-300"]) == 0
    assert main(["release", "add", "4.2.0", "-p", "Infusion Pump IP-300"]) == 0
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _restore_seal_copy(db: Path, table: str, *, seq: int) -> None:
    """Recompute a table's seal from its rows, as someone who read psirt's code could."""
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        ((n, acc),) = seal.table_state(conn, table).values()
        top = conn.execute(select(func.max(m.Base.metadata.tables[table].c.id))).scalar_one()
        conn.execute(
            text("UPDATE audit_seal_parts SET acc = :acc, rows = :n, seq = :seq "
                 "WHERE table_name = :t"),
            {"acc": acc.to_bytes(seal.WIDTH, "little"), "n": n, "seq": seq, "t": table},
        )  # fmt: skip
        conn.execute(
            text("UPDATE audit_seal_tables SET max_id = :top, seq = :seq WHERE table_name = :t"),
            {"top": top, "seq": seq, "t": table},
        )
    engine.dispose()


def test_a_cut_off_tail_is_caught_against_an_exported_head(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = tmp_path / "head.json"
    assert run(capsys, "release", "add", "4.3.0", "-p", "Infusion Pump IP-300")[0] == 0
    code, out, _ = run(capsys, "audit", "head", "--out", str(head), "-f", "json")
    assert code == 0
    exported = json.loads(head.read_text())
    assert exported == json.loads(out)
    assert (exported["seq"], exported["events"]) == (3, 3) and len(exported["hash"]) == 64
    code, out, _ = run(capsys, "audit", "verify", "--head", str(head))
    assert (code, out.strip()) == (0, "audit chain intact: 3 events verified")

    # Someone removes the newest release and the event that recorded it, and puts the seals'
    # working copy back as it was: the rows and the remaining chain agree, only the exported
    # head shows what is gone.
    _sql(db, "DELETE FROM releases WHERE version = '4.3.0'")
    _sql(db, "DELETE FROM audit_events WHERE seq = 3")
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1 and "audit_seal_parts (releases)" in err
    _restore_seal_copy(db, "releases", seq=2)
    code, _, err = run(capsys, "audit", "verify")
    assert code == 0, err
    code, _, err = run(capsys, "audit", "verify", "--head", str(head))
    assert code == 1
    assert "event 3 is missing: the chain ends at event 2 (tail cut off)" in err


def test_deleted_newest_events_are_caught_by_the_seals(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sql(db, "DELETE FROM audit_events WHERE seq = 2")
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1
    assert (
        err.splitlines()[0]
        == ("psirt: audit chain broken at event 1 (products): 1 row(s) more than sealed at event 1")
        or "releases: 1 row(s) were never sealed" in err
    )
    assert "event None" not in err


def test_a_row_added_behind_psirts_back_is_named(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sql(
        db,
        "INSERT INTO products (name, description, manufacturer, created_at) "
        "VALUES ('Ghost', '', '', '2026-01-01 00:00:00')",
    )
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1
    assert "products: id(s) 2 above the highest sealed id 1" in err
    assert "event None" not in err


def test_a_changed_seal_working_copy_is_caught(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sql(db, "UPDATE audit_seal_parts SET acc = zeroblob(512) WHERE table_name = 'releases'")
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1
    assert "(audit_seal_parts (releases)): the seals' working copy differs from the chain" in err
    # the next write through psirt continues from the changed copy: the chain shows it
    assert run(capsys, "release", "add", "4.3.0", "-p", "Infusion Pump IP-300")[0] == 0
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1
    assert "seal does not continue from the state sealed at event 2" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ('{"seq": 0, "hash": "' + "0" * 64 + '"}', "seq: expected a positive integer"),
        ('{"seq": 2, "hash": "abc"}', "hash: expected the 64 hex digits"),
    ],
)
def test_bad_head_files_are_refused(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    head = tmp_path / "head.json"
    head.write_text(content)
    code, _, err = run(capsys, "audit", "verify", "--head", str(head))
    assert code == 2 and message in err and str(head) in err


def test_log_refuses_a_negative_limit(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "audit", "log", "-n", "-5")
    assert code == 2
    assert "'--limit' / '-n': Input should be greater than or equal to 1" in err
