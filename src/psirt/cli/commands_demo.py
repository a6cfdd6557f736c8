"""psirt demo: the bundled medical-device portfolio, end to end."""

from __future__ import annotations

import typer

from psirt.cli import commands_catalog, commands_scan
from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat
from psirt.services import demo
from psirt.store import audit
from psirt.store.db import migrate


def demo_command() -> None:
    """Load the demo portfolio (real SBOMs and advisories) and monitor it."""
    store = STATE.store(require_schema=False)
    migrate(store.engine)
    url = store.engine.url.render_as_string(hide_password=True)
    typer.secho(f"psirt demo: database {url}", bold=True)
    with store.unit_of_work() as s:
        outcome = demo.load_portfolio(s, actor=STATE.actor)
    fs = outcome.feed_summary
    assert fs is not None and outcome.rematch is not None
    typer.echo(
        f"loaded {outcome.products} products, {outcome.releases} releases, {outcome.sboms} SBOMs; "
        f"knowledge base: {fs.imported} advisories imported, {fs.updated} updated, "
        f"{fs.unchanged} unchanged, {fs.kev} KEV entries"
    )
    typer.echo(outcome.rematch.describe())
    typer.echo()
    typer.secho("Portfolio", bold=True)
    commands_catalog.release_list(product=None, fmt=OutputFormat.TABLE)
    typer.echo()
    typer.secho("Known exploited vulnerabilities (CISA KEV) in the portfolio", bold=True)
    commands_scan.findings_list(
        product=None, release=None, include_retracted=False, kev_only=True, fmt=OutputFormat.TABLE
    )
    typer.echo()
    typer.secho(
        "Findings of the fielded patient monitor (CPE matching on embedded parts)", bold=True
    )
    commands_scan.findings_list(
        product="Patient Monitor PM-8",
        release="7.4.2",
        include_retracted=False,
        kev_only=False,
        fmt=OutputFormat.TABLE,
    )
    with store.reader() as s:
        report = audit.verify(s)
    typer.echo()
    typer.echo(
        f"audit trail: {report.events} events, "
        + ("chain intact" if report.ok else f"BROKEN: {report.problems[0].reason}")
    )
    typer.echo()
    typer.secho("Where to look next", bold=True)
    for line in (
        "psirt findings list --product 'Clinical Data Gateway' --release 3.1.0",
        "psirt events list                      # releases newly affected, KEV listings",
        "psirt match SBOM --format json         # stateless matching of any SBOM",
        "psirt audit log                        # who did what, hash-chained",
    ):
        typer.echo(f"  {line}")
    typer.echo(f"  (database: {url}; set XDG_DATA_HOME or PSIRT_DATABASE_URL to the same place)")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
