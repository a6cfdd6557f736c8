"""Builders for lifecycle tests: people, signatures and complete records per stage."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from psirt.domain.issue import SecurityIssue, State, assess
from psirt.domain.policy import Policy, default_policy
from psirt.domain.records import (
    AffectedRelease,
    Analysis,
    AspectReview,
    Audience,
    ChangeImpactReview,
    Closure,
    ComponentRef,
    CrossProduct,
    CustomerNotice,
    DisclosureDecision,
    DisclosureKind,
    Intake,
    IntakeSource,
    ItemClass,
    NoticeKind,
    PostFix,
    Record,
    ReleaseAdvisory,
    ReleaseStatus,
    ReleaseVehicle,
    ReporterAcknowledgement,
    RescanResult,
    ResolutionApproach,
    ResolutionDecision,
    ReviewAspect,
    Role,
    SbomEvidence,
    Signature,
    SignatureMeaning,
    TesterIndependence,
    Triage,
    Verdict,
    Verification,
)
from psirt.domain.risk import HarmSeverity
from psirt.domain.ssvc import Automatable, Exploitation, TechnicalImpact, ValueDensity

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday

PEOPLE = {
    "pat": Role.PSIRT_LEAD,
    "sam": Role.SECURITY_RISK_OWNER,
    "sara": Role.SAFETY_RISK_MANAGER,
    "rita": Role.REGULATORY_AFFAIRS,
    "dan": Role.DESIGN_AUTHORITY,
    "quinn": Role.QA_APPROVER,
    "mona": Role.MANAGEMENT,
    "cora": Role.COMMUNICATIONS,
}


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def sign(
    record: Record,
    *who: str,
    at: dt.datetime | None = None,
    meaning: SignatureMeaning = SignatureMeaning.APPROVED,
) -> list[Signature]:
    return [
        Signature.sign(record, signer=w, role=PEOPLE[w], meaning=meaning, at=at or T0) for w in who
    ]


def sign_all(records: list[Record], *who: str, at: dt.datetime | None = None) -> list[Signature]:
    return [s for r in records for s in sign(r, *who, at=at)]


PUMP_RELEASES = (
    AffectedRelease("infusion-pump", "4.2.0", ReleaseStatus.AFFECTED, "pkg:generic/openssl@3.0.7"),
    AffectedRelease("infusion-pump", "4.1.3", ReleaseStatus.AFFECTED, "pkg:generic/openssl@3.0.7"),
)


def intake(**kw: Any) -> Intake:
    base: dict[str, Any] = {
        "source": IntakeSource.SECURITY_RESEARCHER,
        "learned_at": T0,
        "reporter": "researcher@example.org",
        "channel": "security@ mailbox (CVD policy)",
        "summary": "OpenSSL X.400 type confusion in fielded pump firmware",
        "vulnerability_ids": ("CVE-2023-0286",),
        "affected": PUMP_RELEASES,
        "item_class": ItemClass.MAINTAINED,
    }
    base.update(kw)
    return Intake(**base)


def triage_record(**kw: Any) -> Triage:
    base: dict[str, Any] = {
        "applicable": True,
        "applicability_rationale": "openssl 3.0.7 linked into the pump's TLS stack",
        "verifiability": "reproduced on bench unit with crafted CRL",
        "related_threats": ("TM-12 network attacker on clinical VLAN",),
    }
    base.update(kw)
    return Triage(**base)


def analysis_record(policy: Policy | None = None, **kw: Any) -> Analysis:
    base: dict[str, Any] = {
        "cvss_v31": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H",
        "exploitation": Exploitation.NONE,
        "automatable": Automatable.YES,
        "value_density": ValueDensity.CONCENTRATED,
        "technical_impact": TechnicalImpact.TOTAL,
        "harm_severity": HarmSeverity.CRITICAL,
        "hazardous_situation": "pump controller crash interrupts infusion",
        "hazard_refs": ("HAZ-041",),
        "kev_listed": False,
        "kev_snapshot": dt.date(2025, 3, 4),
        "epss": 0.02,
        "epss_snapshot": dt.date(2025, 3, 4),
        "root_cause": "type confusion in GENERAL_NAME_cmp of bundled OpenSSL",
        "cwes": ("CWE-843",),
        "affected": PUMP_RELEASES,
        "related_issues": (),
        "safety_effectiveness_impact": "loss of therapy delivery until reboot",
        "item_class": ItemClass.MAINTAINED,
    }
    base.update(kw)
    return assess(Analysis(**base), policy or default_policy())


def interim_notice(at: dt.datetime, **kw: Any) -> CustomerNotice:
    base: dict[str, Any] = {
        "kind": NoticeKind.INTERIM,
        "sent_at": at,
        "recipients": "all hospitals operating infusion-pump 4.x",
        "description_and_impact": "crafted certificate data can crash the pump controller",
        "efforts_under_way": "a firmware update is being developed and validated",
        "compensating_controls": ("block TCP/443 from outside the pump VLAN",),
        "fix_forthcoming_statement": "firmware 4.2.1 will be announced by advisory",
    }
    base.update(kw)
    return CustomerNotice(**base)


def disclosure(**kw: Any) -> DisclosureDecision:
    base: dict[str, Any] = {
        "decision": DisclosureKind.DISCLOSE_PUBLIC_ADVISORY,
        "rationale": "uncontrolled risk; users need compensating controls",
        "audiences": (Audience.USERS, Audience.REGULATORS, Audience.ISAO),
        "cve_id": "CVE-2023-0286",
    }
    base.update(kw)
    return DisclosureDecision(**base)


def resolution(**kw: Any) -> ResolutionDecision:
    base: dict[str, Any] = {
        "approach": ResolutionApproach.FIX,
        "release_vehicle": ReleaseVehicle.OUT_OF_CYCLE,
        "rationale": "upgrade OpenSSL to 3.0.8 in an out-of-cycle firmware",
        "target_date": dt.date(2025, 4, 20),
        "version_plan": ("4.2.0 -> 4.2.1", "4.1.3 -> 4.2.1"),
    }
    base.update(kw)
    return ResolutionDecision(**base)


def cross_product(**kw: Any) -> CrossProduct:
    base: dict[str, Any] = {
        "query": "purl pkg:generic/openssl@3.0.* across all SBOMs",
        "checked": ("infusion-pump@4.2.0", "infusion-pump@4.1.3", "pump-gateway@2.0.1"),
    }
    base.update(kw)
    return CrossProduct(**base)


def change_review(**kw: Any) -> ChangeImpactReview:
    reviewers = {
        ReviewAspect.SAFETY: "sara",
        ReviewAspect.SECURITY: "sam",
        ReviewAspect.EFFECTIVENESS: "dan",
        ReviewAspect.REGULATORY: "rita",
    }
    base: dict[str, Any] = {
        "change_request_id": "CR-1207",
        "aspects": tuple(AspectReview(a, r, Verdict.APPROVED) for a, r in reviewers.items()),
        "regulatory_impact": "letter to file; no new 510(k)",
    }
    base.update(kw)
    return ChangeImpactReview(**base)


def review_signatures(review: ChangeImpactReview, at: dt.datetime) -> list[Signature]:
    return [
        Signature.sign(
            review, signer=a.reviewer, role=PEOPLE[a.reviewer],
            meaning=SignatureMeaning.REVIEWED, at=at,
        )
        for a in review.aspects
    ]  # fmt: skip


def rescan(release: str = "infusion-pump@4.2.1", **kw: Any) -> RescanResult:
    """A clean re-scan as psirt computes it: the fixed release's SBOM, scanned after import."""
    base: dict[str, Any] = {
        "release": release,
        "release_stored": True,
        "vulnerability_ids": ("CVE-2023-0286",),
        "sbom_document_id": 7,
        "sbom_sha256": "ab" * 32,
        "sbom_imported_at": dt.datetime(2025, 4, 9, 8, 0, tzinfo=UTC),
        "scan_activity_id": 31,
        "scanned_at": dt.datetime(2025, 4, 9, 8, 5, tzinfo=UTC),
        "scan_tool": "psirt 0.1.0",
        "findings_checked": 3,
    }
    base.update(kw)
    return RescanResult(**base)


def verification(**kw: Any) -> Verification:
    base: dict[str, Any] = {
        "software_version": "4.2.1",
        "targeted_test": "crafted X.400 CRL no longer crashes the controller",
        "targeted_test_passed": True,
        "regression_suite": "pump-firmware full regression v88",
        "regression_passed": True,
        "tester": "tess",
        "tester_independence": TesterIndependence.INDEPENDENT_INTERNAL,
        "rescan": rescan(),
    }
    base.update(kw)
    return Verification(**base)


def sbom_evidence(release: str = "infusion-pump@4.2.1", **kw: Any) -> SbomEvidence:
    base: dict[str, Any] = {
        "release": release,
        "release_stored": True,
        "document_id": 7,
        "sha256": "ab" * 32,
        "imported_at": dt.datetime(2025, 4, 9, 8, 0, tzinfo=UTC),
        "components": (ComponentRef("openssl", "3.0.8", "pkg:generic/openssl@3.0.8"),),
    }
    base.update(kw)
    return SbomEvidence(**base)


def release_record(
    at: dt.datetime, issue: SecurityIssue | None = None, **kw: Any
) -> ReleaseAdvisory:
    """R10 of the fixed release; with ``issue``, its VEX statuses as psirt computes them."""
    base: dict[str, Any] = {
        "release_version": "4.2.1",
        "released_at": at,
        "release_statuses": tuple(
            dataclasses.replace(r, status=ReleaseStatus.FIXED) for r in PUMP_RELEASES
        ),
        "advisory_id": "PSIRT-2025-004",
        "update_available": True,
        "integrity": "sha256 of the signed firmware image in the advisory",
        "vex_updated": True,
        "sbom_updated": True,
        "sbom": sbom_evidence(),
    }
    base.update(kw)
    record = ReleaseAdvisory(**base)
    if issue is None:
        return record
    fixed = SecurityIssue.fixed_release(record)
    return dataclasses.replace(record, vex_statuses=issue.vex_statuses(record, fixed))


def post_fix(**kw: Any) -> PostFix:
    base: dict[str, Any] = {
        "effectiveness_method": "field telemetry of firmware versions and crash reports",
        "effectiveness_result": "no crashes since update; 92% of fleet updated",
        "deployment_rate": 0.92,
    }
    base.update(kw)
    return PostFix(**base)


def closure(**kw: Any) -> Closure:
    base: dict[str, Any] = {"rmf_updated_ref": "RMF-PUMP rev 31", "problem_report_closed": True}
    base.update(kw)
    return Closure(**base)


def to_triage(issue_id: str = "ISS-1", **intake_kw: Any) -> SecurityIssue:
    issue = SecurityIssue.open(
        issue_id, intake(acknowledged_at=T0 + dt.timedelta(hours=4), **intake_kw),
        policy=default_policy(), actor="pat", at=T0,
    )  # fmt: skip
    t = triage_record()
    issue.triage(t, actor="pat", at=day(1), signatures=sign(t, "pat"))
    assert issue.state is State.TRIAGE
    return issue


def to_analysis(issue: SecurityIssue, analysis: Analysis, at: dt.datetime) -> None:
    issue.analyze(analysis, actor="sam", at=at, signatures=sign(analysis, "sam", "sara", at=at))
    assert issue.state is State.ANALYSIS


def decide(
    issue: SecurityIssue,
    at: dt.datetime,
    d: DisclosureDecision | None = None,
    r: ResolutionDecision | None = None,
    c: CrossProduct | None = None,
) -> None:
    d = d or disclosure()
    r = r or resolution()
    c = c or cross_product()
    issue.decide(d, r, c, actor="dan", at=at, signatures=sign_all([d, r], "dan", "sam", "sara"))


def ack(at: dt.datetime) -> ReporterAcknowledgement:
    return ReporterAcknowledgement("researcher@example.org", at, "email")
