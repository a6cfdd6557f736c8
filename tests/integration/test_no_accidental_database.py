"""Only ``psirt init`` and ``psirt demo`` create a database; no command writes to a file that
is not a psirt database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from psirt.cli.main import main
from tests.conftest import ASSETS

CLI = ASSETS / "cli"
SBOM = str(CLI / "gateway.cdx.json")
FEED = str(CLI / "PYSEC-2019-79.json")
SARIF = str(ASSETS / "scans" / "sarif" / "extensions.sarif")

COMMANDS = {
    "product list": ["product", "list"],
    "product add": ["product", "add", "Pump"],
    "release add": ["release", "add", "1.0", "-p", "Pump"],
    "sbom import": ["sbom", "import", SBOM, "-p", "Pump", "-r", "1.0"],
    "feed import": ["feed", "import", FEED],
    "scan": ["scan", "--all"],
    "match": ["match", SBOM],
    "findings list": ["findings", "list"],
    "issue list": ["issue", "list"],
    "scans import": ["scans", "import", SARIF, "-p", "Pump", "-r", "1.0"],
    "ci check": ["ci", "check", SARIF, "-p", "Pump", "-r", "1.0"],
    "activities due": ["activities", "due"],
    "audit verify": ["audit", "verify"],
    "audit log": ["audit", "log"],
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user without a database: the default location is ``$XDG_DATA_HOME/psirt/psirt.db``."""
    monkeypatch.delenv("PSIRT_DATABASE_URL", raising=False)
    monkeypatch.setenv("PSIRT_USER", "alice")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_but_init_creates_the_default_database(
    command: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(COMMANDS[command])
    out, err = capsys.readouterr()
    assert code == 2
    path = home / "data" / "psirt" / "psirt.db"
    assert err == f"psirt: no database at {path}: run 'psirt init'\n"
    assert out == ""
    assert not (home / "data").exists()


@pytest.mark.parametrize("command", ["product list", "feed import", "match", "audit verify"])
def test_no_command_but_init_creates_a_named_database(
    command: str, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "team" / "store" / "psirt.db"
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{path}")
    assert main(COMMANDS[command]) == 2
    assert capsys.readouterr().err == f"psirt: no database at {path}: run 'psirt init'\n"
    assert not (home / "team").exists()
    assert main(["--database", f"sqlite:///{path}", *COMMANDS[command]]) == 2
    assert not (home / "team").exists()


def test_init_creates_the_database_and_its_folders(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "data" / "psirt" / "psirt.db"
    assert main(["init"]) == 0
    assert capsys.readouterr().out == f"database ready: sqlite:///{path}\n"
    assert path.is_file()
    assert main(["product", "add", "Pump"]) == 0
    assert main(["init"]) == 0  # an existing psirt database is upgraded in place, kept
    capsys.readouterr()
    assert main(["product", "list", "-f", "json"]) == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)] == ["Pump"]


def test_match_on_advisory_files_needs_no_database(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["match", SBOM, "--advisories", FEED, "-f", "json"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert [f["advisory_id"] for f in json.loads(out)["findings"]] == ["CVE-2019-12308"]
    assert not (home / "data").exists()


def _foreign(kind: str, path: Path) -> None:
    if kind == "empty file":
        path.write_bytes(b"")
    elif kind == "text file":
        path.write_text("SQLite is not what this is\n")
    else:
        conn = sqlite3.connect(path)
        if kind == "other SQLite database":
            conn.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)")
            conn.execute("INSERT INTO patients (name) VALUES ('Jane Doe')")
        else:
            conn.execute("PRAGMA user_version = 7")  # a SQLite file without any table
        conn.commit()
        conn.close()


FOREIGN = {
    "empty file": "an empty file, not a psirt database",
    "text file": "not a SQLite database",
    "other SQLite database": "a SQLite database without psirt's tables, not a psirt database",
    "SQLite database without tables": "a SQLite database without tables, not a psirt database",
}


@pytest.mark.parametrize(
    "command",
    ["init", "demo", "product list", "product add", "feed import", "match", "audit verify"],
)
@pytest.mark.parametrize("kind", FOREIGN)
def test_a_file_that_is_no_psirt_database_is_refused_and_kept(
    kind: str,
    command: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = home / "files"
    folder.mkdir()
    path = folder / "given.db"
    _foreign(kind, path)
    before = _files(folder)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    code = main(["demo"] if command == "demo" else COMMANDS.get(command, [command]))
    _, err = capsys.readouterr()
    assert code == 2
    hint = (
        "; psirt init creates a database only where there is no file"
        if command in ("init", "demo")
        else ""
    )
    assert err == f"psirt: database {url}: {FOREIGN[kind]}{hint}\n"
    assert _files(folder) == before  # byte for byte, and no journal or WAL file beside it
