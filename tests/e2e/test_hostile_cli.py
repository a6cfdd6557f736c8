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


def _sparse(path: Path, megabytes: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(megabytes * 1024 * 1024)
    return path


def test_sbom_over_the_limit_is_refused_before_reading(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import tracemalloc

    big = _sparse(tmp_path / "big.cdx.json", 200)
    capsys.readouterr()
    for command in (
        ("sbom", "import", str(big), "-p", "Pump", "-r", "1.0"),
        ("sbom", "inspect", str(big)),
    ):
        tracemalloc.start()
        code, _, err = run(capsys, *command)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert code == 2
        assert peak < 20 * 1024 * 1024
        assert f"psirt: {big}: the file is 200.0 MB (209,715,200 bytes), more than the SBOM " in err
        assert "limit of 64.0 MB (67,108,864 bytes); raise it with" in err
    assert rows(db, "sbom_documents") == 0


def test_limits_are_configurable_per_kind(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from psirt.demo import data_dir
    from tests.conftest import ASSETS

    sbom = data_dir() / "sbom" / "infusion-pump-4.2.0.cdx.json"
    capsys.readouterr()
    monkeypatch.setenv("PSIRT_MAX_SBOM_MB", "0.001")
    code, _, err = run(capsys, "sbom", "import", str(sbom), "-p", "Pump", "-r", "1.0")
    assert code == 2
    assert (
        "more than the SBOM limit of 1,048 bytes; raise it with --max-mb or PSIRT_MAX_SBOM_MB"
        in err
    )
    code, out, _ = run(
        capsys, "sbom", "import", str(sbom), "-p", "Pump", "-r", "1.0", "--max-mb", "5"
    )
    assert code == 0 and "55 components imported" in out

    monkeypatch.setenv("PSIRT_MAX_SCAN_MB", "0.0001")
    report = ASSETS / "scans" / "sarif" / "extensions.sarif"
    for command in (
        ("scans", "import", str(report), "-p", "Pump", "-r", "1.0"),
        ("ci", "check", str(report), "-p", "Pump", "-r", "1.0"),
        ("scans", "inspect", str(report)),
    ):
        code, _, err = run(capsys, *command)
        assert code == 2 and "more than the scanner report limit of 104 bytes" in err
    code, _, _ = run(
        capsys, "scans", "import", str(report), "-p", "Pump", "-r", "1.0", "--max-mb", "1"
    )
    assert code == 0

    feed = ASSETS / "cli" / "PYSEC-2019-79.json"
    monkeypatch.setenv("PSIRT_MAX_FEED_MB", "0.0001")
    code, _, err = run(capsys, "feed", "import", str(feed))
    assert code == 2 and f"{feed}: the file is" in err and "PSIRT_MAX_FEED_MB" in err
    code, _, _ = run(capsys, "feed", "import", str(feed), "--max-mb", "1")
    assert code == 0

    monkeypatch.setenv("PSIRT_MAX_RECORD_MB", "0.00001")
    plan = ASSETS / "activities" / "plan.toml"
    code, _, err = run(capsys, "plan", "set", str(plan), "-p", "Pump")
    assert code == 2 and "more than the record file limit of 10 bytes" in err
    assert "raise it with PSIRT_MAX_RECORD_MB" in err

    monkeypatch.setenv("PSIRT_MAX_SBOM_MB", "many")
    code, _, err = run(capsys, "sbom", "inspect", str(sbom))
    assert code == 2 and "PSIRT_MAX_SBOM_MB='many' is not a number of MB" in err


def test_archive_member_limit(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from tests.conftest import ASSETS

    archive = tmp_path / "osv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(ASSETS / "cli" / "PYSEC-2019-79.json", "PyPI/PYSEC-2019-79.json")
    capsys.readouterr()
    monkeypatch.setenv("PSIRT_MAX_ARCHIVE_MEMBER_MB", "0.0001")
    code, _, err = run(capsys, "feed", "import", str(archive))
    assert code == 2
    assert f"{archive}: PyPI/PYSEC-2019-79.json: the member is" in err
    assert "PSIRT_MAX_ARCHIVE_MEMBER_MB" in err
    code, _, _ = run(capsys, "feed", "import", str(archive), "--max-mb", "1")
    assert code == 0


@pytest.mark.parametrize(
    "command",
    [
        ("sbom", "import", "DIR", "-p", "Pump", "-r", "1.0"),
        ("sbom", "inspect", "DIR"),
        ("sbom", "validate", "DIR"),
        ("scans", "import", "DIR", "-p", "Pump", "-r", "1.0"),
        ("scans", "inspect", "DIR"),
        ("plan", "set", "DIR", "-p", "Pump"),
        ("match", "DIR"),
    ],
)
def test_a_directory_where_a_file_is_expected_is_named_as_one(
    command: tuple[str, ...], db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    capsys.readouterr()
    code, _, err = run(capsys, *[str(folder) if a == "DIR" else a for a in command])
    assert code == 2
    assert err == f"psirt: {folder}: is a directory, not a file\n"


HOSTILE_NAMES = [
    "[bold red]red[/]",
    "[link=http://evil.example/]click[/link]",
    "clear\x1b[2Jscreen",
    "over\rwrite",
    "nul\x00byte",
    "rlo\u202eevil",
    "csi\x9b31m",
]
SHOWN = [
    "[bold red]red[/]",
    "[link=http://evil.example/]click[/link]",
    "clear\\x1b[2Jscreen",
    "over\\x0dwrite",
    "nul\ufffdbyte",  # NUL characters are read as U+FFFD
    "rlo\\u202eevil",
    "csi\\x9b31m",
]


def _no_control(text: str) -> None:
    assert not any(c in text for c in ("\x1b", "\r", "\x00", "\u202e", "\x9b")), repr(text)


def test_names_from_an_sbom_are_shown_literally_in_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    bom = tmp_path / "hostile.cdx.json"
    bom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [
                    {"type": "library", "name": name, "version": "1", "purl": f"pkg:pypi/p{i}@1"}
                    for i, name in enumerate(HOSTILE_NAMES)
                ],
            }
        )
    )
    code, out, _ = run(capsys, "sbom", "quality", str(bom))
    assert code == 0
    _no_control(out)
    for shown in SHOWN:
        assert shown in out


def test_scan_titles_and_tool_names_are_shown_literally(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    report = tmp_path / "r.sarif"
    results = [
        {
            "ruleId": f"R{i}",
            "level": "error",
            "message": {"text": name},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/{name}.py"}}}],
        }
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    rules = [
        {"id": f"R{i}", "shortDescription": {"text": name}} for i, name in enumerate(HOSTILE_NAMES)
    ]
    report.write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {
                            "driver": {"name": "ruff \x1b]8;;http://evil\x1b\\", "rules": rules}
                        },
                        "results": results,
                    }
                ],
            }
        )
    )
    capsys.readouterr()
    code, out, err = run(capsys, "scans", "import", str(report), "-p", "Pump", "-r", "1.0")
    assert code == 0, err
    _no_control(out)
    assert "ruff \\x1b]8;;http://evil\\x1b\\" in out
    code, out, _ = run(capsys, "scans", "findings", "-p", "Pump")
    assert code == 0
    _no_control(out)
    for shown in SHOWN:
        assert shown in out


def test_feed_problems_on_stderr_show_control_characters_escaped(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    feed = tmp_path / "osv.json"
    feed.write_text(
        json.dumps(
            [
                {"id": "OSV-\x1b[2J-1", "modified": "2024-01-01T00:00:00Z", "affected": "x"},
                {"id": "OSV-2", "modified": "2024-01-01T00:00:00Z"},
            ]
        )
    )
    capsys.readouterr()
    code, out, err = run(capsys, "feed", "import", str(feed))
    assert code == 0
    _no_control(err + out)
    assert f"skipped: {feed}: OSV-\\x1b[2J-1: [0].affected: expected an array" in err


def test_supplier_advisory_size_limit(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import ASSETS

    doc = ASSETS / "advisories" / "openvex-go-vex-v0.2.0.json"
    capsys.readouterr()
    monkeypatch.setenv("PSIRT_MAX_ADVISORY_MB", "0.0001")
    code, _, err = run(capsys, "advisories", "import", str(doc))
    assert code == 2
    assert f"psirt: {doc}: the file is" in err
    assert "more than the supplier advisory limit of 104 bytes; raise it with --max-mb or " in err
    assert "PSIRT_MAX_ADVISORY_MB" in err
    assert rows(db, "supplier_documents") == 0
    code, _, err = run(capsys, "advisories", "import", str(doc), "--max-mb", "1")
    assert code == 0, err
    assert rows(db, "supplier_documents") == 1
