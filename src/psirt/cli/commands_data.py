"""psirt sbom ... | feed import"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit_json, err, progress_bar
from psirt.domain.sbom import ItemClass
from psirt.services import feeds as feed_service
from psirt.services import sboms

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
sbom_app = typer.Typer(help="Software bills of materials (CycloneDX, SPDX).", no_args_is_help=True)
feed_app = typer.Typer(
    help="Vulnerability feeds (OSV, NVD, CVE 5, CISA KEV, EPSS).", no_args_is_help=True
)


@sbom_app.command("import")
def sbom_import(
    file: Path = typer.Argument(..., help="CycloneDX or SPDX document."),
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import an SBOM as the component list of a release (kept as evidence)."""
    data, parsed = sboms.read_sbom_file(file)
    with STATE.store().unit_of_work() as s:
        result = sboms.import_sbom(
            s,
            actor=STATE.actor,
            product=product,
            version=release,
            data=data,
            parsed=parsed,
            file_name=str(file),
        )
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "product": product,
                "release": release,
                "sbom_id": result.sbom_id,
                "format": str(parsed.format),
                "spec_version": parsed.spec_version,
                "components": result.components,
                "unchanged": result.unchanged,
                "problems": list(result.problems),
            }
        )
        return
    for problem in result.problems:
        err(f"warning: {problem}")
    if result.unchanged:
        typer.echo(f"{file}: already imported into {product} {release}; nothing changed")
    else:
        typer.echo(
            f"{file}: {parsed.format} {parsed.spec_version}, {result.components} components "
            f"imported into {product} {release}"
        )


@sbom_app.command("support")
def sbom_support(
    component: str = typer.Argument(..., help="Component name, purl or bom-ref."),
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
    item_class: ItemClass | None = typer.Option(
        None, "--class", help="maintained|supported|required"
    ),
    support_end: str | None = typer.Option(None, "--support-end", help="YYYY-MM-DD"),
) -> None:
    """Set a component's support level and end-of-support date (kept across SBOM versions)."""
    end = None
    if support_end is not None:
        try:
            end = dt.date.fromisoformat(support_end)
        except ValueError:
            raise typer.BadParameter(
                f"{support_end!r} is not a date", param_hint="--support-end"
            ) from None
    if item_class is None and end is None:
        raise typer.BadParameter("give --class and/or --support-end")
    with STATE.store().unit_of_work() as s:
        n = sboms.set_support(
            s,
            actor=STATE.actor,
            product=product,
            version=release,
            component=component,
            item_class=item_class,
            support_end=end,
        )
    typer.echo(f"support recorded for {n} component(s) named {component!r}")


@feed_app.command("import")
def feed_import(
    paths: list[Path] = typer.Argument(
        ..., help="OSV/NVD/CVE5 JSON or YAML, KEV JSON/CSV, EPSS CSV, directories, zips."
    ),
    rematch: bool = typer.Option(
        True, "--rematch/--no-rematch", help="Re-match stored releases the new advisories name."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import feeds into the knowledge base (one transaction), then re-match affected releases."""
    from psirt.services import monitoring

    with STATE.store().unit_of_work() as s, progress_bar("reading feeds", None) as advance:
        summary = feed_service.import_feeds(s, paths, actor=STATE.actor, progress=advance)
        outcome = monitoring.after_feed_import(s, summary, actor=STATE.actor) if rematch else None
    value = {
        "sources": summary.sources,
        "imported": summary.imported,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "withdrawn": summary.withdrawn,
        "kev": summary.kev,
        "epss": summary.epss,
        "skipped": summary.skipped,
        "skipped_reasons": summary.skipped_reasons(),
        "problems": [str(p) for p in summary.problems],
        "rematch": outcome.as_dict() if outcome else None,
    }
    if fmt is OutputFormat.JSON:
        emit_json(value)
        return
    for p in summary.problems[:20]:
        err(f"skipped: {p}")
    if len(summary.problems) > 20:
        err(f"skipped: ... and {len(summary.problems) - 20} more (see --format json)")
    typer.echo(
        f"advisories: {summary.imported} imported, {summary.updated} updated, "
        f"{summary.unchanged} unchanged ({summary.withdrawn} withdrawn kept); "
        f"KEV entries: {summary.kev}; EPSS scores: {summary.epss}; skipped: {summary.skipped}"
    )
    for reason, n in summary.skipped_reasons().items():
        typer.echo(f"  skipped {n}: {reason}")
    if outcome is not None:
        typer.echo(outcome.describe())


def register(app: typer.Typer) -> None:
    app.add_typer(sbom_app, name="sbom")
    app.add_typer(feed_app, name="feed")
