"""psirt scans ... | activities ... | plan ... | surface ... | ci check"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import typer

from psirt.cli.context import STATE
from psirt.cli.output import OutputFormat, emit, emit_json, err, say
from psirt.domain.activity import ActivityType, Disposition, DispositionKind
from psirt.domain.scan import Severity
from psirt.ingest import limits
from psirt.ingest.scans import inspect as inspect_report
from psirt.services import activities, scan_imports
from psirt.services.activities import FindingView

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
ACCEPT_MISMATCH = typer.Option(
    None,
    "--accept-mismatch",
    metavar="WHY",
    help="Record the report even though it cannot be evidence of the activity type (a tool "
    "that does not perform that method, a SARIF log without runs); WHY is recorded with it.",
)
MAX_MB = typer.Option(
    None,
    "--max-mb",
    min=0.001,
    help="Size limit of a report in MB (default: $PSIRT_MAX_SCAN_MB or the built-in limit).",
)

scans_app = typer.Typer(
    help="Scanner reports (SAST, DAST, SCA, penetration tests) and their findings.",
    no_args_is_help=True,
)
activities_app = typer.Typer(
    help="Records of proactive identification activities; what is due.", no_args_is_help=True
)
plan_app = typer.Typer(
    help="Test plans: required activities and their cadence.", no_args_is_help=True
)
surface_app = typer.Typer(help="Attack-surface declarations of releases.", no_args_is_help=True)
ci_app = typer.Typer(help="Gates for build pipelines.", no_args_is_help=True)

_INSPECT_KEYS = ("format", "tool", "tool_version", "results", "instances")

_FINDING_COLUMNS = [
    ("id", "#"),
    ("severity", "Severity"),
    ("rule_id", "Rule"),
    ("where", "Location"),
    ("title", "Title"),
    ("state", "State"),
    ("fingerprint", "Fingerprint"),
]

_ACTIVITY_COLUMNS = [
    ("id", "#"),
    ("product", "Product"),
    ("release", "Release"),
    ("type", "Type"),
    ("tool", "Tool"),
    ("build", "Build"),
    ("started", "Started (UTC)"),
    ("performer", "Performer"),
    ("independent", "Independent"),
    ("results", "Results"),
    ("new", "New"),
    ("gone", "Gone"),
    ("input_file", "Input"),
]


def _parse_time(value: str | None, option: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or time (ISO 8601, e.g. 2025-03-01T12:00:00Z)",
            param_hint=option,
        ) from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


def _state(f: FindingView) -> str:
    if f.disposition is not None:
        kind = f.disposition["kind"]
        if f.disposition.get("issue_id") is not None:
            return f"{kind} (issue {f.disposition['issue_id']})"
        if f.disposition.get("duplicate_of") is not None:
            return f"{kind} (of {f.disposition['duplicate_of']})"
        return str(kind)
    if f.gone_activity is not None:
        return f"gone (activity {f.gone_activity})"
    if f.suppressed:
        return "suppressed by tool"
    return "new" if f.new else "open"


def _finding_row(f: FindingView) -> dict[str, Any]:
    return {
        "id": f.id,
        "product": f.product,
        "fingerprint": f.fingerprint,
        "tool": f.tool,
        "activity_type": f.activity_type,
        "rule_id": f.rule_id,
        "severity": f.severity,
        "title": f.title,
        "message": f.message,
        "location": f.location,
        "where": activities.location_text(f.location),
        "suppressed": f.suppressed,
        "first_activity": f.first_activity,
        "last_activity": f.last_activity,
        "gone_activity": f.gone_activity,
        "gone_at": f.gone_at,
        "disposition": f.disposition,
        "new": f.new,
        "open": f.open,
        "state": _state(f),
        "first_seen": f.first_seen,
    }


def _activity_row(a: activities.ActivityView) -> dict[str, Any]:
    return {
        "id": a.id,
        "product": a.product,
        "release": a.release,
        "type": a.type,
        "method": a.method,
        "tool": a.tool,
        "tool_version": a.tool_version,
        "build": a.build,
        "scope": a.scope,
        "started": a.started,
        "ended": a.ended,
        "performer": a.performer,
        "independent": a.independent,
        "input_file": a.input_file,
        "input_sha256": a.input_sha256,
        "summary": a.summary,
        "recorded_by": a.recorded_by,
        "results": a.summary.get("results"),
        "new": a.summary.get("new"),
        "gone": a.summary.get("gone"),
    }


# ---------------------------------------------------------------------------------------------
# psirt scans


@scans_app.command("inspect")
def scans_inspect(
    file: Path = typer.Argument(..., help="Scanner report (format detected)."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Detect a report's format and count its results and instances (no database)."""
    data = limits.read_file(file, limits.resolve(limits.InputKind.SCAN))
    counts = inspect_report(data, str(file))
    if fmt is OutputFormat.JSON:
        emit_json({k: counts[k] for k in _INSPECT_KEYS})
    else:
        emit(fmt, [counts], [(k, k) for k in (*_INSPECT_KEYS, "suppressed")], title=str(file))


@scans_app.command("import")
def scans_import(
    file: Path = typer.Argument(..., help="Scanner report (format detected)."),
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
    type: ActivityType | None = typer.Option(
        None, "--type", "-t", help="Activity type (default: from the report's format)."
    ),
    method: str = typer.Option("", "--method", help="How the activity was done."),
    performer: str | None = typer.Option(
        None, "--performer", help="Who performed it (default: the acting user)."
    ),
    independent: bool = typer.Option(
        False,
        "--independent/--not-independent",
        help="Whether the performer is independent of the developers.",
    ),
    commit: str | None = typer.Option(None, "--commit", "--build", help="Build or commit."),
    started: str | None = typer.Option(None, "--started", help="ISO 8601 start time."),
    ended: str | None = typer.Option(None, "--ended", help="ISO 8601 end time."),
    target: list[str] | None = typer.Option(
        None, "--target", help="Tested target (URL, image, repository); repeatable."
    ),
    source_root: Path = typer.Option(
        Path("."),
        "--source-root",
        help="The checkout the tool scanned (default: here); absolute SARIF paths under it "
        "become relative so findings keep their identity in any checkout.",
    ),
    accept_mismatch: str | None = ACCEPT_MISMATCH,
    max_mb: float | None = MAX_MB,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Record a report as an activity of a release, linking its findings across runs.

    The report must be able to stand for the activity type: Bandit, Semgrep Code, CodeQL and
    other static analysers for sast, ZAP for dast, Trivy, Grype, osv-scanner and Semgrep
    Supply Chain for sbom_scan, the penetration-test template for penetration_test; a SARIF
    log without runs for nothing. Otherwise it is refused (exit 2) unless --accept-mismatch
    gives the reason, which is recorded with the activity."""
    start = _parse_time(started, "--started")
    end = _parse_time(ended, "--ended")
    limit = limits.resolve(limits.InputKind.SCAN, max_mb, option="--max-mb")
    data, parsed = scan_imports.read_scan_file(file, source_root=source_root, limit=limit)
    with STATE.store().unit_of_work() as s:
        outcome = scan_imports.import_scan(
            s,
            actor=STATE.actor,
            product=product,
            version=release,
            data=data,
            result=parsed,
            file_name=str(file),
            type=type,
            method=method,
            performer=performer,
            independent=independent,
            build=commit,
            started=start,
            ended=end,
            targets=target or (),
            accept_mismatch=accept_mismatch,
        )
    if fmt is OutputFormat.JSON:
        emit_json(outcome)
    else:
        if outcome.accepted_mismatch:
            err(f"recorded despite: {outcome.accepted_mismatch}")
        say(
            f"activity {outcome.activity_id} ({outcome.type}, {outcome.format}, "
            f"{outcome.tool or 'unknown tool'}): {outcome.results} results, {outcome.new} new, "
            f"{outcome.seen_again} seen again ({outcome.back} back), {outcome.gone} gone"
        )


@scans_app.command("list")
def scans_list(
    product: str | None = typer.Option(None, "--product", "-p"), fmt: OutputFormat = FORMAT
) -> None:
    """Activities recorded from scanner reports."""
    with STATE.store().reader() as s:
        rows = [
            _activity_row(a)
            for a in activities.list_activities(s, product=product)
            if a.input_sha256 is not None
        ]
    emit(fmt, rows, _ACTIVITY_COLUMNS, empty="no scan reports imported")


@scans_app.command("findings")
def scans_findings(
    activity: int | None = typer.Option(None, "--activity", "-a", help="As one run saw them."),
    product: str | None = typer.Option(None, "--product", "-p"),
    open_only: bool = typer.Option(
        False, "--open", help="Only findings still reported and without disposition."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Findings of an activity or of a product, with their identity and disposition."""
    if activity is not None and product is not None:
        raise typer.BadParameter("give --activity or --product, not both")
    with STATE.store().reader() as s:
        found = activities.list_findings(s, activity=activity, product=product, open_only=open_only)
    rows = [_finding_row(f) for f in found]
    rows.sort(key=lambda r: (-Severity(r["severity"]).rank, r["id"]))
    emit(fmt, rows, _FINDING_COLUMNS, empty="no findings")


@scans_app.command("dispose")
def scans_dispose(
    finding_id: int = typer.Argument(..., help="Finding id (see 'psirt scans findings')."),
    kind: DispositionKind = typer.Option(..., "--as", help="The disposition."),
    rationale: str = typer.Option("", "--rationale", help="Why (needed for false_positive)."),
    issue: int | None = typer.Option(None, "--issue", help="Security issue (promoted/attached)."),
    duplicate_of: int | None = typer.Option(None, "--duplicate-of", help="The other finding."),
    reference: str = typer.Option(
        "",
        "--reference",
        help="The stored record that justifies it (required for accepted): issue:N (or N), "
        "finding:N, scan-finding:N, activity:N, review:PRODUCT@VERSION[#N].",
    ),
) -> None:
    """Record a disposition of a finding (append-only; the newest is current). A reference
    must name a stored record; the resolved reference is kept."""
    disposition = Disposition(
        kind, rationale=rationale, issue_id=issue, duplicate_of=duplicate_of, reference=reference
    )
    with STATE.store().unit_of_work() as s:
        row = activities.dispose(
            s, actor=STATE.actor, finding_id=finding_id, disposition=disposition
        )
    ref = f", reference {row.reference}" if row.reference else ""
    say(f"finding {finding_id}: {row.kind} (disposition {row.id}{ref})")


@scans_app.command("history")
def scans_history(
    finding_id: int = typer.Argument(..., help="Finding id."), fmt: OutputFormat = FORMAT
) -> None:
    """Every disposition of a finding, oldest first."""
    with STATE.store().reader() as s:
        rows = activities.disposition_history(s, finding_id)
    emit(
        fmt,
        rows,
        [
            ("id", "#"),
            ("at", "When (UTC)"),
            ("actor", "Who"),
            ("kind", "Disposition"),
            ("issue_id", "Issue"),
            ("duplicate_of", "Duplicate of"),
            ("reference", "Reference"),
            ("rationale", "Rationale"),
        ],
        empty=f"finding {finding_id} has no disposition",
    )


# ---------------------------------------------------------------------------------------------
# psirt activities


@activities_app.command("list")
def activities_list(
    product: str | None = typer.Option(None, "--product", "-p"),
    type: ActivityType | None = typer.Option(None, "--type", "-t"),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Every recorded activity: method, scope, dates, performer, findings."""
    with STATE.store().reader() as s:
        rows = [_activity_row(a) for a in activities.list_activities(s, product=product, type=type)]
    emit(fmt, rows, _ACTIVITY_COLUMNS, empty="no activities recorded")


@activities_app.command("record")
def activities_record(
    type: ActivityType = typer.Option(..., "--type", "-t", help="e.g. code_review"),
    product: str = typer.Option(..., "--product", "-p"),
    release: str | None = typer.Option(None, "--release", "-r"),
    method: str = typer.Option("", "--method", help="How it was done."),
    performer: str | None = typer.Option(None, "--performer", help="Default: the acting user."),
    independent: bool = typer.Option(
        False, "--independent/--not-independent", help="Performer independent of the developers."
    ),
    started: str = typer.Option(..., "--started", help="ISO 8601 date or time."),
    ended: str | None = typer.Option(None, "--ended", help="ISO 8601 date or time."),
    tool: str | None = typer.Option(None, "--tool"),
    tool_version: str | None = typer.Option(None, "--tool-version"),
    build: str | None = typer.Option(None, "--build", help="Build or commit reviewed."),
    scope: list[str] | None = typer.Option(
        None, "--scope", help="What was covered (repeat): components, documents, interfaces."
    ),
    outcome: str = typer.Option("", "--outcome", help="Result in one sentence."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Record an activity without a report file: a code review, a threat-model review, fuzzing."""
    begin = _parse_time(started, "--started")
    assert begin is not None
    with STATE.store().unit_of_work() as s:
        activity_id = activities.record_activity(
            s,
            actor=STATE.actor,
            product=product,
            version=release,
            type=type,
            tool=tool,
            tool_version=tool_version,
            started=begin,
            ended=_parse_time(ended, "--ended"),
            scope={"items": list(scope or [])},
            summary={"outcome": outcome} if outcome else {},
            method=method,
            build=build,
            performer=performer,
            independent=independent,
        )
    if fmt is OutputFormat.JSON:
        emit_json({"activity": activity_id})
    else:
        say(f"activity {activity_id} recorded ({type.value})")


@activities_app.command("due")
def activities_due(
    product: str | None = typer.Option(None, "--product", "-p"), fmt: OutputFormat = FORMAT
) -> None:
    """What is due or overdue and why (exit 1 when something is overdue)."""
    with STATE.store().reader() as s:
        items = activities.due(s, product=product)
    rows = [dataclasses.asdict(i) for i in items]
    emit(
        fmt,
        rows,
        [
            ("product", "Product"),
            ("type", "Activity"),
            ("status", "Status"),
            ("release", "Release"),
            ("deadline", "Deadline"),
            ("reason", "Why"),
        ],
        empty="nothing is due",
    )
    if any(i.status == "overdue" for i in items):
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------------
# psirt plan / surface


@plan_app.command("set")
def plan_set(
    file: Path = typer.Argument(..., help="Test plan TOML (see psirt.domain.activity)."),
    product: str = typer.Option(..., "--product", "-p"),
) -> None:
    """Set a product's test plan (the previous plans are kept)."""
    data, plan = activities.read_plan_file(file)
    with STATE.store().unit_of_work() as s:
        row = activities.set_plan(
            s, actor=STATE.actor, product=product, data=data, plan=plan, file_name=str(file)
        )
    say(f"test plan {row.id} of {product}: {len(plan.requirements)} required activities")


@plan_app.command("show")
def plan_show(
    product: str = typer.Option(..., "--product", "-p"), fmt: OutputFormat = FORMAT
) -> None:
    """The test plan in force for a product."""
    with STATE.store().reader() as s:
        found = activities.current_plan(s, product)
        meta = (
            None
            if found is None
            else {
                "plan_id": found[1].id,
                "set_by": found[1].set_by,
                "set_at": found[1].set_at,
                "sha256": found[1].sha256,
            }
        )
    if found is None or meta is None:
        if fmt is OutputFormat.JSON:
            emit_json(None)
        else:
            say(f"{product} has no test plan: psirt plan set --product {product} FILE.toml")
        return
    plan = found[0]
    rows = [
        {
            "type": r.type.value,
            "cadence": r.cadence(),
            "every_build": r.every_build,
            "every_release": r.every_release,
            "interval_days": r.interval_days,
            "on_surface_change": r.on_surface_change,
            "independent": r.independent,
        }
        for r in plan.requirements
    ]
    emit(
        fmt,
        rows,
        [("type", "Activity"), ("cadence", "Cadence"), ("independent", "Independent")],
        json_value={"product": product, **meta, "activities": rows},
        title=f"test plan {meta['plan_id']} of {product}, set by {meta['set_by']} "
        f"{meta['set_at']:%Y-%m-%d}",
        empty="the plan requires no activity",
    )


@surface_app.command("set")
def surface_set(
    file: Path = typer.Argument(..., help="Attack surface declaration (TOML or JSON)."),
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
) -> None:
    """Declare a release's attack surface; a change against the previous release makes a
    DAST and a penetration test due."""
    data, surface = activities.read_surface_file(file)
    with STATE.store().unit_of_work() as s:
        row, change = activities.set_surface(
            s,
            actor=STATE.actor,
            product=product,
            version=release,
            data=data,
            surface=surface,
            file_name=str(file),
        )
    say(f"attack surface {row.id} of {product} {release} declared")
    if change:
        say(f"attack surface {change}: a DAST and a penetration test are due")


@surface_app.command("show")
def surface_show(
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
    fmt: OutputFormat = FORMAT,
) -> None:
    """The attack surface declared for a release."""
    with STATE.store().reader() as s:
        surface = activities.current_surface(s, product, release)
    value = None if surface is None else surface.as_dict()
    rows = [] if value is None else [{"field": k, "values": v} for k, v in value.items()]
    emit(
        fmt,
        rows,
        [("field", "Field"), ("values", "Declared")],
        json_value=value,
        empty=f"{product} {release} has no attack surface declaration",
    )


# ---------------------------------------------------------------------------------------------
# psirt ci check


_BLOCKING_COLUMNS = [
    ("id", "#"),
    ("severity", "Severity"),
    ("rule_id", "Rule"),
    ("where", "Location"),
    ("first_seen", "Open since (UTC)"),
    ("seen", "In this run"),
    ("title", "Title"),
]


def ci_check(
    files: list[Path] = typer.Argument(..., help="Scanner reports of this build."),
    product: str = typer.Option(..., "--product", "-p"),
    release: str = typer.Option(..., "--release", "-r"),
    fail_on: Severity = typer.Option(
        Severity.HIGH, "--fail-on", help="Lowest severity that fails the build."
    ),
    new_only: bool = typer.Option(
        False,
        "--new-only",
        help="Fail only on findings first seen (or back) in this run; findings seen again "
        "pass even when nobody decided about them.",
    ),
    commit: str | None = typer.Option(None, "--commit", "--build", help="Build or commit."),
    source_root: Path = typer.Option(
        Path("."),
        "--source-root",
        help="The checkout the tool scanned (default: here); absolute SARIF paths under it "
        "become relative so findings keep their identity in any checkout.",
    ),
    accept_mismatch: str | None = ACCEPT_MISMATCH,
    max_mb: float | None = MAX_MB,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import the reports; exit 1 while a finding they report at or above the threshold is
    open (new or seen again, without a disposition: see 'psirt scans dispose'), and list
    those findings; exit 0 otherwise. A report that is no evidence of a test (a SARIF log
    without runs) is refused unless --accept-mismatch gives the reason."""
    limit = limits.resolve(limits.InputKind.SCAN, max_mb, option="--max-mb")
    reports = []
    for path in files:
        data, parsed = scan_imports.read_scan_file(path, source_root=source_root, limit=limit)
        reports.append((str(path), data, parsed))
    with STATE.store().unit_of_work() as s:
        outcome = scan_imports.ci_check(
            s,
            actor=STATE.actor,
            product=product,
            version=release,
            reports=reports,
            threshold=fail_on,
            build=commit,
            new_only=new_only,
            accept_mismatch=accept_mismatch,
        )
    rows = [{**_finding_row(f), "seen": "new" if f.new else "seen again"} for f in outcome.blocking]
    which = "new" if new_only else "open"
    if fmt is OutputFormat.JSON:
        emit_json(
            {
                "passed": outcome.passed,
                "fail_on": fail_on.value,
                "new_only": new_only,
                "activities": [i.activity_id for i in outcome.imports],
                "imports": outcome.imports,
                "blocking": rows,
            }
        )
    else:
        for i in outcome.imports:
            err(
                f"activity {i.activity_id}: {i.results} results, {i.new} new, "
                f"{i.seen_again} seen again, {i.gone} gone"
            )
        if rows:
            emit(
                fmt,
                rows,
                _BLOCKING_COLUMNS,
                title=f"{len(rows)} {which} finding(s) at or above {fail_on.value} "
                "without disposition",
            )
        else:
            say(f"passed: no {which} finding at or above {fail_on.value} without disposition")
    if not outcome.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(scans_app, name="scans")
    app.add_typer(activities_app, name="activities")
    app.add_typer(plan_app, name="plan")
    app.add_typer(surface_app, name="surface")
    ci_app.command("check")(ci_check)
    app.add_typer(ci_app, name="ci")
