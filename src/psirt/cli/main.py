"""The ``psirt`` command.

Command modules are imported when a command needs them: ``psirt match`` imports only
``commands_scan`` (and no store machinery while its knowledge-base cache is current); any
other invocation, ``--help`` included, registers every module.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from psirt import __version__
from psirt.cli.output import err
from psirt.errors import IntegrityError, PsirtError

# Every command module, in the order their commands are registered.
COMMAND_MODULES = (
    "commands_catalog",
    "commands_release_gate",
    "commands_audit",
    "commands_data",
    "commands_scan",
    "commands_demo",
    "commands_issues",
    "commands_activities",
)
# Commands run with only their own module imported; the root options reach them through
# ``ctx.obj`` and they configure the store state themselves when they need the store.
LIGHT_COMMANDS = {"match": "commands_scan"}
_GLOBAL_OPTIONS_WITH_VALUE = {"--user", "-u", "--database"}

_APP_OPTIONS: dict[str, Any] = {
    "name": "psirt",
    "help": "PSIRT workbench for health software and medical devices (IEC 81001-5-1 clause 9.5).",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
}
app = typer.Typer(**_APP_OPTIONS)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"psirt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    user: str | None = typer.Option(
        None, "--user", "-u", envvar="PSIRT_USER", help="Who acts (recorded in the audit trail)."
    ),
    database: str | None = typer.Option(
        None,
        "--database",
        envvar="PSIRT_DATABASE_URL",
        help="Database URL (default: SQLite file under $XDG_DATA_HOME/psirt).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = {"user": user, "database": database}
    if ctx.invoked_subcommand in LIGHT_COMMANDS:
        return
    from psirt.cli.context import STATE

    STATE.user = user
    STATE.database_url = database
    STATE._store = None


_registered: list[str] = []
_light_apps: dict[str, typer.Typer] = {}


def _command_name(argv: list[str]) -> str | None:
    """The command word of ``argv``: the first argument that is no root option."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
        elif arg in ("--help", "--version"):
            return None
    return None


def register_all() -> typer.Typer:
    """Import every command module and register its commands on :data:`app` (once)."""
    for name in COMMAND_MODULES:
        if name not in _registered:
            importlib.import_module(f"psirt.cli.{name}").register(app)
            _registered.append(name)
    return app


def _app_for(argv: list[str]) -> typer.Typer:
    command = _command_name(argv)
    module = LIGHT_COMMANDS.get(command or "")
    if module is None:
        return register_all()
    light = _light_apps.get(module)
    if light is None:
        light = typer.Typer(**_APP_OPTIONS)
        light.callback()(_root)
        importlib.import_module(f"psirt.cli.{module}").register(light)
        _light_apps[module] = light
    return light


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; psirt's own errors become one line on stderr and exit code 2 (1 for audit)."""
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of raising it.
        args = sys.argv[1:] if argv is None else argv
        code = _app_for(args)(args=args, standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err("aborted")
        return 130
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err(f"psirt: {exc}")
        return 2
    except IntegrityError as exc:
        err(f"psirt: {exc}")
        return 1
    except PsirtError as exc:
        err(f"psirt: {exc}")
        return 2
    except OSError as exc:
        name = getattr(exc, "filename", None)
        err(f"psirt: {name + ': ' if name else ''}{exc.strerror or exc}")
        return 2
    return code if isinstance(code, int) else 0


def run() -> None:
    sys.exit(main())
