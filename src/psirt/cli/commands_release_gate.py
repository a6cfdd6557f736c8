"""psirt release review | sign | gate | approve: the R13a release gate (docs/release-gate.md).

``review`` stores the open-issue review minutes of a release from a TOML or JSON file,
``sign`` adds a signature to the current minutes, ``gate`` shows what the gate sees (open
issues of the product, KEV findings of the release, the product's releases registered without
review, the untriaged findings and activities that block under the policy, what the minutes
cover and what is missing; exit 1 when the gate is not met) and ``approve`` checks the gate and
moves the release to released or fielded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from psirt.cli.commands_catalog import release_app
from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit_json, emit_table
from psirt.domain.records import Role, SignatureMeaning
from psirt.errors import UsageError
from psirt.services import issues, policy_store
from psirt.services import release_gate as gate
from psirt.services.catalog import ReleaseStatus, WithoutReview

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
POLICY = typer.Option(
    None, "--policy", envvar="PSIRT_POLICY", help="Policy TOML merged over the shipped default."
)
VERSION = typer.Argument(..., help="Release version, e.g. 7.4.3")
PRODUCT = typer.Option(..., "--product", "-p")
ROLE = typer.Option(None, "--as-role", help="The role you sign in (default: your policy role).")


def _short(digest: str) -> str:
    return digest[:12]


def _print_review(stored: gate.StoredReview, fmt: OutputFormat, verb: str) -> None:
    review = stored.review
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "product": review.product,
                "release": review.release,
                "seq": stored.seq,
                "digest": stored.digest,
                "review": review.to_dict(),
            }
        )
        return
    typer.echo(
        f"release {review.product} {review.release}: review minutes {verb} "
        f"(version {stored.seq}, sha256:{_short(stored.digest)}, {len(review.issues)} issue "
        f"entries, {len(review.kev)} KEV assessments)"
    )
    for sig in review.signatures:
        typer.echo(f"  signed: {sig.signer} ({sig.role.value}, {sig.meaning.value})")


def review(
    version: str = VERSION,
    product: str = PRODUCT,
    file: Path = typer.Option(..., "--file", help="Review minutes, TOML or JSON."),
    sign: SignatureMeaning | None = typer.Option(
        None, "--sign", help="Sign the minutes you submit: authored, reviewed or approved."
    ),
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Record the R13a open-issue review minutes of a release (a new version if some exist)."""
    if sign is None and role is not None:
        raise UsageError("--as-role goes with --sign")
    policy = policy_store.active_policy(policy_file)
    data, minutes = gate.read_review_file(file, product=product, version=version)
    signer = issues.signer_for(policy, STATE.actor, sign, role) if sign is not None else None
    with STATE.store().unit_of_work() as s:
        stored = gate.record_review(s, actor=STATE.actor, product=product, version=version,
                                    review=minutes, policy=policy, sign=signer,
                                    file_name=file.name, data=data)  # fmt: skip
    _print_review(stored, fmt, "recorded")


def sign_(
    version: str = VERSION,
    product: str = PRODUCT,
    meaning: SignatureMeaning = typer.Option(SignatureMeaning.APPROVED, "--meaning"),
    role: Role | None = ROLE,
    digest: str | None = typer.Option(
        None, "--digest", help="Sign only if the current minutes have this sha256 (or prefix)."
    ),
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Sign the current review minutes of a release as the acting user."""
    policy = policy_store.active_policy(policy_file)
    signer = issues.signer_for(policy, STATE.actor, meaning, role)
    with STATE.store().unit_of_work() as s:
        stored, _sig = gate.sign_review(s, product=product, version=version, signer=signer,
                                        policy=policy, expected_digest=digest)  # fmt: skip
    _print_review(stored, fmt, "signed")


def _without_review_line(w: WithoutReview) -> str:
    how = "registered" if w.kind == "unreviewed" else "moved past the gate to"
    head = (f"{how} {w.status} without review (decision {w.decision_id} by {w.decided_by}, "
            f"{w.decided_at:%Y-%m-%d %H:%M} UTC): ")  # fmt: skip
    if w.covered_by is None:
        return head + "the product's next review must cover it"
    return head + f"covered by the review of {w.covered_by[0]} (approval {w.covered_by[1]})"


def _print_report(report: gate.GateReport) -> None:
    review = report.review
    typer.echo(f"release gate of {report.product} {report.release} ({report.status}): "
               + ("met" if report.met else "NOT met"))  # fmt: skip
    for w in report.without_review:
        typer.echo(_without_review_line(w))
    if review is None:
        typer.echo("review: none recorded (psirt release review)")
    else:
        r = review.review
        typer.echo(
            f"review: version {review.seq}, held {r.held_on.isoformat()}, chair {r.chair}, "
            f"{len(r.attendees)} attendees, sha256:{_short(review.digest)}"
        )
        for sig in r.signatures:
            typer.echo(f"  signed: {sig.signer} ({sig.role.value}, {sig.meaning.value})")
    emit_table(
        [{**r, "covered": "yes" if r["covered"] else "no"} for r in report.issue_rows()],
        [
            ("issue", "Issue"),
            ("state", "State"),
            ("releases", "Releases"),
            ("covered", "Covered"),
            ("decision", "Decision"),
            ("notes", "Notes"),
        ],
        title="Open issues of the product",
        empty="open issues of the product: none",
    )
    emit_table(
        report.kev_rows(),
        [
            ("kev", "KEV"),
            ("component", "Component"),
            ("version", "Version"),
            ("assessment", "Assessment"),
            ("reference", "Reference"),
        ],
        title="KEV-listed vulnerabilities in the release",
        empty="KEV-listed vulnerabilities in the release: none",
    )
    emit_table(
        [{**r, "covered": "yes" if r["covered"] else "no"} for r in report.unreviewed_rows()],
        [
            ("release", "Release"),
            ("status", "Status"),
            ("decision", "Decision"),
            ("decided_by", "By"),
            ("open_issues", "Open issues"),
            ("covered", "Covered"),
            ("notes", "Notes"),
        ],
        title="Releases of the product registered without review (the review lists them)",
        empty="releases of the product registered without review: none",
    )
    if report.untriaged:
        emit_table(
            report.untriaged_rows(),
            [
                ("finding", "Finding"),
                ("source", "Kind"),
                ("severity", "Severity"),
                ("what", "What"),
                ("since", "Open since"),
            ],
            title="Untriaged findings that block (attach to an issue / dispose)",
        )
    if report.due:
        emit_table(
            report.due_rows(),
            [("type", "Activity"), ("status", "Status"), ("release", "Release"), ("reason", "Why")],
            title="Activities that block",
        )
    independent = " (not the chair)" if report.approvals_independent else ""
    typer.echo(f"approval by: {', '.join(report.required_approvals)}{independent}")
    for d in report.decisions:
        what = f"review version {d.review_seq}" if d.kind == "approval" else d.justification
        typer.echo(f"{d.kind}: {d.status} by {d.decided_by} at {d.decided_at.isoformat()}: {what}")
    if report.missing:
        typer.echo("missing:")
        for item in report.missing:
            typer.echo(f"  - {item}")


def gate_(
    version: str = VERSION,
    product: str = PRODUCT,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Show the gate: open issues, KEV findings, releases registered without review, the
    untriaged findings and activities that block, coverage and what is missing (exit 1: not
    met)."""
    policy = policy_store.active_policy(policy_file)
    with STATE.store().reader() as s:
        report = gate.gate_report(s, product=product, version=version, policy=policy)
    if fmt is OutputFormat.JSON:
        emit_json(report.as_dict())
    else:
        _print_report(report)
    if not report.met:
        raise typer.Exit(1)


def approve(
    version: str = VERSION,
    product: str = PRODUCT,
    status: ReleaseStatus = typer.Option(
        ReleaseStatus.RELEASED, "--status", help="released or fielded"
    ),
    released_on: str | None = typer.Option(None, "--released-on", help="YYYY-MM-DD"),
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Approve the release through the gate and move it to released (or fielded)."""
    day = None
    if released_on is not None:
        try:
            day = dt.date.fromisoformat(released_on)
        except ValueError:
            raise typer.BadParameter(
                f"{released_on!r} is not a date (YYYY-MM-DD)", param_hint="--released-on"
            ) from None
    policy = policy_store.active_policy(policy_file)
    with STATE.store().unit_of_work() as s:
        report = gate.approve_release(s, actor=STATE.actor, product=product, version=version,
                                      policy=policy, status=status, released_on=day)  # fmt: skip
    if fmt is OutputFormat.JSON:
        emit_json(report.as_dict())
        return
    assert report.review is not None
    typer.echo(
        f"release {product} {version} approved and {report.status} (review version "
        f"{report.review.seq}, {len(report.open_issues)} open issues, "
        f"{len(report.kev_findings)} KEV findings covered)"
    )


def register(app: typer.Typer) -> None:
    """Add the gate commands to the ``release`` group (``commands_catalog`` registers the group
    on ``app``)."""
    release_app.command("review")(review)
    release_app.command("sign")(sign_)
    release_app.command("gate")(gate_)
    release_app.command("approve")(approve)
