"""psirt issue new | show | list | triage | analyze | decide | ... | sign | deadlines

Records come from ``--file FILE`` (TOML or JSON, see docs/issue-records.md); simple records also
from flags, which win over the file's keys. ``--sign MEANING`` signs what you submit as the
acting user (``--user`` / ``PSIRT_USER``) in ``--as-role``; others sign beforehand with
``psirt issue sign``. The active policy is the shipped default merged with ``--policy FILE`` or
``$PSIRT_POLICY``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit, emit_json, emit_table
from psirt.domain.issue import Action
from psirt.domain.policy import Policy
from psirt.domain.records import (
    Analysis,
    ChangeImpactReview,
    ChangeRequest,
    Closure,
    CrossProduct,
    DisclosureDecision,
    Duplicate,
    Intake,
    IntakeSource,
    ItemClass,
    NotAffected,
    Override,
    PostFix,
    Record,
    ReleaseAdvisory,
    ReleaseStatus,
    Reopen,
    ReopenTrigger,
    ResolutionDecision,
    Rework,
    RiskAcceptance,
    Role,
    SignatureMeaning,
    Triage,
    Verification,
    VexJustification,
    required_fields,
)
from psirt.errors import UsageError
from psirt.services import findings, issues, policy_store

issue_app = typer.Typer(
    help="Security issues: intake, triage, analysis, decisions, change review, closure.",
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
POLICY = typer.Option(
    None, "--policy", envvar="PSIRT_POLICY", help="Policy TOML merged over the shipped default."
)
FILE = typer.Option(None, "--file", help="Record file, TOML or JSON (docs/issue-records.md).")
SIGN = typer.Option(None, "--sign", help="Sign what you submit: authored, reviewed or approved.")
ROLE = typer.Option(None, "--as-role", help="The role you sign in (default: your policy role).")
ISSUE = typer.Argument(..., help="Issue number.")

_COMMAND_ACTIONS: dict[str, Action] = {
    "triage": Action.TRIAGE,
    "close-not-affected": Action.CLOSE_NOT_AFFECTED,
    "close-duplicate": Action.CLOSE_DUPLICATE,
    "analyze": Action.ANALYZE,
    "decide": Action.DECIDE,
    "remediate": Action.START_REMEDIATION,
    "review-change": Action.ATTACH,
    "verify": Action.VERIFY,
    "rework": Action.REWORK,
    "release": Action.RELEASE,
    "monitor": Action.MONITOR,
    "accept-risk": Action.ACCEPT_RISK,
    "close": Action.CLOSE,
    "reopen": Action.REOPEN,
    "attach": Action.ATTACH,
    "override": Action.OVERRIDE,
}


# --------------------------------------------------------------------------- helpers


def _needs(
    cls: type[Record], flags: dict[str, str] | None = None, *, filled: tuple[str, ...] = ()
) -> str:
    """The "Required:" paragraph of a record command's help, from the record's fields."""
    names = [n for n in required_fields(cls) if n not in filled]
    if not names:
        return f"No field of {cls.KIND} is required; the gates name what they need."
    in_file = ", ".join(names)
    if flags:
        return f"Required: {', '.join(flags.get(n, n) for n in names)} (file fields: {in_file})."
    return f"Required file fields: {in_file}."


def _help(what: str, *needs: str) -> str:
    # rich reads [name] as markup; "\[" shows the bracket
    return "\n\n".join([what, *needs]).replace("[", "\\[")


_DECISION_FILE = _help("[disclosure] [resolution] [cross_product] (and [change_request]).")


def _attach_needs() -> str:
    kinds = {alias: issues.ATTACHABLE[kind] for alias, kind in issues.ATTACH_ALIASES.items()}
    return (
        "Required file fields: "
        + "; ".join(f"{alias}: {', '.join(required_fields(cls))}" for alias, cls in kinds.items())
        + "."
    )


def _decision_needs() -> str:
    tables = (("disclosure", DisclosureDecision), ("resolution", ResolutionDecision),
              ("cross_product", CrossProduct))  # fmt: skip
    return (
        "Required tables and fields: "
        + "; ".join(f"[{name}] {', '.join(required_fields(cls))}" for name, cls in tables)
        + ". Several [[resolution]] tables, each with its releases, resolve releases differently."
    )


def _data(file: Path | None, flags: dict[str, Any]) -> tuple[dict[str, Any], str]:
    data = issues.read_record_file(file) if file is not None else {}
    given = {k: v for k, v in flags.items() if v is not None and v != []}
    data.update(given)
    if file is not None:
        return data, str(file)
    return data, "command line"


def _signer(
    policy: Policy, sign: SignatureMeaning | None, role: Role | None
) -> issues.Signer | None:
    if sign is None:
        if role is not None:
            raise UsageError("--as-role goes with --sign")
        return None
    return issues.signer_for(policy, STATE.actor, sign, role)


def _short(digest: str) -> str:
    return digest[:12]


def _sig_text(sig: dict[str, Any]) -> str:
    digest = _short(sig["digest_sha256"])
    return f"{sig['signer']} ({sig['role']}, {sig['meaning']}) sha256:{digest}"


def _print_outcome(out: issues.Outcome, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.JSON:
        emit_json(out.as_dict())
        return
    moved = f"{out.state_before} -> {out.state}" if out.state_before else out.state
    if out.state_before == out.state:
        moved = f"still {out.state}"
    typer.echo(f"issue {out.issue_id}: {moved}")
    for event in out.events:
        kinds = ", ".join(r.KIND for r in event.records)
        typer.echo(
            f"  event {event.seq} {event.action.value} [{kinds}] by {event.actor}, "
            f"policy {_short(event.policy_digest)}, digest {_short(event.digest)}"
        )
        for sig in event.signatures:
            typer.echo(f"    signed: {_sig_text(sig.to_dict())}")


def _run(
    issue: int,
    action: Action,
    records: list[Record],
    *,
    policy_file: Path | None,
    sign: SignatureMeaning | None,
    role: Role | None,
    fmt: OutputFormat,
) -> None:
    policy = policy_store.active_policy(policy_file)
    signer = _signer(policy, sign, role)
    with STATE.store().unit_of_work() as s:
        out = issues.transition(
            s, issue, action, records, actor=STATE.actor, policy=policy, sign=signer
        )
    _print_outcome(out, fmt)


def _single(
    issue: int,
    action: Action,
    file: Path | None,
    flags: dict[str, Any],
    *,
    policy_file: Path | None,
    sign: SignatureMeaning | None,
    role: Role | None,
    fmt: OutputFormat,
) -> None:
    data, source = _data(file, flags)
    record = issues.record_from_data(issues.SINGLE_RECORD[action], data, source=source)
    _run(issue, action, [record], policy_file=policy_file, sign=sign, role=role, fmt=fmt)


def _affected(values: list[str] | None) -> list[dict[str, Any]] | None:
    """``PRODUCT@RELEASE`` or ``PRODUCT@RELEASE=STATUS`` (status default under_investigation)."""
    if not values:
        return None
    out = []
    for i, value in enumerate(values):
        status = ReleaseStatus.UNDER_INVESTIGATION.value
        text = value
        head, sep, tail = value.rpartition("=")
        if sep and tail in {s.value for s in ReleaseStatus}:
            text, status = head, tail
        product, at, release = text.rpartition("@")
        if not at or not product.strip() or not release.strip():
            raise UsageError(f"--affected[{i}]: expected PRODUCT@RELEASE[=STATUS], got {value!r}")
        out.append({"product": product, "release": release, "status": status})
    return out


# --------------------------------------------------------------------------- intake


@issue_app.command(
    "new",
    help=_help(
        "Open an issue (R1 intake) from flags, a record file, or SBOM findings.",
        _needs(
            Intake,
            {
                "source": "--source",
                "learned_at": "--learned-at",
                "channel": "--channel",
                "summary": "--summary",
                "affected": "--affected",
            },
            filled=("reporter",),
        ),
        "--reporter too when the source is external (policy intake.external_sources). "
        "--from-finding needs none of them.",
    ),
)
def new(
    title: str | None = typer.Option(None, "--title", help="Short title of the issue."),
    source: IntakeSource | None = typer.Option(None, "--source", help="9.2 a-g intake source."),
    learned_at: str | None = typer.Option(
        None, "--learned-at", help="T0: when the organisation learned of it (ISO 8601, with zone)."
    ),
    reporter: str | None = typer.Option(None, "--reporter"),
    channel: str | None = typer.Option(None, "--channel", help="How the report came in."),
    summary: str | None = typer.Option(None, "--summary"),
    vuln: list[str] | None = typer.Option(None, "--vuln", help="CVE/GHSA/... id (repeatable)."),
    affected: list[str] | None = typer.Option(
        None, "--affected", help="PRODUCT@RELEASE[=STATUS] (repeatable)."
    ),
    item_class: ItemClass | None = typer.Option(None, "--item-class"),
    acknowledged_at: str | None = typer.Option(None, "--acknowledged-at"),
    embargo_until: str | None = typer.Option(None, "--embargo-until"),
    file: Path | None = FILE,
    from_finding: list[int] | None = typer.Option(
        None, "--from-finding", help="Promote these findings (repeatable) to a new issue."
    ),
    attach_to: int | None = typer.Option(
        None, "--attach", help="Attach the --from-finding findings to this existing issue."
    ),
    status: ReleaseStatus = typer.Option(
        ReleaseStatus.UNDER_INVESTIGATION, "--status", help="Release status for findings."
    ),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    policy = policy_store.active_policy(policy_file)
    signer = _signer(policy, sign, role)
    if attach_to is not None:
        if not from_finding:
            raise UsageError("--attach needs --from-finding")
        with STATE.store().unit_of_work() as s:
            linked = issues.attach_findings(
                s, attach_to, from_finding, actor=STATE.actor, policy=policy
            )
        if fmt is OutputFormat.JSON:
            emit_json({"issue": attach_to, "linked": linked})
        else:
            typer.echo(
                f"issue {attach_to}: linked findings {', '.join(map(str, linked)) or 'none new'}"
            )
        return
    if from_finding:
        if file is not None or source is not None or learned_at is not None:
            raise UsageError("--from-finding takes its intake from the findings; drop --file, "
                             "--source and --learned-at")  # fmt: skip
        with STATE.store().unit_of_work() as s:
            out = issues.promote_findings(s, from_finding, actor=STATE.actor, policy=policy,
                                          title=title, status=status, sign=signer)  # fmt: skip
            opened = issues.summary_of(s, out.issue_id, policy)
        if fmt is OutputFormat.JSON:
            emit_json({**out.as_dict(), "vulnerability_ids": list(opened.vulnerability_ids),
                       "kev": opened.kev, "kev_ids": list(opened.kev_ids)})  # fmt: skip
            return
        _print_outcome(out, fmt)
        typer.echo(f"  vulnerabilities {', '.join(opened.vulnerability_ids) or '-'}; "
                   f"KEV {_kev_text(opened.kev, opened.kev_ids)}")  # fmt: skip
        return
    data, src = _data(
        file,
        {
            "source": source.value if source else None,
            "learned_at": learned_at,
            "reporter": reporter,
            "channel": channel,
            "summary": summary,
            "vulnerability_ids": vuln,
            "affected": _affected(affected),
            "item_class": item_class.value if item_class else None,
            "acknowledged_at": acknowledged_at,
            "embargo_until": embargo_until,
        },
    )
    file_title = data.pop("title", None)
    if reporter is None and "reporter" not in data:
        data["reporter"] = ""
    intake = issues.record_from_data(Intake, data, source=src)
    assert isinstance(intake, Intake)
    chosen = title or (file_title if isinstance(file_title, str) else None) or intake.summary
    with STATE.store().unit_of_work() as s:
        out = issues.open_issue(
            s, intake, title=chosen.split("\n", 1)[0], actor=STATE.actor, policy=policy,
            sign=signer,
        )  # fmt: skip
    _print_outcome(out, fmt)


# --------------------------------------------------------------------------- reading


_LIST_COLUMNS = [
    ("id", "#"),
    ("state", "State"),
    ("title", "Title"),
    ("ssvc_priority", "SSVC"),
    ("risk_control_status", "Risk"),
    ("kev_text", "KEV"),
    ("next_due", "Next due"),
    ("next_due_what", "What"),
    ("overdue", "Overdue"),
]


@issue_app.command("list")
def list_(
    state: list[str] | None = typer.Option(None, "--state", help="Only these states."),
    open_only: bool = typer.Option(False, "--open", help="Only issues not closed."),
    overdue: bool = typer.Option(False, "--overdue", help="Only issues with an overdue timer."),
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Issues with state, SSVC priority, controlled/uncontrolled, KEV and due dates."""
    policy = policy_store.active_policy(policy_file)
    with STATE.store().reader() as s:
        rows = issues.list_issues(
            s, policy, states=[x.upper() for x in state or ()], open_only=open_only
        )
    if overdue:
        rows = [r for r in rows if r.overdue]
    dicts: list[dict[str, Any]] = [
        {
            "id": r.id,
            "title": r.title,
            "state": r.state,
            "created_by": r.created_by,
            "created_at": r.created_at,
            "t0": r.t0,
            "vulnerability_ids": r.vulnerability_ids,
            "risk_control_status": r.risk_control_status,
            "ssvc_priority": r.ssvc_priority,
            "kev": r.kev,
            "kev_ids": list(r.kev_ids),
            "next_due": r.next_due,
            "next_due_what": r.next_due_what,
            "overdue": r.overdue,
        }
        for r in rows
    ]
    if fmt is OutputFormat.TABLE:
        for d, r in zip(dicts, rows, strict=True):
            d["kev_text"] = _kev_text(r.kev, r.kev_ids)
    emit(fmt, dicts, _LIST_COLUMNS, title="security issues", empty="no security issues")


@issue_app.command("show")
def show(issue: int = ISSUE, policy_file: Path | None = POLICY, fmt: OutputFormat = FORMAT) -> None:
    """The full record history (who, when, what, signatures, policy digest), the release matrix
    (each release's status, resolution and gate), the deadlines and the published versions of
    the issue's advisory (marking those an R10 names by its advisory_id) of one issue."""
    policy = policy_store.active_policy(policy_file)
    with STATE.store().reader() as s:
        detail = issues.show_issue(s, issue, policy)
    if fmt is OutputFormat.JSON:
        emit_json(detail.as_dict())
        return
    sm = detail.summary
    typer.secho(f"issue {sm.id}: {sm.title}", bold=True)
    typer.echo(f"  state {sm.state}; opened by {sm.created_by} {sm.created_at:%Y-%m-%d %H:%M} UTC")
    typer.echo(f"  T0 (learned at) {sm.t0.isoformat()}; vulnerabilities "
               f"{', '.join(sm.vulnerability_ids) or '-'}")  # fmt: skip
    typer.echo(
        f"  risk {sm.risk_control_status or 'not analysed'}; SSVC {sm.ssvc_priority or '-'}; "
        f"KEV {_kev_text(sm.kev, sm.kev_ids)}; active policy {_short(detail.policy_digest)}"
    )
    rows = [
        {
            "seq": event.seq,
            "at": event.at,
            "actor": event.actor,
            "action": event.action.value,
            "state": event.state_after.value,
            "records": "\n".join(_record_line(r) for r in event.records),
            "signatures": "\n".join(_sig_text(s.to_dict()) for s in event.signatures),
            "policy": _short(event.policy_digest),
            "digest": _short(event.digest),
        }
        for event in detail.events
    ]
    typer.echo()
    emit_table(
        rows,
        [
            ("seq", "#"),
            ("at", "When (UTC)"),
            ("actor", "Who"),
            ("action", "Action"),
            ("state", "State after"),
            ("records", "Records"),
            ("signatures", "Signatures"),
            ("policy", "Policy"),
            ("digest", "Event digest"),
        ],
        title="record history",
    )
    emit_table(
        [
            {**row, "missing": "\n".join(row["missing"])}
            for row in (issues.release_row(r) for r in detail.releases)
        ],
        [
            ("release", "Product@release"),
            ("status", "Status"),
            ("resolution", "Resolution"),
            ("gate", "Gate"),
            ("missing", "Missing"),
        ],
        title="release matrix",
    )
    emit_table(
        [
            {
                "id": d.id,
                "what": d.what,
                "due": d.due,
                "done": d.done_at,
                "state": "overdue" if d.overdue else ("met" if d.met else "open"),
                "source": d.source,
            }
            for d in detail.deadlines
        ],
        [
            ("id", "Timer"),
            ("what", "What"),
            ("due", "Due (UTC)"),
            ("done", "Done"),
            ("state", "State"),
            ("source", "Source"),
        ],  # fmt: skip
        title="deadlines",
        empty="no deadlines",
    )
    if detail.publications:
        emit_table(
            [
                {
                    **p,
                    "r10": "yes" if p["r10"] else "",
                    "sha256": str(p["sha256"])[:12],
                }
                for p in detail.publications
            ],
            [
                ("id", "#"),
                ("document_id", "Advisory"),
                ("version", "Version"),
                ("status", "Status"),
                ("r10", "R10 advisory_id"),
                ("published_at", "Published (UTC)"),
                ("published_by", "By"),
                ("sha256", "sha256"),
            ],
            title="published advisory versions (psirt publish csaf)",
        )
    if detail.findings:
        emit_table(
            findings.for_table(detail.findings),
            [
                ("id", "Finding"),
                ("product", "Product"),
                ("release", "Release"),
                ("component", "Component"),
                ("version", "Version"),
                ("advisory_id", "Vulnerability"),
                ("severity", "Severity"),
                ("kev_ids", "KEV"),
                ("status", "Status"),
                ("in_release_matrix", "In matrix"),
            ],  # fmt: skip
            title="linked findings",
        )


def _kev_text(kev: bool, ids: Sequence[str]) -> str:
    """``yes (CVE-2023-4911)``, ``yes`` (analysis says KEV, no listed id known) or ``no``."""
    if not kev:
        return "no"
    return f"yes ({', '.join(ids)})" if ids else "yes"


def _record_line(record: Record) -> str:
    data = record.to_dict()
    keys = [
        k
        for k in (
            "decision", "approach", "release_vehicle", "justification", "applicable",
            "risk_control_status", "ssvc_priority", "harm_severity", "kev_listed", "us_route",
            "supplier", "kind", "change_request_id", "software_version", "release_version",
            "transition", "waived", "trigger", "master_issue_id", "rmf_updated_ref", "review_on",
        )
        if k in data and data[k] not in (None, "", [])
    ]  # fmt: skip
    if isinstance(record, ChangeImpactReview):
        aspects = ", ".join(f"{a.aspect.value}:{a.reviewer}:{a.verdict.value}"
                            for a in record.aspects)  # fmt: skip
        return f"{record.KIND} {record.change_request_id} [{aspects}]"
    shown = " ".join(f"{k}={data[k]}" for k in keys)
    return f"{record.KIND} {shown}".rstrip()


@issue_app.command("deadlines")
def deadlines_(
    issue: int | None = typer.Argument(None, help="Issue number (default: every open issue)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue timers."),
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Regulatory and policy timers (FDA 30/60 days, 806, MDR Art. 87, SSVC targets)."""
    policy = policy_store.active_policy(policy_file)
    with STATE.store().reader() as s:
        found = issues.deadlines(s, policy, issue_id=issue)
    rows = [
        {
            "issue": iid,
            "issue_state": state,
            "id": d.id,
            "what": d.what,
            "due": d.due,
            "done_at": d.done_at,
            "met": d.met,
            "overdue": d.overdue,
            "source": d.source,
        }
        for iid, state, d in found
        if d.overdue or not overdue
    ]
    emit(
        fmt,
        rows,
        [
            ("issue", "Issue"),
            ("id", "Timer"),
            ("what", "What"),
            ("due", "Due (UTC)"),
            ("done_at", "Done"),
            ("overdue", "Overdue"),
            ("source", "Source"),
        ],  # fmt: skip
        title="deadlines",
        empty="no deadlines",
    )


# --------------------------------------------------------------------------- transitions


@issue_app.command(
    "triage",
    help=_help(
        "RECEIVED -> TRIAGE with R2 (applicability, verifiability, related threats).",
        _needs(
            Triage,
            {
                "applicable": "--applicable/--not-applicable",
                "applicability_rationale": "--rationale",
                "verifiability": "--verifiability",
            },
        ),
    ),
)
def triage(
    issue: int = ISSUE,
    file: Path | None = FILE,
    applicable: bool | None = typer.Option(None, "--applicable/--not-applicable"),
    rationale: str | None = typer.Option(None, "--rationale", help="Applicability rationale."),
    verifiability: str | None = typer.Option(None, "--verifiability"),
    related_threat: list[str] | None = typer.Option(None, "--related-threat"),
    duplicate_of: str | None = typer.Option(None, "--duplicate-of"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    flags = {
        "applicable": applicable,
        "applicability_rationale": rationale,
        "verifiability": verifiability,
        "related_threats": related_threat,
        "duplicate_of": duplicate_of,
    }
    _single(issue, Action.TRIAGE, file, flags, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "close-not-affected",
    help=_help(
        "TRIAGE -> CLOSED_NOT_AFFECTED: VEX justification, evidence, approver other than author.",
        _needs(
            NotAffected,
            {
                "justification": "--justification",
                "impact_statement": "--impact",
                "evidence": "--evidence",
                "approver": "--approver",
            },
            filled=("author",),
        ),
    ),
)
def close_not_affected(
    issue: int = ISSUE,
    file: Path | None = FILE,
    justification: VexJustification | None = typer.Option(None, "--justification"),
    impact: str | None = typer.Option(None, "--impact", help="VEX impact statement."),
    evidence: list[str] | None = typer.Option(None, "--evidence"),
    author: str | None = typer.Option(None, "--author", help="Default: the acting user."),
    approver: str | None = typer.Option(None, "--approver"),
    release: list[str] | None = typer.Option(None, "--release", help="PRODUCT@RELEASE"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    data, source = _data(file, {
        "justification": justification.value if justification else None,
        "impact_statement": impact, "evidence": evidence, "author": author,
        "approver": approver, "releases": release,
    })  # fmt: skip
    data.setdefault("author", STATE.actor)
    record = issues.record_from_data(NotAffected, data, source=source)
    _run(issue, Action.CLOSE_NOT_AFFECTED, [record], policy_file=policy_file, sign=sign,
         role=role, fmt=fmt)  # fmt: skip


@issue_app.command(
    "close-duplicate",
    help=_help(
        "TRIAGE -> CLOSED_DUPLICATE with the link to the master issue.",
        _needs(Duplicate, {"master_issue_id": "--master"}),
    ),
)
def close_duplicate(
    issue: int = ISSUE,
    file: Path | None = FILE,
    master: str | None = typer.Option(None, "--master", help="The issue this one duplicates."),
    rationale: str | None = typer.Option(None, "--rationale"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    flags = {"master_issue_id": master, "rationale": rationale}
    _single(issue, Action.CLOSE_DUPLICATE, file, flags, policy_file=policy_file, sign=sign,
            role=role, fmt=fmt)  # fmt: skip


@issue_app.command(
    "analyze",
    help=_help(
        "TRIAGE|REOPENED -> ANALYSIS with R3; risk status and SSVC priority computed by policy.",
        _needs(Analysis),
        "The decision needs cvss_v31 or cvss_v40, affected, root_cause, related_issues, "
        "safety_effectiveness_impact, kev_snapshot and the harm severity or exploitability.",
    ),
)
def analyze(
    issue: int = ISSUE,
    file: Path = typer.Option(..., "--file", help="R3 analysis record (TOML or JSON)."),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    _single(issue, Action.ANALYZE, file, {}, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "decide",
    help=_help(
        "ANALYSIS -> DECISION with R4 disclosure, R5 resolution (one per group of releases), "
        "R12 cross-product; with a [change_request] table on to REMEDIATION.",
        _decision_needs(),
    ),
)
def decide(
    issue: int = ISSUE,
    file: Path = typer.Option(
        ...,
        "--file",
        help=_DECISION_FILE,
    ),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    found = issues.decision_from_data(issues.read_record_file(file), source=str(file))
    policy = policy_store.active_policy(policy_file)
    signer = _signer(policy, sign, role)
    with STATE.store().unit_of_work() as s:
        out = issues.decide(s, issue, found.disclosure, found.resolutions, found.cross_product,
                            actor=STATE.actor, policy=policy, sign=signer,
                            change_request=found.change_request)  # fmt: skip
    _print_outcome(out, fmt)


@issue_app.command(
    "remediate",
    help=_help(
        "DECISION (or RELEASED, POST_FIX_MONITORING for a further fix release) -> REMEDIATION "
        "with the change request (62304 §9.4).",
        _needs(
            ChangeRequest, {"change_request_id": "--change-request", "description": "--description"}
        ),
    ),
)
def remediate(
    issue: int = ISSUE,
    file: Path | None = FILE,
    change_request: str | None = typer.Option(None, "--change-request", help="CR id."),
    description: str | None = typer.Option(None, "--description"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    flags = {"change_request_id": change_request, "description": description}
    _single(issue, Action.START_REMEDIATION, file, flags, policy_file=policy_file, sign=sign,
            role=role, fmt=fmt)  # fmt: skip


@issue_app.command(
    "review-change",
    help=_help(
        "Record R6: safety, security, effectiveness, regulatory (labelling) impact, each "
        "reviewer signing it (reviewed or approved); releases: the releases it covers.",
        _needs(ChangeImpactReview),
    ),
)
def review_change(
    issue: int = ISSUE,
    file: Path = typer.Option(..., "--file", help="R6 change impact review."),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    data, source = _data(file, {})
    record = issues.record_from_data(ChangeImpactReview, data, source=source)
    _run(issue, Action.ATTACH, [record], policy_file=policy_file, sign=sign, role=role, fmt=fmt)


@issue_app.command(
    "verify",
    help=_help(
        "REMEDIATION -> VERIFICATION with R9. psirt computes the re-scan from the stored "
        "findings of the release software_version names (VERSION or PRODUCT@VERSION).",
        _needs(Verification),
    ),
)
def verify(
    issue: int = ISSUE,
    file: Path = typer.Option(..., "--file", help="R9 verification record."),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    _single(issue, Action.VERIFY, file, {}, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "rework",
    help=_help(
        "VERIFICATION -> REMEDIATION: verification found the change wanting.",
        _needs(Rework, {"reason": "--reason"}),
    ),
)
def rework(
    issue: int = ISSUE,
    file: Path | None = FILE,
    reason: str | None = typer.Option(None, "--reason"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    _single(issue, Action.REWORK, file, {"reason": reason}, policy_file=policy_file, sign=sign,
            role=role, fmt=fmt)  # fmt: skip


@issue_app.command(
    "release",
    help=_help(
        "VERIFICATION -> RELEASED with R10 (G_verify, G_item_class, advisory, R7 filings); psirt "
        "records the fixed release's SBOM and the VEX statuses and checks the claims.",
        _needs(ReleaseAdvisory),
    ),
)
def release(
    issue: int = ISSUE,
    file: Path = typer.Option(..., "--file", help="R10 release and advisory record."),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    _single(issue, Action.RELEASE, file, {}, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "monitor",
    help=_help(
        "RELEASED -> POST_FIX_MONITORING with R11.",
        _needs(PostFix, {"effectiveness_method": "--method", "effectiveness_result": "--result"}),
    ),
)
def monitor(
    issue: int = ISSUE,
    file: Path | None = FILE,
    method: str | None = typer.Option(None, "--method", help="Effectiveness method."),
    result: str | None = typer.Option(None, "--result", help="Effectiveness result."),
    deployment_rate: float | None = typer.Option(None, "--deployment-rate", help="0..1"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    flags = {"effectiveness_method": method, "effectiveness_result": result,
             "deployment_rate": deployment_rate}  # fmt: skip
    _single(issue, Action.MONITOR, file, flags, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "accept-risk",
    help=_help(
        "R15 for the releases resolved by accepting the residual risk: DECISION -> "
        "OPEN_ACCEPTED when every affected release is, otherwise recorded without a state "
        "change (approvers other than the author, review date).",
        _needs(RiskAcceptance),
    ),
)
def accept_risk(
    issue: int = ISSUE,
    file: Path = typer.Option(..., "--file", help="R15 risk acceptance record."),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    _single(issue, Action.ACCEPT_RISK, file, {}, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "close",
    help=_help(
        "POST_FIX_MONITORING|OPEN_ACCEPTED|DECISION -> CLOSED with R16; checks every item of "
        "G_close, each affected release's resolution included.",
        _needs(
            Closure,
            {"rmf_updated_ref": "--rmf-ref", "problem_report_closed": "--problem-report-closed"},
        ),
    ),
)
def close(
    issue: int = ISSUE,
    file: Path | None = FILE,
    rmf_ref: str | None = typer.Option(None, "--rmf-ref", help="Risk management file update."),
    problem_report_closed: bool | None = typer.Option(
        None, "--problem-report-closed/--problem-report-open"
    ),
    summary: str | None = typer.Option(None, "--summary"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    flags = {"rmf_updated_ref": rmf_ref, "problem_report_closed": problem_report_closed,
             "summary": summary}  # fmt: skip
    _single(issue, Action.CLOSE, file, flags, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "reopen",
    help=_help(
        "POST_FIX_MONITORING|OPEN_ACCEPTED -> REOPENED (KEV listing, PoC, field incident ...).",
        _needs(Reopen, {"trigger": "--trigger", "details": "--details"}),
    ),
)
def reopen(
    issue: int = ISSUE,
    file: Path | None = FILE,
    trigger: ReopenTrigger | None = typer.Option(None, "--trigger"),
    details: str | None = typer.Option(None, "--details"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    flags = {"trigger": trigger.value if trigger else None, "details": details}
    _single(issue, Action.REOPEN, file, flags, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command(
    "attach",
    help=_help(
        "Add a record that does not move the state (R7, R8 notices, R12, R6).", _attach_needs()
    ),
)
def attach(
    issue: int = ISSUE,
    kind: str = typer.Argument(
        ...,
        help="reporter-ack, reportability, third-party, customer-notice, cross-product or "
        "change-impact (or the record kind, e.g. R7_reportability).",
    ),
    file: Path = typer.Option(..., "--file", help="The record (TOML or JSON)."),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    cls = issues.attach_kind(kind)
    data, source = _data(file, {})
    record = issues.record_from_data(cls, data, source=source)
    _run(issue, Action.ATTACH, [record], policy_file=policy_file, sign=sign, role=role, fmt=fmt)


@issue_app.command(
    "override",
    help=_help(
        "Waive named gate items for the next transition: a signed record of its own.",
        _needs(
            Override,
            {"transition": "--transition", "waived": "--waive", "justification": "--justification"},
        ),
    ),
)
def override(
    issue: int = ISSUE,
    file: Path | None = FILE,
    transition: str | None = typer.Option(None, "--transition", help="e.g. verify, close"),
    waive: list[str] | None = typer.Option(None, "--waive", help="Gate item to waive."),
    justification: str | None = typer.Option(None, "--justification"),
    sign: SignatureMeaning | None = SIGN,
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    flags = {"transition": transition, "waived": waive, "justification": justification}
    _single(issue, Action.OVERRIDE, file, flags, policy_file=policy_file, sign=sign, role=role,
            fmt=fmt)  # fmt: skip


@issue_app.command("sign")
def sign_(
    issue: int = ISSUE,
    command: str = typer.Argument(..., help="The command the record is for, e.g. analyze."),
    file: Path = typer.Option(..., "--file", help="The record file that will be submitted."),
    kind: str | None = typer.Option(None, "--kind", help="For attach: the record kind."),
    meaning: SignatureMeaning = typer.Option(SignatureMeaning.APPROVED, "--meaning"),
    role: Role | None = ROLE,
    policy_file: Path | None = POLICY,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Sign a record someone else will submit; the signature goes into the audit chain and
    counts when the identical record is submitted."""
    action = _COMMAND_ACTIONS.get(command)
    if action is None:
        raise UsageError(f"cannot sign for {command!r}; one of: {', '.join(_COMMAND_ACTIONS)}")
    data = issues.read_record_file(file)
    source = str(file)
    records: list[Record]
    if action is Action.DECIDE:
        found = issues.decision_from_data(data, source=source)
        cr = found.change_request
        records = [*found.records, *([cr] if cr is not None else [])]
    elif command == "review-change":
        records = [issues.record_from_data(ChangeImpactReview, data, source=source)]
    elif action is Action.ATTACH:
        if kind is None:
            raise UsageError("give --kind for attach")
        records = [issues.record_from_data(issues.attach_kind(kind), data, source=source)]
    else:
        records = [issues.record_from_data(issues.SINGLE_RECORD[action], data, source=source)]
    policy = policy_store.active_policy(policy_file)
    signer = issues.signer_for(policy, STATE.actor, meaning, role)
    with STATE.store().unit_of_work() as s:
        sigs = issues.sign_records(s, issue, records, signer=signer, policy=policy,
                                   action=command)  # fmt: skip
    if fmt is OutputFormat.JSON:
        emit_json({"issue": issue, "signatures": [s.to_dict() for s in sigs]})
        return
    for sig in sigs:
        typer.echo(f"issue {issue}: signed {_sig_text(sig.to_dict())}")


def register(app: typer.Typer) -> None:
    app.add_typer(issue_app, name="issue")
