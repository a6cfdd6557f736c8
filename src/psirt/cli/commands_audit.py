"""psirt audit verify | log"""

from __future__ import annotations

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit, emit_json, err, progress_bar
from psirt.services import issues, policy_store
from psirt.store import audit

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")


@audit_app.command("verify")
def verify(fmt: OutputFormat = FORMAT) -> None:
    """Recompute the hash chain; exit 1 naming the first broken event."""
    with STATE.store().reader() as s:
        total = audit.event_count(s)
        with progress_bar("verifying audit chain", total) as advance:
            last = [0]

            def tick(n: int) -> None:
                advance(n - last[0])
                last[0] = n

            report = audit.verify(s, progress=tick)
            # Decision records of security issues: each event rebuilds and matches the digest
            # the audit chain recorded when it was appended.
            event_problems = issues.verify_events(s, policy_store.active_policy())
    if event_problems:
        report = audit.VerifyReport(
            report.events,
            report.problems
            + tuple(
                audit.VerifyProblem(None, f"issue {p.issue_id}", p.reason) for p in event_problems
            ),
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
    where = f"event {first.seq}" if first.seq is not None else first.object
    err(f"psirt: audit chain broken at {where} ({first.object}): {first.reason}")
    for p in report.problems[1:]:
        err(f"  also: event {p.seq} ({p.object}): {p.reason}")
    raise typer.Exit(1)


@audit_app.command("log")
def log(
    limit: int = typer.Option(50, "--limit", "-n", help="Newest N events."),
    object_type: str | None = typer.Option(None, "--object-type"),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Show the newest audit events."""
    from sqlalchemy import select

    from psirt.store import models as m

    with STATE.store().reader() as s:
        q = select(m.AuditEvent).order_by(m.AuditEvent.seq.desc()).limit(limit)
        if object_type:
            q = q.where(m.AuditEvent.object_type == object_type)
        rows = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "object": f"{e.object_type} {e.object_id}",
                "hash": e.hash,
                "detail": e.detail,
            }
            for e in s.scalars(q)
        ]
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
