"""psirt sbom ... | feed import

The store, its services and the schema validator are imported inside the commands that use
them: ``sbom inspect``, ``validate``, ``quality`` and ``diff`` of files run without SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit, emit_json, err, progress_bar, say
from psirt.domain.sbom import ItemClass
from psirt.ingest import limits
from psirt.ingest.feeds.osv import FeedLimits
from psirt.ingest.sbom import diff as sbom_diff_mod
from psirt.ingest.sbom import quality, read_sbom_file

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
sbom_app = typer.Typer(help="Software bills of materials (CycloneDX, SPDX).", no_args_is_help=True)
feed_app = typer.Typer(
    help="Vulnerability feeds (OSV, NVD, CVE 5, CISA KEV, EPSS).", no_args_is_help=True
)

SBOM_MAX_MB = typer.Option(
    None,
    "--max-mb",
    min=0.001,
    help="Size limit of the SBOM in MB (default: $PSIRT_MAX_SBOM_MB or the built-in limit).",
)


@sbom_app.command("import")
def sbom_import(
    file: Path = typer.Argument(..., help="CycloneDX or SPDX document."),
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Let an SBOM without components replace a release's non-empty component list.",
    ),
    max_mb: float | None = SBOM_MAX_MB,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import an SBOM as the component list of a release (kept as evidence).

    The SBOM it replaces stays as evidence with its components; findings of components the new
    SBOM lists again keep their identity, those of components it drops are retracted."""
    from psirt.services import sboms

    limit = limits.resolve(limits.InputKind.SBOM, max_mb, option="--max-mb")
    data, parsed = read_sbom_file(file, limit=limit)
    with STATE.store().unit_of_work() as s:
        result = sboms.import_sbom(
            s,
            actor=STATE.actor,
            product=product,
            version=release,
            data=data,
            parsed=parsed,
            file_name=str(file),
            allow_empty=allow_empty,
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
                "findings_carried_over": result.findings_carried_over,
                "findings_retracted": result.findings_retracted,
                "problems": list(result.problems),
            }
        )
        return
    for problem in result.problems:
        err(f"warning: {problem}")
    if result.unchanged:
        say(f"{file}: already imported into {product} {release}; nothing changed")
    else:
        say(
            f"{file}: {parsed.format} {parsed.spec_version}, {result.components} components "
            f"imported into {product} {release}"
        )
        if result.findings_carried_over or result.findings_retracted:
            say(
                f"findings of the replaced SBOM: {result.findings_carried_over} kept, "
                f"{result.findings_retracted} retracted (component removed from the SBOM)"
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
    from psirt.services import sboms

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
    say(f"support recorded for {n} component(s) named {component!r}")


def _read(file: Path) -> bytes:
    return limits.read_file(file, limits.resolve(limits.InputKind.SBOM))


@sbom_app.command("inspect")
def sbom_inspect(
    file: Path = typer.Argument(..., help="SBOM file."), fmt: OutputFormat = FORMAT
) -> None:
    """Format, version and counts of an SBOM."""
    _data, parsed = read_sbom_file(file)
    value = {
        "format": str(parsed.format),
        "spec_version": parsed.spec_version,
        "serialization": str(parsed.serialization),
        "components": len(parsed.components),
        "with_purl": parsed.with_purl,
        "with_cpe": parsed.with_cpe,
        "dependencies": parsed.dependency_count,
    }
    if fmt is OutputFormat.JSON:
        emit_json(value)
    else:
        emit(
            fmt,
            [{"field": k, "value": v} for k, v in value.items()],
            [("field", ""), ("value", "")],
            title=str(file),
        )
    for problem in parsed.problems:
        err(f"warning: {problem}")


@sbom_app.command("validate")
def sbom_validate(
    file: Path = typer.Argument(..., help="SBOM file."), fmt: OutputFormat = FORMAT
) -> None:
    """Validate against the official schema: exit 0 when valid, 2 with the errors when not.
    What the schema cannot check (a bom-ref used twice ...) is shown as warnings."""
    from psirt.ingest.sbom import validate as sbom_validation

    data = _read(file)
    errors = sbom_validation.validate(data, source=str(file))
    warnings = sbom_validation.warnings(data, source=str(file))
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "file": str(file),
                "valid": not errors,
                "errors": [{"location": e.pointer_or_line, "message": e.message} for e in errors],
                "warnings": warnings,
            }
        )
    else:
        if not errors:
            say(f"{file}: valid")
        for e in errors:
            err(f"{file}: {e.pointer_or_line}: {e.message}")
        for warning in warnings:
            err(f"warning: {file}: {warning}")
    if errors:
        raise typer.Exit(2)


def _quality_rows(report: quality.QualityReport) -> list[dict[str, object]]:
    return [
        {
            "ref": row.ref,
            "name": row.name,
            "version": row.version,
            "supplier": row.supplier,
            "unique_identifier": row.unique_identifier,
            "dependency": row.dependency,
            "level_of_support": row.level_of_support,
            "end_of_support": row.end_of_support,
            "missing": list(row.missing),
        }
        for row in report.components
    ]


@sbom_app.command("quality")
def sbom_quality(
    file: Path | None = typer.Argument(None, help="SBOM file (or give --product and --release)."),
    product: str | None = typer.Option(None, "--product", "-p"),
    release: str | None = typer.Option(None, "--release", "-r"),
    fmt: OutputFormat = FORMAT,
) -> None:
    """NTIA minimum elements and FDA support expectations, per component and as a score."""
    if file is not None:
        _data, parsed = read_sbom_file(file)
        label = str(file)
    elif product and release:
        from psirt.services import sboms

        with STATE.store().reader() as s:
            parsed = sboms.stored_sbom(s, product=product, version=release)
        label = f"{product} {release}"
    else:
        raise typer.BadParameter("give an SBOM file, or --product and --release")
    report = quality.assess(parsed)
    rows = _quality_rows(report)
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "sbom": label,
                "score": round(report.score, 1),
                "ntia_score": round(report.ntia_score, 1),
                "author": report.author,
                "timestamp": report.timestamp,
                "missing": report.missing_by_field(),
                "components": rows,
            }
        )
        return
    emit(
        fmt,
        rows,
        [
            ("name", "Component"),
            ("version", "Version"),
            ("supplier", "Supplier"),
            ("unique_identifier", "Identifier"),
            ("dependency", "Dependency"),
            ("level_of_support", "Support level"),
            ("end_of_support", "End of support"),
            ("missing", "Missing"),
        ],
        title=f"{label}: quality",
    )
    say(
        f"score {report.score:.1f}/100 (NTIA minimum elements {report.ntia_score:.1f}/100); "
        f"document author: {'yes' if report.author else 'missing'}, "
        f"timestamp: {'yes' if report.timestamp else 'missing'}"
    )
    for name, n in sorted(report.missing_by_field().items(), key=lambda kv: -kv[1]):
        say(f"  missing {name}: {n}")


@sbom_app.command("diff")
def sbom_diff(
    a: str = typer.Argument(..., help="Old SBOM file, or a release version with --product."),
    b: str = typer.Argument(..., help="New SBOM file, or a release version with --product."),
    product: str | None = typer.Option(None, "--product", "-p", help="Compare stored releases."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Components added, removed, upgraded, downgraded between two SBOMs or two releases."""
    if product:
        from psirt.services import sboms

        with STATE.store().reader() as s:
            old = sboms.stored_sbom(s, product=product, version=a)
            new = sboms.stored_sbom(s, product=product, version=b)
    else:
        old = read_sbom_file(Path(a))[1]
        new = read_sbom_file(Path(b))[1]
    d = sbom_diff_mod.diff(old, new)
    rows: list[dict[str, object]] = []
    rows += [
        {"change": "added", "name": c.name, "before": None, "after": c.version, "purl": c.purl}
        for c in d.added
    ]
    rows += [
        {"change": "removed", "name": c.name, "before": c.version, "after": None, "purl": c.purl}
        for c in d.removed
    ]
    for kind, changes in (
        ("upgraded", d.upgraded),
        ("downgraded", d.downgraded),
        ("changed", d.changed),
    ):
        rows += [
            {
                "change": kind,
                "name": ch.after.name,
                "before": ch.before.version,
                "after": ch.after.version,
                "purl": ch.after.purl,
            }
            for ch in changes
        ]
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "added": len(d.added),
                "removed": len(d.removed),
                "upgraded": len(d.upgraded),
                "downgraded": len(d.downgraded),
                "changed": len(d.changed),
                "unchanged": d.unchanged,
                "changes": rows,
            }
        )
        return
    emit(
        fmt,
        rows,
        [
            ("change", "Change"),
            ("name", "Component"),
            ("before", "Before"),
            ("after", "After"),
            ("purl", "purl"),
        ],
        empty=f"no component changes ({d.unchanged} unchanged)",
    )
    say(
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.upgraded)} upgraded, "
        f"{len(d.downgraded)} downgraded, {len(d.changed)} changed, {d.unchanged} unchanged"
    )


@feed_app.command("import")
def feed_import(
    paths: list[Path] = typer.Argument(
        ..., help="OSV/NVD/CVE5 JSON or YAML, KEV JSON/CSV, EPSS CSV, directories, zips."
    ),
    rematch: bool = typer.Option(
        True, "--rematch/--no-rematch", help="Re-match stored releases the new advisories name."
    ),
    max_mb: float | None = typer.Option(
        None,
        "--max-mb",
        min=0.001,
        help="Size limit in MB of a feed file and of an inflated archive member (default: "
        "$PSIRT_MAX_FEED_MB and $PSIRT_MAX_ARCHIVE_MEMBER_MB, or the built-in limits).",
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import feeds into the knowledge base (one transaction), then re-match affected releases."""
    from psirt.services import feeds as feed_service
    from psirt.services import monitoring

    size = FeedLimits.resolve(max_mb, option="--max-mb")
    with STATE.store().unit_of_work() as s, progress_bar("reading feeds", None) as advance:
        summary = feed_service.import_feeds(
            s, paths, actor=STATE.actor, progress=advance, size=size
        )
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
    say(
        f"advisories: {summary.imported} imported, {summary.updated} updated, "
        f"{summary.unchanged} unchanged ({summary.withdrawn} withdrawn kept); "
        f"KEV entries: {summary.kev}; EPSS scores: {summary.epss}; skipped: {summary.skipped}"
    )
    for reason, n in summary.skipped_reasons().items():
        say(f"  skipped {n}: {reason}")
    if outcome is not None:
        say(outcome.describe())


def register(app: typer.Typer) -> None:
    app.add_typer(sbom_app, name="sbom")
    app.add_typer(feed_app, name="feed")
