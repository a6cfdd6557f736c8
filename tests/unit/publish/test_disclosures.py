"""What an issue's records disclose per release (status, remediations), the document versions
and the publisher settings of the policy."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from psirt.domain.policy import load_policy
from psirt.domain.publication import (
    ChangeKind,
    PublishedVersion,
    RemediationCategory,
    csaf_change,
    next_csaf_version,
    release_disclosures,
)
from psirt.domain.publisher import csaf_file_stem
from psirt.domain.records import (
    ChangeRequest,
    EuRoute,
    NotAffected,
    ReleaseStatus,
    Reportability,
    ResolutionApproach,
    RiskAcceptance,
    ThirdPartyNotice,
    UsRoute,
    VexJustification,
)
from psirt.domain.risk import HarmSeverity, RiskControlStatus
from psirt.domain.vex import VexStatus
from psirt.errors import InputError, UsageError
from tests.unit.lifecycle.helpers import (
    analysis_record,
    change_review,
    day,
    decide,
    interim_notice,
    release_record,
    resolution,
    review_signatures,
    sign,
    to_analysis,
    to_triage,
    verification,
)

PUMP_420 = "infusion-pump@4.2.0"
PUMP_413 = "infusion-pump@4.1.3"
PUMP_421 = "infusion-pump@4.2.1"


def _uncontrolled_pump() -> object:
    issue = to_triage()
    to_analysis(issue, analysis_record(kev_listed=True, third_party_suppliers=("OpenSSL Project",)),
                day(3))  # fmt: skip
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.NON_ENFORCEMENT_806,
                       EuRoute.NONE, "uncontrolled, no adverse events",
                       non_enforcement_evidence=("complaint search C-88",))  # fmt: skip
    issue.attach(r7, actor="rita", at=day(4), signatures=sign(r7, "rita"))
    issue.attach(ThirdPartyNotice("OpenSSL Project", "openssl-security@", day(4)), actor="pat",
                 at=day(4))  # fmt: skip
    decide(issue, day(5))
    return issue


def test_a_planned_fix_with_interim_controls_then_the_fix_release() -> None:
    issue = _uncontrolled_pump()
    issue.start_remediation(ChangeRequest("CR-1207", "OpenSSL 3.0.8"), actor="dan", at=day(6))  # type: ignore[attr-defined]
    issue.attach(interim_notice(day(7)), actor="cora", at=day(7))  # type: ignore[attr-defined]
    before = release_disclosures(issue)  # type: ignore[arg-type]
    assert list(before) == [PUMP_420, PUMP_413]
    d = before[PUMP_420]
    assert (d.status, d.fix_release) == (VexStatus.AFFECTED, False)
    assert [(r.category, r.details) for r in d.remediations] == [
        (RemediationCategory.NONE_AVAILABLE,
         "A software update that fixes the vulnerability is in preparation (4.2.0 -> 4.2.1; "
         "4.1.3 -> 4.2.1); it is planned for 2025-04-20."),
        (RemediationCategory.MITIGATION, "Until then: block TCP/443 from outside the pump VLAN."),
    ]  # fmt: skip
    assert d.responses == ("workaround_available",)
    assert d.component_purl == "pkg:generic/openssl@3.0.7"

    review = change_review()
    issue.review_change(review, actor="dan", at=day(10),  # type: ignore[attr-defined]
                        signatures=review_signatures(review, day(10)))  # fmt: skip
    v = verification()
    issue.verify(v, actor="tess", at=day(20), signatures=sign(v, "quinn"))  # type: ignore[attr-defined]
    r10 = dataclasses.replace(release_record(day(40), issue),  # type: ignore[arg-type]
                              update_location="https://example.org/pump/4.2.1")  # fmt: skip
    issue.release(r10, actor="dan", at=day(40), signatures=sign(r10, "dan"))  # type: ignore[attr-defined]
    after = release_disclosures(issue)  # type: ignore[arg-type]
    assert list(after) == [PUMP_420, PUMP_413, PUMP_421]
    fixed = after[PUMP_421]
    assert (fixed.status, fixed.fix_release, fixed.remediations) == (VexStatus.FIXED, True, ())
    assert fixed.fixed_components == (("openssl", "3.0.8", "pkg:generic/openssl@3.0.8"),)
    for key in (PUMP_420, PUMP_413):
        d = after[key]
        assert d.status is VexStatus.AFFECTED
        (fix,) = d.remediations  # the interim controls are no longer the remediation
        assert fix.category is RemediationCategory.VENDOR_FIX
        assert fix.details == (
            "Update infusion-pump to version 4.2.1, released 2025-04-12. Verify the update: "
            "sha256 of the signed firmware image in the advisory. The update is available "
            "from https://example.org/pump/4.2.1."
        )
        assert (fix.url, fix.date, fix.fixed_release) == (
            "https://example.org/pump/4.2.1", day(40), PUMP_421
        )  # fmt: skip
        assert d.responses == ("update",)


def test_accepted_residual_risk_and_not_affected_releases() -> None:
    issue = to_triage()
    a = analysis_record(harm_severity=HarmSeverity.MINOR)
    to_analysis(issue, a, day(3))
    decide(issue, day(5), r=resolution(approach=ResolutionApproach.ACCEPT_RESIDUAL_RISK,
                                       target_date=None))  # fmt: skip
    r15 = RiskAcceptance(
        residual_risk_statement="a crash needs physical access to the service port",
        compensating_controls=("keep the service port sealed",),
        controlled_risk_evidence="R3: minor harm",
        user_information_ref="IFU 9.2",
        approver="mona",
        review_on=dt.date(2026, 3, 1),
    )
    issue.accept_risk(r15, actor="sam", at=day(6), signatures=sign(r15, "mona", "sara"))  # type: ignore[attr-defined]
    d = release_disclosures(issue)[PUMP_420]  # type: ignore[arg-type]
    assert [(r.category, r.details) for r in d.remediations] == [
        (RemediationCategory.NO_FIX_PLANNED,
         "No fix is planned for this release; the manufacturer evaluated the residual risk: a "
         "crash needs physical access to the service port."),
        (RemediationCategory.MITIGATION, "keep the service port sealed. See IFU 9.2."),
    ]  # fmt: skip
    assert d.responses == ("will_not_fix", "workaround_available")
    assert "accepting the residual risk" in d.provenance

    closed = to_triage()
    na = NotAffected(VexJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
                     "the CRL code path is disabled in the pump build", ("build config",),
                     "sam", "quinn", (PUMP_413,))  # fmt: skip
    closed.close_not_affected(na, actor="sam", at=day(2), signatures=sign(na, "quinn"))
    out = release_disclosures(closed)
    assert out[PUMP_413].status is VexStatus.NOT_AFFECTED
    assert out[PUMP_413].justification is VexJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH
    assert out[PUMP_413].impact == "the CRL code path is disabled in the pump build"
    assert out[PUMP_413].provenance == (
        "not affected: vulnerable_code_not_in_execute_path (not_affected record approved by quinn)"
    )
    # 4.2.0 was not named by the record: still affected, nothing decided yet
    assert out[PUMP_420].status is VexStatus.AFFECTED
    assert [r.category for r in out[PUMP_420].remediations] == [RemediationCategory.NONE_AVAILABLE]


def test_under_investigation_release() -> None:
    from psirt.domain.records import AffectedRelease

    issue = to_triage(affected=(AffectedRelease("pump", "1.0", ReleaseStatus.UNDER_INVESTIGATION),))
    d = release_disclosures(issue)["pump@1.0"]
    assert d.status is VexStatus.UNDER_INVESTIGATION
    assert [r.details for r in d.remediations] == [
        "No remediation is available yet; the manufacturer is investigating whether the release "
        "is affected."
    ]


def _v(version: str, status: str, n: int) -> PublishedVersion:
    return PublishedVersion(version, status, dt.datetime(2025, 1, n, tzinfo=dt.UTC), "x")


@pytest.mark.parametrize(
    ("history", "status", "change", "expected", "listed"),
    [
        ([], "draft", ChangeKind.MAJOR, "0.1.0", []),
        ([("0.1.0", "draft")], "draft", ChangeKind.MINOR, "0.2.0", ["0.1.0"]),
        ([("0.1.0", "draft")], "final", ChangeKind.MAJOR, "1.0.0", []),
        ([("0.1.0", "draft")], "interim", ChangeKind.MINOR, "1.0.0", []),
        ([("1.0.0", "interim")], "final", ChangeKind.MINOR, "1.1.0", ["1.0.0"]),
        ([("1.0.0", "final")], "final", ChangeKind.MAJOR, "2.0.0", ["1.0.0"]),
        ([("1.0.0", "final"), ("2.0.0", "final")], "draft", ChangeKind.MINOR, "2.1.0-draft.1",
         ["1.0.0", "2.0.0"]),
        ([("1.0.0", "final"), ("1.1.0-draft.1", "draft")], "draft", ChangeKind.MAJOR,
         "2.0.0-draft.2", ["1.0.0"]),
        ([("1.0.0", "final"), ("1.1.0-draft.1", "draft")], "final", ChangeKind.MINOR, "1.1.0",
         ["1.0.0"]),
    ],
)  # fmt: skip
def test_versions_follow_the_csaf_rules(
    history: list[tuple[str, str]], status: str, change: ChangeKind, expected: str,
    listed: list[str],
) -> None:  # fmt: skip
    versions = [_v(v, s, i + 1) for i, (v, s) in enumerate(history)]
    version, before = next_csaf_version(versions, status, change)
    assert version == expected
    assert [b.version for b in before] == listed


def test_a_change_of_product_status_or_scores_is_major() -> None:
    old = {"vulnerabilities": [{"cve": "CVE-1", "product_status": {"known_affected": ["a"]}}]}
    notes = {"vulnerabilities": [{"cve": "CVE-1", "product_status": {"known_affected": ["a"]},
                                  "notes": [{"text": "more"}]}]}  # fmt: skip
    status = {"vulnerabilities": [{"cve": "CVE-1", "product_status": {"fixed": ["a"]}}]}
    assert csaf_change(old, notes) is ChangeKind.MINOR
    assert csaf_change(old, status) is ChangeKind.MAJOR


def test_publisher_settings_of_the_policy() -> None:
    policy = load_policy(
        '[publisher]\nname = "Meridian PSIRT"\nnamespace = "https://psirt.example.org"\n'
        '[publishing]\nadvisory_id = "MMS-SA-{year}-{issue:03d}"\n'
        'advisory_url = "https://psirt.example.org/csaf/{id}.json"\n',
        source="site.toml",
    )
    p = policy.publishing
    assert p.require_publisher().name == "Meridian PSIRT"
    assert p.advisory_id.format(year=2025, issue=7) == "MMS-SA-2025-007"
    assert p.advisory_url_of("MMS-SA:2025/007") == (
        "https://psirt.example.org/csaf/mms-sa_2025_007.json"
    )
    assert csaf_file_stem("Example Company - 2019-YH3234") == "example_company_-_2019-yh3234"
    with pytest.raises(UsageError, match=r"\[publisher\] table"):
        load_policy().publishing.require_publisher()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[publisher]\nnamespace = "psirt.example.org"',
         "site.toml: publisher.namespace: 'psirt.example.org' is not an http(s) URL"),
        ('[publisher]\ncategory = "manufacturer"',
         "site.toml: publisher.category: 'manufacturer' is not one of vendor, coordinator"),
        ('[publishing]\nadvisory_id = "SA-{product}"',
         "site.toml: publishing.advisory_id: {product} is not one of the fields {year}, {issue}"),
        ('[publishing]\nvex_id = "VEX-{release!r}"',
         "site.toml: publishing.vex_id: {release} is not one of the fields"),
        ('[publishing]\nadvisory_url = "https://psirt.example.org/csaf/"',
         "site.toml: publishing.advisory_url: must contain {id}"),
        ('[publishing]\nunassessed_findings = "not_affected"',
         "site.toml: publishing.unassessed_findings: 'not_affected' is not one of "
         "under_investigation, affected"),
    ],
)  # fmt: skip
def test_bad_publisher_settings_name_the_key(text: str, message: str) -> None:
    with pytest.raises(InputError) as exc:
        load_policy(text, source="site.toml")
    assert message in str(exc.value)
