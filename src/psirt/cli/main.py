"""The ``psirt`` command."""

from __future__ import annotations

import sys

import typer

from psirt import __version__
from psirt.cli import (
    commands_activities,
    commands_audit,
    commands_catalog,
    commands_data,
    commands_demo,
    commands_issues,
    commands_scan,
)
from psirt.cli.context import STATE
from psirt.cli.output import err
from psirt.errors import IntegrityError, PsirtError

app = typer.Typer(
    name="psirt",
    help="PSIRT workbench for health software and medical devices (IEC 81001-5-1 clause 9.5).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"psirt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
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
    STATE.user = user
    STATE.database_url = database
    STATE._store = None


commands_catalog.register(app)
commands_audit.register(app)
commands_data.register(app)
commands_scan.register(app)
commands_demo.register(app)
commands_issues.register(app)
commands_activities.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; psirt's own errors become one line on stderr and exit code 2 (1 for audit)."""
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of raising it.
        code = app(args=argv, standalone_mode=False)
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
