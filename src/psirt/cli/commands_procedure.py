"""psirt procedure render | issue | sign | list: the Security Issue Resolution Procedure.

psirt writes the procedure from the active policy (the shipped default merged with ``--policy``
or ``$PSIRT_POLICY``) and the products and test plans of the store. ``issue`` records a new
version when the text or the policy changed, ``sign`` adds a signature to a version, ``render``
prints a version (or the draft of the next one) as Markdown, HTML or PDF, ``list`` shows the
versions and their approval.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit, emit_json
from psirt.domain.records import Role, SignatureMeaning
from psirt.errors import UsageError
from psirt.publish.render import RenderFormat, render
from psirt.services import issues, policy_store
from psirt.services import procedure as proc

procedure_app = typer.Typer(
    help="The Security Issue Resolution Procedure, written from the policy: render, issue, sign.",
    no_args_is_help=True,
)
FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
POLICY = typer.Option(
    None, "--policy", envvar="PSIRT_POLICY", help="Policy TOML merged over the shipped default."
)
VERSION = typer.Option(None, "--version", min=1, help="Version number (default: newest).")


def write_output(data: bytes, out: Path | None, default_name: str) -> Path | None:
    """``data`` to ``out`` (a file, or a folder that gets ``default_name``), written whole or not
    at all; without ``out``, to standard output. Returns the file written."""
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return None
    target = out / default_name if out.is_dir() else out
    if not target.parent.is_dir():
        raise UsageError(f"{target}: the folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@procedure_app.command("render")
def render_(
    fmt: RenderFormat = typer.Option(RenderFormat.MD, "--format", "-f", help="md, html or pdf"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="File or folder to write (default: standard output)."
    ),
    version: int | None = typer.Option(
        None,
        "--version",
        min=1,
        help="Issued version to print (default: the text of the active policy; a draft if not "
        "issued).",
    ),
    policy_file: Path | None = POLICY,
) -> None:
    """Print the procedure: version N, or the newest version when it is what the active policy
    gives, or else a draft of the next version (marked as not issued)."""
    if out is None and fmt is RenderFormat.PDF and sys.stdout.isatty():
        raise UsageError("a PDF does not go to a terminal: give --out FILE")
    policy = policy_store.active_policy(policy_file)
    with STATE.store().reader() as s:
        rendered = proc.document(s, policy, version)
    data = render(rendered.document, fmt)
    written = write_output(data, out, f"{rendered.file_stem}.{fmt.value}")
    if written is not None:
        what = f"version {rendered.version}" if rendered.version else "draft (not issued)"
        typer.echo(f"procedure {what}: {rendered.document.status}; written to {written}",
                   err=True)  # fmt: skip


def _summary(v: proc.StoredVersion) -> str:
    return (f"procedure version {v.version} ({v.document_id}), content sha256:"
            f"{v.content_digest[:12]}: {v.status}")  # fmt: skip


@procedure_app.command("issue")
def issue_(
    note: str = typer.Option("", "--note", help="Why this version is issued (recorded)."),
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Issue the procedure written from the active policy as a new version (if it changed)."""
    policy = policy_store.active_policy(policy_file)
    with STATE.store().unit_of_work() as s:
        outcome = proc.issue(s, actor=STATE.actor, policy=policy, note=note)
    v = outcome.version
    if fmt is OutputFormat.JSON:
        emit_json({"issued": outcome.issued, **v.as_dict()})
        return
    if outcome.issued:
        typer.echo(f"issued {_summary(v)}")
        for change in v.changes:
            typer.echo(f"  {change}")
    else:
        typer.echo(f"nothing to issue: the policy and the text are those of {_summary(v)}")


@procedure_app.command("sign")
def sign_(
    version: int | None = VERSION,
    meaning: SignatureMeaning = typer.Option(
        SignatureMeaning.APPROVED, "--meaning", help="approved or reviewed"
    ),
    role: Role | None = typer.Option(
        None, "--as-role", help="The role you sign in (default: your policy role)."
    ),
    digest: str | None = typer.Option(
        None, "--digest", help="Sign only if the version's content sha256 is this (or a prefix)."
    ),
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Sign a version of the procedure as the acting user."""
    policy = policy_store.active_policy(policy_file)
    signer = issues.signer_for(policy, STATE.actor, meaning, role)
    with STATE.store().unit_of_work() as s:
        stored, sig = proc.sign(s, signer=signer, policy=policy, version=version,
                                expected_digest=digest)  # fmt: skip
    if fmt is OutputFormat.JSON:
        emit_json(stored.as_dict())
        return
    typer.echo(f"signed by {sig.signer} ({sig.role.value}, {sig.meaning.value}): "
               f"{_summary(stored)}")  # fmt: skip


@procedure_app.command("list")
def list_(fmt: OutputFormat = FORMAT) -> None:
    """Issued versions, their approval and what changed."""
    with STATE.store().reader() as s:
        found = proc.versions(s)
    rows = [
        {
            "version": v.version,
            "document_id": v.document_id,
            "issued": v.issued_at,
            "issued_by": v.issued_by,
            "status": v.status,
            "signatures": [f"{x.signer} ({x.role.value}, {x.meaning.value})" for x in v.signatures],
            "changes": len(v.changes),
        }
        for v in found
    ]
    emit(
        fmt,
        rows,
        [
            ("version", "Version"),
            ("document_id", "Document"),
            ("issued", "Issued"),
            ("issued_by", "By"),
            ("status", "Status"),
            ("signatures", "Signatures"),
        ],
        json_value=[v.as_dict() for v in found],
        empty="no version issued yet: psirt procedure issue",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(procedure_app, name="procedure")
