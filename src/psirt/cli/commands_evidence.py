"""psirt evidence check DIR: does a folder of quality-system documents show the evidence of
IEC 81001-5-1 clause 9.5 (a procedure named as auditors expect, covering each topic)?"""

from __future__ import annotations

from pathlib import Path

import typer

from psirt.cli.output import OutputFormat, emit_json, emit_table
from psirt.services import evidence

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
evidence_app = typer.Typer(help="Evidence for auditors: check a folder of QMS documents.",
                           no_args_is_help=True)  # fmt: skip


@evidence_app.command("check")
def check(
    folder: Path = typer.Argument(
        ..., help="Folder of documents (Markdown, text, HTML, PDF, DOCX)."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Evaluate the clause 9.5 evidence signals; exit 1 naming the gaps when one is not met."""
    report = evidence.check(folder)
    if fmt is OutputFormat.JSON:
        emit_json(report.as_dict())
    else:
        met = sum(1 for s in report.signals if s.met)
        typer.echo(f"evidence check of {report.folder}: {met} of {len(report.signals)} signals met")
        rows = []
        for s in report.signals:
            quotes = [f'{e.file} ({e.where}): "{e.quote}"' if e.where != "file name" else e.file
                      for e in s.evidence]  # fmt: skip
            shown = "yes" if s.met else "NO"
            rows.append({"signal": f"{s.kind} {s.id}", "title": s.title, "met": shown,
                         "evidence": "\n".join(quotes)})  # fmt: skip
        emit_table(rows, [("signal", "Signal"), ("title", "What"), ("met", "Met"),
                          ("evidence", "Where (file, place: passage)")])  # fmt: skip
        read = [f for f in report.files if f.status == "read"]
        typer.echo(f"files: {len(read)} read of {len(report.files)}")
        for f in report.files:
            if f.status != "read" or f.detail.endswith("no text found"):
                typer.echo(f"  {f.file}: {f.status}: {f.detail}")
        if report.gaps:
            typer.echo("gaps:")
            for gap in report.gaps:
                typer.echo(f"  - {gap}")
    if not report.met:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
