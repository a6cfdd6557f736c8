"""Load the bundled demo portfolio and run the monitoring job on it.

Besides the SBOMs and feeds: the gateway's test plan, attack surfaces, a SAST and a DAST run of
3.1.0 with a reviewed finding, and a CI check of a 3.2.0 build with the same code (its findings
are seen again, still open, and fail the check); the patient monitor's libwebp issue walked to
REMEDIATION (``publish_walkthrough`` publishes its advisory and its release's VEX); and the R13a
minutes of the patient monitor's 7.5.0, signed by the chair, that cover 7.4.2 (registered as
fielded without a release-gate review).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from psirt.demo import FEEDS, MANUFACTURER, PORTFOLIO, data_dir
from psirt.domain.activity import ActivityType, Disposition, DispositionKind
from psirt.domain.publisher import Publisher
from psirt.domain.records import Role, SignatureMeaning
from psirt.domain.scan import Severity
from psirt.ingest.sbom import read_sbom_file
from psirt.services import (
    activities,
    catalog,
    feeds,
    issues,
    monitoring,
    policy_store,
    procedure,
    publications,
    release_gate,
    sboms,
    scan_imports,
)
from psirt.services.catalog import ReleaseStatus
from psirt.store import models as m
from psirt.store.models_activities import Activity, ScanIdentity

GATEWAY = "Clinical Data Gateway"
# Who publishes the demo's advisory and VEX when the active policy names no publisher (a
# documentation domain: the demo's manufacturer is invented).
DEMO_PUBLISHER = Publisher(
    name="Meridian Medical Systems PSIRT",
    namespace="https://psirt.meridian-medical.example",
    contact_details="psirt@meridian-medical.example",
)
# Who approves the demo's Security Issue Resolution Procedure (the default policy asks for a QA
# approver and management, neither of them the issuer).
PROCEDURE_APPROVERS = (
    ("quality.manager", Role.QA_APPROVER),
    ("managing.director", Role.MANAGEMENT),
)


@dataclass
class DemoOutcome:
    products: int = 0
    releases: int = 0
    sboms: int = 0
    feed_summary: feeds.FeedImportSummary | None = None
    rematch: monitoring.RematchOutcome | None = None
    notes: list[str] = field(default_factory=list)
    activities: int = 0
    issue_id: int | None = None
    ci: scan_imports.GateOutcome | None = None  # the CI check of the first load
    review_seq: int | None = None  # the 7.5.0 minutes the first load recorded
    procedure_version: int | None = None


def load_portfolio(session: Session, *, actor: str) -> DemoOutcome:
    out = DemoOutcome()
    root = data_dir()
    for item in PORTFOLIO:
        product = session.scalar(select(m.Product).where(m.Product.name == item.product))
        if product is None:
            catalog.add_product(
                session,
                actor=actor,
                name=item.product,
                description=item.description,
                manufacturer=MANUFACTURER,
            )
            out.products += 1
        release = session.scalar(
            select(m.Release)
            .join(m.Product)
            .where(m.Product.name == item.product, m.Release.version == item.version)
        )
        if release is None:
            catalog.add_release(
                session,
                actor=actor,
                product=item.product,
                version=item.version,
                status=ReleaseStatus(item.status),
                released_on=dt.date.fromisoformat(item.released_on) if item.released_on else None,
            )
            out.releases += 1
        data, parsed = read_sbom_file(root / "sbom" / item.sbom)
        result = sboms.import_sbom(
            session,
            actor=actor,
            product=item.product,
            version=item.version,
            data=data,
            parsed=parsed,
            file_name=item.sbom,
        )
        if not result.unchanged:
            out.sboms += 1
    summary = feeds.import_feeds(session, [root / f for f in FEEDS], actor=actor)
    out.feed_summary = summary
    out.rematch = monitoring.after_feed_import(session, summary, actor=actor)
    out.activities, out.ci = _proactive_testing(session, actor=actor)
    out.issue_id = issues.demo_walkthrough(session, actor=actor).issue_id
    out.review_seq = _release_gate_review(session, actor=actor)
    out.procedure_version = _procedure(session, actor=actor)
    return out


MONITOR = "Patient Monitor PM-8"
REVIEW_FILE = "patient-monitor-7.5.0-review.toml"
CHAIR = issues.Signer("dana.design", Role.DESIGN_AUTHORITY, SignatureMeaning.AUTHORED)


def _release_gate_review(session: Session, *, actor: str) -> int | None:
    """The R13a minutes of the monitor's 7.5.0, signed by the chair; they list 7.4.2, which
    was registered as fielded without review, and its open issue. The approvers have yet to
    sign. Returns the minutes' version when this call recorded them."""
    if release_gate.current_review(session, MONITOR, "7.5.0") is not None:
        return None
    data, minutes = release_gate.read_review_file(
        data_dir() / "reviews" / REVIEW_FILE, product=MONITOR, version="7.5.0"
    )
    stored = release_gate.record_review(
        session, actor=actor, product=MONITOR, version="7.5.0", review=minutes,
        policy=policy_store.active_policy(), sign=CHAIR, file_name=REVIEW_FILE, data=data,
    )  # fmt: skip
    return stored.seq


def _procedure(session: Session, *, actor: str) -> int:
    """Issue the procedure written from the active policy and have it approved."""
    policy = policy_store.active_policy()
    outcome = procedure.issue(session, actor=actor, policy=policy,
                              note="written from the policy the demo runs under")  # fmt: skip
    if outcome.version.missing:
        for who, role in PROCEDURE_APPROVERS:
            if role in outcome.version.approval.roles:
                signer = issues.Signer(who, role, SignatureMeaning.APPROVED)
                procedure.sign(session, signer=signer, policy=policy)
    return outcome.version.version


def publish_walkthrough(session: Session, *, actor: str) -> list[publications.Published]:
    """The walked issue's CSAF advisory (interim: its fix is still in preparation) and its
    customer advisory (HTML, PDF), and the VEX of its release in the three formats, published
    as the active policy's publisher or, when it names none, :data:`DEMO_PUBLISHER`. Publishing
    them again changes nothing."""
    policy = policy_store.active_policy()
    who = policy.publishing.publisher
    publisher = who if who.complete else DEMO_PUBLISHER
    issue_id = issues.demo_walkthrough(session, actor=actor).issue_id
    out = [
        publications.publish_advisory(session, issue_id, status=publications.CsafStatus.INTERIM,
                                      actor=actor, policy=policy, publisher=publisher)
    ]  # fmt: skip
    out += [
        publications.publish_customer_advisory(session, issue_id, fmt, actor=actor)
        for fmt in publications.AdvisoryFormat
    ]
    out += [
        publications.publish_vex(session, issues.DEMO_PRODUCT, issues.DEMO_RELEASE, fmt,
                                 actor=actor, policy=policy, publisher=publisher)
        for fmt in publications.VexFormat
    ]  # fmt: skip
    return out


def _proactive_testing(
    session: Session, *, actor: str
) -> tuple[int, scan_imports.GateOutcome | None]:
    """The gateway's test plan, attack surfaces, a SAST and a DAST run, a reviewed finding and
    a CI check of a 3.2.0 build (once: the activities recorded and the check's outcome)."""
    root = data_dir()
    gateway = catalog.get_product(session, GATEWAY)
    if activities.current_plan(session, GATEWAY) is None:
        data, plan = activities.read_plan_file(root / "plans" / "clinical-gateway-plan.toml")
        activities.set_plan(
            session,
            actor=actor,
            product=GATEWAY,
            data=data,
            plan=plan,
            file_name="clinical-gateway-plan.toml",
        )
    for version in ("3.1.0", "3.2.0"):
        if activities.current_surface(session, GATEWAY, version) is None:
            name = f"clinical-gateway-{version}-surface.toml"
            data, surface = activities.read_surface_file(root / "plans" / name)
            activities.set_surface(
                session,
                actor=actor,
                product=GATEWAY,
                version=version,
                data=data,
                surface=surface,
                file_name=name,
            )
    done = session.scalar(
        select(Activity.id)
        .join(m.Release, Activity.release_id == m.Release.id)
        .where(m.Release.product_id == gateway.id, Activity.type != ActivityType.SBOM_SCAN.value)
        .limit(1)
    )
    if done is not None:
        return 0, None
    now = dt.datetime.now(dt.UTC)
    runs = (
        (
            "gateway-3.1.0-bandit.json",
            ActivityType.SAST,
            "bandit in the build pipeline",
            "build pipeline",
            False,
            "9f2c4e1",
        ),
        (
            "gateway-3.1.0-zap-api.json",
            ActivityType.DAST,
            "ZAP API scan of the REST interface",
            "QA security test team",
            True,
            None,
        ),
    )
    for offset, (name, kind, method, performer, independent, build) in enumerate(runs):
        data, result = scan_imports.read_scan_file(root / "scans" / name)
        scan_imports.import_scan(
            session,
            actor=actor,
            product=GATEWAY,
            version="3.1.0",
            data=data,
            result=result,
            file_name=name,
            type=kind,
            method=method,
            performer=performer,
            independent=independent,
            build=build,
            started=now - dt.timedelta(days=30 - offset, hours=1),
            ended=now - dt.timedelta(days=30 - offset),
        )
    # A reviewed SAST finding: the MD5 Bandit flags computes a de-duplication key.
    first_md5 = session.scalar(
        select(ScanIdentity.id)
        .where(ScanIdentity.product_id == gateway.id, ScanIdentity.rule_id == "B303")
        .order_by(ScanIdentity.id)
        .limit(1)
    )
    if first_md5 is not None:
        activities.dispose(
            session,
            actor=actor,
            finding_id=first_md5,
            disposition=Disposition(
                DispositionKind.FALSE_POSITIVE,
                rationale="MD5 computes a de-duplication key of report rows, not a security "
                "control; reviewed in code review CR-2291",
            ),
        )
    # The pipeline of the 3.2.0 build checks the same code: every finding is seen again, and
    # the open ones at or above medium fail the build until someone decides about them.
    data, result = scan_imports.read_scan_file(root / "scans" / "gateway-3.1.0-bandit.json")
    ci = scan_imports.ci_check(
        session,
        actor=actor,
        product=GATEWAY,
        version="3.2.0",
        reports=[("gateway-3.2.0-bandit.json", data, result)],
        threshold=Severity.MEDIUM,
        build="4b7e2a1",
        performer="build pipeline",
    )
    return len(runs) + len(ci.imports), ci
