"""psirt audit verify | log | head"""

from __future__ import annotations

from pathlib import Path

import orjson
import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit, emit_json, err, progress_bar, to_json
from psirt.errors import InputError, UsageError
from psirt.services import audit_trail, policy_store

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")


def _where(p: audit_trail.VerifyProblem) -> str:
    return f"event {p.seq} ({p.object})" if p.seq is not None else p.object


def _read_head(path: Path) -> audit_trail.Head:
    """A head written by ``psirt audit head --out``."""
    if path.is_dir():
        raise InputError(str(path), None, "is a directory, not a head file")
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(str(path), None, f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(str(path), None, "expected an object with seq and hash")
    seq, digest = data.get("seq"), data.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InputError(str(path), "seq", "expected a positive integer")
    if not isinstance(digest, str) or len(digest) != 64:
        raise InputError(str(path), "hash", "expected the 64 hex digits of an event hash")
    at = data.get("at")
    return audit_trail.Head(seq, digest.lower(), at if isinstance(at, str) else "")


@audit_app.command("head")
def head(
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the head to this file."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """The newest event of the chain (sequence number and hash). Keep it outside the database
    (in release-gate minutes, a ticket, a signed mail): `psirt audit verify --head FILE` later
    shows whether events were cut off the chain's end."""
    with STATE.store().reader() as s:
        found, total = audit_trail.head(s)
    if found is None:
        raise UsageError("the audit trail is empty: there is no head to export")
    value = {**found.to_dict(), "events": total, "database": STATE.store().display_url}
    if out is not None:
        out.write_text(to_json(value) + "\n", encoding="utf-8")
    if fmt is OutputFormat.JSON:
        emit_json(value)
    elif out is None:
        typer.echo(f"event {found.seq} at {found.at}: {found.hash}")
    else:
        typer.echo(f"head of the audit chain written to {out}: event {found.seq}, {found.hash}")


@audit_app.command("verify")
def verify(
    head_file: Path | None = typer.Option(
        None,
        "--head",
        help="A head exported earlier with 'psirt audit head --out': the chain must still hold "
        "that event with that hash.",
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Recompute the hash chain and check every evidence table against its seal; exit 1
    naming the first broken event."""
    expected = _read_head(head_file) if head_file is not None else None
    with STATE.store().reader() as s:
        total = audit_trail.event_count(s)
        with progress_bar("verifying audit chain", total) as advance:
            last = [0]

            def tick(n: int) -> None:
                advance(n - last[0])
                last[0] = n

            report = audit_trail.verify(
                s, policy=policy_store.active_policy(), progress=tick, expected_head=expected
            )
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "events": report.events,
                "ok": report.ok,
                "problems": [
                    {"seq": p.seq, "object": p.object, "reason": p.reason} for p in report.problems
                ],
            }
        )
    if report.ok:
        if fmt is OutputFormat.TABLE:
            typer.echo(f"audit chain intact: {report.events} events verified")
        return
    first = report.problems[0]
    err(f"psirt: audit chain broken at {_where(first)}: {first.reason}")
    for p in report.problems[1:]:
        err(f"  also: {_where(p)}: {p.reason}")
    raise typer.Exit(1)


@audit_app.command("log")
def log(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Newest N events."),
    object_type: str | None = typer.Option(None, "--object-type"),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Show the newest audit events."""
    with STATE.store().reader() as s:
        rows = audit_trail.newest(s, limit=limit, object_type=object_type)
    emit(
        fmt,
        rows,
        [
            ("seq", "#"),
            ("at", "When (UTC)"),
            ("actor", "Who"),
            ("action", "Action"),
            ("object", "Object"),
        ],
        empty="the audit trail is empty",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
