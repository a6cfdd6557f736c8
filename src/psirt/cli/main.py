"""The ``psirt`` command.

Command modules are imported when a command needs them: ``psirt match`` imports only
``commands_scan`` (and no store machinery while its knowledge-base cache is current); any
other invocation, ``--help`` included, registers every module.

A plain ``psirt match`` command line is read by :mod:`psirt.cli.match_command` without
typer: importing and running typer costs about a tenth of a second, as much as matching a
5,000-component SBOM. Every other spelling (help, unusual option forms, errors) goes through
typer, which also says what is wrong.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

from psirt.cli.match_command import _plain_match, run_match
from psirt.cli.output import err
from psirt.errors import IntegrityError, PsirtError

if TYPE_CHECKING:
    import typer

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
    "commands_advisories",
    "commands_procedure",
    "commands_evidence",
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

_typer_parts: dict[str, Any] = {}


def _typer_root() -> Any:
    """The root callback (options ``--user``, ``--database``, ``--version``), built once."""
    found = _typer_parts.get("root")
    if found is not None:
        return found
    global typer  # typer reads the callback's annotations in this module's namespace
    import typer

    def _version(value: bool) -> None:
        if value:
            from psirt import __version__

            typer.echo(f"psirt {__version__}")
            raise typer.Exit()

    def _root(
        ctx: typer.Context,
        user: str | None = typer.Option(
            None,
            "--user",
            "-u",
            envvar="PSIRT_USER",
            help="Who acts (recorded in the audit trail).",
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

    _typer_parts["root"] = _root
    return _root


def _typer_app() -> typer.Typer:
    """The full application (typer imported on first use)."""
    found = _typer_parts.get("app")
    if found is None:
        import typer

        found = _typer_parts["app"] = typer.Typer(**_APP_OPTIONS)
        found.callback()(_typer_root())
    return found


def __getattr__(name: str) -> Any:
    if name == "app":
        return _typer_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    app = _typer_app()
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
        import typer

        light = typer.Typer(**_APP_OPTIONS)
        light.callback()(_typer_root())
        importlib.import_module(f"psirt.cli.{module}").register(light)
        _light_apps[module] = light
    return light


def _error_code(exc: PsirtError | OSError) -> int:
    """One line on stderr and the exit code of one of psirt's own errors."""
    if isinstance(exc, BrokenPipeError):
        # The reader went away (``psirt ... | head``): nothing to say, and nothing more to write.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None)
        err(f"psirt: {name + ': ' if name else ''}{exc.strerror or exc}")
        return 2
    err(f"psirt: {exc}")
    return 1 if isinstance(exc, IntegrityError) else 2


def _database_error(exc: Exception) -> PsirtError | None:
    """What a failure of the database means, in one line; None for any other exception."""
    if "sqlalchemy" not in sys.modules:
        return None
    from psirt.cli.context import STATE
    from psirt.store.database import explain

    return explain(exc, STATE.url)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; psirt's own errors and failures of the database become one line on
    stderr and exit code 2 (1 for a broken audit chain)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        plain = _plain_match(args) if "match" in args else None
        if plain is None:
            return _typer_main(args)
        try:
            code = 1 if run_match(*plain) else 0
        except (EOFError, KeyboardInterrupt):  # as click turns them into typer.Abort
            sys.stderr.write("\n")
            err("aborted")
            return 130
        _done["plain match"] = True
        return code
    except (PsirtError, OSError) as exc:
        return _error_code(exc)
    except Exception as exc:
        found = _database_error(exc)
        if found is None:
            raise
        return _error_code(found)
    finally:
        _close_store()


def _close_store() -> None:
    """Close the database connections of the command that ran (the next call of
    :func:`main` in the same process opens its own)."""
    context = sys.modules.get("psirt.cli.context")
    if context is not None:
        context.STATE.close()


def _typer_main(args: list[str]) -> int:
    import typer

    try:
        # Without standalone mode click returns the code of a typer.Exit instead of raising it.
        result = _app_for(args)(args=args, standalone_mode=False)
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
    return result if isinstance(result, int) else 0


_done: dict[str, bool] = {}


def run() -> None:
    """The ``psirt`` console script.

    After a plain ``psirt match`` the process ends without tearing its objects down one
    by one (tens of milliseconds for a large SBOM): the output is flushed, nothing else
    is held (the knowledge-base cache is written and closed before the match).
    """
    code = main()
    if _done.get("plain match"):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            sys.exit(code)  # let the interpreter report what it cannot write
        os._exit(code)
    sys.exit(code)
