"""Any person's name works: in the policy's [people], as a signer, approver, author, reviewer."""

from __future__ import annotations

import pytest

from psirt.domain.issue import SecurityIssue, State
from psirt.domain.policy import load_policy
from psirt.domain.records import (
    AspectReview,
    ChangeRequest,
    EuRoute,
    NotAffected,
    Reportability,
    ReviewAspect,
    RiskOverride,
    Role,
    Signature,
    SignatureMeaning,
    UsRoute,
    Verdict,
    VexJustification,
)
from psirt.domain.risk import RiskControlStatus
from psirt.errors import GateNotMet, InputError

from .helpers import (
    T0,
    analysis_record,
    change_review,
    cross_product,
    day,
    disclosure,
    intake,
    interim_notice,
    resolution,
    triage_record,
    verification,
)

NAMES = {
    "pat.psirt": Role.PSIRT_LEAD,
    "sam@example.org": Role.SECURITY_RISK_OWNER,
    "sara-safety": Role.SAFETY_RISK_MANAGER,
    "Zoë Müller": Role.REGULATORY_AFFAIRS,
    "d.o'neil": Role.DESIGN_AUTHORITY,
    "quinn.qa@hospital.example": Role.QA_APPROVER,
    "mona_m": Role.MANAGEMENT,
}
POLICY_TOML = "[people]\n" + "".join(f'"{n}" = ["{r.value}"]\n' for n, r in NAMES.items())
POLICY = load_policy(POLICY_TOML, source="site.toml")


def signed(record: object, *who: str, meaning: SignatureMeaning = SignatureMeaning.APPROVED,
           role: Role | None = None) -> list[Signature]:  # fmt: skip
    return [Signature.sign(record, signer=w, role=role or NAMES[w], meaning=meaning, at=T0)
            for w in who]  # fmt: skip


def test_policy_people_take_any_name() -> None:
    assert dict(POLICY.people) == {n: (r,) for n, r in NAMES.items()}
    assert POLICY.roles_of("pat.psirt") == (Role.PSIRT_LEAD,)
    assert POLICY.roles_of("pat") == ()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[people]\n"a.b" = ["boss"]\n', "site.toml: people.\"a.b\": 'boss' is not one of"),
        ('[people]\n"a@b" = "psirt_lead"\n', 'site.toml: people."a@b": expected an array'),
        ('[people]\n"" = ["psirt_lead"]\n', 'site.toml: people."": a person\'s name must not'),
        ('[people]\n" " = ["psirt_lead"]\n', 'site.toml: people." ": a person\'s name must not'),
        ("[people.pat]\nx = 1\n", "site.toml: people.pat: expected an array of strings"),
    ],
)
def test_bad_people_entries_name_the_key_as_toml_writes_it(toml: str, message: str) -> None:
    with pytest.raises(InputError) as exc:
        load_policy(toml, source="site.toml")
    assert str(exc.value).startswith(message)


def _triaged() -> SecurityIssue:
    issue = SecurityIssue.open("N-1", intake(acknowledged_at=T0), policy=POLICY,
                               actor="pat.psirt", at=T0)  # fmt: skip
    t = triage_record()
    issue.triage(t, actor="pat.psirt", at=day(1), signatures=signed(t, "pat.psirt"))
    return issue


def test_signers_approvers_and_authors_with_any_name() -> None:
    issue = _triaged()
    na = NotAffected(VexJustification.COMPONENT_NOT_PRESENT, "openssl not linked", ("ldd",),
                     author="sam@example.org", approver="quinn.qa@hospital.example")  # fmt: skip
    # a signer must hold the role in the policy, whatever their name looks like
    with pytest.raises(GateNotMet) as exc:
        issue.close_not_affected(na, actor="sam@example.org", at=day(2), signatures=signed(
            na, "quinn.qa@hospital.example", role=Role.MANAGEMENT))  # fmt: skip
    assert "not_affected: quinn.qa@hospital.example does not hold role management" in (
        exc.value.missing
    )
    issue.close_not_affected(na, actor="sam@example.org", at=day(2),
                             signatures=signed(na, "quinn.qa@hospital.example"))  # fmt: skip
    assert issue.state is State.CLOSED_NOT_AFFECTED


def test_override_approver_and_reviewers_with_any_name() -> None:
    issue = _triaged()
    a = analysis_record(POLICY, risk_override=RiskOverride(
        RiskControlStatus.UNCONTROLLED, "fleet-wide exposure", "sara-safety"))  # fmt: skip
    with pytest.raises(GateNotMet) as exc:
        issue.analyze(
            a, actor="sam@example.org", at=day(3), signatures=signed(a, "sam@example.org")
        )
    assert "R3_analysis.risk_override approval by sara-safety" in exc.value.missing
    issue.analyze(a, actor="sam@example.org", at=day(3),
                  signatures=signed(a, "sam@example.org", "sara-safety"))  # fmt: skip
    assert issue.risk_status is RiskControlStatus.UNCONTROLLED
    r7 = Reportability(RiskControlStatus.UNCONTROLLED, False, UsRoute.REPORT_806, EuRoute.NONE,
                       "uncontrolled; correction reported")  # fmt: skip
    issue.attach(r7, actor="Zoë Müller", at=day(3), signatures=signed(r7, "Zoë Müller"))
    d, r, c = disclosure(), resolution(), cross_product()
    issue.decide(d, r, c, actor="d.o'neil", at=day(4), signatures=[
        s for rec in (d, r) for s in signed(rec, "d.o'neil", "sam@example.org", "sara-safety")
    ])  # fmt: skip
    issue.start_remediation(ChangeRequest("CR-1207", "OpenSSL 3.0.8"), actor="d.o'neil", at=day(5))
    issue.attach(interim_notice(day(5)), actor="mona_m", at=day(5))
    review = change_review(aspects=tuple(
        AspectReview(aspect, who, Verdict.APPROVED) for aspect, who in (
            (ReviewAspect.SAFETY, "sara-safety"), (ReviewAspect.SECURITY, "sam@example.org"),
            (ReviewAspect.EFFECTIVENESS, "d.o'neil"), (ReviewAspect.REGULATORY, "Zoë Müller"))
    ))  # fmt: skip
    reviewers = [a_.reviewer for a_ in review.aspects]
    v = verification()
    issue.review_change(review, actor="d.o'neil", at=day(6), signatures=signed(
        review, *reviewers[:3], meaning=SignatureMeaning.REVIEWED))  # fmt: skip
    with pytest.raises(GateNotMet) as exc:
        issue.verify(v, actor="tess", at=day(7))
    assert exc.value.missing == ("R6_change_impact.regulatory signature by Zoë Müller",)
    issue.review_change(review, actor="d.o'neil", at=day(7), signatures=signed(
        review, *reviewers, meaning=SignatureMeaning.REVIEWED))  # fmt: skip
    issue.verify(v, actor="tess", at=day(7))
    assert issue.state is State.VERIFICATION
