"""psirt init | product ... | release ..."""

from __future__ import annotations

import datetime as dt

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit
from psirt.services import catalog
from psirt.services.catalog import ReleaseStatus
from psirt.store.db import migrate

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")

product_app = typer.Typer(help="Products (medical devices, health software).", no_args_is_help=True)
release_app = typer.Typer(help="Releases of a product.", no_args_is_help=True)


def init() -> None:
    """Create or upgrade the database schema."""
    store = STATE.store(require_schema=False)
    migrate(store.engine)
    typer.echo(f"database ready: {store.engine.url.render_as_string(hide_password=True)}")


@product_app.command("add")
def product_add(
    name: str = typer.Argument(..., help="Product name, unique."),
    description: str = typer.Option("", "--description", "-d"),
    manufacturer: str = typer.Option("", "--manufacturer"),
) -> None:
    """Register a product."""
    with STATE.store().unit_of_work() as s:
        p = catalog.add_product(
            s, actor=STATE.actor, name=name, description=description, manufacturer=manufacturer
        )
        typer.echo(f"product {p.name!r} added (id {p.id})")


@product_app.command("list")
def product_list(fmt: OutputFormat = FORMAT) -> None:
    """List products and their releases."""
    with STATE.store().reader() as s:
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "manufacturer": p.manufacturer,
                "description": p.description,
                "releases": list(p.releases),
            }
            for p in catalog.list_products(s)
        ]
    emit(
        fmt,
        rows,
        [
            ("name", "Product"),
            ("manufacturer", "Manufacturer"),
            ("releases", "Releases"),
            ("description", "Description"),
        ],
        empty="no products yet: psirt product add NAME",
    )


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@release_app.command("add")
def release_add(
    version: str = typer.Argument(..., help="Release version, e.g. 2.4.1"),
    product: str = typer.Option(..., "--product", "-p"),
    status: ReleaseStatus = typer.Option(ReleaseStatus.DEVELOPMENT, "--status"),
    released_on: str | None = typer.Option(None, "--released-on", help="YYYY-MM-DD"),
) -> None:
    """Register a release of a product. A release registered as released or fielded is
    recorded as registered without release-gate review: the product's next review must cover
    it ('psirt release gate')."""
    with STATE.store().unit_of_work() as s:
        r = catalog.add_release(
            s,
            actor=STATE.actor,
            product=product,
            version=version,
            status=status,
            released_on=_parse_date(released_on, "--released-on"),
        )
        typer.echo(f"release {product} {r.version} added ({r.status})")
        if status in catalog.RELEASED_STATUSES:
            typer.echo(
                "registered without release-gate review: the next review of "
                f"{product} must list {r.version} and its open issues"
            )


@release_app.command("status")
def release_status(
    version: str = typer.Argument(...),
    status: ReleaseStatus = typer.Argument(...),
    product: str = typer.Option(..., "--product", "-p"),
    released_on: str | None = typer.Option(None, "--released-on", help="YYYY-MM-DD"),
    override_gate: str | None = typer.Option(
        None,
        "--override-gate",
        help="Justification for releasing without an approved release-gate review (audited).",
    ),
) -> None:
    """Move a release to development, released, fielded or end-of-support.

    Entering released or fielded needs an approved release-gate review ('psirt release
    approve') or --override-gate with a justification."""
    with STATE.store().unit_of_work() as s:
        r = catalog.set_release_status(
            s,
            actor=STATE.actor,
            product=product,
            version=version,
            status=status,
            released_on=_parse_date(released_on, "--released-on"),
            gate_override=override_gate,
        )
        typer.echo(f"release {product} {r.version} is now {r.status}")


@release_app.command("list")
def release_list(
    product: str | None = typer.Option(None, "--product", "-p"), fmt: OutputFormat = FORMAT
) -> None:
    """List releases with their component and open-finding counts and their gate record
    (approved, registered without review, gate overridden; covered by which review)."""
    with STATE.store().reader() as s:
        rows = [
            {
                "product": r.product,
                "version": r.version,
                "status": r.status,
                "released_on": r.released_on,
                "components": r.components,
                "findings": r.findings,
                "gate": r.gate,
            }
            for r in catalog.list_releases(s, product)
        ]
    emit(
        fmt,
        rows,
        [
            ("product", "Product"),
            ("version", "Version"),
            ("status", "Status"),
            ("released_on", "Released"),
            ("components", "Components"),
            ("findings", "Findings"),
            ("gate", "Release gate"),
        ],
        empty="no releases yet: psirt release add VERSION --product P",
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(product_app, name="product")
    app.add_typer(release_app, name="release")
