"""The policy the lifecycle runs under: roles and approvals, risk matrix, timers, required reviews.

The shipped defaults (``psirt/policy/default.toml``, the values of rules.yaml) are merged with an
optional user TOML: tables merge key by key, scalars and arrays replace. Unknown keys and wrong
types raise ``InputError`` naming the file and the key. ``Policy.digest`` is the sha256 of the
canonical JSON of the merged document; every lifecycle event stores the digest it was made under.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from psirt.domain.publisher import (
    ADVISORY_ID_FIELDS,
    VEX_ID_FIELDS,
    IdPattern,
    Publisher,
    PublisherCategory,
    PublishingPolicy,
    UnassessedStatus,
    check_namespace,
)
from psirt.domain.records import IntakeSource, ReleaseVehicle, ReviewAspect, Role, canonical_json
from psirt.domain.risk import Exploitability, HarmSeverity, RiskMatrix, UncontrolledRule
from psirt.domain.scan import Severity
from psirt.domain.ssvc import PublicSafetyImpact, SsvcDecision
from psirt.errors import InputError

__all__ = [
    "ApprovalKind",
    "ApprovalRule",
    "Policy",
    "ReleaseGatePolicy",
    "ProcedureSettings",
    "Role",
    "Timers",
    "default_policy",
    "load_policy",
]

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_SOURCE = "default.toml"
MAX_DAYS = 3650  # a timer of more than ten years is a typo; deadlines add them to dates
MAX_LEVELS = 3  # exploitability has three levels
CVSS_MAX = 10.0
_E = TypeVar("_E", bound=StrEnum)


class ApprovalKind(StrEnum):
    TRIAGE = "triage"
    NOT_AFFECTED = "not_affected"
    DUPLICATE = "duplicate"
    ANALYSIS = "analysis"
    REPORTABILITY = "reportability"
    DECISION = "decision"
    VERIFICATION = "verification"
    RELEASE = "release"
    RISK_ACCEPTANCE = "risk_acceptance"
    CLOSURE = "closure"
    OVERRIDE = "override"
    RELEASE_GATE = "release_gate"  # R13a: approval of a product release at the release gate
    PROCEDURE = "procedure"  # a version of the Security Issue Resolution Procedure


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    roles: tuple[Role, ...]
    all: bool
    distinct_from_author: bool


@dataclass(frozen=True, slots=True)
class Timers:
    ack_business_days: int
    triage_days: int
    analysis_days: int
    uncontrolled_comms_days: int
    uncontrolled_fix_days: int
    report_806_working_days: int
    eu_serious_incident_days: int
    eu_death_or_deterioration_days: int
    eu_public_health_threat_days: int
    process_review_days: int
    ssvc_fix_days: Mapping[SsvcDecision, int]
    ssvc_interim_days: Mapping[SsvcDecision, int]
    ssvc_review_days: Mapping[SsvcDecision, int]


@dataclass(frozen=True, slots=True)
class SsvcPolicy:
    epss_active_above: float
    epss_bump_at: float
    epss_poc_active_at: float
    public_safety: Mapping[str, PublicSafetyImpact]


@dataclass(frozen=True, slots=True)
class ReleaseGatePolicy:
    """What blocks a release at the gate besides the R13a review (``[release_gate]``)."""

    untriaged_sbom_findings: bool  # active SBOM findings not attached to a security issue
    sbom_findings_at: Severity  # ... at or above this severity
    unknown_severity_blocks: bool  # ... and those without a severity
    undispositioned_scan_findings: bool  # open scanner findings without a disposition
    scan_findings_at: Severity  # ... at or above this severity
    overdue_activities: bool  # activities overdue for the product or due for the release


@dataclass(frozen=True, slots=True)
class ProcedureSettings:
    """What the procedure written from the policy says about the organisation ([procedure])."""

    document_id: str
    organisation: str
    cvd_policy_url: str
    retention_years: int


@dataclass(frozen=True, slots=True)
class Policy:
    external_sources: tuple[str, ...]
    timers: Timers
    risk: RiskMatrix
    uncontrolled_ssvc_min: SsvcDecision
    uncontrolled_release_vehicle: str
    ssvc: SsvcPolicy
    required_review_aspects: tuple[str, ...]
    allow_accepting_uncontrolled_risk: bool
    require_rescan: bool
    uncontrolled_requires_customer_audience: bool
    environment_update_change_review: bool
    environment_update_customer_notice: bool
    approvals: Mapping[ApprovalKind, ApprovalRule]
    people: Mapping[str, tuple[Role, ...]]
    release_gate: ReleaseGatePolicy
    procedure: ProcedureSettings
    publishing: PublishingPolicy
    document: Mapping[str, Any]  # the merged TOML document
    digest: str  # sha256 of its canonical JSON

    def roles_of(self, person: str) -> tuple[Role, ...] | None:
        """The roles ``person`` holds, or None when the policy lists no people."""
        if not self.people:
            return None
        return self.people.get(person, ())


def _default_document() -> dict[str, Any]:
    text = resources.files("psirt.policy").joinpath(DEFAULT_SOURCE).read_text(encoding="utf-8")
    return tomllib.loads(text)


# Tables whose keys are free (user-defined names) rather than fixed by the defaults.
_OPEN_TABLES = {"people", "approvals"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    """``key`` as TOML writes it: bare when it can be, quoted otherwise (``"pat.psirt"``)."""
    if _BARE_KEY.fullmatch(key):
        return key
    return json.dumps(key, ensure_ascii=False)


def _merge(base: dict[str, Any], over: Mapping[str, Any], source: str, path: str) -> None:
    for key, value in over.items():
        where = f"{path}.{toml_key(key)}" if path else toml_key(key)
        if key not in base:
            if path in _OPEN_TABLES:
                base[key] = copy.deepcopy(value)
                continue
            raise InputError(source, where, "unknown policy key")
        current = base[key]
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise InputError(source, where, "expected a table")
            _merge(current, value, source, where)
        elif isinstance(current, bool) or isinstance(value, bool):
            if not (isinstance(current, bool) and isinstance(value, bool)):
                raise InputError(source, where, f"expected {type(current).__name__}")
            base[key] = value
        elif isinstance(current, int | float) and isinstance(value, int | float):
            if isinstance(current, int) and not isinstance(value, int):
                raise InputError(source, where, "expected an integer")
            base[key] = value
        elif type(current) is not type(value):
            raise InputError(source, where, f"expected {type(current).__name__}")
        else:
            base[key] = copy.deepcopy(value)


class _Reader:
    """Typed access to the merged document, errors naming the key."""

    def __init__(self, doc: Mapping[str, Any], source: str) -> None:
        self.doc = doc
        self.source = source

    def get(self, path: str) -> Any:
        node: Any = self.doc
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise InputError(self.source, path, "missing policy key")
            node = node[part]
        return node

    def int_(self, path: str, *, minimum: int = 0, maximum: int = MAX_DAYS) -> int:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise InputError(self.source, path, f"expected an integer from {minimum} to {maximum}")
        return value

    def float_(self, path: str, *, maximum: float = 1.0) -> float:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(self.source, path, "expected a number")
        if not 0.0 <= value <= maximum:  # also refuses nan
            raise InputError(self.source, path, f"expected a number from 0 to {maximum}")
        return float(value)

    def bool_(self, path: str) -> bool:
        value = self.get(path)
        if not isinstance(value, bool):
            raise InputError(self.source, path, "expected true or false")
        return value

    def strs(self, path: str, value: Any = None) -> tuple[str, ...]:
        value = self.get(path) if value is None else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(self.source, path, "expected an array of strings")
        return tuple(value)

    def enum(self, path: str, kind: type[_E], value: Any = None) -> _E:
        value = self.get(path) if value is None else value
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise InputError(self.source, path, f"{value!r} is not one of {allowed}") from None

    def day_map(self, path: str) -> Mapping[SsvcDecision, int]:
        table = self.get(path)
        if not isinstance(table, dict):
            raise InputError(self.source, path, "expected a table")
        out = {self.enum(f"{path}.{k}", SsvcDecision, k): self.int_(f"{path}.{k}") for k in table}
        return MappingProxyType(out)


def _build(doc: dict[str, Any], source: str) -> Policy:
    r = _Reader(doc, source)
    rules = r.get("risk.uncontrolled")
    if not isinstance(rules, list):
        raise InputError(source, "risk.uncontrolled", "expected an array of tables")
    matrix_rules = []
    for i, rule in enumerate(rules):
        where = f"risk.uncontrolled[{i}]"
        if not isinstance(rule, dict):
            raise InputError(source, where, "expected a table")
        unknown = set(rule) - {
            "id",
            "severity",
            "exploitability",
            "unless_verified_compensating_controls",
        }
        if unknown:
            raise InputError(source, f"{where}.{sorted(unknown)[0]}", "unknown policy key")
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise InputError(source, f"{where}.id", "expected a non-empty string")
        sev = tuple(
            r.enum(f"{where}.severity", HarmSeverity, v)
            for v in r.strs(f"{where}.severity", rule.get("severity"))
        )
        exp = tuple(
            r.enum(f"{where}.exploitability", Exploitability, v)
            for v in r.strs(f"{where}.exploitability", rule.get("exploitability"))
        )
        unless = rule.get("unless_verified_compensating_controls", False)
        if not isinstance(unless, bool):
            raise InputError(
                source, f"{where}.unless_verified_compensating_controls", "expected true or false"
            )
        matrix_rules.append(UncontrolledRule(rule_id, sev, exp, unless))
    matrix = RiskMatrix(
        rules=tuple(matrix_rules),
        cvss_high_at=r.float_("risk.cvss_high_at", maximum=CVSS_MAX),
        cvss_medium_at=r.float_("risk.cvss_medium_at", maximum=CVSS_MAX),
        kev_sets_high=r.bool_("risk.kev_sets_high"),
        active_exploitation_sets_high=r.bool_("risk.active_exploitation_sets_high"),
        epss_set_high_at=r.float_("risk.epss_set_high_at"),
        epss_raise_at=r.float_("risk.epss_raise_at"),
        public_poc_raise_levels=r.int_("risk.public_poc_raise_levels", maximum=MAX_LEVELS),
        epss_raise_levels=r.int_("risk.epss_raise_levels", maximum=MAX_LEVELS),
        verified_control_lower_levels=r.int_(
            "risk.verified_control_lower_levels", maximum=MAX_LEVELS
        ),
        multi_patient_raise_levels=r.int_("risk.multi_patient_raise_levels", maximum=MAX_LEVELS),
        adverse_event_is_uncontrolled=r.bool_("risk.adverse_event_is_uncontrolled"),
    )
    timers = Timers(
        ack_business_days=r.int_("intake.ack_business_days"),
        triage_days=r.int_("timers.triage_days"),
        analysis_days=r.int_("timers.analysis_days"),
        uncontrolled_comms_days=r.int_("timers.uncontrolled_comms_days"),
        uncontrolled_fix_days=r.int_("timers.uncontrolled_fix_days"),
        report_806_working_days=r.int_("timers.report_806_working_days"),
        eu_serious_incident_days=r.int_("timers.eu_serious_incident_days"),
        eu_death_or_deterioration_days=r.int_("timers.eu_death_or_deterioration_days"),
        eu_public_health_threat_days=r.int_("timers.eu_public_health_threat_days"),
        process_review_days=r.int_("timers.process_review_days"),
        ssvc_fix_days=r.day_map("timers.ssvc_fix_days"),
        ssvc_interim_days=r.day_map("timers.ssvc_interim_days"),
        ssvc_review_days=r.day_map("timers.ssvc_review_days"),
    )
    public_safety_table = r.get("ssvc.public_safety")
    if not isinstance(public_safety_table, dict):
        raise InputError(source, "ssvc.public_safety", "expected a table")
    public_safety = {}
    for sev_name in HarmSeverity:
        key = f"ssvc.public_safety.{sev_name.value}"
        public_safety[sev_name.value] = r.enum(key, PublicSafetyImpact)
    ssvc = SsvcPolicy(
        epss_active_above=r.float_("ssvc.epss_active_above"),
        epss_bump_at=r.float_("ssvc.epss_bump_at"),
        epss_poc_active_at=r.float_("ssvc.epss_poc_active_at"),
        public_safety=MappingProxyType(public_safety),
    )
    sources = r.strs("intake.external_sources")
    for i, s in enumerate(sources):
        r.enum(f"intake.external_sources[{i}]", IntakeSource, s)
    aspects = r.strs("change_review.required_aspects")
    for i, a in enumerate(aspects):
        r.enum(f"change_review.required_aspects[{i}]", ReviewAspect, a)
    approvals: dict[ApprovalKind, ApprovalRule] = {}
    table = r.get("approvals")
    if not isinstance(table, dict):
        raise InputError(source, "approvals", "expected a table")
    for name in table:
        kind = r.enum(f"approvals.{name}", ApprovalKind, name)
        roles = tuple(
            r.enum(f"approvals.{name}.roles", Role, v) for v in r.strs(f"approvals.{name}.roles")
        )
        if not roles:
            raise InputError(source, f"approvals.{name}.roles", "at least one role is needed")
        approvals[kind] = ApprovalRule(
            roles,
            r.bool_(f"approvals.{name}.all"),
            r.bool_(f"approvals.{name}.distinct_from_author"),
        )
    for kind in ApprovalKind:
        if kind not in approvals:
            raise InputError(source, f"approvals.{kind.value}", "missing policy key")
    people_table = r.get("people")
    if not isinstance(people_table, dict):
        raise InputError(source, "people", "expected a table")
    people: dict[str, tuple[Role, ...]] = {}
    for person, held in people_table.items():
        # Any name: dots, hyphens, e-mail addresses. The key is never split again.
        where = f"people.{toml_key(person)}"
        if not person.strip():
            raise InputError(source, where, "a person's name must not be empty")
        people[person] = tuple(r.enum(where, Role, v) for v in r.strs(where, held))
    document_id = r.get("procedure.document_id")
    if not isinstance(document_id, str) or not document_id.strip():
        raise InputError(source, "procedure.document_id", "expected a non-empty string")
    procedure = ProcedureSettings(
        document_id=document_id.strip(),
        organisation=str(r.get("procedure.organisation")).strip(),
        cvd_policy_url=str(r.get("procedure.cvd_policy_url")).strip(),
        retention_years=r.int_("procedure.retention_years", minimum=1),
    )
    vehicle = r.get("risk.floor.uncontrolled_release_vehicle")
    r.enum("risk.floor.uncontrolled_release_vehicle", ReleaseVehicle, vehicle)
    return Policy(
        external_sources=sources,
        timers=timers,
        risk=matrix,
        uncontrolled_ssvc_min=r.enum("risk.floor.uncontrolled_ssvc_min", SsvcDecision),
        uncontrolled_release_vehicle=str(vehicle),
        ssvc=ssvc,
        required_review_aspects=aspects,
        allow_accepting_uncontrolled_risk=r.bool_("gates.allow_accepting_uncontrolled_risk"),
        require_rescan=r.bool_("gates.require_rescan"),
        uncontrolled_requires_customer_audience=r.bool_(
            "gates.uncontrolled_requires_customer_audience"
        ),
        environment_update_change_review=r.bool_("gates.environment_update_change_review"),
        environment_update_customer_notice=r.bool_("gates.environment_update_customer_notice"),
        approvals=MappingProxyType(approvals),
        people=MappingProxyType(people),
        release_gate=ReleaseGatePolicy(
            untriaged_sbom_findings=r.bool_("release_gate.untriaged_sbom_findings"),
            sbom_findings_at=r.enum("release_gate.sbom_findings_at", Severity),
            unknown_severity_blocks=r.bool_("release_gate.unknown_severity_blocks"),
            undispositioned_scan_findings=r.bool_("release_gate.undispositioned_scan_findings"),
            scan_findings_at=r.enum("release_gate.scan_findings_at", Severity),
            overdue_activities=r.bool_("release_gate.overdue_activities"),
        ),
        procedure=procedure,
        publishing=_publishing(r),
        document=MappingProxyType(doc),
        digest=hashlib.sha256(canonical_json(doc)).hexdigest(),
    )


def _publishing(r: _Reader) -> PublishingPolicy:
    """The ``[publisher]`` and ``[publishing]`` tables."""

    def text(path: str) -> str:
        value = r.get(path)
        if not isinstance(value, str):
            raise InputError(r.source, path, "expected a string")
        return value.strip()

    namespace = text("publisher.namespace")
    check_namespace(namespace, r.source, "publisher.namespace")
    lang = text("publisher.lang")
    if not lang:
        raise InputError(r.source, "publisher.lang", "must not be empty")
    url = text("publishing.advisory_url")
    if url:
        check_namespace(url.replace("{id}", "x"), r.source, "publishing.advisory_url")
        if "{id}" not in url:
            raise InputError(r.source, "publishing.advisory_url", "must contain {id}")
    return PublishingPolicy(
        publisher=Publisher(
            name=text("publisher.name"),
            namespace=namespace,
            category=r.enum("publisher.category", PublisherCategory),
            contact_details=text("publisher.contact_details"),
            issuing_authority=text("publisher.issuing_authority"),
            lang=lang,
        ),
        advisory_id=IdPattern.parse(
            text("publishing.advisory_id"),
            ADVISORY_ID_FIELDS,
            source=r.source,
            where="publishing.advisory_id",
        ),
        vex_id=IdPattern.parse(
            text("publishing.vex_id"), VEX_ID_FIELDS, source=r.source, where="publishing.vex_id"
        ),
        advisory_url=url,
        unassessed_findings=r.enum("publishing.unassessed_findings", UnassessedStatus),
    )


def load_policy(user_toml: str | bytes | None = None, *, source: str = "policy.toml") -> Policy:
    """The shipped default policy, merged with ``user_toml`` (its text) when given.

    ``source`` names the user file in error messages.
    """
    doc = _default_document()
    if user_toml is not None:
        try:
            text = user_toml.decode("utf-8-sig") if isinstance(user_toml, bytes) else user_toml
            user = tomllib.loads(text)
            _merge(doc, user, source, "")
        except UnicodeDecodeError:
            raise InputError(source, None, "not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(source, None, f"not valid TOML: {exc}") from None
        except RecursionError:
            raise InputError(source, None, "nested too deeply") from None
        except ValueError:  # Python refuses integers of more than 4300 digits
            raise InputError(source, None, "not valid TOML: a number is too long") from None
        return _build(doc, source)
    return _build(doc, DEFAULT_SOURCE)


_DEFAULT: list[Policy] = []


def default_policy() -> Policy:
    if not _DEFAULT:
        _DEFAULT.append(load_policy())
    return _DEFAULT[0]
