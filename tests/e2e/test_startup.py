"""Commands load what they use: the module imports of short command lines, checked in fresh
interpreters (no timing: what a command imports is what makes its start-up slow or fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from psirt.cli import main as cli
from tests.conftest import ASSETS

CLI = ASSETS / "cli"
SBOM = str(CLI / "gateway.cdx.json")
FEED = str(CLI / "PYSEC-2019-79.json")
HEAVY = ("sqlalchemy", "alembic", "rich", "jsonschema", "typer", "pydantic")


def _imports(args: list[str], env: dict[str, str]) -> tuple[int, str, set[str]]:
    """Exit code, stdout and the imported modules of ``psirt ARGS`` in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from psirt.cli.main import main\n"
        "args, sys.argv = json.loads(sys.argv[1]), ['psirt']\n"
        "rc = main(args)\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps([rc, sorted(sys.modules)]) + '\\n')\n"
    )
    done = subprocess.run(  # noqa: S603 - the test's own interpreter
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES "))
    rc, modules = json.loads(line[len("MODULES ") :])
    return rc, done.stdout, set(modules)


def _packages(modules: set[str]) -> set[str]:
    return {m for m in HEAVY if m in modules}


def _commands(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("psirt.cli.commands_")}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PSIRT_USER": "alice",
        "COLUMNS": "200",
    }


def test_help_lists_every_command_without_importing_one(env: dict[str, str]) -> None:
    rc, out, modules = _imports(["--help"], env)
    assert rc == 0
    assert _commands(modules) == set()
    assert _packages(modules) == {"typer", "rich"}  # rich draws typer's help
    listed = [line.strip("│ ").split(None, 1) for line in out.splitlines() if "│ " in line]
    helps = {words[0]: " ".join(words[1:]) for words in listed if words}
    for name, command in cli.COMMANDS.items():
        assert helps[name] == command.help, name


def test_the_listed_help_is_each_commands_own() -> None:
    """What ``psirt --help`` lists without importing a module is what the module says."""
    import typer.main

    root = typer.main.get_command(cli.register_all())
    assert root.list_commands(None) == list(cli.COMMANDS)  # type: ignore[attr-defined, arg-type]
    registered = {
        *(c.name for c in cli.app.registered_commands),
        *(g.name for g in cli.app.registered_groups),
    }
    assert registered == set(cli.COMMANDS)
    for name, listed in cli.COMMANDS.items():
        command = cli._load(name)
        own = (command.help or "").split("\n\n")[0]
        assert " ".join(own.split()) == listed.help, name


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_each_command_loads_from_its_own_modules(name: str, env: dict[str, str]) -> None:
    rc, out, modules = _imports([name, "--help"], env)
    assert rc == 0
    assert f"Usage: psirt {name} [OPTIONS]" in out
    assert {f"psirt.cli.{m}" for m in cli.COMMANDS[name].modules} <= _commands(modules)
    if name == "release":
        assert "gate" in out and "approve" in out  # added by commands_release_gate


def test_version_and_group_help_import_only_their_module(env: dict[str, str]) -> None:
    rc, out, modules = _imports(["--version"], env)
    assert (rc, out) == (0, "psirt 0.1.0\n")
    assert _commands(modules) == set() and _packages(modules) == {"typer"}
    rc, out, modules = _imports(["sbom", "--help"], env)
    assert rc == 0 and "validate" in out and "inspect" in out
    assert _commands(modules) == {"psirt.cli.commands_data"}
    assert "sqlalchemy" not in modules


@pytest.mark.parametrize(
    "args",
    [
        ["sbom", "validate", SBOM],
        ["sbom", "inspect", SBOM, "-f", "json"],
        ["sbom", "quality", SBOM, "-f", "json"],
        ["sbom", "diff", SBOM, SBOM, "-f", "json"],
    ],
)
def test_sbom_file_commands_need_no_store(args: list[str], env: dict[str, str]) -> None:
    rc, _, modules = _imports(args, env)
    assert rc == 0
    assert _commands(modules) == {"psirt.cli.commands_data"}
    assert not {"sqlalchemy", "alembic", "rich"} & modules
    assert ("jsonschema" in modules) == (args[1] == "validate")


def test_match_on_files_imports_neither_typer_nor_the_store(env: dict[str, str]) -> None:
    rc, out, modules = _imports(["match", SBOM, "-a", FEED, "-f", "json"], env)
    assert rc == 1 and "CVE-2019-12308" in out
    assert _packages(modules) == set() and _commands(modules) == set()


def test_store_commands_load_alembic_only_to_migrate(env: dict[str, str]) -> None:
    rc, _, modules = _imports(["init"], env)
    assert rc == 0 and {"sqlalchemy", "alembic"} <= modules
    for args in (
        ["product", "list", "-f", "json"],
        ["product", "add", "Pump"],
        ["audit", "verify", "-f", "json"],
        ["findings", "list", "-f", "json"],
    ):
        rc, _, modules = _imports(args, env)
        assert rc == 0, args
        assert "sqlalchemy" in modules and "alembic" not in modules, args
        assert "rich" not in modules, args  # JSON output draws no table


def test_schema_head_is_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from psirt.store.db import MIGRATIONS, SCHEMA_HEAD

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


def test_an_older_schema_is_not_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    path = tmp_path / "psirt.db"
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("PSIRT_USER", "alice")
    assert cli.main(["init"]) == 0
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0002'")
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert cli.main(["product", "list"]) == 2
    assert capsys.readouterr().err == (
        f"psirt: database sqlite:///{path} is not initialised or not current: run 'psirt init'\n"
    )


def test_a_group_completed_by_a_later_module_in_the_same_process(env: dict[str, str]) -> None:
    """``release`` is registered by commands_catalog and completed by commands_release_gate:
    after ``psirt init`` (commands_catalog only) a later ``psirt release gate`` in the same
    process finds the gate commands."""
    code = (
        "import sys\n"
        "from psirt.cli.main import main\n"
        "sys.argv = ['psirt']\n"
        "assert main(['init']) == 0\n"
        "sys.exit(main(['release', 'gate', '--help']))\n"
    )
    done = subprocess.run(  # noqa: S603 - the test's own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: psirt release gate [OPTIONS]" in done.stdout
    assert "Show the gate: open issues, KEV findings" in done.stdout
