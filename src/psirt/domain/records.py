"""The records of the security-issue lifecycle (R1..R16), as frozen values.

Record numbers follow the project's domain notes (REPORT.md §(a)/(b), rules.yaml):
R1 intake, R2 triage, R3 analysis, R4 disclosure decision, R5 resolution approach, R6 change
impact review, R7 regulatory reportability, R8 notifications (reporter, third party, customer),
R9 verification, R10 release/advisory, R11 post-fix check, R12 cross-product impact,
R15 risk acceptance, R16 closure; plus the not-affected (VEX) record, overrides and reopenings.

Every record has a canonical ``to_dict()`` (JSON types only; its canonical JSON is what a
``Signature`` digests) and ``from_dict()`` that raises one ``InputError`` naming every missing,
unknown or invalid field at once. Fields added after records of a kind were first stored are
declared with ``added()``: while they hold their default they are left out of the canonical
form, so records stored before (and the signatures over them) keep their digests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from enum import StrEnum
from typing import Any, ClassVar, Self

from psirt.domain.risk import (
    CvssScore,
    Exploitability,
    HarmSeverity,
    RiskControlStatus,
    parse_cvss,
)
from psirt.domain.ssvc import (
    Automatable,
    Exploitation,
    SsvcDecision,
    TechnicalImpact,
    ValueDensity,
)
from psirt.errors import InputError

# --------------------------------------------------------------------------- enumerations


class Role(StrEnum):
    PSIRT_LEAD = "psirt_lead"
    SECURITY_RISK_OWNER = "security_risk_owner"
    SAFETY_RISK_MANAGER = "safety_risk_manager"
    REGULATORY_AFFAIRS = "regulatory_affairs"
    DESIGN_AUTHORITY = "design_authority"
    QA_APPROVER = "qa_approver"
    COMMUNICATIONS = "communications"
    MANAGEMENT = "management"


class IntakeSource(StrEnum):
    """IEC 81001-5-1 9.2 a-g."""

    SECURITY_VV_TESTER = "security_vv_tester"  # a
    THIRD_PARTY_SUPPLIER = "third_party_supplier"  # b
    DEVELOPER_OR_TESTER = "developer_or_tester"  # c
    PRODUCT_USER = "product_user"  # d: users, integrators, operators, administrators, maintainers
    AUDIT_EVENT_LOG = "audit_event_log"  # e
    SECURITY_RESEARCHER = "security_researcher"  # f
    WIDESPREAD_VULN_FEED = "widespread_vuln_feed"  # g, per 6.2


class ReleaseStatus(StrEnum):
    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class ItemClass(StrEnum):
    MAINTAINED = "maintained"
    SUPPORTED = "supported"
    REQUIRED = "required"


class VexJustification(StrEnum):
    """CSAF 2.0 VEX flags = OpenVEX justifications."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary"
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


class DisclosureKind(StrEnum):
    DISCLOSE_PUBLIC_ADVISORY = "disclose_public_advisory"
    DISCLOSE_TARGETED_CUSTOMERS = "disclose_targeted_customers"
    DISCLOSE_REGULATOR_ONLY = "disclose_regulator_only"
    NO_DISCLOSURE = "no_disclosure"
    DEFER_UNDER_EMBARGO = "defer_under_embargo"


class Audience(StrEnum):
    USERS = "users"  # customers, operators, patients' care providers
    REGULATORS = "regulators"  # FDA, EU competent authorities
    ISAO = "isao"
    CVE_CNA = "cve_cna"
    COORDINATOR = "coordinator"
    REPORTER = "reporter"


class ResolutionApproach(StrEnum):
    FIX = "fix"
    ENVIRONMENT_OF_USE_UPDATE = "environment_of_use_update"
    INTERIM_ENVIRONMENT_THEN_FIX = "interim_environment_then_fix"
    ACCEPT_RESIDUAL_RISK = "accept_residual_risk"


class ReleaseVehicle(StrEnum):
    REGULAR_CYCLE = "regular_cycle"
    OUT_OF_CYCLE = "out_of_cycle"


class ReviewAspect(StrEnum):
    SAFETY = "safety"
    SECURITY = "security"
    EFFECTIVENESS = "effectiveness"
    REGULATORY = "regulatory"
    LABELLING = "labelling"


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class UsRoute(StrEnum):
    REPORT_806 = "report_806"
    NON_ENFORCEMENT_806 = "non_enforcement_806"
    MDR_803 = "mdr_803"
    ROUTINE_PATCH = "routine_patch"
    PMA_ANNUAL_REPORT = "pma_annual_report"
    NOT_US_MARKET = "not_us_market"


class EuRoute(StrEnum):
    SERIOUS_INCIDENT = "serious_incident"  # MDR Art. 87
    FSCA = "fsca"  # Art. 87(1)(b) with FSN (Art. 89(8))
    TREND_REPORT = "trend_report"  # Art. 88
    PSR = "psr"  # periodic safety update report entry
    NONE = "none"
    NOT_EU_MARKET = "not_eu_market"


class EuIncidentCategory(StrEnum):
    SERIOUS_INCIDENT = "serious_incident"  # <= 15 days
    DEATH_OR_SERIOUS_DETERIORATION = "death_or_serious_deterioration"  # <= 10 days
    PUBLIC_HEALTH_THREAT = "public_health_threat"  # <= 2 days


class TesterIndependence(StrEnum):
    SAME_TEAM = "same_team"
    INDEPENDENT_INTERNAL = "independent_internal"
    INDEPENDENT_EXTERNAL = "independent_external"


class NoticeKind(StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class SignatureMeaning(StrEnum):
    AUTHORED = "authored"
    REVIEWED = "reviewed"
    APPROVED = "approved"


class ReopenTrigger(StrEnum):
    KEV_LISTING = "kev_listing"
    EPSS_INCREASE = "epss_increase"
    PUBLIC_POC = "public_poc"
    NEW_AFFECTED_VERSION = "new_affected_version"
    FIELD_INCIDENT = "field_incident"
    FAILED_POST_FIX_CHECK = "failed_post_fix_check"


# --------------------------------------------------------------------------- canonical codec


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that are hashed and signed."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


_ADDED = "psirt_added_field"
# Dates and times outside these years are refused: the deadlines add days to them.
MIN_YEAR = 1900
MAX_YEAR = 9000


def added(default: Any) -> Any:
    """A field added after records of its kind were stored (see the module docstring)."""
    return field(default=default, metadata={_ADDED: True})


def _encode(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decode(tp: Any, raw: Any, source: str, where: str) -> Any:  # noqa: C901 - one switch
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if raw is None:
            if len(args) != len(typing.get_args(tp)):
                return None
            raise InputError(source, where, "must not be null")
        return _decode(args[0], raw, source, where)
    if origin is tuple:
        if not isinstance(raw, list):
            raise InputError(source, where, "expected an array")
        (item,) = typing.get_args(tp)[:1]
        out: list[Any] = []
        problems: list[tuple[str | None, str]] = []
        for i, v in enumerate(raw):
            try:
                out.append(_decode(item, v, source, f"{where}[{i}]"))
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError.of(source, problems)
        return tuple(out)
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_dict(raw, source=source, location=where)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        try:
            return tp(raw)
        except ValueError:
            allowed = ", ".join(m.value for m in tp)
            raise InputError(source, where, f"{raw!r} is not one of {allowed}") from None
    if tp is dt.datetime:
        if not isinstance(raw, str):
            raise InputError(source, where, "expected an ISO 8601 date-time")
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise InputError(source, where, f"not an ISO 8601 date-time: {raw!r}") from None
        if value.tzinfo is None:
            raise InputError(source, where, "date-time needs a time zone")
        _check_year(value.year, source, where)
        return value
    if tp is dt.date:
        if not isinstance(raw, str):
            raise InputError(source, where, "expected an ISO 8601 date")
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise InputError(source, where, f"not an ISO 8601 date: {raw!r}") from None
        _check_year(day.year, source, where)
        return day
    if tp is bool:
        if not isinstance(raw, bool):
            raise InputError(source, where, "expected true or false")
        return raw
    if tp is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise InputError(source, where, "expected a number")
        try:
            number = float(raw)
        except OverflowError:
            raise InputError(source, where, "number out of range") from None
        if not math.isfinite(number):
            raise InputError(source, where, "expected a finite number")
        return number
    if tp is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InputError(source, where, "expected an integer")
        return raw
    if tp is str:
        if not isinstance(raw, str):
            raise InputError(source, where, "expected a string")
        check_text(raw, source, where)
        return raw
    raise TypeError(f"no decoder for {tp!r}")  # a programming error in a record definition


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key_name(key: str) -> str:
    """A file's key as it can be written back: plain when it can be, quoted otherwise."""
    return key if _PLAIN_KEY.fullmatch(key) else json.dumps(key)


def _check_year(year: int, source: str, where: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(source, where, f"year {year} is outside {MIN_YEAR} to {MAX_YEAR}")


def check_text(text: str, source: str, where: str | None) -> None:
    """Text psirt can store and hash: no NUL character, no lone surrogate."""
    if "\x00" in text:
        raise InputError(source, where, "contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(source, where, "not valid Unicode text (a lone surrogate)") from None


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: Any) -> dict[str, Any]:
    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _HINTS:
        _HINTS[key] = typing.get_type_hints(cls)
    return _HINTS[key]


def _check_aware(value: Any, source: str, where: str) -> None:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise InputError(source, where, "date-time needs a time zone")


@dataclass(frozen=True, slots=True)
class Record:
    """Base of every lifecycle record: canonical dict form and typed decoding."""

    KIND: ClassVar[str] = ""
    # Fields with a default that a new record file must still name (its gate needs them).
    REQUIRED_KEYS: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata.get(_ADDED) and value == f.default:
                continue
            out[f.name] = _encode(value)
        return out

    def digest(self) -> str:
        """sha256 of the canonical JSON of ``to_dict()``."""
        return sha256_of(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "record", location: str | None = None) -> Self:
        prefix = f"{location}." if location else ""
        if not isinstance(data, dict):
            raise InputError(source, location or cls.KIND or cls.__name__, "expected an object")
        hints = _hints(cls)
        names = {f.name for f in fields(cls)}
        problems: list[tuple[str | None, str]] = [
            (f"{prefix}{key_name(key)}", "unknown field")
            for key in sorted(set(map(str, data)) - names)
        ]
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                required = f.default is MISSING and f.default_factory is MISSING
                if required or f.name in cls.REQUIRED_KEYS:
                    problems.append((f"{prefix}{f.name}", "missing field"))
                continue
            try:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], source, f"{prefix}{f.name}")
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError.of(source, problems)
        try:
            return cls(**kwargs)
        except InputError as exc:  # the record's own checks name its kind and their field
            raise InputError.of(
                source, [(f"{prefix}{loc}" if loc else location, msg) for loc, msg in exc.problems]
            ) from None

    def _check_times(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            _check_aware(value, self.KIND or type(self).__name__, f.name)
            if isinstance(value, tuple):
                for i, v in enumerate(value):
                    _check_aware(v, self.KIND or type(self).__name__, f"{f.name}[{i}]")


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True, slots=True)
class Signature(Record):
    """A person's signature over a record: the sha256 of the record's canonical JSON."""

    KIND: ClassVar[str] = "signature"
    signer: str
    role: Role
    meaning: SignatureMeaning
    signed_at: dt.datetime
    digest_sha256: str

    def __post_init__(self) -> None:
        self._check_times()
        if not self.signer.strip():
            raise InputError("signature", "signer", "must not be empty")

    @classmethod
    def sign(
        cls,
        record: Record,
        *,
        signer: str,
        role: Role,
        meaning: SignatureMeaning,
        at: dt.datetime,
    ) -> Signature:
        return cls(signer, role, meaning, at, record.digest())

    def covers(self, record: Record) -> bool:
        return self.digest_sha256 == record.digest()


# --------------------------------------------------------------------------- R1 intake


@dataclass(frozen=True, slots=True)
class AffectedRelease(Record):
    """Status of one product release for this issue."""

    KIND: ClassVar[str] = "affected_release"
    product: str
    release: str
    status: ReleaseStatus
    component_purl: str | None = None

    @property
    def key(self) -> str:
        return f"{self.product}@{self.release}"


@dataclass(frozen=True, slots=True)
class Intake(Record):
    """R1: how and when the organisation learned of the issue (T0 = ``learned_at``)."""

    KIND: ClassVar[str] = "R1_intake"
    REQUIRED_KEYS: ClassVar[frozenset[str]] = frozenset({"affected"})
    source: IntakeSource
    learned_at: dt.datetime
    reporter: str
    channel: str
    summary: str
    vulnerability_ids: tuple[str, ...] = ()
    finding_ids: tuple[str, ...] = ()
    affected: tuple[AffectedRelease, ...] = ()
    item_class: ItemClass | None = None
    acknowledged_at: dt.datetime | None = None
    tlp: str | None = None
    embargo_until: dt.datetime | None = None

    def __post_init__(self) -> None:
        self._check_times()


@dataclass(frozen=True, slots=True)
class ReporterAcknowledgement(Record):
    """R8 (reporter): receipt acknowledged to an external reporter."""

    KIND: ClassVar[str] = "R8_reporter_ack"
    reporter: str
    sent_at: dt.datetime
    channel: str

    def __post_init__(self) -> None:
        self._check_times()


# --------------------------------------------------------------------------- R2 triage


@dataclass(frozen=True, slots=True)
class Triage(Record):
    """R2 (81001-5-1 9.3): applicability, verifiability, related threats, duplicate link."""

    KIND: ClassVar[str] = "R2_triage"
    applicable: bool
    applicability_rationale: str
    verifiability: str
    related_threats: tuple[str, ...] = ()
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class NotAffected(Record):
    """VEX not_affected with an enumerated justification, evidence and an independent approver."""

    KIND: ClassVar[str] = "not_affected"
    justification: VexJustification
    impact_statement: str
    evidence: tuple[str, ...]
    author: str
    approver: str
    releases: tuple[str, ...] = ()  # product@release; empty: every release of the intake


@dataclass(frozen=True, slots=True)
class Duplicate(Record):
    KIND: ClassVar[str] = "duplicate"
    master_issue_id: str
    rationale: str = ""


# --------------------------------------------------------------------------- R3 analysis


@dataclass(frozen=True, slots=True)
class RiskOverride(Record):
    """A justified override of the computed controlled/uncontrolled result."""

    KIND: ClassVar[str] = "risk_override"
    status: RiskControlStatus
    justification: str
    approver: str


@dataclass(frozen=True, slots=True)
class Analysis(Record):
    """R3 (81001-5-1 9.4): scores, exploitability, harm, risk status, SSVC, feeds, root cause.

    The computed fields (``risk_control_status`` .. ``ssvc_row``) are filled by
    ``psirt.domain.issue.assess`` under a policy, so that signers sign what they see.
    """

    KIND: ClassVar[str] = "R3_analysis"
    cvss_v31: str | None = None
    cvss_v40: str | None = None
    base_exploitability: Exploitability | None = None  # None: derived from the CVSS vector
    exploitation: Exploitation = Exploitation.NONE
    automatable: Automatable = Automatable.NO
    value_density: ValueDensity = ValueDensity.DIFFUSE
    technical_impact: TechnicalImpact = TechnicalImpact.PARTIAL
    harm_severity: HarmSeverity | None = None
    hazardous_situation: str = ""
    hazard_refs: tuple[str, ...] = ()
    multi_patient_harm_possible: bool = False
    confidentiality_only: bool = False
    known_serious_adverse_event_or_death: bool = False
    verified_device_side_controls: tuple[str, ...] = ()
    verified_compensating_controls: tuple[str, ...] = ()
    kev_listed: bool = False
    kev_snapshot: dt.date | None = None
    epss: float | None = None
    epss_snapshot: dt.date | None = None
    nvd_snapshot: dt.date | None = None
    root_cause: str = ""
    cwes: tuple[str, ...] = ()
    affected: tuple[AffectedRelease, ...] | None = None  # None: not yet established
    related_issues: tuple[str, ...] | None = None  # None: not assessed; (): none found
    safety_effectiveness_impact: str = ""
    third_party_suppliers: tuple[str, ...] = ()  # root cause in their code
    item_class: ItemClass | None = None
    cyber_device: bool = True  # FD&C Act 524B(c)
    risk_override: RiskOverride | None = None
    # computed under the policy by assess()
    risk_control_status: RiskControlStatus | None = None
    risk_rule: str = ""
    effective_exploitability: Exploitability | None = None
    ssvc_priority: SsvcDecision | None = None
    ssvc_row: int | None = None

    def __post_init__(self) -> None:
        problems: list[tuple[str | None, str]] = []
        if self.cvss_v31 is not None:
            try:
                score = parse_cvss(self.cvss_v31, source=self.KIND, location="cvss_v31")
                if score.version == "4.0":
                    problems.append(("cvss_v31", "a CVSS v4.0 vector belongs in cvss_v40"))
            except InputError as exc:
                problems.extend(exc.problems)
        if self.cvss_v40 is not None:
            try:
                score = parse_cvss(self.cvss_v40, source=self.KIND, location="cvss_v40")
                if score.version != "4.0":
                    problems.append(("cvss_v40", "expected a CVSS:4.0/ vector"))
            except InputError as exc:
                problems.extend(exc.problems)
        if self.epss is not None and not 0.0 <= self.epss <= 1.0:
            problems.append(("epss", "must be a probability between 0 and 1"))
        if problems:
            raise InputError.of(self.KIND, problems)

    @property
    def cvss_v31_score(self) -> CvssScore | None:
        if self.cvss_v31 is None:
            return None
        return parse_cvss(self.cvss_v31, source=self.KIND, location="cvss_v31")

    @property
    def cvss_v40_score(self) -> CvssScore | None:
        if self.cvss_v40 is None:
            return None
        return parse_cvss(self.cvss_v40, source=self.KIND, location="cvss_v40")

    @property
    def effective_status(self) -> RiskControlStatus | None:
        if self.risk_override is not None:
            return self.risk_override.status
        return self.risk_control_status


# --------------------------------------------------------------------------- R7 reportability


@dataclass(frozen=True, slots=True)
class Reportability(Record):
    """R7: US (806/803/routine/PMA annual) and EU (Art. 87/88) reporting decisions."""

    KIND: ClassVar[str] = "R7_reportability"
    risk_control_status: RiskControlStatus
    harm_known: bool
    us_route: UsRoute
    eu_route: EuRoute
    rationale: str
    us_report_number: str = ""
    us_submitted_at: dt.datetime | None = None
    correction_started_at: dt.datetime | None = None
    non_enforcement_evidence: tuple[str, ...] = ()  # the four FDA 2016 §VII.B conditions
    eu_category: EuIncidentCategory | None = None
    eu_aware_at: dt.datetime | None = None
    eu_submitted_at: dt.datetime | None = None
    imdrf_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._check_times()


# --------------------------------------------------------------------------- R4, R5, R12


@dataclass(frozen=True, slots=True)
class DisclosureDecision(Record):
    """R4 (4.1.7, 9.5): whether, to whom and when to disclose."""

    KIND: ClassVar[str] = "R4_disclosure"
    decision: DisclosureKind
    rationale: str
    audiences: tuple[Audience, ...] = ()
    embargo_end: dt.datetime | None = None
    coordinated_parties: tuple[str, ...] = ()
    cve_id: str | None = None
    advisory_format: str = "csaf_security_advisory"
    reporter_credit: str = ""

    def __post_init__(self) -> None:
        self._check_times()


@dataclass(frozen=True, slots=True)
class ResolutionDecision(Record):
    """R5 (9.5): problem resolution vs. updated intended environment of use vs. acceptance."""

    KIND: ClassVar[str] = "R5_resolution"
    approach: ResolutionApproach
    release_vehicle: ReleaseVehicle
    rationale: str
    target_date: dt.date | None = None
    regular_cycle_justification_ref: str = ""
    version_plan: tuple[str, ...] = ()
    interim_devices_get_update: bool | None = None
    upstream_fix_status: str = ""
    # environment-of-use update (MDCG 2019-16 §3.6, G_env_only)
    environment_document: str = ""
    environment_document_version: str = ""
    environment_requirements: tuple[str, ...] = ()
    evidence_risk_acceptable: str = ""
    user_capability_justification: str = ""
    labelling_update_ref: str = ""
    env_compensation_justification: str = ""
    # product@release this resolution applies to; empty: every affected release of the issue
    releases: tuple[str, ...] = added(())


@dataclass(frozen=True, slots=True)
class CrossProduct(Record):
    """R12 (9.5 bullet 4): other products and revisions assessed."""

    KIND: ClassVar[str] = "R12_cross_product"
    query: str
    checked: tuple[str, ...]  # product@release
    affected_elsewhere: tuple[str, ...] = ()
    linked_issues: tuple[str, ...] = ()
    in_development_included: bool = False


# --------------------------------------------------------------------------- R8 notices


@dataclass(frozen=True, slots=True)
class ThirdPartyNotice(Record):
    """R8-TP (9.5 bullet 5): the supplier of third-party code informed; acknowledged or not."""

    KIND: ClassVar[str] = "R8_third_party"
    supplier: str
    channel: str
    sent_at: dt.datetime
    content_ref: str = ""
    acknowledged_at: dt.datetime | None = None
    non_response_documented: str = ""
    follow_ups: tuple[dt.datetime, ...] = ()

    def __post_init__(self) -> None:
        self._check_times()

    @property
    def settled(self) -> bool:
        return self.acknowledged_at is not None or bool(self.non_response_documented.strip())


@dataclass(frozen=True, slots=True)
class CustomerNotice(Record):
    """R8-C: customer/user communication (FDA 2016 §VII.B(2) four elements when interim)."""

    KIND: ClassVar[str] = "R8_customer"
    kind: NoticeKind
    sent_at: dt.datetime
    recipients: str
    description_and_impact: str
    efforts_under_way: str = ""
    compensating_controls: tuple[str, ...] = ()
    fix_forthcoming_statement: str = ""
    residual_risk: str = ""
    compatibility_statement: str = ""
    content_ref: str = ""
    releases: tuple[str, ...] = added(())  # product@release; empty: every release of the issue

    def __post_init__(self) -> None:
        self._check_times()

    def covers(self, key: str) -> bool:
        return not self.releases or key in self.releases

    def missing_fda_elements(self) -> list[str]:
        out = []
        if not self.description_and_impact.strip():
            out.append("R8_customer.description_and_impact")
        if not self.efforts_under_way.strip():
            out.append("R8_customer.efforts_under_way")
        if not self.compensating_controls:
            out.append("R8_customer.compensating_controls")
        if not self.fix_forthcoming_statement.strip():
            out.append("R8_customer.fix_forthcoming_statement")
        return out


# --------------------------------------------------------------------------- R6 change review


@dataclass(frozen=True, slots=True)
class AspectReview(Record):
    KIND: ClassVar[str] = "aspect_review"
    aspect: ReviewAspect
    reviewer: str
    verdict: Verdict
    notes: str = ""


@dataclass(frozen=True, slots=True)
class ChangeImpactReview(Record):
    """R6 (9.5 bullet 3, 62304 §9.4): the change reviewed for each aspect."""

    KIND: ClassVar[str] = "R6_change_impact"
    change_request_id: str
    aspects: tuple[AspectReview, ...]
    secondary_risks: str = ""
    regulatory_impact: str = ""
    labelling_changes: str = ""
    vv_scope: str = ""
    releases: tuple[str, ...] = added(())  # product@release; empty: every release of the issue

    def covers(self, key: str) -> bool:
        return not self.releases or key in self.releases

    def aspect(self, aspect: ReviewAspect) -> AspectReview | None:
        found = [a for a in self.aspects if a.aspect is aspect]
        return found[-1] if found else None


# --------------------------------------------------------------------------- R9, R10, R11


@dataclass(frozen=True, slots=True)
class FindingRef(Record):
    """A stored finding as a re-scan saw it."""

    KIND: ClassVar[str] = "finding_ref"
    finding_id: int
    advisory_id: str
    component: str
    version: str
    purl: str = ""

    def __str__(self) -> str:
        return f"finding {self.finding_id} {self.advisory_id} in {self.component} {self.version}"


@dataclass(frozen=True, slots=True)
class RescanResult(Record):
    """R9's re-scan, computed by psirt from the stored findings of the fixed release.

    ``release`` is the release R9's ``software_version`` names (product@version);
    ``vulnerability_ids`` the issue's alias group that was looked for; ``found`` the active
    findings of the release that still match it.
    """

    KIND: ClassVar[str] = "rescan"
    release: str
    release_stored: bool
    vulnerability_ids: tuple[str, ...]
    sbom_document_id: int | None = None
    sbom_sha256: str = ""
    sbom_imported_at: dt.datetime | None = None
    scan_activity_id: int | None = None
    scanned_at: dt.datetime | None = None
    scan_tool: str = ""
    findings_checked: int = 0
    found: tuple[FindingRef, ...] = ()

    def __post_init__(self) -> None:
        self._check_times()

    def problems(self) -> tuple[list[str], list[str]]:
        """(what is not known about the release, what the findings show), as gate items."""
        unknown: list[str] = []
        if not self.release_stored:
            unknown.append(f"R9_verification.rescan: {self.release} is not a stored release")
        elif self.sbom_document_id is None:
            unknown.append(f"R9_verification.rescan: no SBOM of {self.release} is stored")
        elif self.scanned_at is None:
            unknown.append(f"R9_verification.rescan: {self.release} was never scanned")
        elif self.sbom_imported_at is not None and self.scanned_at < self.sbom_imported_at:
            unknown.append(
                f"R9_verification.rescan: {self.release} was not scanned since its newest SBOM"
            )
        found = [
            f"R9_verification.rescan: {self.release} still has the issue's vulnerability ({f})"
            for f in self.found
        ]
        return unknown, found


@dataclass(frozen=True, slots=True)
class Verification(Record):
    """R9 (6.2.2, 62304 §9.7/9.8): the fix closes the issue and breaks nothing.

    ``rescan`` is computed by psirt from the stored findings of the release that
    ``software_version`` names. ``rescan_tool``, ``rescan_date`` and
    ``rescan_new_vulnerabilities`` are what records made before psirt computed the re-scan
    claimed; they are read, and refused in new records.
    """

    KIND: ClassVar[str] = "R9_verification"
    software_version: str
    targeted_test: str
    targeted_test_passed: bool
    regression_suite: str
    regression_passed: bool
    tester: str
    tester_independence: TesterIndependence | None
    rescan_tool: str = ""
    rescan_date: dt.date | None = None
    rescan_new_vulnerabilities: tuple[str, ...] | None = None  # None: no rescan
    threat_mitigation_test: str = ""
    anomalies: tuple[str, ...] = ()
    conclusion: str = ""
    rescan: RescanResult | None = added(None)  # computed by psirt

    @property
    def typed_rescan(self) -> bool:
        """The record carries a re-scan result typed by a person (records of old)."""
        return (
            bool(self.rescan_tool.strip())
            or self.rescan_date is not None
            or self.rescan_new_vulnerabilities is not None
        )


@dataclass(frozen=True, slots=True)
class ComponentRef(Record):
    """A component as an SBOM lists it."""

    KIND: ClassVar[str] = "component_ref"
    name: str
    version: str
    purl: str = ""

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


@dataclass(frozen=True, slots=True)
class SbomEvidence(Record):
    """What psirt can check of the fixed release's SBOM: which document, its digest, and how it
    lists the issue's component (``still_listed``: the affected version is still there)."""

    KIND: ClassVar[str] = "sbom_evidence"
    release: str
    release_stored: bool
    document_id: int | None = None
    sha256: str = ""
    imported_at: dt.datetime | None = None
    components: tuple[ComponentRef, ...] = ()
    still_listed: tuple[ComponentRef, ...] = ()

    def __post_init__(self) -> None:
        self._check_times()


@dataclass(frozen=True, slots=True)
class ReleaseAdvisory(Record):
    """R10: the release, its integrity, and the advisory / VEX that goes with it."""

    KIND: ClassVar[str] = "R10_release_advisory"
    release_version: str
    released_at: dt.datetime
    release_statuses: tuple[AffectedRelease, ...]
    advisory_id: str = ""
    advisory_format: str = "csaf_security_advisory"
    update_available: bool = False
    integrity: str = ""  # how integrity is verifiable (digest, signature)
    compatibility_statement: str = ""
    compensating_control_requirements: tuple[str, ...] = ()
    residual_risk_disclosure: str = ""
    vex_updated: bool = False  # a claim, checked against ``vex_statuses``
    sbom_updated: bool = False  # a claim, checked against ``sbom``
    regulatory_filings: tuple[str, ...] = ()
    # computed by psirt: the fixed release's stored SBOM, and the VEX status of every release
    # of the issue once this release is out (from the release matrix)
    sbom: SbomEvidence | None = added(None)
    vex_statuses: tuple[AffectedRelease, ...] = added(())
    # where customers get the update (a URL, or instructions); the advisory's vendor fix
    update_location: str = added("")

    def __post_init__(self) -> None:
        self._check_times()

    def fixes(self, key: str) -> bool:
        return any(a.key == key and a.status is ReleaseStatus.FIXED for a in self.release_statuses)


@dataclass(frozen=True, slots=True)
class PostFix(Record):
    """R11: deployment uptake, effectiveness, residual exposure, exploitation re-check."""

    KIND: ClassVar[str] = "R11_post_fix"
    effectiveness_method: str
    effectiveness_result: str
    deployment_rate: float | None = None
    residual_exposure: str = ""
    follow_ups: tuple[str, ...] = ()
    exploitation_recheck_on: dt.date | None = None


# --------------------------------------------------------------------------- R15, R16, misc


@dataclass(frozen=True, slots=True)
class RiskAcceptance(Record):
    """R15: residual risk accepted by those with authority, until a review date."""

    KIND: ClassVar[str] = "R15_risk_acceptance"
    residual_risk_statement: str
    compensating_controls: tuple[str, ...]
    controlled_risk_evidence: str
    user_information_ref: str
    approver: str
    review_on: dt.date
    expires_on: dt.date | None = None
    benefit_risk_ref: str = ""
    # product@release; empty: every release whose resolution is accept_residual_risk
    releases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Closure(Record):
    """R16: RMF updated, problem report closed."""

    KIND: ClassVar[str] = "R16_closure"
    rmf_updated_ref: str
    problem_report_closed: bool
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Override(Record):
    """A signed waiver of named gate items for one transition."""

    KIND: ClassVar[str] = "override"
    transition: str
    waived: tuple[str, ...]
    justification: str


@dataclass(frozen=True, slots=True)
class Reopen(Record):
    KIND: ClassVar[str] = "reopen"
    trigger: ReopenTrigger
    details: str


@dataclass(frozen=True, slots=True)
class ChangeRequest(Record):
    """The change request that starts remediation (62304 §9.4)."""

    KIND: ClassVar[str] = "change_request"
    change_request_id: str
    description: str


@dataclass(frozen=True, slots=True)
class Rework(Record):
    KIND: ClassVar[str] = "rework"
    reason: str


RECORD_TYPES: dict[str, type[Record]] = {
    cls.KIND: cls
    for cls in (
        Intake,
        ReporterAcknowledgement,
        Triage,
        NotAffected,
        Duplicate,
        Analysis,
        Reportability,
        DisclosureDecision,
        ResolutionDecision,
        CrossProduct,
        ThirdPartyNotice,
        CustomerNotice,
        ChangeRequest,
        ChangeImpactReview,
        Verification,
        Rework,
        ReleaseAdvisory,
        PostFix,
        RiskAcceptance,
        Closure,
        Override,
        Reopen,
    )
}


def required_fields(cls: type[Record]) -> tuple[str, ...]:
    """The fields a new record of ``cls`` must name (no default, or one of ``REQUIRED_KEYS``)."""
    return tuple(
        f.name
        for f in fields(cls)
        if (f.default is MISSING and f.default_factory is MISSING) or f.name in cls.REQUIRED_KEYS
    )


def record_from_dict(kind: str, data: Any, *, source: str = "record", location: str = "") -> Record:
    cls = RECORD_TYPES.get(kind)
    if cls is None:
        raise InputError(source, location or "kind", f"unknown record kind {kind!r}")
    return cls.from_dict(data, source=source, location=location or None)


assert all(is_dataclass(c) for c in RECORD_TYPES.values())
