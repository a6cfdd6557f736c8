"""psirt publish csaf | vex | advisory | list | show

Documents written from psirt's own records (docs/publishing.md): the CSAF 2.0 security
advisory of an issue and its customer advisory (HTML, PDF), the VEX of a release (CSAF,
CycloneDX, OpenVEX). Each published version is stored, versioned and sealed in the audit chain.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit, emit_json, err
from psirt.errors import UsageError
from psirt.services import policy_store
from psirt.services import publications as service

publish_app = typer.Typer(
    help="Publish advisories and VEX documents from the records (CSAF 2.0, CycloneDX, OpenVEX).",
    no_args_is_help=True,
)
POLICY = typer.Option(
    None, "--policy", envvar="PSIRT_POLICY", help="Policy TOML merged over the shipped default."
)
OUT = typer.Option(None, "--out", "-o", help="Write the document to FILE (default: stdout).")
SUMMARY = typer.Option(
    None, "--summary", help="The revision summary (default: what changed, in words)."
)


def _deliver(published: service.Published, out: Path | None) -> None:
    """The document to ``out`` (or stdout) and one line saying what was published."""
    if published.unchanged:
        line = (
            f"{published.document_id} version {published.version} "
            f"({published.status or published.kind}): unchanged since "
            f"{published.published_at:%Y-%m-%d %H:%M} UTC (publication {published.id}); "
            "no new version"
        )
    else:
        line = (
            f"published {published.document_id} version {published.version} "
            f"({published.status or published.kind}) as publication {published.id}, "
            f"sha256 {published.sha256}"
        )
    for problem in published.problems:
        err(f"warning: {problem}")
    if out is None:
        sys.stdout.buffer.write(published.content)
        sys.stdout.flush()
        err(line)
        return
    out.write_bytes(published.content)
    typer.echo(f"{line}; written to {out}")


@publish_app.command("csaf")
def csaf(
    issue: int = typer.Argument(..., help="Issue number."),
    out: Path | None = OUT,
    status: service.CsafStatus = typer.Option(
        service.CsafStatus.DRAFT, "--status", help="draft, interim or final."
    ),
    summary: str | None = SUMMARY,
    policy_file: Path | None = POLICY,
) -> None:
    """The CSAF 2.0 security advisory of an issue (profile csaf_security_advisory), from its
    records and the stored products.

    Each release of the issue gets its product status and remediations; the publisher, the
    tracking id pattern and the self URL come from the policy's [publisher] and [publishing]
    tables (the tracking id is the R10 advisory_id when there is one). Publishing changed
    content stores a new version with its revision summary; the same content with the same
    status is no new version. interim and final are refused while the issue is under embargo
    or its disclosure decision does not allow it; final is refused unless the document passes
    every mandatory CSAF test. Exit 2 naming the reason."""
    policy = policy_store.active_policy(policy_file)
    with STATE.store().unit_of_work() as s:
        published = service.publish_advisory(
            s, issue, status=status, actor=STATE.actor, policy=policy, summary=summary
        )
    _deliver(published, out)


def _release(text: str) -> tuple[str, str]:
    product, at, version = text.rpartition("@")
    if not at or not product.strip() or not version.strip():
        raise UsageError(f"name the release as PRODUCT@RELEASE, not {text!r}")
    return product, version


@publish_app.command("vex")
def vex(
    release: str = typer.Argument(..., help="PRODUCT@RELEASE"),
    fmt: service.VexFormat = typer.Option(
        ..., "--format", "-f", help="csaf, cyclonedx or openvex."
    ),
    out: Path | None = OUT,
    summary: str | None = SUMMARY,
    policy_file: Path | None = POLICY,
) -> None:
    """The VEX of a release as CSAF 2.0 (profile csaf_vex), CycloneDX 1.6 or OpenVEX 0.2.0.

    Every vulnerability matched in the release's current components gets a statement: the
    status its security issue gives the release (not affected with the justification and
    impact statement, affected with what to do, fixed, under investigation), a supplier's
    not-affected a person confirmed, or for what nobody has assessed yet the policy's
    [publishing] unassessed_findings (under_investigation by default). Security issues naming
    the release without a finding in it (the fix release) are included. The three formats
    are written from the same statements."""
    product, version = _release(release)
    policy = policy_store.active_policy(policy_file)
    with STATE.store().unit_of_work() as s:
        published = service.publish_vex(
            s, product, version, fmt, actor=STATE.actor, policy=policy, summary=summary
        )
    _deliver(published, out)


@publish_app.command("advisory")
def advisory(
    issue: int = typer.Argument(..., help="Issue number."),
    fmt: service.AdvisoryFormat = typer.Option(..., "--format", "-f", help="html or pdf."),
    out: Path | None = OUT,
) -> None:
    """The customer advisory of an issue in plain words, as HTML or PDF: what is affected, the
    risk, what to do now, the fix and where to get it, the vulnerability, whom to contact.

    Written from the newest published version of the issue's CSAF advisory (publish it first
    with 'psirt publish csaf'), so the two say the same; stored like every publication."""
    with STATE.store().unit_of_work() as s:
        published = service.publish_customer_advisory(s, issue, fmt, actor=STATE.actor)
    _deliver(published, out)


@publish_app.command("list")
def list_(
    issue: int | None = typer.Option(None, "--issue", help="Only the advisories of this issue."),
    release: str | None = typer.Option(None, "--release", help="Only this PRODUCT@RELEASE."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json"),
) -> None:
    """Every published version: document, version, status, sha256, who and when."""
    product = version = None
    if release is not None:
        product, version = _release(release)
    with STATE.store().reader() as s:
        rows = service.list_publications(s, issue_id=issue, product=product, version=version)
    dicts = [r.as_dict() for r in rows]
    if fmt is OutputFormat.JSON:
        emit_json(dicts)
        return
    for d in dicts:
        d["about"] = f"issue {d['issue']}" if d["issue"] is not None else d["release"]
        d["sha256"] = d["sha256"][:12]
    emit(
        fmt,
        dicts,
        [
            ("id", "#"),
            ("kind", "Kind"),
            ("document_id", "Document"),
            ("version", "Version"),
            ("status", "Status"),
            ("about", "About"),
            ("published_at", "Published (UTC)"),
            ("published_by", "By"),
            ("sha256", "sha256"),
            ("summary", "Summary"),
        ],
        title="publications",
        empty="nothing published",
    )


@publish_app.command("show")
def show(
    publication: int = typer.Argument(..., help="Publication number (see 'psirt publish list')."),
    out: Path | None = OUT,
) -> None:
    """A stored publication's document, byte for byte as it was published."""
    with STATE.store().reader() as s:
        found = service.get_publication(s, publication)
    if out is None:
        sys.stdout.buffer.write(found.content)
        sys.stdout.flush()
        return
    out.write_bytes(found.content)
    typer.echo(f"publication {found.id} ({found.document_id} version {found.version}) written "
               f"to {out}")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(publish_app, name="publish")
