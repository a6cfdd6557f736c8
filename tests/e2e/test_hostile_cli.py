"""Hostile and malformed input files through the command line: exit 2 with the file and the
place named, nothing written, in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from psirt.cli.main import main
from tests.unit.ingest.test_yaml import SPDX_BOMB


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("PSIRT_USER", "alice")
    assert main(["init"]) == 0
    assert main(["product", "add", "Pump"]) == 0
    assert main(["release", "add", "1.0", "-p", "Pump"]) == 0
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def rows(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
    engine.dispose()
    return int(n)


@pytest.mark.parametrize(
    "command",
    [
        ("sbom", "import", "BOMB", "-p", "Pump", "-r", "1.0"),
        ("sbom", "inspect", "BOMB"),
        ("sbom", "validate", "BOMB"),
        ("match", "BOMB", "--advisories", "BOMB_DIR"),
    ],
)
def test_yaml_alias_bomb_is_refused(
    command: tuple[str, ...], db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "bomb.spdx.yaml"
    bomb.write_bytes(SPDX_BOMB)
    (tmp_path / "advisories").mkdir()
    args = [
        {"BOMB": str(bomb), "BOMB_DIR": str(tmp_path / "advisories")}.get(a, a) for a in command
    ]
    capsys.readouterr()
    start = time.perf_counter()
    code, _, err = run(capsys, *args)
    assert time.perf_counter() - start < 10
    assert code == 2
    assert f"{bomb}: line " in err and "YAML aliases repeat more than" in err
    assert rows(db, "sbom_documents") == 0
