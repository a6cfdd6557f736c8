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


def test_duplicate_bom_refs_are_shown_by_import_inspect_and_validate(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tests.unit.sbom.test_duplicate_refs import JSON_BOM

    bom = tmp_path / "dup.cdx.json"
    bom.write_text(json.dumps(JSON_BOM))
    capsys.readouterr()
    expected = "components[1].bom-ref: duplicate 'lib', already used by components[0]"
    code, out, err = run(capsys, "sbom", "import", str(bom), "-p", "Pump", "-r", "1.0")
    assert code == 0 and f"warning: {expected}" in err
    code, out, err = run(
        capsys, "sbom", "import", str(bom), "-p", "Pump", "-r", "1.0", "-f", "json"
    )
    assert code == 0 and expected in json.loads(out)["problems"]
    for fmt in ("table", "json"):
        code, out, err = run(capsys, "sbom", "inspect", str(bom), "-f", fmt)
        assert code == 0 and f"warning: {expected}" in err
    code, out, err = run(capsys, "sbom", "validate", str(bom))
    assert code == 0 and f"{bom}: valid" in out and f"warning: {bom}: {expected}" in err
    code, out, _ = run(capsys, "sbom", "validate", str(bom), "-f", "json")
    assert code == 0 and expected in json.loads(out)["warnings"]
