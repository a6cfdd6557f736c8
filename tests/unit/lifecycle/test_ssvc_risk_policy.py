"""SSVC tables (every row), the risk matrix, the policy loader and the record codec."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from psirt.domain import records as rec
from psirt.domain.policy import ApprovalKind, default_policy, load_policy
from psirt.domain.risk import (
    Exploitability,
    HarmSeverity,
    RiskControlStatus,
    RiskInputs,
    evaluate,
    exploitability_from_cvss,
    parse_cvss,
)
from psirt.domain.ssvc import (
    Automatable,
    Exploitation,
    PublicSafetyImpact,
    SsvcDecision,
    SsvcInputs,
    TechnicalImpact,
    Utility,
    ValueDensity,
    exploitation_from_feeds,
    parse_tables,
    public_safety_from_harm,
    supplier_priority,
    utility,
)
from psirt.errors import InputError

# CERT/CC SSVC supplier_patch_development_priority_1_0_0.csv, written out independently:
# exploitation, utility, technical impact, public safety impact -> priority (D/S/O/I).
EXPECTED = """\
none laborious partial minimal D|none laborious partial significant S
none laborious total minimal S|none laborious total significant O
none efficient partial minimal S|none efficient partial significant O
none efficient total minimal S|none efficient total significant O
none super_effective partial minimal S|none super_effective partial significant O
none super_effective total minimal O|none super_effective total significant O
public_poc laborious partial minimal S|public_poc laborious partial significant O
public_poc laborious total minimal S|public_poc laborious total significant I
public_poc efficient partial minimal S|public_poc efficient partial significant I
public_poc efficient total minimal O|public_poc efficient total significant I
public_poc super_effective partial minimal O|public_poc super_effective partial significant I
public_poc super_effective total minimal O|public_poc super_effective total significant I
active laborious partial minimal O|active laborious partial significant I
active laborious total minimal O|active laborious total significant I
active efficient partial minimal O|active efficient partial significant I
active efficient total minimal O|active efficient total significant I
active super_effective partial minimal I|active super_effective partial significant I
active super_effective total minimal I|active super_effective total significant I"""
LETTER = {"D": SsvcDecision.DEFER, "S": SsvcDecision.SCHEDULED,
          "O": SsvcDecision.OUT_OF_CYCLE, "I": SsvcDecision.IMMEDIATE}  # fmt: skip
ROWS = [cell.split() for line in EXPECTED.splitlines() for cell in line.split("|")]
# any (automatable, value density) pair that yields each utility
FOR_UTILITY = {
    Utility.LABORIOUS: (Automatable.NO, ValueDensity.DIFFUSE),
    Utility.EFFICIENT: (Automatable.YES, ValueDensity.DIFFUSE),
    Utility.SUPER_EFFECTIVE: (Automatable.YES, ValueDensity.CONCENTRATED),
}


@pytest.mark.parametrize(("row", "cells"), list(enumerate(ROWS)))
def test_every_supplier_table_row(row: int, cells: list[str]) -> None:
    e, u, t, p, d = cells
    a, v = FOR_UTILITY[Utility(u)]
    out = supplier_priority(
        SsvcInputs(Exploitation(e), a, v, TechnicalImpact(t), PublicSafetyImpact(p))
    )
    assert out.decision is LETTER[d]
    assert out.row == row
    assert out.utility is Utility(u)


def test_table_has_all_36_rows_and_utility_rows() -> None:
    assert len(ROWS) == 36
    assert [utility(a, v) for a, v in itertools.product(Automatable, ValueDensity)] == [
        Utility.LABORIOUS, Utility.EFFICIENT, Utility.EFFICIENT, Utility.SUPER_EFFECTIVE,
    ]  # fmt: skip


def test_public_safety_from_iso14971_and_floor() -> None:
    mapping = default_policy().ssvc.public_safety
    got = {s: public_safety_from_harm(s, mapping) for s in HarmSeverity}
    assert got == {
        HarmSeverity.NEGLIGIBLE: PublicSafetyImpact.MINIMAL,
        HarmSeverity.MINOR: PublicSafetyImpact.MINIMAL,
        HarmSeverity.SERIOUS: PublicSafetyImpact.SIGNIFICANT,
        HarmSeverity.CRITICAL: PublicSafetyImpact.SIGNIFICANT,
        HarmSeverity.CATASTROPHIC: PublicSafetyImpact.SIGNIFICANT,
    }
    assert public_safety_from_harm(None, mapping) is PublicSafetyImpact.MINIMAL
    low = SsvcInputs(Exploitation.NONE, Automatable.NO, ValueDensity.DIFFUSE,
                     TechnicalImpact.PARTIAL, PublicSafetyImpact.MINIMAL)  # fmt: skip
    out = supplier_priority(low, floor=SsvcDecision.OUT_OF_CYCLE, floor_reason="uncontrolled")
    assert (out.table_decision, out.decision, out.floor_applied) == (
        SsvcDecision.DEFER, SsvcDecision.OUT_OF_CYCLE, "uncontrolled",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("reported", "kev", "epss", "expected"),
    [
        (Exploitation.NONE, True, None, Exploitation.ACTIVE),
        (Exploitation.NONE, False, 0.95, Exploitation.ACTIVE),
        (Exploitation.NONE, False, 0.80, Exploitation.PUBLIC_POC),
        (Exploitation.PUBLIC_POC, False, 0.80, Exploitation.ACTIVE),
        (Exploitation.PUBLIC_POC, False, 0.60, Exploitation.ACTIVE),
        (Exploitation.NONE, False, 0.60, Exploitation.NONE),
        (Exploitation.PUBLIC_POC, False, 0.10, Exploitation.PUBLIC_POC),
    ],
)
def test_exploitation_from_kev_and_epss(
    reported: Exploitation, kev: bool, epss: float | None, expected: Exploitation
) -> None:
    got = exploitation_from_feeds(reported=reported, kev_listed=kev, epss=epss,
                                  epss_active_above=0.9, epss_bump_at=0.75,
                                  epss_poc_active_at=0.55)  # fmt: skip
    assert got is expected


def test_malformed_ssvc_table_is_refused() -> None:
    with pytest.raises(InputError, match="0 rows, expected 36"):
        parse_tables("row,a,b,c,d,e\n", "row,a,b,c\n0,no,diffuse,laborious\n", "row,a,b\n")
    with pytest.raises(InputError, match="line 2: expected 4 columns"):
        parse_tables("row,a,b,c,d,e\n", "row,a,b,c\n0,no\n", "row,a,b\n")


# Default matrix: severity x exploitability -> uncontrolled?
MATRIX = {
    HarmSeverity.NEGLIGIBLE: "CCC", HarmSeverity.MINOR: "CCC", HarmSeverity.SERIOUS: "CCU",
    HarmSeverity.CRITICAL: "CUU", HarmSeverity.CATASTROPHIC: "UUU",
}  # fmt: skip


@pytest.mark.parametrize(("sev", "exp"), list(itertools.product(HarmSeverity, Exploitability)))
def test_default_matrix_cells(sev: HarmSeverity, exp: Exploitability) -> None:
    result = evaluate(RiskInputs(exp, sev), default_policy().risk)
    letter = MATRIX[sev][list(Exploitability).index(exp)]
    expected = RiskControlStatus.UNCONTROLLED if letter == "U" else RiskControlStatus.CONTROLLED
    assert result.status is expected
    assert (result.rule == "otherwise_controlled") == (letter == "C")


def test_adjustments_and_rule_reported() -> None:
    m = default_policy().risk
    r = evaluate(RiskInputs(Exploitability.LOW, HarmSeverity.SERIOUS, kev_listed=True), m)
    assert (r.exploitability, r.status, r.rule) == (
        Exploitability.HIGH, RiskControlStatus.UNCONTROLLED,
        "severity_serious_and_exploitability_high",
    )  # fmt: skip
    assert r.steps[1] == "exploitability set high (kev_listed)"
    r = evaluate(RiskInputs(Exploitability.LOW, HarmSeverity.CRITICAL, epss=0.6), m)
    assert r.exploitability is Exploitability.MEDIUM
    assert r.status is RiskControlStatus.UNCONTROLLED
    controls = ("physical access", "mTLS")
    r = evaluate(
        RiskInputs(Exploitability.HIGH, HarmSeverity.CRITICAL, False, False, False, None, controls),
        m,
    )
    assert r.exploitability is Exploitability.LOW and r.status is RiskControlStatus.CONTROLLED
    r = evaluate(RiskInputs(Exploitability.LOW, HarmSeverity.CATASTROPHIC,
                            verified_compensating_controls=("watchdog",)), m)  # fmt: skip
    assert r.status is RiskControlStatus.CONTROLLED
    r = evaluate(RiskInputs(Exploitability.MEDIUM, HarmSeverity.SERIOUS,
                            multi_patient_harm_possible=True), m)  # fmt: skip
    assert r.severity is HarmSeverity.CRITICAL and r.status is RiskControlStatus.UNCONTROLLED
    r = evaluate(RiskInputs(Exploitability.HIGH, HarmSeverity.CATASTROPHIC,
                            confidentiality_only=True), m)  # fmt: skip
    assert (r.severity, r.status, r.rule) == (
        None,
        RiskControlStatus.CONTROLLED,
        "not_patient_harm",
    )
    r = evaluate(RiskInputs(Exploitability.LOW, HarmSeverity.NEGLIGIBLE,
                            known_serious_adverse_event_or_death=True), m)  # fmt: skip
    assert r.rule == "known_serious_adverse_event_or_death"


def test_cvss_parsing_and_base_exploitability() -> None:
    v31 = parse_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", source="a", location="cvss")
    assert (v31.version, v31.base_score, v31.base_severity) == ("3.1", 9.8, "Critical")
    assert exploitability_from_cvss(v31, default_policy().risk) is Exploitability.HIGH
    v40 = parse_cvss("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                     source="a", location="cvss")  # fmt: skip
    assert (
        v40.version == "4.0"
        and exploitability_from_cvss(v40, default_policy().risk) is Exploitability.LOW
    )
    with pytest.raises(InputError) as exc:
        rec.Analysis(cvss_v31="CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert str(exc.value).startswith("R3_analysis: cvss_v31: invalid CVSS vector")
    with pytest.raises(InputError, match="R3_analysis: cvss_v40: expected a CVSS:4.0/ vector"):
        rec.Analysis(cvss_v40="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")


def test_policy_defaults_user_merge_and_digest() -> None:
    p = default_policy()
    assert (p.timers.uncontrolled_comms_days, p.timers.uncontrolled_fix_days) == (30, 60)
    assert p.timers.ack_business_days == 5
    assert p.required_review_aspects == ("safety", "security", "effectiveness", "regulatory")
    assert load_policy().digest == p.digest and len(p.digest) == 64
    user = load_policy(
        b"[timers]\nanalysis_days = 20\n"
        b'[change_review]\nrequired_aspects = ["safety", "labelling"]\n'
        b'[people]\nquinn = ["qa_approver"]\n',
        source="site.toml",
    )
    assert user.timers.analysis_days == 20 and user.timers.triage_days == 10
    assert user.required_review_aspects == ("safety", "labelling")
    assert user.roles_of("quinn") == (rec.Role.QA_APPROVER,) and user.roles_of("x") == ()
    assert user.digest != p.digest


def test_the_procedure_table_and_its_approval() -> None:
    p = default_policy()
    assert p.procedure.document_id == "PSIRT-SIRP" and p.procedure.retention_years == 10
    rule = p.approvals[ApprovalKind.PROCEDURE]
    assert rule.roles == (rec.Role.QA_APPROVER, rec.Role.MANAGEMENT)
    assert rule.all and rule.distinct_from_author
    with pytest.raises(InputError, match="site.toml: procedure.document_id: expected a non-empty"):
        load_policy('[procedure]\ndocument_id = " "\n', source="site.toml")
    with pytest.raises(InputError, match="site.toml: procedure.retention_years: expected an int"):
        load_policy("[procedure]\nretention_years = 0\n", source="site.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[timers\n", "site.toml: not valid TOML"),
        ("[timers]\nanalysis_dayz = 3\n", "site.toml: timers.analysis_dayz: unknown policy key"),
        ('[timers]\nanalysis_days = "30"\n', "site.toml: timers.analysis_days: expected int"),
        ("[risk]\nepss_raise_at = true\n", "site.toml: risk.epss_raise_at: expected float"),
        (
            '[risk.floor]\nuncontrolled_ssvc_min = "soon"\n',
            "site.toml: risk.floor.uncontrolled_ssvc_min: 'soon' is not one of",
        ),
        (
            '[[risk.uncontrolled]]\nid = "x"\nseverity = ["deadly"]\nexploitability = ["high"]\n',
            "site.toml: risk.uncontrolled[0].severity: 'deadly' is not one of",
        ),
        (
            '[approvals.closure]\nroles = ["janitor"]\nall = false\ndistinct_from_author = true\n',
            "site.toml: approvals.closure.roles: 'janitor' is not one of",
        ),
    ],
)
def test_malformed_policy_names_file_and_key(text: str, message: str) -> None:
    with pytest.raises(InputError) as exc:
        load_policy(text, source="site.toml")
    assert str(exc.value).startswith(message)


def test_records_round_trip_and_decode_errors() -> None:
    at = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    intake = rec.Intake(
        rec.IntakeSource.PRODUCT_USER, at, "hospital IT", "portal", "crash",
        affected=(rec.AffectedRelease("pump", "4.2.0", rec.ReleaseStatus.AFFECTED),),
        embargo_until=at,
    )  # fmt: skip
    review = rec.ChangeImpactReview("CR-1", (rec.AspectReview(
        rec.ReviewAspect.LABELLING, "lena", rec.Verdict.APPROVED),))  # fmt: skip
    for record in (intake, review, rec.Analysis(epss=0.5, epss_snapshot=at.date())):
        data = record.to_dict()
        assert type(record).from_dict(data) == record
        assert rec.record_from_dict(record.KIND, data) == record
    data = intake.to_dict()
    sig = rec.Signature.sign(intake, signer="pat", role=rec.Role.PSIRT_LEAD,
                             meaning=rec.SignatureMeaning.AUTHORED, at=at)  # fmt: skip
    assert sig.covers(intake) and sig.digest_sha256 == rec.sha256_of(data)
    cases = [
        ({**data, "learned_at": "2025-03-03T09:00:00"}, "intake.json: learned_at: date-time needs"),
        ({**data, "source": "email"}, "intake.json: source: 'email' is not one of"),
        ({k: v for k, v in data.items() if k != "reporter"}, "intake.json: reporter: missing"),
        ({**data, "extra": 1}, "intake.json: extra: unknown field"),
        ({**data, "affected": [{"product": "pump"}]}, "intake.json: affected[0].release: missing"),
        ({**data, "finding_ids": "F-1"}, "intake.json: finding_ids: expected an array"),
    ]
    for bad, message in cases:
        with pytest.raises(InputError) as exc:
            rec.Intake.from_dict(bad, source="intake.json")
        assert str(exc.value).startswith(message), str(exc.value)
    with pytest.raises(InputError, match="unknown record kind"):
        rec.record_from_dict("R99", {})
    with pytest.raises(InputError, match="learned_at: date-time needs a time zone"):
        rec.Intake(rec.IntakeSource.PRODUCT_USER, at.replace(tzinfo=None), "r", "c", "s")
