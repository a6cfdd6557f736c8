"""psirt scan | match | findings list | events list

The store and SQLAlchemy are imported inside the commands that use them: ``psirt match``
against a current knowledge-base cache runs without them.
"""

from __future__ import annotations

from pathlib import Path

import typer

from psirt.cli.output import OutputFormat, emit

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
findings_app = typer.Typer(help="Findings of stored releases.", no_args_is_help=True)
events_app = typer.Typer(
    help="Monitoring events (newly affected releases, KEV listings).", no_args_is_help=True
)

_SCAN_COLUMNS = [
    ("product", "Product"),
    ("release", "Release"),
    ("status", "Status"),
    ("components", "Components"),
    ("new", "New"),
    ("unchanged", "Unchanged"),
    ("retracted", "Retracted"),
    ("events", "Events"),
]


def scan(
    product: str | None = typer.Option(None, "--product", "-p"),
    release: str | None = typer.Option(None, "--release", "-r"),
    all_releases: bool = typer.Option(False, "--all", help="Scan every stored release."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Match a stored release's components against the knowledge base and record findings."""
    from psirt.cli.context import STATE
    from psirt.services import scanning

    if all_releases == bool(product and release):
        raise typer.BadParameter("give --product and --release, or --all")
    with STATE.store().unit_of_work() as s:
        if all_releases:
            outcomes = scanning.scan_all(s, actor=STATE.actor)
        else:
            assert product is not None and release is not None
            outcomes = [
                scanning.scan_release(s, actor=STATE.actor, product=product, version=release)
            ]
    emit(fmt, [o.as_dict() for o in outcomes], _SCAN_COLUMNS, title="scan")


def match(
    ctx: typer.Context,
    sbom: Path = typer.Argument(..., help="CycloneDX or SPDX SBOM."),
    advisories: list[Path] | None = typer.Option(
        None, "--advisories", "-a", help="Match against just these feed files (no database)."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """SBOM in, vulnerabilities out: stateless matching (exit 1 when something is found)."""
    from psirt.cli.match_command import run_match

    if run_match(ctx.obj if isinstance(ctx.obj, dict) else None, sbom, advisories, fmt):
        raise typer.Exit(1)


FINDING_COLUMNS = [
    ("product", "Product"),
    ("release", "Release"),
    ("component", "Component"),
    ("version", "Version"),
    ("advisory_id", "Vulnerability"),
    ("severity", "Severity"),
    ("fixed_versions", "Fixed in"),
    ("kev_ids", "KEV"),
    ("epss", "EPSS"),
    ("supplier", "Supplier says"),
    ("status", "Status"),
]


@findings_app.command("list")
def findings_list(
    product: str | None = typer.Option(None, "--product", "-p"),
    release: str | None = typer.Option(None, "--release", "-r"),
    include_retracted: bool = typer.Option(False, "--all", help="Include retracted findings."),
    kev_only: bool = typer.Option(False, "--kev", help="Only KEV-listed findings."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """List findings by product and release, KEV-listed on top; the KEV column names the
    listed CVE ids (also those a distro advisory lists as related).

    "Supplier says" shows what current supplier advisories and VEX documents state about the
    finding's component and vulnerability (not_affected with its assessment state: proposed,
    confirmed or rejected; affected; fixed; under_investigation)."""
    from psirt.cli.context import STATE
    from psirt.services import findings

    if release is not None and product is None:
        raise typer.BadParameter("--release goes with --product", param_hint="--release")
    with STATE.store().reader() as s:
        rows = findings.stored_findings(
            s,
            product=product,
            release=release,
            include_retracted=include_retracted,
            kev_only=kev_only,
        )
    shown = rows if fmt is OutputFormat.JSON else findings.for_table(rows)
    emit(fmt, shown, FINDING_COLUMNS, empty="no findings")


@events_app.command("list")
def events_list(
    undelivered: bool = typer.Option(False, "--undelivered"), fmt: OutputFormat = FORMAT
) -> None:
    """Monitoring events: released or fielded releases newly affected, KEV listings."""
    from sqlalchemy import select

    from psirt.cli.context import STATE
    from psirt.store import models as m

    with STATE.store().reader() as s:
        q = select(m.MonitoringEvent).order_by(m.MonitoringEvent.id)
        if undelivered:
            q = q.where(m.MonitoringEvent.delivered.is_(False))
        rows = [
            {
                "id": e.id,
                "at": e.at,
                "kind": e.kind,
                "advisory_id": e.advisory_id,
                "product": e.detail.get("product"),
                "release": e.detail.get("release"),
                "kev": e.detail.get("kev"),
                "detail": e.detail,
            }
            for e in s.scalars(q)
        ]
    emit(
        fmt,
        rows,
        [
            ("id", "#"),
            ("at", "When (UTC)"),
            ("kind", "Event"),
            ("product", "Product"),
            ("release", "Release"),
            ("advisory_id", "Vulnerability"),
            ("kev", "KEV"),
        ],
        empty="no monitoring events",
    )


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
    app.command("match")(match)
    app.add_typer(findings_app, name="findings")
    app.add_typer(events_app, name="events")
