"""One issue, several releases, several resolutions: R5 per release, each release's own gate,
closure when every affected release passed it."""

from __future__ import annotations

import dataclasses

import pytest

from psirt.domain.issue import Action, SecurityIssue, State
from psirt.domain.policy import default_policy, load_policy
from psirt.domain.records import (
    AffectedRelease,
    Audience,
    ChangeRequest,
    CustomerNotice,
    DisclosureKind,
    NoticeKind,
    ReleaseStatus,
    ReleaseVehicle,
    ResolutionApproach,
    RiskAcceptance,
)
from psirt.domain.risk import HarmSeverity
from psirt.errors import GateNotMet

from .helpers import (
    analysis_record,
    change_review,
    closure,
    cross_product,
    day,
    decide,
    disclosure,
    post_fix,
    release_record,
    rescan,
    resolution,
    review_signatures,
    sbom_evidence,
    sign,
    to_analysis,
    to_triage,
    verification,
)

NEW, OLD = "infusion-pump@4.2.0", "infusion-pump@4.1.3"
CONTROLLED = {"harm_severity": HarmSeverity.MINOR}
ENV = {
    "approach": ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE,
    "environment_document": "Security guide SG-PUMP",
    "environment_document_version": "rev E",
    "environment_requirements": ("pump VLAN; deny inbound TLS from outside it",),
    "evidence_risk_acceptable": "penetration retest PT-55: not exploitable",
    "user_capability_justification": "HDO network admins configure VLANs (study US-12)",
    "labelling_update_ref": "IFU 12.3 rev F",
    "env_compensation_justification": "the attack needs network adjacency",
}
TARGETED = {"decision": DisclosureKind.DISCLOSE_TARGETED_CUSTOMERS, "audiences": (Audience.USERS,)}


def approved(records: list) -> list:  # noqa: ANN001
    return [s for r in records for s in sign(r, "dan", "sam", "sara")]


def fix_new() -> object:
    return resolution(releases=(NEW,), version_plan=("4.2.0 -> 4.2.1",))


def env_old(**kw: object) -> object:
    return resolution(**{**ENV, "releases": (OLD,), **kw})


def decided(*resolutions: object, **analysis: object) -> SecurityIssue:
    issue = to_triage()
    to_analysis(issue, analysis_record(**{**CONTROLLED, **analysis}), day(3))
    d = disclosure(**TARGETED)
    rs = list(resolutions)
    c = cross_product()
    issue.decide(d, rs, c, actor="dan", at=day(4), signatures=approved([d, *rs]))
    return issue


def fixed_in_421(issue: SecurityIssue, *, start: int = 5, fixes: tuple[str, ...] = (NEW,),
                 version: str = "4.2.1") -> None:  # fmt: skip
    issue.start_remediation(ChangeRequest("CR-1207", f"OpenSSL 3.0.8 in {version}"), actor="dan",
                            at=day(start))  # fmt: skip
    review = change_review(releases=fixes)
    issue.review_change(review, actor="dan", at=day(start + 1),
                        signatures=review_signatures(review, day(start + 1)))  # fmt: skip
    v = verification(software_version=version, rescan=rescan(f"infusion-pump@{version}"))
    issue.verify(v, actor="tess", at=day(start + 2), signatures=sign(v, "quinn"))
    rel = release_record(
        day(start + 3), issue, release_version=version,
        sbom=sbom_evidence(f"infusion-pump@{version}"),
        release_statuses=tuple(
            AffectedRelease("infusion-pump", k.split("@")[1], ReleaseStatus.FIXED) for k in fixes
        ),
    )  # fmt: skip
    issue.release(rel, actor="dan", at=day(start + 3), signatures=sign(rel, "dan"))
    issue.monitor(post_fix(), actor="pat", at=day(start + 4))


def test_decision_gives_every_affected_release_one_resolution() -> None:
    issue = to_triage()
    to_analysis(issue, analysis_record(**CONTROLLED), day(3))
    d = disclosure(**TARGETED)
    with pytest.raises(GateNotMet) as exc:
        decide(issue, day(4), d=d, r=fix_new())
    assert exc.value.missing == (f"R5_resolution for {OLD}",)
    rs = [resolution(**ENV), fix_new(), env_old(), resolution(releases=("pump@9.9",))]
    c = cross_product()
    with pytest.raises(GateNotMet) as exc:
        issue.decide(d, rs, c, actor="dan", at=day(4))
    missing = exc.value.missing
    assert "R5_resolution[0].releases (name the releases of each resolution)" in missing
    assert "R5_resolution[3].releases pump@9.9 (not a release of this issue)" in missing
    assert "R5_resolution[1] approval by design_authority" in missing
    rs = [fix_new(), env_old(releases=(OLD, NEW))]
    with pytest.raises(GateNotMet) as exc:
        issue.decide(d, rs, c, actor="dan", at=day(4), signatures=approved([d, *rs]))
    assert exc.value.missing == (f"R5_resolution[1].releases {NEW} (also in R5_resolution[0])",)
    rs = [fix_new(), env_old(environment_document="")]
    with pytest.raises(GateNotMet) as exc:
        issue.decide(d, rs, c, actor="dan", at=day(4), signatures=approved([d, *rs]))
    assert exc.value.missing == ("R5_resolution[1].environment_document",)


def test_fix_for_one_release_environment_update_for_the_other() -> None:
    issue = decided(fix_new(), env_old())
    assert issue.state is State.DECISION
    assert {r.release: r.approach for r in issue.release_resolutions()} == {
        NEW: ResolutionApproach.FIX, OLD: ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE
    }  # fmt: skip
    # R10 may mark fixed only a release resolved by a fix
    issue.start_remediation(ChangeRequest("CR-1207", "OpenSSL 3.0.8"), actor="dan", at=day(5))
    review = change_review(releases=(NEW,))
    issue.review_change(review, actor="dan", at=day(6),
                        signatures=review_signatures(review, day(6)))  # fmt: skip
    v = verification()
    issue.verify(v, actor="tess", at=day(7), signatures=sign(v, "quinn"))
    both = release_record(day(8), issue)
    with pytest.raises(GateNotMet) as exc:
        issue.release(both, actor="dan", at=day(8), signatures=sign(both, "dan"))
    assert exc.value.missing == (
        f"R10_release_advisory.release_statuses {OLD} fixed (its resolution is "
        "environment_of_use_update)",
    )
    rel = release_record(day(8), issue, release_statuses=(
        AffectedRelease("infusion-pump", "4.2.0", ReleaseStatus.FIXED),))  # fmt: skip
    issue.release(rel, actor="dan", at=day(8), signatures=sign(rel, "dan"))
    issue.monitor(post_fix(), actor="pat", at=day(9))
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(10), signatures=sign(c, "quinn"))
    assert exc.value.missing == (
        f"R6_change_impact for {OLD}",
        f"R8_customer (environment-of-use update) for {OLD}",
        "R4_disclosure done: R8_customer",
    )
    rows = {r.release: (r.status, r.gate, r.missing) for r in issue.release_resolutions()}
    assert rows[NEW] == (ReleaseStatus.FIXED, "passed", ())
    assert rows[OLD] == (ReleaseStatus.AFFECTED, "open", (
        "R6_change_impact", "R8_customer (environment-of-use update)"))  # fmt: skip
    review = change_review(change_request_id="SG-PUMP rev E", releases=(OLD,))
    issue.review_change(review, actor="dan", at=day(10),
                        signatures=review_signatures(review, day(10)))  # fmt: skip
    # a notice about another release does not count
    other = CustomerNotice(NoticeKind.FINAL, day(10), "4.2 sites", "update to 4.2.1",
                           releases=(NEW,))  # fmt: skip
    issue.attach(other, actor="cora", at=day(10))
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(10), signatures=sign(c, "quinn"))
    assert exc.value.missing == (f"R8_customer (environment-of-use update) for {OLD}",)
    notice = dataclasses.replace(other, recipients="4.1 sites", releases=(OLD,))
    issue.attach(notice, actor="cora", at=day(11))
    issue.close(c, actor="pat", at=day(11), signatures=sign(c, "quinn"))
    assert issue.state is State.CLOSED
    assert [e.action for e in issue.events].count(Action.REOPEN) == 0


def test_environment_update_rules_are_policy() -> None:
    lax = load_policy(b"[gates]\nenvironment_update_change_review = false\n"
                      b"environment_update_customer_notice = false\n")  # fmt: skip
    issue = decided(resolution(**ENV))
    strict = issue.release_resolutions()
    assert [r.missing for r in strict] == [
        ("R6_change_impact", "R8_customer (environment-of-use update)")
    ] * 2
    relaxed = SecurityIssue.from_events(issue.events, lax)
    assert [r.gate for r in relaxed.release_resolutions()] == ["passed", "passed"]


def test_accepted_residual_risk_for_one_release_while_the_other_is_fixed() -> None:
    accept = resolution(releases=(OLD,), approach=ResolutionApproach.ACCEPT_RESIDUAL_RISK,
                        target_date=None)  # fmt: skip
    issue = decided(fix_new(), accept)
    ra = RiskAcceptance("minor harm, adjacent network only", ("pump VLAN",),
                        "matrix: minor x medium = controlled", "SG-PUMP rev E §4", "mona",
                        day(200).date())  # fmt: skip
    wrong = dataclasses.replace(ra, releases=(NEW,))
    with pytest.raises(GateNotMet) as exc:
        issue.accept_risk(wrong, actor="pat", at=day(5), signatures=sign(wrong, "mona", "sara"))
    assert exc.value.missing == (f"R5_resolution.approach accept_residual_risk for {NEW}",)
    # the fix path goes on for 4.2.0: the acceptance of 4.1.3 is recorded without a state change
    event = issue.accept_risk(ra, actor="pat", at=day(5), signatures=sign(ra, "mona", "sara"))
    assert (event.action, issue.state) == (Action.ATTACH, State.DECISION)
    fixed_in_421(issue, start=6)
    issue.attach(CustomerNotice(NoticeKind.FINAL, day(11), "4.2 sites", "update to 4.2.1"),
                 actor="cora", at=day(11))  # fmt: skip
    c = closure()
    issue.close(c, actor="pat", at=day(12), signatures=sign(c, "quinn"))
    assert [(r.release, r.approach, r.gate) for r in issue.release_resolutions()] == [
        (NEW, ResolutionApproach.FIX, "passed"),
        (OLD, ResolutionApproach.ACCEPT_RESIDUAL_RISK, "passed"),
    ]


def test_no_release_to_fix_closes_from_decision() -> None:
    accept = resolution(releases=(OLD,), approach=ResolutionApproach.ACCEPT_RESIDUAL_RISK,
                        target_date=None)  # fmt: skip
    issue = decided(resolution(releases=(NEW,), **ENV), accept)
    with pytest.raises(GateNotMet, match="a release not yet fixed"):
        issue.start_remediation(ChangeRequest("CR-1207", "x"), actor="dan", at=day(5))
    ra = RiskAcceptance("minor harm", ("pump VLAN",), "controlled", "SG §4", "mona",
                        day(200).date(), releases=(OLD,))  # fmt: skip
    assert (
        issue.accept_risk(ra, actor="pat", at=day(5), signatures=sign(ra, "mona", "sara")).action
        is Action.ATTACH
    )
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(6), signatures=sign(c, "quinn"))
    assert exc.value.missing == (
        f"R6_change_impact for {NEW}",
        f"R8_customer (environment-of-use update) for {NEW}",
        "R4_disclosure done: R8_customer",
    )
    review = change_review(change_request_id="SG-PUMP rev E")
    issue.review_change(review, actor="dan", at=day(6),
                        signatures=review_signatures(review, day(6)))  # fmt: skip
    issue.attach(CustomerNotice(NoticeKind.FINAL, day(6), "4.2 sites", "apply SG-PUMP rev E"),
                 actor="cora", at=day(6))  # fmt: skip
    issue.close(c, actor="pat", at=day(7), signatures=sign(c, "quinn"))
    assert issue.state is State.CLOSED
    assert [e.state_after for e in issue.events][-4:] == [State.DECISION] * 3 + [State.CLOSED]


def test_a_second_fix_release_for_the_other_line() -> None:
    issue = decided(fix_new(), resolution(releases=(OLD,), version_plan=("4.1.3 -> 4.1.4",)))
    fixed_in_421(issue, start=5)
    assert issue.pending_fix() == [OLD]
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(10), signatures=sign(c, "quinn"))
    assert exc.value.missing == (
        f"R6_change_impact for {OLD}",
        f"R10_release_advisory (a release marking it fixed) for {OLD}",
        "R4_disclosure done: R8_customer",
    )
    fixed_in_421(issue, start=11, fixes=(OLD,), version="4.1.4")  # RELEASED... -> REMEDIATION
    issue.attach(CustomerNotice(NoticeKind.FINAL, day(16), "pump sites", "update"),
                 actor="cora", at=day(16))  # fmt: skip
    issue.close(c, actor="pat", at=day(16), signatures=sign(c, "quinn"))
    assert issue.release_matrix() == {NEW: ReleaseStatus.FIXED, OLD: ReleaseStatus.FIXED}
    assert [e.action for e in issue.events].count(Action.START_REMEDIATION) == 2


def test_release_claims_checked_against_what_psirt_computed() -> None:
    issue = decided(resolution(release_vehicle=ReleaseVehicle.OUT_OF_CYCLE))
    issue.start_remediation(ChangeRequest("CR-1207", "OpenSSL 3.0.8"), actor="dan", at=day(5))
    review = change_review()
    issue.review_change(review, actor="dan", at=day(6),
                        signatures=review_signatures(review, day(6)))  # fmt: skip
    v = verification()
    issue.verify(v, actor="tess", at=day(7), signatures=sign(v, "quinn"))
    listed = sbom_evidence(still_listed=(sbom_evidence().components[0],), document_id=None)
    under = (AffectedRelease("infusion-pump", "4.1.3", ReleaseStatus.UNDER_INVESTIGATION),
             AffectedRelease("infusion-pump", "4.2.0", ReleaseStatus.FIXED))  # fmt: skip
    rel = release_record(day(8), issue, sbom=listed, release_statuses=under)
    forged = dataclasses.replace(rel, vex_statuses=())
    with pytest.raises(GateNotMet) as exc:
        issue.release(forged, actor="dan", at=day(8), signatures=sign(forged, "dan"))
    assert exc.value.missing == (
        "R10_release_advisory.sbom_updated: no SBOM of infusion-pump@4.2.1 is stored",
        "R10_release_advisory.sbom_updated: the SBOM of infusion-pump@4.2.1 (document None) "
        "still lists openssl 3.0.8",
        "R10_release_advisory.vex_statuses as computed from the release matrix",
    )
    with pytest.raises(GateNotMet) as exc:
        issue.release(rel, actor="dan", at=day(8), signatures=sign(rel, "dan"))
    assert f"R10_release_advisory.vex_updated: {OLD} is still under_investigation" in (
        exc.value.missing
    )
    unstored = release_record(day(8), issue, sbom=sbom_evidence(release_stored=False))
    with pytest.raises(GateNotMet) as exc:
        issue.release(unstored, actor="dan", at=day(8), signatures=sign(unstored, "dan"))
    assert exc.value.missing == (
        "R10_release_advisory.release_version: infusion-pump@4.2.1 is not a stored release",
    )
    # claims that psirt cannot contradict are recorded as made
    honest = release_record(day(8), issue, sbom=dataclasses.replace(listed, document_id=7),
                            sbom_updated=False, vex_updated=False)  # fmt: skip
    issue.release(honest, actor="dan", at=day(8), signatures=sign(honest, "dan"))
    assert issue.state is State.RELEASED


def test_rescan_policy_and_findings() -> None:
    issue = decided(resolution())
    issue.start_remediation(ChangeRequest("CR-1207", "OpenSSL 3.0.8"), actor="dan", at=day(5))
    review = change_review()
    issue.review_change(review, actor="dan", at=day(6),
                        signatures=review_signatures(review, day(6)))  # fmt: skip
    unscanned = verification(rescan=rescan(scanned_at=None, scan_activity_id=None))
    with pytest.raises(GateNotMet) as exc:
        issue.verify(unscanned, actor="tess", at=day(7))
    assert exc.value.missing == ("R9_verification.rescan: infusion-pump@4.2.1 was never scanned",)
    lax = SecurityIssue.from_events(issue.events, load_policy(b"[gates]\nrequire_rescan = false\n"))
    lax.verify(unscanned, actor="tess", at=day(7))
    assert lax.state is State.VERIFICATION
    assert default_policy().require_rescan


def test_a_fixed_release_needs_the_change_request_its_review_names() -> None:
    issue = decided(fix_new(), resolution(releases=(OLD,), version_plan=("4.1.3 -> 4.2.1",)))
    fixed_in_421(issue, fixes=(NEW, OLD))
    issue.attach(CustomerNotice(NoticeKind.FINAL, day(10), "pump sites", "update to 4.2.1"),
                 actor="cora", at=day(10))  # fmt: skip
    other = change_review(change_request_id="CR-2", releases=(OLD,))
    issue.review_change(other, actor="dan", at=day(10),
                        signatures=review_signatures(other, day(10)))  # fmt: skip
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(11), signatures=sign(c, "quinn"))
    assert exc.value.missing == (f"change_request CR-2 (reviewed by R6_change_impact) for {OLD}",)


def test_a_deferred_disclosure_is_decided_again_after_the_embargo() -> None:
    """An issue decided under embargo closes once a newer R4 (attached, approved like the
    decision) says how it is disclosed; before, the closure names the deferred decision."""
    issue = to_triage()
    to_analysis(issue, analysis_record(**CONTROLLED), day(3))
    d = disclosure(decision=DisclosureKind.DEFER_UNDER_EMBARGO, embargo_end=day(40), audiences=())
    r = resolution(releases=(NEW, OLD), **ENV)
    issue.decide(d, [r], cross_product(), actor="dan", at=day(4), signatures=approved([d, r]))
    review = change_review(change_request_id="SG-PUMP rev E")
    issue.review_change(review, actor="dan", at=day(6),
                        signatures=review_signatures(review, day(6)))  # fmt: skip
    issue.attach(CustomerNotice(NoticeKind.FINAL, day(6), "4.x sites", "apply SG-PUMP rev E"),
                 actor="cora", at=day(6))  # fmt: skip
    c = closure()
    with pytest.raises(GateNotMet) as exc:
        issue.close(c, actor="pat", at=day(41), signatures=sign(c, "quinn"))
    assert exc.value.missing == ("R4_disclosure decided after the embargo",)

    after = disclosure(**TARGETED)
    with pytest.raises(GateNotMet) as exc:
        issue.attach(after, actor="dan", at=day(41), signatures=sign(after, "dan"))
    assert "R4_disclosure approval by safety_risk_manager" in " ".join(exc.value.missing)
    no_rationale = disclosure(**{**TARGETED, "rationale": " "})
    with pytest.raises(GateNotMet, match="R4_disclosure.rationale"):
        issue.attach(no_rationale, actor="dan", at=day(41), signatures=approved([no_rationale]))
    event = issue.attach(after, actor="dan", at=day(41), signatures=approved([after]))
    assert (event.action, issue.state) == (Action.ATTACH, State.DECISION)
    issue.close(c, actor="pat", at=day(42), signatures=sign(c, "quinn"))
    assert issue.state is State.CLOSED
