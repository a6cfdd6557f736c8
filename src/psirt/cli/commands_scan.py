"""psirt scan | match | findings list | events list

The store and SQLAlchemy are imported inside the commands that use them: ``psirt match``
against a current knowledge-base cache runs without them.
"""

from __future__ import annotations

from pathlib import Path

import typer

from psirt.cli.output import OutputFormat, emit
from psirt.domain.severity import severity_label

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


@findings_app.command("list")
def findings_list(
    product: str | None = typer.Option(None, "--product", "-p"),
    release: str | None = typer.Option(None, "--release", "-r"),
    include_retracted: bool = typer.Option(False, "--all", help="Include retracted findings."),
    kev_only: bool = typer.Option(False, "--kev", help="Only KEV-listed findings."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """List findings, newest releases first, KEV-listed and most severe on top."""
    from sqlalchemy import select

    from psirt.cli.context import STATE
    from psirt.services import scanning
    from psirt.services.catalog import get_release
    from psirt.store import models as m

    with STATE.store().reader() as s:
        q = (
            select(m.Finding, m.Component, m.Release, m.Product)
            .join(m.Component, m.Finding.component_id == m.Component.id)
            .join(m.Release, m.Finding.release_id == m.Release.id)
            .join(m.Product, m.Release.product_id == m.Product.id)
        )
        if product and release:
            q = q.where(m.Release.id == get_release(s, product, release).id)
        elif product:
            q = q.where(m.Product.name == product)
        if not include_retracted:
            q = q.where(m.Finding.status == "active")
        kev = scanning.kev_ids(s)
        epss = scanning.epss_scores(s)
        rows = []
        for f, c, r, p in s.execute(q).all():
            ids = {f.advisory_id, *f.aliases, *f.related}
            is_kev = bool(ids & kev)
            if kev_only and not is_kev:
                continue
            scores = [epss[i] for i in ids if i in epss]
            rows.append(
                {
                    "id": f.id,
                    "product": p.name,
                    "release": r.version,
                    "component": c.name,
                    "version": c.version,
                    "purl": c.purl,
                    "cpe": c.cpe,
                    "advisory_id": f.advisory_id,
                    "aliases": f.aliases,
                    "severity": severity_label(f.severity),
                    "severity_vector": f.severity,
                    "fixed_versions": f.fixed_versions,
                    "kev": is_kev,
                    "epss": max(scores) if scores else None,
                    "status": f.status,
                    "retracted_reason": f.retracted_reason,
                    "first_seen": f.first_seen,
                    "issue": f.issue_id,
                }
            )
    rows.sort(
        key=lambda x: (x["product"], x["release"], not x["kev"], x["component"], x["advisory_id"])
    )
    emit(
        fmt,
        rows,
        [
            ("product", "Product"),
            ("release", "Release"),
            ("component", "Component"),
            ("version", "Version"),
            ("advisory_id", "Vulnerability"),
            ("severity", "Severity"),
            ("fixed_versions", "Fixed in"),
            ("kev", "KEV"),
            ("epss", "EPSS"),
            ("status", "Status"),
        ],
        empty="no findings",
    )


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
