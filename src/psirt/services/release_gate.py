"""The release gate in the store: R13a review minutes, their signatures, release approval.

A product's open issues are the security issues that are not closed (CLOSED,
CLOSED_NOT_AFFECTED, CLOSED_DUPLICATE) and that name one of the product's releases in their
release matrix (intake, analysis, release records) or are linked to a finding in one of them.
A release's KEV findings are its active findings whose advisory id, aliases or related ids the
KEV catalog lists. What else blocks follows the policy's ``[release_gate]`` settings: untriaged
findings of the release (active SBOM findings not attached to an issue, open scanner findings
reported by an activity of the release without a disposition) and activities overdue for the
product or due for the release (``psirt.services.activities.due``). Releases of the product
registered as released or fielded without a review (``psirt.services.catalog.without_review``)
must be listed, with their open issues, by the product's next review; its approval records the
decisions it covered. Reviews are append-only rows (the newest is current; a signature added
later is a new row with the same minutes); an approval names the review and what it covered.
Every row goes into the audit chain. The caller's unit of work makes each call one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from psirt.domain.issue import TERMINAL, SecurityIssue
from psirt.domain.policy import Policy
from psirt.domain.records import AffectedRelease, Analysis, ReleaseAdvisory, Signature
from psirt.domain.release_gate import (
    GATE,
    DueActivity,
    GateFinding,
    KevFinding,
    OpenIssue,
    ReleaseGateReview,
    UnreviewedRelease,
    approval_rule,
    blocking_activities,
    blocking_findings,
    evaluate_gate,
)
from psirt.domain.scan import Severity
from psirt.domain.severity import severity_level
from psirt.errors import (
    Conflict,
    GateNotMet,
    InputError,
    IntegrityError,
    NotFound,
    UsageError,
)
from psirt.ingest import limits
from psirt.matching.knowledge import kev_listed
from psirt.services import activities, catalog, issues, policy_store
from psirt.services.catalog import RELEASED_STATUSES, ReleaseStatus, WithoutReview
from psirt.store import audit
from psirt.store import models as m
from psirt.store.models_activities import Activity, ScanResultRow
from psirt.store.models_release_gate import ReleaseGateDecisionRow, ReleaseGateReviewRow

# --------------------------------------------------------------------------- review files


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _issue_ids_as_text(data: dict[str, Any]) -> None:
    """TOML and JSON writers give issue numbers as integers; the record holds text."""
    for table in ("issues", "kev"):
        entries = data.get(table)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and "issue_id" in entry:
                    entry["issue_id"] = _as_text(entry["issue_id"])
    entries = data.get("unreviewed_releases")
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("issues"), list):
                entry["issues"] = [_as_text(v) for v in entry["issues"]]


def parse_review(data: bytes, *, source: str, product: str, version: str) -> ReleaseGateReview:
    """A review file (TOML or JSON, docs/release-gate.md) for ``product`` ``version``.

    ``product`` and ``release`` may be left out of the file; when present they must name the
    release the command names.
    """
    doc = issues.parse_record_document(data, source=source)
    for key, wanted in (("product", product), ("release", version)):
        given = doc.setdefault(key, wanted)
        if given != wanted:
            raise InputError(source, key, f"{given!r}, but the command names {wanted!r}")
    _issue_ids_as_text(doc)
    review = issues.record_from_data(ReleaseGateReview, doc, source=source)
    assert isinstance(review, ReleaseGateReview)
    return review


def read_review_file(path: Path, *, product: str, version: str) -> tuple[bytes, ReleaseGateReview]:
    data = limits.read_file(path, limits.resolve(limits.InputKind.RECORD))
    return data, parse_review(data, source=str(path), product=product, version=version)


# --------------------------------------------------------------------------- what the gate sees


def _named_releases(issue: SecurityIssue) -> list[AffectedRelease]:
    named = list(issue.intake.affected)
    for analysis in issue.all(Analysis):
        named.extend(analysis.affected or ())
    for release in issue.all(ReleaseAdvisory):
        named.extend(release.release_statuses)
    return named


def open_issues(session: Session, product: str, policy: Policy) -> list[OpenIssue]:
    """The product's security issues that are not closed, in issue order."""
    prod = catalog.get_product(session, product)
    linked: dict[int, list[str]] = {}
    for issue_id, version in session.execute(
        select(m.Finding.issue_id, m.Release.version)
        .join(m.Release, m.Finding.release_id == m.Release.id)
        .where(m.Release.product_id == prod.id, m.Finding.issue_id.is_not(None))
        .order_by(m.Release.id)
    ):
        if issue_id is not None:
            linked.setdefault(issue_id, []).append(version)
    rows = session.scalars(
        select(m.SecurityIssue)
        .where(m.SecurityIssue.state.not_in([s.value for s in TERMINAL]))
        .order_by(m.SecurityIssue.id)
    )
    out = []
    for row in rows:
        issue = issues.load(session, row, policy)
        matrix = issue.release_matrix()
        versions = list(
            dict.fromkeys(a.release for a in _named_releases(issue) if a.product == prod.name)
        )
        if not versions and row.id not in linked:
            continue
        statuses = tuple(
            f"{v}: {matrix[f'{prod.name}@{v}'].value}" if f"{prod.name}@{v}" in matrix else v
            for v in versions
        )
        concerned = tuple(dict.fromkeys([*versions, *linked.get(row.id, ())]))
        out.append(OpenIssue(str(row.id), issue.state, row.title, statuses, concerned))
    return out


def unreviewed_releases(
    session: Session, product: str, version: str, open_now: Sequence[OpenIssue]
) -> list[UnreviewedRelease]:
    """Releases of the product other than ``version`` put on the market without a
    release-gate review and not yet covered by an approved review, with their open issues."""
    prod = catalog.get_product(session, product)
    return [
        UnreviewedRelease(
            w.version,
            w.status,
            str(w.decision_id),
            w.kind,
            w.decided_by,
            w.decided_at,
            tuple(i.issue_id for i in open_now if w.version in i.versions),
        )  # fmt: skip
        for w in catalog.without_review(session, prod.id)
        if w.covered_by is None and w.version != version
    ]


def untriaged_findings(session: Session, product: str, version: str) -> list[GateFinding]:
    """Every untriaged finding of the release, whatever its severity: active SBOM findings not
    attached to a security issue, and open scanner findings (not gone, not suppressed, without
    a disposition) that an activity of the release reported."""
    release = catalog.get_release(session, product, version)
    out = [
        GateFinding(
            "sbom",
            str(f.id),
            severity_level(f.severity),
            f"{f.advisory_id} in {c.name}@{c.version}"
            if c.version
            else f"{f.advisory_id} in {c.name}",
            f.first_seen,
        )  # fmt: skip
        for f, c in session.execute(
            select(m.Finding, m.Component)
            .join(m.Component, m.Finding.component_id == m.Component.id)
            .where(
                m.Finding.release_id == release.id,
                m.Finding.status == "active",
                m.Finding.issue_id.is_(None),
            )
            .order_by(m.Finding.id)
        ).all()
    ]
    of_release = set(
        session.scalars(
            select(ScanResultRow.identity_id)
            .join(Activity, ScanResultRow.activity_id == Activity.id)
            .where(Activity.release_id == release.id)
        )
    )
    for f in activities.list_findings(session, product=product, open_only=True):
        if f.id in of_release:
            where = activities.location_text(f.location)
            out.append(GateFinding("scan", str(f.id), Severity(f.severity),
                                   f"{f.rule_id} at {where}" if where else f.rule_id,
                                   f.first_seen))  # fmt: skip
    return out


def due_activities(session: Session, product: str) -> list[DueActivity]:
    """What the product's test plan and attack surfaces make due or overdue now."""
    return [
        DueActivity(d.type, d.status, d.release, d.reason)
        for d in activities.due(session, product=product)
    ]


def kev_findings(session: Session, product: str, version: str) -> list[KevFinding]:
    """Active findings of the release whose vulnerability the KEV catalog lists."""
    release = catalog.get_release(session, product, version)
    rows = session.execute(
        select(m.Finding, m.Component)
        .join(m.Component, m.Finding.component_id == m.Component.id)
        .where(m.Finding.release_id == release.id, m.Finding.status == "active")
        .order_by(m.Component.name, m.Finding.advisory_id, m.Finding.id)
    ).all()
    ids_of = {f.id: tuple(dict.fromkeys([f.advisory_id, *f.aliases, *f.related])) for f, _ in rows}
    every = {i for ids in ids_of.values() for i in ids}
    listed: set[str] = set()
    chunk = sorted(every)
    for start in range(0, len(chunk), 900):
        listed.update(
            session.scalars(
                select(m.KevEntry.cve_id).where(m.KevEntry.cve_id.in_(chunk[start : start + 900]))
            )
        )
    out = []
    for finding, component in rows:
        ids = ids_of[finding.id]
        kev = kev_listed(ids, listed)
        if kev:
            out.append(KevFinding(ids, kev, component.name, component.version, str(finding.id)))
    return out


# --------------------------------------------------------------------------- reviews


@dataclass(frozen=True, slots=True)
class StoredReview:
    id: int
    seq: int
    review: ReleaseGateReview
    digest: str
    recorded_by: str
    recorded_at: dt.datetime
    file_name: str


def _review_of(row: ReleaseGateReviewRow) -> StoredReview:
    where = f"release_gate_reviews {row.id}"
    try:
        review = ReleaseGateReview.from_dict(row.body, source=where)
    except InputError as exc:
        raise IntegrityError(f"{where}: stored minutes do not decode: {exc}") from None
    if review.digest() != row.digest:
        raise IntegrityError(f"{where}: stored minutes do not match their digest")
    return StoredReview(row.id, row.seq, review, row.digest, row.recorded_by, row.recorded_at,
                        row.file_name)  # fmt: skip


def current_review(session: Session, product: str, version: str) -> StoredReview | None:
    release = catalog.get_release(session, product, version)
    row = session.scalar(
        select(ReleaseGateReviewRow)
        .where(ReleaseGateReviewRow.release_id == release.id)
        .order_by(ReleaseGateReviewRow.seq.desc())
        .limit(1)
    )
    return _review_of(row) if row is not None else None


def _check_signer(policy: Policy, signer: issues.Signer) -> None:
    held = policy.roles_of(signer.who)
    if held is not None and signer.role not in held:
        raise Conflict(f"{signer.who} does not hold role {signer.role.value} in the policy")


def _append(
    session: Session,
    release: m.Release,
    review: ReleaseGateReview,
    *,
    actor: str,
    action: str,
    policy: Policy,
    at: dt.datetime,
    file_name: str = "",
    data: bytes | None = None,
    detail: dict[str, Any] | None = None,
) -> StoredReview:
    policy_store.record_policy(session, policy, actor=actor)
    last = session.scalar(
        select(func.max(ReleaseGateReviewRow.seq)).where(
            ReleaseGateReviewRow.release_id == release.id
        )
    )
    row = ReleaseGateReviewRow(
        release_id=release.id,
        seq=(last or 0) + 1,
        body=review.to_dict(),
        digest=review.digest(),
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest() if data is not None else "",
        content=data,
        policy_digest=policy.digest,
        recorded_by=actor,
        recorded_at=at,
    )
    session.add(row)
    session.flush()
    audit.record_change(
        session,
        actor=actor,
        action=action,
        obj=row,
        detail={
            "release": f"{review.product}@{review.release}",
            "seq": row.seq,
            "digest": row.digest,
            "policy_digest": policy.digest,
            "signatures": [s.to_dict() for s in review.signatures],
            **(detail or {}),
        },
    )
    return _review_of(row)


def _now(at: dt.datetime | None) -> dt.datetime:
    value = at or dt.datetime.now(dt.UTC)
    if value.tzinfo is None:
        raise InputError("release gate", "at", "date-time needs a time zone")
    return value.astimezone(dt.UTC)


def record_review(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    review: ReleaseGateReview,
    policy: Policy,
    sign: issues.Signer | None = None,
    file_name: str = "",
    data: bytes | None = None,
    at: dt.datetime | None = None,
) -> StoredReview:
    """Store the R13a minutes of ``product`` ``version`` (a new version if some exist);
    ``sign`` adds the acting user's signature."""
    when = _now(at)
    release = catalog.get_release(session, product, version)
    if (review.product, review.release) != (product, version):
        raise UsageError(f"the review is for {review.product} {review.release}, "
                         f"not {product} {version}")  # fmt: skip
    if sign is not None:
        _check_signer(policy, sign)
        review = review.signed(Signature.sign(review, signer=sign.who, role=sign.role,
                                              meaning=sign.meaning, at=when))  # fmt: skip
    return _append(session, release, review, actor=actor, action="release_gate.review",
                   policy=policy, at=when, file_name=file_name, data=data)  # fmt: skip


def sign_review(
    session: Session,
    *,
    product: str,
    version: str,
    signer: issues.Signer,
    policy: Policy,
    expected_digest: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[StoredReview, Signature]:
    """Sign the current minutes of the release (a new review row with one more signature).

    ``expected_digest``: refuse unless the current minutes are the ones the signer read.
    """
    when = _now(at)
    release = catalog.get_release(session, product, version)
    current = current_review(session, product, version)
    if current is None:
        raise NotFound(f"no release-gate review of {product} {version} to sign "
                       "(see 'psirt release review')")  # fmt: skip
    if expected_digest is not None and not current.digest.startswith(expected_digest.lower()):
        raise Conflict(f"the current minutes of {product} {version} have digest "
                       f"{current.digest}, not {expected_digest}")  # fmt: skip
    _check_signer(policy, signer)
    sig = Signature.sign(current.review, signer=signer.who, role=signer.role,
                         meaning=signer.meaning, at=when)  # fmt: skip
    stored = _append(session, release, current.review.signed(sig), actor=signer.who,
                     action="release_gate.sign", policy=policy, at=when,
                     detail={"signature": sig.to_dict()})  # fmt: skip
    return stored, sig


# --------------------------------------------------------------------------- the gate


@dataclass(frozen=True, slots=True)
class DecisionView:
    id: int
    kind: str
    status: str
    review_seq: int | None
    review_digest: str | None
    justification: str
    decided_by: str
    decided_at: dt.datetime


@dataclass(frozen=True, slots=True)
class GateReport:
    """What the gate of one release sees now: open issues, KEV findings, the product's other
    releases registered without review, the untriaged findings and activities that block, the
    current review, what it covers, and every missing item."""

    product: str
    release: str
    status: str
    review: StoredReview | None
    open_issues: tuple[OpenIssue, ...]
    kev_findings: tuple[KevFinding, ...]
    missing: tuple[str, ...]
    required_approvals: tuple[str, ...]
    approvals_independent: bool
    decisions: tuple[DecisionView, ...]
    policy_digest: str
    unreviewed: tuple[UnreviewedRelease, ...] = ()
    untriaged: tuple[GateFinding, ...] = ()  # those that block under the policy
    due: tuple[DueActivity, ...] = ()  # those that block under the policy
    without_review: tuple[WithoutReview, ...] = ()  # this release put on the market so

    def unreviewed_rows(self) -> list[dict[str, Any]]:
        review = self.review.review if self.review else None
        rows = []
        for u in self.unreviewed:
            entry = review.release_entry(u.release) if review else None
            rows.append({
                "release": u.release,
                "status": u.status,
                "kind": u.kind,
                "decision": u.decision_id,
                "decided_by": u.decided_by,
                "decided_at": u.decided_at,
                "open_issues": list(u.open_issues),
                "covered": entry is not None and not entry.missing(u),
                "listed_issues": list(entry.issues) if entry else None,
                "notes": entry.notes if entry else None,
            })  # fmt: skip
        return rows

    def untriaged_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "source": f.source,
                "finding": f.finding_id,
                "severity": f.severity.value if f.severity else None,
                "what": f.what,
                "since": f.since,
            }
            for f in self.untriaged
        ]

    def due_rows(self) -> list[dict[str, Any]]:
        return [dataclasses.asdict(d) for d in self.due]

    def without_review_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "decision": w.decision_id,
                "kind": w.kind,
                "status": w.status,
                "decided_by": w.decided_by,
                "decided_at": w.decided_at,
                "covered_by": None
                if w.covered_by is None
                else {"release": w.covered_by[0], "approval": w.covered_by[1]},
            }
            for w in self.without_review
        ]

    @property
    def met(self) -> bool:
        return not self.missing

    def issue_rows(self) -> list[dict[str, Any]]:
        review = self.review.review if self.review else None
        rows = []
        for issue in self.open_issues:
            entry = review.entry(issue.issue_id) if review else None
            rows.append({
                "issue": issue.issue_id,
                "title": issue.title,
                "state": issue.state.value,
                "releases": list(issue.releases),
                "covered": entry is not None and entry.state is issue.state,
                "reviewed_state": entry.state.value if entry else None,
                "decision": entry.decision.value if entry else None,
                "notes": entry.notes if entry else None,
            })  # fmt: skip
        return rows

    def kev_rows(self) -> list[dict[str, Any]]:
        review = self.review.review if self.review else None
        rows = []
        for finding in self.kev_findings:
            found = [a for a in review.kev if a.covers(finding)] if review else []
            a = found[-1] if found else None
            reference = None
            if a is not None:
                parts = [f"issue {a.issue_id}"] if a.issue_id else []
                if a.vex_justification is not None:
                    parts.append(a.vex_justification.value)
                reference = ", ".join(parts) or None
            rows.append({
                "finding": finding.finding_id,
                "kev": list(finding.kev_ids),
                "vulnerability_ids": list(finding.vulnerability_ids),
                "component": finding.component,
                "version": finding.component_version,
                "assessment": a.assessment.value if a else None,
                "rationale": a.rationale if a else None,
                "reference": reference,
            })  # fmt: skip
        return rows

    def as_dict(self) -> dict[str, Any]:
        review = self.review
        open_ids = {i.issue_id for i in self.open_issues}
        return {
            "product": self.product,
            "release": self.release,
            "status": self.status,
            "met": self.met,
            "missing": list(self.missing),
            "policy_digest": self.policy_digest,
            "required_approvals": list(self.required_approvals),
            "approvals_independent_of_chair": self.approvals_independent,
            "review": None
            if review is None
            else {
                "seq": review.seq,
                "digest": review.digest,
                "recorded_by": review.recorded_by,
                "recorded_at": review.recorded_at.isoformat(),
                "file_name": review.file_name,
                "held_on": review.review.held_on.isoformat(),
                "chair": review.review.chair,
                "attendees": [a.to_dict() for a in review.review.attendees],
                "signatures": [s.to_dict() for s in review.review.signatures],
                "entries_for_other_issues": [
                    e.issue_id for e in review.review.issues if e.issue_id not in open_ids
                ],
            },
            "open_issues": self.issue_rows(),
            "kev_findings": self.kev_rows(),
            "registered_without_review": self.without_review_rows(),
            "unreviewed_releases": self.unreviewed_rows(),
            "untriaged_findings": self.untriaged_rows(),
            "due_activities": self.due_rows(),
            "decisions": [
                {**dataclasses.asdict(d), "decided_at": d.decided_at.isoformat()}
                for d in self.decisions
            ],
        }


def _decisions(session: Session, release_id: int) -> list[DecisionView]:
    rows = session.execute(
        select(ReleaseGateDecisionRow, ReleaseGateReviewRow.seq)
        .outerjoin(
            ReleaseGateReviewRow, ReleaseGateDecisionRow.review_id == ReleaseGateReviewRow.id
        )
        .where(ReleaseGateDecisionRow.release_id == release_id)
        .order_by(ReleaseGateDecisionRow.id)
    ).all()
    return [
        DecisionView(
            d.id,
            d.kind,
            d.status,
            seq,
            d.review_digest,
            d.justification,
            d.decided_by,
            d.decided_at,
        )  # fmt: skip
        for d, seq in rows
    ]


def gate_report(session: Session, *, product: str, version: str, policy: Policy) -> GateReport:
    release = catalog.get_release(session, product, version)
    review = current_review(session, product, version)
    open_now = open_issues(session, product, policy)
    kev_now = kev_findings(session, product, version)
    unreviewed = unreviewed_releases(session, product, version, open_now)
    untriaged = blocking_findings(untriaged_findings(session, product, version),
                                  policy.release_gate)  # fmt: skip
    due = blocking_activities(due_activities(session, product), version, policy.release_gate)
    missing = evaluate_gate(review.review if review else None, open_now, kev_now, policy,
                            unreviewed=unreviewed, untriaged=untriaged, due=due)  # fmt: skip
    rule = approval_rule(policy)
    own = [w for w in catalog.without_review(session, release.product_id)
           if w.release_id == release.id]  # fmt: skip
    return GateReport(
        product=product,
        release=version,
        status=release.status,
        review=review,
        open_issues=tuple(open_now),
        kev_findings=tuple(kev_now),
        missing=tuple(missing),
        required_approvals=tuple(r.value for r in rule.roles) if rule.all else
        (" or ".join(r.value for r in rule.roles),),
        approvals_independent=rule.distinct_from_author,
        decisions=tuple(_decisions(session, release.id)),
        policy_digest=policy.digest,
        unreviewed=tuple(unreviewed),
        untriaged=tuple(untriaged),
        due=tuple(due),
        without_review=tuple(own),
    )  # fmt: skip


def approve_release(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    policy: Policy,
    status: ReleaseStatus = ReleaseStatus.RELEASED,
    released_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> GateReport:
    """Check the gate on the current review, record the approval, move the release to
    ``status`` (released or fielded). Raises ``GateNotMet`` naming every missing item."""
    when = _now(at)
    if status not in RELEASED_STATUSES:
        raise UsageError(f"a release is approved as released or fielded, not {status}")
    report = gate_report(session, product=product, version=version, policy=policy)
    if report.missing:
        raise GateNotMet(GATE, report.missing)
    assert report.review is not None  # evaluate_gate asks for one
    release = catalog.get_release(session, product, version)
    policy_store.record_policy(session, policy, actor=actor)
    covered = {
        "issues": [{"issue": i.issue_id, "state": i.state.value} for i in report.open_issues],
        "kev": [
            {"finding": f.finding_id, "kev": list(f.kev_ids), "component": f.component_label}
            for f in report.kev_findings
        ],
        "signatures": [s.to_dict() for s in report.review.review.signatures],
        # the product's releases put on the market without review that this review covered,
        # this release's own such decision included
        "unreviewed": [
            {"decision": int(u.decision_id), "release": u.release, "issues": list(u.open_issues)}
            for u in report.unreviewed
        ]
        + [
            {
                "decision": w.decision_id,
                "release": version,
                "issues": [i.issue_id for i in report.open_issues if version in i.versions],
            }
            for w in report.without_review
            if w.covered_by is None
        ],  # fmt: skip
    }
    decision = ReleaseGateDecisionRow(
        release_id=release.id,
        kind="approval",
        status=str(status),
        review_id=report.review.id,
        review_digest=report.review.digest,
        covered=covered,
        justification="",
        policy_digest=policy.digest,
        decided_by=actor,
        decided_at=when,
    )
    session.add(decision)
    session.flush()
    audit.record_change(
        session,
        actor=actor,
        action="release_gate.approve",
        obj=decision,
        detail={"release": f"{product}@{version}", "status": str(status),
                "review_seq": report.review.seq, "review_digest": report.review.digest,
                "policy_digest": policy.digest, **covered},
    )  # fmt: skip
    catalog.set_release_status(
        session, actor=actor, product=product, version=version, status=status,
        released_on=released_on,
    )  # fmt: skip
    return gate_report(session, product=product, version=version, policy=policy)


def review_history(session: Session, product: str, version: str) -> Sequence[StoredReview]:
    release = catalog.get_release(session, product, version)
    rows = session.scalars(
        select(ReleaseGateReviewRow)
        .where(ReleaseGateReviewRow.release_id == release.id)
        .order_by(ReleaseGateReviewRow.seq)
    )
    return [_review_of(r) for r in rows]
