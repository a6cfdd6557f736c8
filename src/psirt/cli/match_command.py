"""``psirt match`` without typer: reading a plain command line, and the command itself.

Importing and running typer costs about a tenth of a second, as much as matching a
5,000-component SBOM, so a plain ``psirt match`` command line (:func:`_plain_match`) is read
here; :func:`run_match` is the command, called by the typer command ``psirt match`` as well.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

from psirt.cli.output import OutputFormat, err

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


def _read_sbom(path: Path) -> Any:
    """The parsed SBOM; the ingest layer reads it without importing the store."""
    from psirt.ingest.sbom import read_sbom_file

    return read_sbom_file(path)[1]


def _match(
    given: dict[str, Any] | None, sbom: Path, advisories: list[Path] | None, fmt: OutputFormat
) -> bool:
    from psirt.matching.knowledge import KnowledgeBase
    from psirt.services import findings, kb_cache

    timings = _Timings(bool(os.environ.get("PSIRT_TIMINGS")))
    parsed = _read_sbom(sbom)
    timings.lap("sbom")
    if advisories:
        from psirt.cli.output import progress_bar
        from psirt.ingest.feeds import iter_batches

        advs: dict[str, object] = {}
        kev: set[str] = set()
        epss: dict[str, float] = {}
        with progress_bar("reading advisories", None) as advance:
            for path in advisories:
                for batch in iter_batches(path):
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
        report = findings.match_report(kb, parsed.components)
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

        result = kb.match(parsed.components)
        rows = findings.match_findings(kb, result)
        emit(
            fmt,
            findings.for_table(rows),
            [
                ("name", "Component"),
                ("version", "Version"),
                ("advisory_id", "Vulnerability"),
                ("severity", "Severity"),
                ("fixed_versions", "Fixed in"),
                ("kev_ids", "KEV"),
                ("epss", "EPSS"),
            ],
            title=f"{sbom}: {result.components} components, {len(rows)} findings",
            empty=f"{sbom}: {result.components} components, no known vulnerabilities",
        )
        osv, problems, found = result.osv, result.cpe_problems, bool(rows)
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
