"""psirt csaf validate | advisories import|list|statements|confirm|reject|apply"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from psirt.cli.output import OutputFormat, emit, emit_json, err

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
csaf_app = typer.Typer(help="CSAF 2.0 documents.", no_args_is_help=True)
advisories_app = typer.Typer(
    help="Supplier advisories and VEX (CSAF 2.0, CycloneDX VEX, OpenVEX) applied to releases.",
    no_args_is_help=True,
)


def _validate_file(path: Path) -> dict[str, Any]:
    from psirt.errors import InputError
    from psirt.publish.csaf_validate import validate_bytes

    if not path.is_file():
        return {
            "file": str(path),
            "valid": False,
            "tests": [],
            "errors": [{"test": "input", "path": "", "message": "no such file"}],
        }
    try:
        result = validate_bytes(path.read_bytes(), source=str(path))
    except InputError as exc:
        return {
            "file": str(path),
            "valid": False,
            "tests": [],
            "errors": [{"test": "input", "path": exc.location or "", "message": exc.reason}],
        }
    return {
        "file": str(path),
        "valid": result.valid,
        "tests": list(result.tests),
        "errors": [{"test": p.test, "path": p.path, "message": p.message} for p in result.problems],
    }


@csaf_app.command("validate")
def csaf_validate(
    files: list[Path] = typer.Argument(..., help="CSAF 2.0 JSON documents."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Check CSAF 2.0 documents against the JSON schema and every mandatory test (6.1.1 to
    6.1.33, with the profile tests 6.1.27.1 to 6.1.27.11), offline.

    Exit 0 when every document is valid, 2 when one is not; each error names its test
    ("schema" for the JSON schema) and the JSON pointer of the value."""
    results = [_validate_file(path) for path in files]
    valid = all(r["valid"] for r in results)
    if fmt is OutputFormat.JSON:
        emit_json({"valid": valid, "documents": results})
    else:
        rows = [{"file": r["file"], **e} for r in results if not r["valid"] for e in r["errors"]]
        if rows:
            emit(
                fmt,
                rows,
                [("file", "File"), ("test", "Test"), ("path", "JSON path"), ("message", "Problem")],
            )
        for r in results:
            if r["valid"]:
                typer.echo(f"{r['file']}: valid ({len(r['tests'])} mandatory tests passed)")
            else:
                failed = sorted({e["test"] for e in r["errors"]})
                err(
                    f"{r['file']}: invalid ({len(r['errors'])} errors; failed: {', '.join(failed)})"
                )
    if not valid:
        raise typer.Exit(2)


@advisories_app.command("import")
def advisories_import(
    paths: list[Path] = typer.Argument(
        ..., help="CSAF 2.0, CycloneDX VEX or OpenVEX JSON files, or directories of them."
    ),
    max_mb: float | None = typer.Option(
        None,
        "--max-mb",
        min=0.001,
        help="Size limit of a document in MB (default: $PSIRT_MAX_ADVISORY_MB or the built-in "
        "limit).",
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import supplier advisories and VEX documents as evidence (one transaction) and apply
    their statements to the current components of every stored release.

    Matching is by purl and CPE, and for CSAF product trees by vendor, product name and
    version. A supplier's not_affected becomes a proposed assessment to confirm or reject
    ('psirt advisories confirm|reject'). Re-importing a document changes nothing; a newer
    revision of a document supersedes the older one's statements. CSAF documents are
    validated: a schema error or an ambiguous product tree (tests 6.1.1 to 6.1.6) refuses
    the import with the file and JSON path (exit 2); other failed tests are kept as problems.
    Files in a directory that are no supplier documents are skipped."""
    from psirt.cli.context import STATE
    from psirt.ingest import limits
    from psirt.services import supplier_advisories as service

    limit = limits.resolve(limits.InputKind.ADVISORY, max_mb, option="--max-mb")
    docs, skipped = service.read_paths(paths, limit=limit)
    with STATE.store().unit_of_work() as s:
        outcomes = service.import_documents(s, docs, actor=STATE.actor)
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "documents": [o.as_dict() for o in outcomes],
                "skipped": [{"file": k.source, "reason": k.reason} for k in skipped],
            }
        )
        return
    for k in skipped:
        err(f"skipped {k.source}: {k.reason}")
    for o in outcomes:
        if o.unchanged:
            typer.echo(f"{o.source}: already imported (document {o.document_id}); nothing changed")
            continue
        note = ""
        if o.superseded_by is not None:
            note = f"; older than document {o.superseded_by}, kept as superseded"
        elif o.supersedes is not None:
            note = f"; supersedes document {o.supersedes}"
        typer.echo(
            f"{o.source}: {o.format} {o.identity} version {o.version}, document {o.document_id}: "
            f"{o.statements} statements, {o.matches} applied to components "
            f"({o.proposed} proposed not-affected){note}"
        )
        for problem in o.problems[:5]:
            err(f"warning: {o.source}: {problem}")
        if len(o.problems) > 5:
            err(f"warning: {o.source}: ... and {len(o.problems) - 5} more (see --format json)")


@advisories_app.command("list")
def advisories_list(
    current: bool = typer.Option(False, "--current", help="Only current revisions."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Imported supplier documents, with their revision and whether it is current."""
    from psirt.cli.context import STATE
    from psirt.services import supplier_advisories as service

    with STATE.store().reader() as s:
        docs = service.list_documents(s, include_superseded=not current)
    rows = [
        {
            "id": d.id,
            "format": d.format,
            "profile": d.profile,
            "tracking_id": d.tracking_id,
            "version": d.version,
            "publisher": d.publisher,
            "title": d.title,
            "file": d.file_name,
            "sha256": d.sha256,
            "statements": d.statements,
            "matches": d.matches,
            "current": d.current,
            "problems": list(d.problems),
            "imported_by": d.imported_by,
            "imported_at": d.imported_at,
        }
        for d in docs
    ]
    emit(
        fmt,
        rows,
        [
            ("id", "#"),
            ("format", "Format"),
            ("tracking_id", "Document"),
            ("version", "Version"),
            ("publisher", "Publisher"),
            ("title", "Title"),
            ("statements", "Statements"),
            ("matches", "Applied"),
            ("current", "Current"),
            ("imported_at", "Imported (UTC)"),
        ],
        empty="no supplier advisories yet: psirt advisories import FILE|DIR",
    )


@advisories_app.command("statements")
def advisories_statements(
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
    status: str | None = typer.Option(
        None, "--status", help="not_affected, affected, fixed or under_investigation"
    ),
    include_superseded: bool = typer.Option(
        False, "--all", help="Include statements of superseded revisions."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Supplier statements applied to a release's components, with the assessment state of
    each not-affected and the findings each statement concerns."""
    from psirt.cli.context import STATE
    from psirt.domain.vex import VexStatus
    from psirt.services import supplier_advisories as service

    wanted = None
    if status is not None:
        try:
            wanted = VexStatus(status)
        except ValueError:
            raise typer.BadParameter(
                f"{status!r}: use {', '.join(v.value for v in VexStatus)}", param_hint="--status"
            ) from None
    with STATE.store().reader() as s:
        views = service.release_statements(
            s,
            product=product,
            version=release,
            include_superseded=include_superseded,
            status=wanted,
        )
    rows = [
        {
            "id": v.match_id,
            "component": v.component,
            "version": v.component_version,
            "purl": v.purl,
            "vulnerability": v.vulnerability,
            "aliases": list(v.aliases),
            "status": v.status,
            "supplier_status": v.supplier_status,
            "justification": v.justification,
            "impact": v.impact,
            "action": v.action,
            "assessment": v.assessment.state or None,
            "decided_by": v.assessment.by,
            "decided_at": v.assessment.at,
            "rationale": v.assessment.rationale,
            "matched_by": v.method,
            "document_id": v.document_id,
            "document": v.document,
            "document_version": v.document_version,
            "current": v.current,
            "findings": list(v.findings),
        }
        for v in views
    ]
    emit(
        fmt,
        rows,
        [
            ("id", "#"),
            ("component", "Component"),
            ("version", "Version"),
            ("vulnerability", "Vulnerability"),
            ("status", "Supplier says"),
            ("justification", "Justification"),
            ("assessment", "Assessment"),
            ("findings", "Findings"),
            ("document", "Document"),
            ("matched_by", "Matched by"),
        ],
        title=f"{product} {release}: supplier statements",
        empty=f"no supplier statements apply to {product} {release}",
    )


def _decide(match_id: int, rationale: str, confirmed: bool) -> None:
    from psirt.cli.context import STATE
    from psirt.services import supplier_advisories as service

    decision = service.Decision.CONFIRMED if confirmed else service.Decision.REJECTED
    with STATE.store().unit_of_work() as s:
        service.decide(
            s, actor=STATE.actor, match_id=match_id, decision=decision, rationale=rationale
        )
    typer.echo(f"supplier not-affected assessment {match_id} {decision.value} by {STATE.actor}")


@advisories_app.command("confirm")
def advisories_confirm(
    match_id: int = typer.Argument(..., help="Statement id from 'psirt advisories statements'."),
    rationale: str = typer.Option(..., "--rationale", help="Why the supplier's claim holds here."),
) -> None:
    """Confirm a supplier's not-affected statement for this component (attributed, audited)."""
    _decide(match_id, rationale, True)


@advisories_app.command("reject")
def advisories_reject(
    match_id: int = typer.Argument(..., help="Statement id from 'psirt advisories statements'."),
    rationale: str = typer.Option(..., "--rationale", help="Why it does not hold here."),
) -> None:
    """Reject a supplier's not-affected statement for this component (attributed, audited)."""
    _decide(match_id, rationale, False)


@advisories_app.command("apply")
def advisories_apply() -> None:
    """Apply the current supplier statements to components they do not meet yet (after a new
    SBOM or release was imported)."""
    from psirt.cli.context import STATE
    from psirt.services import supplier_advisories as service

    with STATE.store().unit_of_work() as s:
        matches, proposed = service.apply_current(s, actor=STATE.actor)
    typer.echo(
        f"{matches} statements newly applied to components ({proposed} proposed not-affected)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(csaf_app, name="csaf")
    app.add_typer(advisories_app, name="advisories")
