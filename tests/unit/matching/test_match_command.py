"""``psirt match`` read without typer: same arguments, same output, same exit codes as typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from psirt.cli import main as cli
from psirt.cli import match_command
from psirt.cli.output import OutputFormat
from tests.conftest import ASSETS

CLI = ASSETS / "cli"
SBOM = str(CLI / "gateway.cdx.json")
FEED = str(CLI / "PYSEC-2019-79.json")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PSIRT_USER", "alice")
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")


def _through_typer(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> tuple[Any, ...] | None:
    """What typer hands to run_match for ``argv`` (None when typer refuses the line)."""
    seen: list[tuple[Any, ...]] = []

    def record(*args: Any) -> bool:
        seen.append(args)
        return False

    with monkeypatch.context() as m:
        m.setattr(cli, "_plain_match", lambda _argv: None)
        m.setattr(match_command, "run_match", record)
        code = cli.main(argv)
    if not seen:
        assert code in (0, 2)  # help and --version, or a usage error
        return None
    options, sbom, advisories, fmt = seen[0]
    return options, sbom, list(advisories or []), fmt


READ_HERE = [
    ["match", SBOM],
    ["match", SBOM, "--format", "json"],
    ["match", "-f", "json", SBOM],
    ["match", SBOM, "--format=table"],
    ["match", SBOM, "-a", FEED, "--advisories", FEED, "--advisories=x.zip"],
    ["--user", "bob", "match", SBOM, "-f", "json"],
    ["-u", "bob", "--database", "sqlite:///x.db", "match", SBOM],
    ["--database=sqlite:///y.db", "match", SBOM],
    ["-u", "match", "match", SBOM],
]
LEFT_TO_TYPER = [
    ["match"],
    ["match", SBOM, SBOM],
    ["match", SBOM, "--format", "xml"],
    ["match", SBOM, "--format", "JSON"],
    ["match", SBOM, "-fjson"],
    ["match", SBOM, "-f=json"],
    ["match", SBOM, "--format"],
    ["match", SBOM, "-f", "json", "-f", "table"],
    ["match", SBOM, "--help"],
    ["match", "--", SBOM],
    ["match", SBOM, "--user", "bob"],
    ["--version", "match", SBOM],
    ["--user", "-x", "match", SBOM],
    ["match", SBOM, "--unknown"],
    ["scan", "match"],
]


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("argv", READ_HERE)
def test_plain_lines_read_as_typer_reads_them(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    plain = cli._plain_match(argv)
    assert plain is not None
    assert plain == _through_typer(monkeypatch, argv)
    capsys.readouterr()


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("argv", LEFT_TO_TYPER)
def test_other_lines_left_to_typer(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli._plain_match(argv) is None
    _through_typer(monkeypatch, argv)  # typer answers them (an error or help), no traceback
    capsys.readouterr()


def test_root_options_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PSIRT_USER", "carol")
    monkeypatch.setenv("PSIRT_DATABASE_URL", "")
    assert cli._plain_match(["match", SBOM]) == (
        {"user": "carol", "database": None},
        Path(SBOM),
        [],
        OutputFormat.TABLE,
    )
    assert cli._plain_match(["-u", "dave", "match", SBOM])[0]["user"] == "dave"  # type: ignore[index]


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("fmt", ["json", "table"])
def test_same_output_and_exit_code_both_ways(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    argv = ["match", SBOM, "--advisories", FEED, "-f", fmt]
    code = cli.main(argv)
    plain = capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(cli, "_plain_match", lambda _argv: None)
        typer_code = cli.main(argv)
    through_typer = capsys.readouterr()
    assert code == typer_code == 1
    assert plain.out == through_typer.out
    assert "CVE-2019-12308" in plain.out and "django" in plain.out


@pytest.mark.usefixtures("env")
def test_errors_the_same_both_ways(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.cdx.json")
    argv = ["match", missing, "-a", FEED]
    assert cli.main(argv) == 2
    plain = capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(cli, "_plain_match", lambda _argv: None)
        assert cli.main(argv) == 2
    assert capsys.readouterr().err == plain.err == f"psirt: {missing}: no such file\n"
    assert cli.main(["match", str(CLI / "truncated.cdx.json"), "-a", FEED]) == 2
    assert "truncated.cdx.json: line " in capsys.readouterr().err


def test_plain_match_imports_neither_typer_nor_rich(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from psirt.cli.main import main\n"
        f"rc = main(['match', {SBOM!r}, '-a', {FEED!r}, '-f', 'json'])\n"
        "print(rc, sorted(m for m in ('typer', 'rich', 'pydantic', 'click') if m in sys.modules),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(  # noqa: S603 - the test's own interpreter
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)},
        check=False,
    )
    assert done.stderr.strip().splitlines()[-1] == "1 []"
    assert '"advisory_id": "CVE-2019-12308"' in done.stdout


def test_the_app_is_still_there() -> None:
    app = cli.app
    assert app is cli.register_all()
    assert {c.name for c in app.registered_commands} >= {"match", "scan"}
