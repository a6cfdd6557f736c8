"""psirt demo: the bundled medical-device portfolio, end to end."""

from __future__ import annotations

from pathlib import Path

import typer

from psirt.cli import (
    commands_activities,
    commands_catalog,
    commands_issues,
    commands_release_gate,
    commands_scan,
)
from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit
from psirt.publish.render import RenderFormat, render
from psirt.services import activities, audit_trail, demo, policy_store, scan_imports
from psirt.services import procedure as proc
from psirt.store.db import Store, migrate


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
    typer.echo()
    typer.secho("Clinical Data Gateway: SAST and DAST findings and their dispositions", bold=True)
    with store.reader() as s:
        _finding_summary(activities.list_findings(s, product=demo.GATEWAY))
    typer.echo()
    if outcome.ci is not None:
        _ci_summary(outcome.ci)
        typer.echo()
    typer.secho("Test plan: what is due (the 3.2.0 attack surface adds a FHIR API)", bold=True)
    try:
        commands_activities.activities_due(product=demo.GATEWAY, fmt=OutputFormat.TABLE)
    except typer.Exit:
        pass  # overdue items are the point of the demo, not an error of it
    typer.echo()
    typer.secho("Security issues (IEC 81001-5-1 clause 9.5 lifecycle)", bold=True)
    commands_issues.list_(
        state=None, open_only=False, overdue=False, policy_file=None, fmt=OutputFormat.TABLE
    )
    typer.echo()
    typer.secho(
        "Release gate of Patient Monitor PM-8 7.5.0 (the out-of-cycle fix); its review also "
        "covers 7.4.2, registered as fielded without review",
        bold=True,
    )
    try:
        commands_release_gate.gate_(
            version="7.5.0",
            product="Patient Monitor PM-8",
            policy_file=None,
            fmt=OutputFormat.TABLE,
        )
    except typer.Exit:
        pass  # the chair signed the minutes, the approvers have not yet: that is the point
    typer.echo()
    typer.secho("Security Issue Resolution Procedure (written from the policy)", bold=True)
    sqlite_file = store.engine.url.database if store.engine.url.drivername.startswith(
        "sqlite") else None  # fmt: skip
    folder = _demo_folder(sqlite_file, "procedure")
    for path in _render_procedure(store, folder):
        typer.echo(f"  {path}")
    typer.echo()
    typer.secho(
        f"Published from the records: the advisory of issue {outcome.issue_id} and the VEX of "
        "Patient Monitor PM-8 7.4.2",
        bold=True,
    )
    _publish(store, _demo_folder(sqlite_file, "published"))
    with store.reader() as s:
        report = audit_trail.verify(s, policy=policy_store.active_policy())
    typer.echo()
    typer.echo(
        f"audit trail: {report.events} events, "
        + ("chain intact" if report.ok else f"BROKEN: {report.problems[0].reason}")
    )
    typer.echo()
    typer.secho("Where to look next", bold=True)
    for line in (
        "psirt findings list --product 'Clinical Data Gateway' --release 3.1.0",
        f"psirt issue show {outcome.issue_id}                     # decisions, signatures",
        "psirt scans findings --product 'Clinical Data Gateway' --open",
        "psirt activities due                   # what the test plans require next",
        "psirt release gate 7.5.0 -p 'Patient Monitor PM-8'   # R13a review before release",
        "psirt -u quinn.qa release sign 7.5.0 -p 'Patient Monitor PM-8' --as-role qa_approver",
        "psirt release gate 3.2.0 -p 'Clinical Data Gateway'  # blocked by due tests",
        "psirt procedure list                   # versions of the procedure and their approval",
        "psirt publish list                     # the advisory and VEX versions published",
        "psirt evidence check DIR               # a folder of QMS documents against clause 9.5",
        "psirt events list                      # releases newly affected, KEV listings",
        "psirt match SBOM --format json         # stateless matching of any SBOM",
        "psirt audit log                        # who did what, hash-chained",
    ):
        typer.echo(f"  {line}")
    typer.echo("  To run them on this database, first:")
    typer.echo(f"    . .venv/bin/activate; export PSIRT_DATABASE_URL='{url}'")


def _ci_summary(ci: scan_imports.GateOutcome) -> None:
    """The CI check of the gateway's 3.2.0 build, a few of the findings that fail it."""
    imported = ci.imports[0]
    verdict = "passed" if ci.passed else f"FAILED: {len(ci.blocking)} open finding(s)"
    typer.secho(
        f"CI check of the gateway 3.2.0 build 4b7e2a1 (bandit, --fail-on {ci.threshold.value}): "
        f"{verdict}",
        bold=True,
    )
    typer.echo(
        f"{imported.results} results, {imported.new} new, {imported.seen_again} seen again: the "
        "same code as 3.1.0; findings seen again fail the build until someone decides about "
        "them (the reviewed false positive does not)"
    )
    rows = [
        {
            "id": f.id,
            "severity": f.severity,
            "rule": f.rule_id,
            "where": activities.location_text(f.location),
            "since": f.first_seen,
        }
        for f in ci.blocking[:3]
    ]
    emit(
        OutputFormat.TABLE,
        rows,
        [
            ("id", "#"),
            ("severity", "Severity"),
            ("rule", "Rule"),
            ("where", "Location"),
            ("since", "Open since (UTC)"),
        ],
        title=f"the first {len(rows)} of {len(ci.blocking)} (psirt scans findings --open)",
    )


def _demo_folder(sqlite_file: str | None, name: str) -> Path:
    """``name`` beside the demo's SQLite database (var/demo/... under make demo), else
    ./``name``."""
    if sqlite_file and sqlite_file != ":memory:":
        return Path(sqlite_file).resolve().parent / name
    return Path(name).resolve()


_SUFFIX = {
    "csaf_advisory": "json",
    "advisory_html": "html",
    "advisory_pdf": "pdf",
    "csaf_vex": "csaf.json",
    "cyclonedx_vex": "cdx.json",
    "openvex": "openvex.json",
}


def _publish(store: Store, folder: Path) -> None:
    """Publish the walked issue's advisory and its release's VEX; write them to ``folder``."""
    from psirt.domain.publisher import csaf_file_stem, slug
    from psirt.services.issues import DEMO_PRODUCT, DEMO_RELEASE

    with store.unit_of_work() as s:
        published = demo.publish_walkthrough(s, actor=STATE.actor)
    folder.mkdir(parents=True, exist_ok=True)
    vex = f"vex-{slug(DEMO_PRODUCT)}-{slug(DEMO_RELEASE)}"
    for p in published:
        stem = vex if p.release is not None else csaf_file_stem(p.document_id)
        path = folder / f"{stem}.{_SUFFIX[p.kind]}"
        path.write_bytes(p.content)
        state = "unchanged" if p.unchanged else "published"
        typer.echo(f"  {path}  ({p.kind} {p.document_id} version {p.version}, {state})")
    typer.echo(f"written to {folder}; stored versions: psirt publish list")


def _render_procedure(store: Store, folder: Path) -> list[Path]:
    """The current procedure as Markdown, HTML and PDF in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with store.reader() as s:
        rendered = proc.document(s, policy_store.active_policy())
    written = []
    for fmt in RenderFormat:
        path = folder / f"{rendered.file_stem}.{fmt.value}"
        path.write_bytes(render(rendered.document, fmt))
        written.append(path)
    status = rendered.document.status
    typer.echo(f"version {rendered.version or 'draft'}: {status}; written to {folder}")
    return written


def _finding_summary(found: list[activities.FindingView]) -> None:
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for f in found:
        key = (f.activity_type, f.tool, f.severity)
        row = counts.setdefault(key, {"open": 0, "dispositioned": 0})
        row["open" if f.open else "dispositioned"] += 1
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    rows = [
        {"type": t, "tool": tool, "severity": sev, **c}
        for (t, tool, sev), c in sorted(
            counts.items(), key=lambda kv: (kv[0][0], rank.get(kv[0][2], 9))
        )
    ]
    emit(
        OutputFormat.TABLE,
        rows,
        [
            ("type", "Activity"),
            ("tool", "Tool"),
            ("severity", "Severity"),
            ("open", "Open"),
            ("dispositioned", "Dispositioned"),
        ],
        empty="no scan findings",
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
