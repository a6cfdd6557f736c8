"""A database psirt cannot use is one line on stderr and exit code 2, for every command.

Exit code 1 means "something was found" for ``match``, ``ci check``, ``audit verify`` and
``activities due``; a database failure must never look like that, nor like a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from psirt.cli.main import main
from tests.conftest import ASSETS

CLI = ASSETS / "cli"
SBOM = str(CLI / "gateway.cdx.json")
FEED = str(CLI / "PYSEC-2019-79.json")
SARIF = str(ASSETS / "scans" / "sarif" / "extensions.sarif")

# command lines that reach the database, among them every command whose exit code 1 means
# "something was found"
COMMANDS = {
    "match": ["match", SBOM],
    "ci check": ["ci", "check", SARIF, "-p", "Pump", "-r", "1.0"],
    "audit verify": ["audit", "verify"],
    "activities due": ["activities", "due"],
    "product list": ["product", "list", "-f", "json"],
    "feed import": ["feed", "import", FEED],
    "sbom import": ["sbom", "import", SBOM, "-p", "Pump", "-r", "1.0"],
    "init": ["init"],
}


def _text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("these are notes, not a database\n")
    return path


# URL, what the message names the database as, what it says is wrong
BAD = {
    "unreachable": (
        "postgresql://x:s3cret@127.0.0.1:1/y",
        "postgresql://x:***@127.0.0.1:1/y",
        'cannot connect: connection to server at "127.0.0.1", port 1 failed: Connection refused',
    ),
    "mysql": (
        "mysql://x/y",
        "mysql://x/y",
        "unsupported database 'mysql': psirt works with SQLite (sqlite:///PATH) or PostgreSQL",
    ),
    "not a url": (
        "not a url",
        "not a url",
        "not a database URL: psirt works with SQLite (sqlite:///PATH) or PostgreSQL",
    ),
    "psycopg2 driver": (
        "postgresql+psycopg2://x@127.0.0.1/y",
        "postgresql+psycopg2://x@127.0.0.1/y",
        "unsupported driver 'psycopg2': psirt works with SQLite",
    ),
    "text file": ("sqlite:///{text}", "sqlite:///{text}", "not a SQLite database"),
}


def _bad(kind: str, tmp_path: Path) -> tuple[str, str, str]:
    url, shown, reason = BAD[kind]
    text_file = str(_text_file(tmp_path))
    return url.format(text=text_file), shown.format(text=text_file), reason


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSIRT_USER", "alice")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", BAD)
def test_bad_database_is_one_line_and_exit_2(
    kind: str,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, shown, reason = _bad(kind, tmp_path)
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    before = (tmp_path / "notes.txt").read_bytes()
    code = main(COMMANDS[command])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith(f"psirt: database {shown}: ") and reason in err, err
    assert err.count("\n") == 1 and "s3cret" not in err
    assert out == ""
    assert (tmp_path / "notes.txt").read_bytes() == before


def _psirt(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The ``psirt`` console script's function in a fresh interpreter."""
    return subprocess.run(  # noqa: S603 - the test's own interpreter
        [sys.executable, "-c", "import sys; from psirt.cli.main import run; run()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("kind", BAD)
def test_bad_database_in_a_process(kind: str, tmp_path: Path) -> None:
    url, shown, reason = _bad(kind, tmp_path)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PSIRT_DATABASE_URL": url,
        "PSIRT_USER": "alice",
    }
    for command in ("match", "audit verify", "activities due", "ci check"):
        done = _psirt(COMMANDS[command], env)
        assert done.returncode == 2, (command, done.stderr)
        assert done.stderr.startswith(f"psirt: database {shown}: "), (command, done.stderr)
        assert reason in done.stderr and done.stderr.count("\n") == 1, (command, done.stderr)


def _sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "psirt.db"
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{path}")
    assert main(["init"]) == 0
    assert main(["product", "add", "Pump"]) == 0
    assert main(["release", "add", "1.0", "-p", "Pump"]) == 0
    return str(path)


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    "command", ["product add", "feed import", "sbom import", "audit verify", "match"]
)
def test_sqlite_locked_too_long_is_exit_2(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sqlite3

    path = _sqlite_store(tmp_path, monkeypatch)
    args = {
        "product add": ["product", "add", "Monitor"],
        "feed import": COMMANDS["feed import"],
        "sbom import": COMMANDS["sbom import"],
        "audit verify": COMMANDS["audit verify"],
        "match": COMMANDS["match"],
    }[command]
    url = f"sqlite:///{path}?timeout=0.2"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    capsys.readouterr()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer that does not finish
        code = main(args)
    finally:
        holder.rollback()
        holder.close()
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err == (
        f"psirt: database {url}: locked by another writer for longer than 0.2 s; "
        "try again when it is done\n"
    )
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{path}")
    assert main(["product", "list", "-f", "json"]) == 0
    assert '"name": "Monitor"' not in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_server_gone_in_the_middle_of_a_command(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's connection is terminated while it waits inside its transaction."""
    monkeypatch.setenv("PSIRT_DATABASE_URL", db_url)
    monkeypatch.setenv("PSIRT_USER", "alice")
    admin = create_engine(db_url)
    killed: list[int] = []
    with admin.connect() as holder:
        holder.execute(text("LOCK TABLE products IN ACCESS EXCLUSIVE MODE"))

        def kill_the_waiter() -> None:
            with admin.connect() as conn:
                for _ in range(600):
                    pids = conn.execute(
                        text(
                            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                        )
                    ).scalars()
                    killed.extend(pids)
                    if killed:
                        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": killed[0]})
                        conn.commit()
                        return
                    conn.rollback()
                    time.sleep(0.05)

        killer = threading.Thread(target=kill_the_waiter)
        killer.start()
        code = main(["product", "add", "Pump"])
        killer.join()
        holder.rollback()
    _, err = capsys.readouterr()
    assert killed
    assert code == 2, err
    assert err.startswith(f"psirt: database {db_url}: connection lost: "), err
    assert "terminating connection due to administrator command" in err
    assert err.count("\n") == 1
    with admin.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM products")).scalar_one() == 0
    admin.dispose()


def test_other_errors_are_not_called_database_failures() -> None:
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    from psirt.store.database import explain

    for exc in (
        IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: products.name")),
        ProgrammingError("SELECT", {}, Exception("syntax error")),
        ValueError("not a database problem"),
    ):
        assert explain(exc, "sqlite:///x.db") is None
