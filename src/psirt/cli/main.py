"""The ``psirt`` command.

A command's module is imported when the command runs, not before: the root command is a
lazy group (:data:`COMMANDS` names every command, the modules that register it and its
one-line help), so ``psirt --help`` lists every command without importing any command module,
and ``psirt sbom validate`` imports the SBOM commands only (a test checks the listed help
against the commands' own). Command modules import the store and its services inside the
commands that use them.

A plain ``psirt match`` command line is read by :mod:`psirt.cli.match_command` without
typer: importing and running typer costs about a tenth of a second, as much as matching a
5,000-component SBOM. Every other spelling (help, unusual option forms, errors) goes through
typer, which also says what is wrong.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from psirt.cli.match_command import _plain_match, run_match
from psirt.cli.output import err
from psirt.errors import IntegrityError, PsirtError

if TYPE_CHECKING:
    import typer


class CommandInfo(NamedTuple):
    modules: tuple[str, ...]  # the modules of psirt.cli whose register() adds the command
    help: str  # its one-line help, as ``psirt --help`` lists it


# Every command, in the order ``psirt --help`` lists them.
COMMANDS: dict[str, CommandInfo] = {
    "init": CommandInfo(("commands_catalog",), "Create or upgrade the database schema."),
    "scan": CommandInfo(
        ("commands_scan",),
        "Match a stored release's components against the knowledge base and record findings.",
    ),
    "match": CommandInfo(
        ("commands_scan",),
        "SBOM in, vulnerabilities out: stateless matching (exit 1 when something is found).",
    ),
    "demo": CommandInfo(
        ("commands_demo",),
        "Load the demo portfolio (real SBOMs and advisories) and monitor it.",
    ),
    "product": CommandInfo(("commands_catalog",), "Products (medical devices, health software)."),
    "release": CommandInfo(("commands_catalog", "commands_release_gate"), "Releases of a product."),
    "audit": CommandInfo(("commands_audit",), "The tamper-evident audit trail."),
    "sbom": CommandInfo(("commands_data",), "Software bills of materials (CycloneDX, SPDX)."),
    "feed": CommandInfo(
        ("commands_data",), "Vulnerability feeds (OSV, NVD, CVE 5, CISA KEV, EPSS)."
    ),
    "findings": CommandInfo(("commands_scan",), "Findings of stored releases."),
    "events": CommandInfo(
        ("commands_scan",), "Monitoring events (newly affected releases, KEV listings)."
    ),
    "issue": CommandInfo(
        ("commands_issues",),
        "Security issues: intake, triage, analysis, decisions, change review, closure.",
    ),
    "scans": CommandInfo(
        ("commands_activities",),
        "Scanner reports (SAST, DAST, SCA, penetration tests) and their findings.",
    ),
    "activities": CommandInfo(
        ("commands_activities",),
        "Records of proactive identification activities; what is due.",
    ),
    "plan": CommandInfo(
        ("commands_activities",), "Test plans: required activities and their cadence."
    ),
    "surface": CommandInfo(("commands_activities",), "Attack-surface declarations of releases."),
    "ci": CommandInfo(("commands_activities",), "Gates for build pipelines."),
    "csaf": CommandInfo(("commands_advisories",), "CSAF 2.0 documents."),
    "advisories": CommandInfo(
        ("commands_advisories",),
        "Supplier advisories and VEX (CSAF 2.0, CycloneDX VEX, OpenVEX) applied to releases.",
    ),
    "procedure": CommandInfo(
        ("commands_procedure",),
        "The Security Issue Resolution Procedure, written from the policy: render, issue, sign.",
    ),
    "evidence": CommandInfo(
        ("commands_evidence",), "Evidence for auditors: check a folder of QMS documents."
    ),
    "publish": CommandInfo(
        ("commands_publish",),
        "Publish advisories and VEX documents from the records (CSAF 2.0, CycloneDX, OpenVEX).",
    ),
}
# Every command module, in the order register_all() registers them.
COMMAND_MODULES = tuple(dict.fromkeys(m for c in COMMANDS.values() for m in c.modules))

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
        from psirt.cli.context import STATE

        ctx.obj = {"user": user, "database": database}
        STATE.close()
        STATE.user = user
        STATE.database_url = database

    _typer_parts["root"] = _root
    return _root


def _lazy_group() -> type:
    """The class of the root command (typer imported on first use)."""
    found = _typer_parts.get("group")
    if found is not None:
        return found  # type: ignore[no-any-return]
    from typer.core import TyperCommand, TyperGroup

    class Listed(TyperCommand):
        """A command not imported yet, as the help of the root command lists it."""

    class LazyGroup(TyperGroup):
        """Lists every command of :data:`COMMANDS`; imports a command's modules when the
        command is looked up to run (or to show its own help)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            loaded: dict[str, Any] = dict(self.commands)
            self.commands = {
                name: loaded.pop(name, None) or Listed(name=name, help=command.help)
                for name, command in COMMANDS.items()
            }
            self.commands.update(loaded)
            self._listing = False

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            found = self.commands.get(cmd_name)
            if cmd_name in COMMANDS and not self._listing:
                modules = COMMANDS[cmd_name].modules
                if isinstance(found, Listed) or not set(modules) <= set(_registered):
                    found = self.commands[cmd_name] = _load(cmd_name)
            return found

        def format_help(self, ctx: Any, formatter: Any) -> None:
            self._listing = True
            try:
                super().format_help(ctx, formatter)
            finally:
                self._listing = False

    _typer_parts["group"] = LazyGroup
    return LazyGroup


def _typer_app() -> typer.Typer:
    """The application: the root command, with the commands registered so far."""
    found = _typer_parts.get("app")
    if found is None:
        import typer

        found = _typer_parts["app"] = typer.Typer(cls=_lazy_group(), **_APP_OPTIONS)
        found.callback()(_typer_root())
    return found


def __getattr__(name: str) -> Any:
    if name == "app":
        return _typer_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_registered: list[str] = []


def _register(modules: tuple[str, ...]) -> typer.Typer:
    app = _typer_app()
    for name in modules:
        if name not in _registered:
            importlib.import_module(f"psirt.cli.{name}").register(app)
            _registered.append(name)
    return app


def _load(name: str) -> Any:
    """The click command of ``name``, its modules imported and registered."""
    import typer.main

    group = typer.main.get_command(_register(COMMANDS[name].modules))
    return group.commands[name]  # type: ignore[attr-defined]


def register_all() -> typer.Typer:
    """Import every command module and register its commands on :data:`app` (once)."""
    return _register(COMMAND_MODULES)


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
        result = _typer_app()(args=args, standalone_mode=False)
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
