"""Security-to-safety risk evaluation: exploitability x harm severity -> controlled | uncontrolled.

FDA 2016 postmarket guidance §VI asks for a binary determination from exploitability and the
severity of patient harm (ISO 14971 five-level scale). The matrix, the exploitability
adjustments (KEV, active exploitation, public PoC, EPSS, verified device-side controls) and the
severity adjustments (multi-patient harm, confidentiality-only impact) are the default
configuration of ``rules.yaml`` ``risk_evaluation`` and live in the policy. ``evaluate`` returns
the result together with the inputs, every adjustment step and the rule that fired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from psirt.errors import InputError


class HarmSeverity(StrEnum):
    """ISO 14971 example scale used by FDA 2016 §VI.B, in increasing order."""

    NEGLIGIBLE = "negligible"
    MINOR = "minor"
    SERIOUS = "serious"
    CRITICAL = "critical"
    CATASTROPHIC = "catastrophic"

    @property
    def rank(self) -> int:
        return list(HarmSeverity).index(self)


class Exploitability(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Exploitability).index(self)


class RiskControlStatus(StrEnum):
    CONTROLLED = "controlled"
    UNCONTROLLED = "uncontrolled"


def _shift_e(value: Exploitability, levels: int) -> Exploitability:
    members = list(Exploitability)
    return members[max(0, min(len(members) - 1, members.index(value) + levels))]


def _shift_s(value: HarmSeverity, levels: int) -> HarmSeverity:
    members = list(HarmSeverity)
    return members[max(0, min(len(members) - 1, members.index(value) + levels))]


@dataclass(frozen=True, slots=True)
class UncontrolledRule:
    """One cell group of the matrix that is uncontrolled."""

    id: str
    severities: tuple[HarmSeverity, ...]
    exploitabilities: tuple[Exploitability, ...]
    unless_verified_compensating_controls: bool = False
    source: str = "D"


@dataclass(frozen=True, slots=True)
class RiskMatrix:
    """The configurable evaluation scheme (defaults: rules.yaml ``risk_evaluation``)."""

    rules: tuple[UncontrolledRule, ...]
    # Base exploitability from the CVSS v3.1 exploitability sub-score (0.12 .. 3.89).
    cvss_high_at: float = 2.8
    cvss_medium_at: float = 1.6
    kev_sets_high: bool = True
    active_exploitation_sets_high: bool = True
    epss_set_high_at: float = 0.90
    epss_raise_at: float = 0.55
    public_poc_raise_levels: int = 1
    epss_raise_levels: int = 1
    verified_control_lower_levels: int = 1
    multi_patient_raise_levels: int = 1
    adverse_event_is_uncontrolled: bool = True


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """What the evaluation reads; recorded with the result."""

    base_exploitability: Exploitability
    severity: HarmSeverity | None  # None: no patient harm (e.g. confidentiality only)
    kev_listed: bool = False
    actively_exploited: bool = False
    public_poc: bool = False
    epss: float | None = None
    verified_device_side_controls: tuple[str, ...] = ()
    multi_patient_harm_possible: bool = False
    confidentiality_only: bool = False
    verified_compensating_controls: tuple[str, ...] = ()
    known_serious_adverse_event_or_death: bool = False


@dataclass(frozen=True, slots=True)
class RiskEvaluation:
    status: RiskControlStatus
    exploitability: Exploitability
    severity: HarmSeverity | None
    rule: str  # id of the rule that fired, or "otherwise_controlled"
    steps: tuple[str, ...]
    inputs: RiskInputs = field(repr=False)


def evaluate(inputs: RiskInputs, matrix: RiskMatrix) -> RiskEvaluation:
    steps: list[str] = [f"base exploitability {inputs.base_exploitability.value}"]
    e = inputs.base_exploitability
    set_high = []
    if matrix.kev_sets_high and inputs.kev_listed:
        set_high.append("kev_listed")
    if matrix.active_exploitation_sets_high and inputs.actively_exploited:
        set_high.append("exploitation == active")
    if inputs.epss is not None and inputs.epss >= matrix.epss_set_high_at:
        set_high.append(f"epss {inputs.epss} >= {matrix.epss_set_high_at}")
    if set_high:
        e = Exploitability.HIGH
        steps.append(f"exploitability set high ({'; '.join(set_high)})")
    else:
        raise_by = 0
        if inputs.public_poc:
            raise_by = max(raise_by, matrix.public_poc_raise_levels)
        if inputs.epss is not None and inputs.epss >= matrix.epss_raise_at:
            raise_by = max(raise_by, matrix.epss_raise_levels)
        if raise_by:
            e = _shift_e(e, raise_by)
            steps.append(f"exploitability raised {raise_by} (public_poc or epss) -> {e.value}")
    if inputs.verified_device_side_controls and matrix.verified_control_lower_levels:
        lower = matrix.verified_control_lower_levels * len(inputs.verified_device_side_controls)
        e = _shift_e(e, -lower)
        names = ", ".join(inputs.verified_device_side_controls)
        steps.append(f"exploitability lowered {lower} (verified device-side controls: {names})")

    s = inputs.severity
    if inputs.confidentiality_only or s is None:
        s = None
        steps.append("confidentiality only / no patient harm: not patient harm")
    elif inputs.multi_patient_harm_possible and matrix.multi_patient_raise_levels:
        s = _shift_s(s, matrix.multi_patient_raise_levels)
        steps.append(f"severity raised (multi-patient harm possible) -> {s.value}")

    def result(status: RiskControlStatus, rule: str) -> RiskEvaluation:
        return RiskEvaluation(status, e, s, rule, tuple(steps), inputs)

    if matrix.adverse_event_is_uncontrolled and inputs.known_serious_adverse_event_or_death:
        return result(RiskControlStatus.UNCONTROLLED, "known_serious_adverse_event_or_death")
    if s is None:
        return result(RiskControlStatus.CONTROLLED, "not_patient_harm")
    for rule in matrix.rules:
        if s in rule.severities and e in rule.exploitabilities:
            if rule.unless_verified_compensating_controls and inputs.verified_compensating_controls:
                steps.append(f"{rule.id} not applied: verified compensating controls")
                continue
            return result(RiskControlStatus.UNCONTROLLED, rule.id)
    return result(RiskControlStatus.CONTROLLED, "otherwise_controlled")


@dataclass(frozen=True, slots=True)
class CvssScore:
    """A parsed CVSS v3.x or v4.0 vector."""

    version: str  # "3.0" | "3.1" | "4.0"
    vector: str  # normalised
    base_score: float
    base_severity: str
    exploitability_subscore: float  # v3 formula over AV/AC/PR/UI (v4: AT:P counts as AC:H)


_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_U = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_C = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62, "P": 0.62, "A": 0.62}


def parse_cvss(vector: str, *, source: str, location: str) -> CvssScore:
    """Parse and score a CVSS vector with the ``cvss`` package; malformed -> InputError."""
    text = vector.strip()
    try:
        if text.startswith("CVSS:4.0/"):
            c4 = CVSS4(text)
            m4 = c4.metrics
            ac = "H" if m4.get("AC") == "H" or m4.get("AT") == "P" else "L"
            sub = 8.22 * _AV[m4["AV"]] * _AC[ac] * _PR_U[m4["PR"]] * _UI[m4["UI"]]
            return CvssScore("4.0", c4.clean_vector(), float(c4.base_score), c4.severity, sub)
        if text.startswith(("CVSS:3.1/", "CVSS:3.0/")):
            c3 = CVSS3(text)
            m3 = c3.metrics
            pr = (_PR_C if m3["S"] == "C" else _PR_U)[m3["PR"]]
            sub = 8.22 * _AV[m3["AV"]] * _AC[m3["AC"]] * pr * _UI[m3["UI"]]
            return CvssScore(
                text[5:8], c3.clean_vector(), float(c3.base_score), c3.severities()[0], sub
            )
    except (CVSSError, KeyError) as exc:
        raise InputError(source, location, f"invalid CVSS vector {text!r}: {exc}") from None
    raise InputError(source, location, f"not a CVSS v3.0/v3.1/v4.0 vector: {text!r}")


def exploitability_from_cvss(score: CvssScore, matrix: RiskMatrix) -> Exploitability:
    if score.exploitability_subscore >= matrix.cvss_high_at:
        return Exploitability.HIGH
    if score.exploitability_subscore >= matrix.cvss_medium_at:
        return Exploitability.MEDIUM
    return Exploitability.LOW
