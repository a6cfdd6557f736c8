"""The ``psirt`` command.

Command modules are imported when a command needs them: ``psirt match`` imports only
``commands_scan`` (and no store machinery while its knowledge-base cache is current); any
other invocation, ``--help`` included, registers every module.

A plain ``psirt match`` command line (:func:`_plain_match`) is read here without typer:
importing and running typer costs about a tenth of a second, as much as matching a
5,000-component SBOM. :func:`run_match` is the command itself, called by the typer
command ``psirt match`` too; every other spelling (help, unusual option forms, errors)
goes through typer, which also says what is wrong.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psirt.cli.output import OutputFormat, err
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


# --- psirt match without typer ----------------------------------------------------------

_MATCH_OPTIONS = {
    "--advisories": "advisories",
    "-a": "advisories",
    "--format": "format",
    "-f": "format",
}
_ROOT_OPTIONS = {"--user": "user", "-u": "user", "--database": "database"}
_ROOT_ENVVARS = {"user": "PSIRT_USER", "database": "PSIRT_DATABASE_URL"}

PlainMatch = tuple[dict[str, Any], Path, list[Path], OutputFormat]


def _plain_match(argv: list[str]) -> PlainMatch | None:
    """The arguments of a plain ``psirt match`` command line, read as typer reads them:
    ``(root options, SBOM, advisory files, output format)``.

    Read here: the root options before ``match`` and the options of ``match``, each
    spelt ``--name value``, ``--name=value`` or ``-x value`` and given once
    (``--advisories`` may repeat), and exactly one SBOM. None for anything else (help,
    ``--version``, ``--``, other spellings, a missing or extra argument, an unknown
    format): typer reads those lines and says what is wrong with them.
    """
    root: dict[str, Any] = {}
    given: dict[str, str] = {}
    advisories: list[Path] = []
    sbom: str | None = None
    command = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not command and arg == "match":
            command = True
            continue
        if command and not arg.startswith("-"):
            if sbom is not None:
                return None
            sbom = arg
            continue
        table = _MATCH_OPTIONS if command else _ROOT_OPTIONS
        name, eq, value = arg.partition("=")
        if not eq:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        field = table.get(name)
        if field is None or (eq and not name.startswith("--")) or value.startswith("-"):
            return None
        if field == "advisories":
            advisories.append(Path(value))
        elif field in given or field in root:
            return None
        elif command:
            given[field] = value
        else:
            root[field] = value
    if not command or sbom is None or given.get("format", "table") not in ("table", "json"):
        return None
    for field, envvar in _ROOT_ENVVARS.items():
        if field not in root:
            root[field] = os.environ.get(envvar) or None
    return root, Path(sbom), advisories, OutputFormat(given.get("format", "table"))


def run_match(
    options: dict[str, Any] | None, sbom: Path, advisories: list[Path] | None, fmt: OutputFormat
) -> bool:
    """``psirt match`` once its arguments are read; ``options`` are the root options
    (``user``, ``database``). True when something is found (exit code 1)."""
    paused = gc.isenabled()
    gc.disable()  # millions of short-lived values, no cycles among them
    try:
        return _match(options, sbom, advisories, fmt)
    finally:
        if paused:
            gc.enable()


_MAX_SBOM_BYTES = 256 * 1024 * 1024  # as psirt.services.sboms.MAX_SBOM_BYTES


def _read_sbom(path: Path) -> Any:
    """The parsed SBOM (psirt.services.sboms.read_sbom_file without the store imports)."""
    from psirt.errors import InputError
    from psirt.ingest.sbom import parse_sbom

    if not path.is_file():
        raise InputError(str(path), None, "no such file")
    size = path.stat().st_size
    if size > _MAX_SBOM_BYTES:
        raise InputError(str(path), None, f"file is {size} bytes; the limit is {_MAX_SBOM_BYTES}")
    return parse_sbom(path.read_bytes(), source=str(path))


def _match(
    given: dict[str, Any] | None, sbom: Path, advisories: list[Path] | None, fmt: OutputFormat
) -> bool:
    from psirt.matching.knowledge import KnowledgeBase
    from psirt.services import kb_cache

    timings = _Timings(bool(os.environ.get("PSIRT_TIMINGS")))
    parsed = _read_sbom(sbom)
    timings.lap("sbom")
    if advisories:
        from psirt.cli.output import progress_bar
        from psirt.services import feeds

        advs: dict[str, object] = {}
        kev: set[str] = set()
        epss: dict[str, float] = {}
        with progress_bar("reading advisories", None) as advance:
            for path in advisories:
                for batch in feeds.iter_batches(path):
                    for a in batch.advisories:
                        advs[a.id] = a
                    kev.update(k.cve_id for k in batch.kev)
                    epss.update((e.cve_id, e.epss) for e in batch.epss)
                    for p in batch.problems:
                        err(f"skipped: {p}")
                    advance(1)
        kb = KnowledgeBase.build(advs.values(), kev=kev, epss=epss)  # type: ignore[arg-type]
    else:
        options = given or {}
        url = options.get("database") or kb_cache.default_url()
        cached = kb_cache.cached_knowledge(url)
        if cached is None:
            from psirt.cli.context import STATE

            if given is not None:
                STATE.user = options.get("user")
                STATE.database_url = options.get("database")
                STATE._store = None
            with STATE.store().reader() as s:
                cached = kb_cache.knowledge(s, url)
        kb = cached
    timings.lap("knowledge base")
    if fmt is OutputFormat.JSON:
        report = kb.report(parsed.components)
        timings.lap("match")
        out = getattr(sys.stdout, "buffer", None)
        if out is not None:
            sys.stdout.flush()
            for chunk in report.chunks():
                out.write(chunk)
            out.flush()
        else:
            sys.stdout.write(report.json.decode())
        timings.lap("write")
        osv, problems, found = report.osv, report.cpe_problems, report.findings > 0
    else:
        from psirt.cli.output import emit
        from psirt.domain.severity import severity_label

        result = kb.match(parsed.components)
        value = kb.to_json(result, parsed.components)
        emit(
            fmt,
            [{**f, "severity": severity_label(f["severity"])} for f in value["findings"]],
            [
                ("name", "Component"),
                ("version", "Version"),
                ("advisory_id", "Vulnerability"),
                ("severity", "Severity"),
                ("fixed_versions", "Fixed in"),
                ("kev", "KEV"),
                ("epss", "EPSS"),
            ],
            title=f"{sbom}: {value['components']} components, {len(value['findings'])} findings",
            empty=f"{sbom}: {value['components']} components, no known vulnerabilities",
        )
        osv, problems, found = result.osv, result.cpe_problems, bool(value["findings"])
    for report_ in osv.unknown_ecosystems:
        err(
            f"warning: no version ordering for ecosystem {report_.ecosystem!r}: "
            f"{report_.components} component(s) matched on exact versions only"
        )
    for problem in problems:
        err(f"warning: {problem}")
    timings.report()
    return found


class _Timings:
    """Phase times on stderr when ``PSIRT_TIMINGS`` is set (used by bench/)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.laps: list[tuple[str, float]] = []
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        if self.enabled:
            now = time.perf_counter()
            self.laps.append((name, now - self.last))
            self.last = now

    def report(self) -> None:
        if self.enabled:
            err(
                "timings: " + " ".join(f"{name.replace(' ', '_')}={s:.4f}" for name, s in self.laps)
            )


# --- entry point ------------------------------------------------------------------------


def _error_code(exc: PsirtError | OSError) -> int:
    """One line on stderr and the exit code of one of psirt's own errors."""
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None)
        err(f"psirt: {name + ': ' if name else ''}{exc.strerror or exc}")
        return 2
    err(f"psirt: {exc}")
    return 1 if isinstance(exc, IntegrityError) else 2


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; psirt's own errors become one line on stderr and exit code 2 (1 for audit)."""
    args = sys.argv[1:] if argv is None else argv
    plain = _plain_match(args) if "match" in args else None
    if plain is not None:
        try:
            code = 1 if run_match(*plain) else 0
            _done["plain match"] = True
            return code
        except (EOFError, KeyboardInterrupt):  # as click turns them into typer.Abort
            sys.stderr.write("\n")
            err("aborted")
            return 130
        except (PsirtError, OSError) as exc:
            return _error_code(exc)
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
    except (PsirtError, OSError) as exc:
        return _error_code(exc)
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
