"""Import scanner reports as activity records, keep finding identities across runs, gate CI.

One import is one transaction (the caller's unit of work): the report bytes are kept with
their sha256, an :class:`Activity` is recorded, every result is linked to the product's
finding identity of its fingerprint (created when new), identities seen again get the
activity as ``last_activity`` (and lose a ``gone`` marker: they are back), identities of the
same tool and activity type that this run no longer reports are marked gone with this run.
Dispositions belong to the identity, so a finding seen again keeps its disposition and a
false positive stays suppressed, whatever the tool wrote into its description this time.
A report is only recorded as an activity type it can be evidence of
(psirt.domain.report_methods).

Rows are written with bulk inserts and set-based updates, so 10,000 results take well
under the 5 s budget (see ``bench/scans/bench_import.py``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, assert_never

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from psirt.domain import report_methods
from psirt.domain.activity import ActivityType
from psirt.domain.scan import (
    CodeLocation,
    Location,
    PackageLocation,
    ScanFinding,
    ScanResult,
    Severity,
    WebLocation,
)
from psirt.errors import InputError
from psirt.ingest import limits
from psirt.ingest.scans import fingerprint, parse
from psirt.services import activities
from psirt.services.activities import FindingView
from psirt.services.catalog import get_release
from psirt.store.models_activities import ScanIdentity, ScanResultRow

_CHUNK = 900  # stays below SQLite's bound-parameter limit in IN lists


def default_activity_type(result: ScanResult) -> ActivityType:
    """The activity a report stands for when no type is given (see psirt.domain.report_methods)."""
    return report_methods.default_type(result)


def read_scan_file(
    path: Path, *, source_root: Path | None = None, limit: limits.SizeLimit | None = None
) -> tuple[bytes, ScanResult]:
    """Read and parse a report; ``InputError`` naming the file and place when it is bad.

    ``source_root``: the checkout the tool scanned (absolute SARIF paths under it become
    relative, so a finding keeps its identity wherever the checkout lies). ``limit``: the
    configured scanner-report size limit unless given (:mod:`psirt.ingest.limits`)."""
    data = limits.read_file(path, limit or limits.resolve(limits.InputKind.SCAN))
    root = str(source_root.resolve()) if source_root is not None else None
    return data, parse(data, source=str(path), source_root=root)


def location_dict(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    if isinstance(location, CodeLocation):
        kind = "code"
    elif isinstance(location, WebLocation):
        kind = "web"
    elif isinstance(location, PackageLocation):
        kind = "package"
    else:
        assert_never(location)
    out: dict[str, Any] = {"type": kind}
    for f in dataclasses.fields(location):
        value = getattr(location, f.name)
        if value is not None and value != ():
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    activity_id: int
    type: str
    format: str
    tool: str | None
    tool_version: str | None
    input_sha256: str
    results: int
    instances: int
    new: int
    seen_again: int
    back: int
    gone: int
    suppressed: int
    accepted_mismatch: str | None = None  # why the report was recorded despite not fitting


def import_scan(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    data: bytes,
    result: ScanResult,
    file_name: str,
    type: ActivityType | None = None,
    method: str = "",
    performer: str | None = None,
    independent: bool = False,
    build: str | None = None,
    started: dt.datetime | None = None,
    ended: dt.datetime | None = None,
    targets: Sequence[str] = (),
    accept_mismatch: str | None = None,
) -> ImportOutcome:
    """Record one report as an activity of a release and link its findings (see module doc).

    A report that cannot be evidence of the activity type (a Bandit run as a penetration
    test, a SARIF log without runs: :func:`psirt.domain.report_methods.evidence_problem`) is
    refused, unless ``accept_mismatch`` gives the rationale for recording it anyway; the
    problem and the rationale are then recorded in the activity's summary."""
    release = get_release(session, product, version)
    kind = type or default_activity_type(result)
    mismatch = report_methods.evidence_problem(result, kind)
    if mismatch is not None and not (accept_mismatch or "").strip():
        raise InputError(
            file_name,
            None,
            f"{mismatch}; to record it as {kind.value} all the same, give the reason with "
            "--accept-mismatch",
        )
    now = dt.datetime.now(dt.UTC)
    input_row = activities.store_input(
        session, data=data, file_name=file_name, format=result.format.value
    )
    scope_targets = [t for t in (result.target, *result.scope, *targets) if t]
    # Times given by the user win; else the report's own; else the import is the activity.
    begin: dt.datetime
    finish: dt.datetime | None
    if started is None and ended is None:
        begin, finish = result.started or now, result.ended or now
        if result.started is not None and result.ended is None:
            finish = None
        elif result.started is None and result.ended is not None:
            begin = result.ended
    else:
        begin, finish = started or ended or now, ended
    act = activities.new_activity(
        session,
        actor=actor,
        product=product,
        version=version,
        type=kind,
        tool=result.tool,
        tool_version=result.tool_version,
        started=begin,
        ended=finish,
        scope={"targets": list(dict.fromkeys(scope_targets)), "format": result.format.value},
        summary={},
        method=method or f"{result.format.value} report",
        build=build,
        performer=performer,
        independent=independent,
        input_row=input_row,
    )
    findings = fingerprint.disambiguate(result.results)
    default_tool = (result.tool or "").strip()

    def tool_of(f: ScanFinding) -> str:
        return (f.tool or default_tool).strip().lower()

    # Existing identities of these fingerprints: id, and whether they were gone.
    known: dict[str, tuple[int, bool]] = {}
    prints = [f.fingerprint for f in findings]
    for start in range(0, len(prints), _CHUNK):
        chunk = prints[start : start + _CHUNK]
        for ident_id, fp, gone_id in session.execute(
            select(ScanIdentity.id, ScanIdentity.fingerprint, ScanIdentity.gone_activity_id).where(
                ScanIdentity.product_id == release.product_id, ScanIdentity.fingerprint.in_(chunk)
            )
        ):
            known[fp] = (ident_id, gone_id is not None)

    fresh = [f for f in findings if f.fingerprint not in known]
    if fresh:
        ids = session.scalars(
            insert(ScanIdentity).returning(ScanIdentity.id, sort_by_parameter_order=True),
            [
                {
                    "product_id": release.product_id,
                    "fingerprint": f.fingerprint,
                    "tool": tool_of(f),
                    "activity_type": kind.value,
                    "kind": f.kind.value,
                    "rule_id": f.rule_id,
                    "first_activity_id": act.id,
                    "last_activity_id": act.id,
                    "first_seen": now,
                    "last_seen": now,
                }
                for f in fresh
            ],
        ).all()
        for f, ident_id in zip(fresh, ids, strict=True):
            known[f.fingerprint] = (ident_id, False)
    fresh_prints = {f.fingerprint for f in fresh}
    back = sum(1 for f in findings if f.fingerprint not in fresh_prints and known[f.fingerprint][1])

    if findings:
        session.execute(
            insert(ScanResultRow),
            [
                {
                    "activity_id": act.id,
                    "identity_id": known[f.fingerprint][0],
                    "severity": f.severity.value,
                    "raw_level": f.raw_level,
                    "title": f.title,
                    "message": f.message,
                    "location": location_dict(f.location),
                    "cwes": list(f.cwes),
                    "vulnerability_ids": list(f.vulnerability_ids),
                    "instances": len(f.instances),
                    "suppressed": f.suppressed,
                    "new": f.fingerprint in fresh_prints or known[f.fingerprint][1],
                }
                for f in findings
            ],
        )
    seen_here = select(ScanResultRow.identity_id).where(ScanResultRow.activity_id == act.id)
    session.execute(
        update(ScanIdentity)
        .where(ScanIdentity.id.in_(seen_here), ScanIdentity.first_activity_id != act.id)
        .values(last_activity_id=act.id, last_seen=now, gone_activity_id=None, gone_at=None)
        .execution_options(synchronize_session=False)
    )
    tools = {tool_of(f) for f in findings} or {default_tool.lower()}
    gone = session.execute(
        update(ScanIdentity)
        .where(
            ScanIdentity.product_id == release.product_id,
            ScanIdentity.tool.in_(sorted(tools)),
            ScanIdentity.activity_type == kind.value,
            ScanIdentity.gone_activity_id.is_(None),
            ScanIdentity.id.not_in(seen_here),
        )
        .values(gone_activity_id=act.id, gone_at=now)
        .execution_options(synchronize_session=False)
    )
    gone_count = int(getattr(gone, "rowcount", 0) or 0)
    severities = Counter(f.severity.value for f in findings)
    outcome = ImportOutcome(
        activity_id=act.id,
        type=kind.value,
        format=result.format.value,
        tool=result.tool,
        tool_version=result.tool_version,
        input_sha256=input_row.sha256,
        results=len(findings),
        instances=result.instances,
        new=len(fresh),
        seen_again=len(findings) - len(fresh),
        back=back,
        gone=gone_count,
        suppressed=sum(1 for f in findings if f.suppressed),
        accepted_mismatch=(
            None
            if mismatch is None
            else f"{mismatch} (rationale: {(accept_mismatch or '').strip()})"
        ),
    )
    accepted = (
        {"accepted_mismatch": {"problem": mismatch, "rationale": (accept_mismatch or "").strip()}}
        if mismatch is not None
        else {}
    )
    act.summary = {
        **accepted,
        "results": outcome.results,
        "instances": outcome.instances,
        "new": outcome.new,
        "seen_again": outcome.seen_again,
        "back": outcome.back,
        "gone": outcome.gone,
        "suppressed": outcome.suppressed,
        "by_severity": {s.value: severities.get(s.value, 0) for s in Severity},
    }
    session.flush()
    activities.audit_activity(session, act, actor=actor, input_row=input_row)
    return outcome


# ---------------------------------------------------------------------------------------------
# CI gate


@dataclass(frozen=True, slots=True)
class GateOutcome:
    imports: tuple[ImportOutcome, ...]
    threshold: Severity
    blocking: tuple[FindingView, ...]
    new_only: bool = False

    @property
    def passed(self) -> bool:
        return not self.blocking


def blocking_findings(
    session: Session, activity_id: int, threshold: Severity, *, new_only: bool = False
) -> list[FindingView]:
    """Findings an activity reported at or above ``threshold`` that are open: without a
    disposition (false positive, accepted, duplicate, promoted to or attached to an issue,
    not applicable) and not suppressed by the tool itself. With ``new_only``, only those
    first seen (or back after being gone) in this activity."""
    return [
        f
        for f in activities.list_findings(session, activity=activity_id)
        if (f.new or not new_only)
        and f.disposition is None
        and not f.suppressed
        and Severity(f.severity).rank >= threshold.rank
    ]


def ci_check(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    reports: Sequence[tuple[str, bytes, ScanResult]],
    threshold: Severity,
    build: str | None = None,
    performer: str | None = None,
    new_only: bool = False,
    accept_mismatch: str | None = None,
) -> GateOutcome:
    """Import every report (as ``(file name, bytes, parsed)``) and collect what blocks: every
    finding the reports name at or above ``threshold`` that is still open, new or seen again
    (``new_only``: new ones only), most severe first. An identical re-run therefore fails as
    long as nobody decided about the findings that failed the first run."""
    imports = []
    blocking: dict[int, FindingView] = {}
    for name, data, parsed in reports:
        outcome = import_scan(
            session,
            actor=actor,
            product=product,
            version=version,
            data=data,
            result=parsed,
            file_name=name,
            build=build,
            performer=performer,
            method=f"CI gate, {parsed.format.value} report",
            accept_mismatch=accept_mismatch,
        )
        imports.append(outcome)
        for f in blocking_findings(session, outcome.activity_id, threshold, new_only=new_only):
            blocking.setdefault(f.id, f)
    ordered = sorted(blocking.values(), key=lambda f: (-Severity(f.severity).rank, f.id))
    return GateOutcome(tuple(imports), threshold, tuple(ordered), new_only)
