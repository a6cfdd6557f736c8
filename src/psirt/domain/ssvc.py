"""SSVC supplier patch-development priority (CERT/CC SSVC), read from the shipped CSV tables.

The three decision tables are copied verbatim from github.com/CERTCC/SSVC ``data/csv/ssvc``
into ``psirt/policy``. ``supplier_priority`` walks them: Utility = f(Automatable, Value density),
then (Exploitation, Utility, Technical impact, Public safety impact) -> Defer | Scheduled |
Out-of-Cycle | Immediate. Public safety impact is derived from the ISO 14971 harm severity with
the mapping of the policy (``negligible``/``minor`` -> minimal, the rest -> significant by default).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING

from psirt.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from psirt.domain.risk import HarmSeverity

PRIORITY_TABLE = "ssvc_supplier_patch_development_priority_1_0_0.csv"
UTILITY_TABLE = "ssvc_utility_1_0_0.csv"
PUBLIC_SAFETY_TABLE = "ssvc_public_safety_impact_1_0_0.csv"


class Exploitation(StrEnum):
    NONE = "none"
    PUBLIC_POC = "public_poc"
    ACTIVE = "active"


class Automatable(StrEnum):
    NO = "no"
    YES = "yes"


class ValueDensity(StrEnum):
    DIFFUSE = "diffuse"
    CONCENTRATED = "concentrated"


class Utility(StrEnum):
    LABORIOUS = "laborious"
    EFFICIENT = "efficient"
    SUPER_EFFECTIVE = "super_effective"


class TechnicalImpact(StrEnum):
    PARTIAL = "partial"
    TOTAL = "total"


class SafetyImpact(StrEnum):
    """SSVC Safety Impact v2.0.1 (IEC 61508 based)."""

    NEGLIGIBLE = "negligible"
    MARGINAL = "marginal"
    CRITICAL = "critical"
    CATASTROPHIC = "catastrophic"


class PublicSafetyImpact(StrEnum):
    MINIMAL = "minimal"
    SIGNIFICANT = "significant"


class SsvcDecision(StrEnum):
    """Supplier priority, in increasing urgency."""

    DEFER = "defer"
    SCHEDULED = "scheduled"
    OUT_OF_CYCLE = "out_of_cycle"
    IMMEDIATE = "immediate"

    @property
    def rank(self) -> int:
        return _DECISION_ORDER.index(self)


_DECISION_ORDER = (
    SsvcDecision.DEFER,
    SsvcDecision.SCHEDULED,
    SsvcDecision.OUT_OF_CYCLE,
    SsvcDecision.IMMEDIATE,
)


def _norm(value: str) -> str:
    """CSV labels ("public poc", "Out-of-Cycle", "super effective") -> enum values."""
    return value.strip().lower().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True, slots=True)
class SsvcTables:
    utility: Mapping[tuple[Automatable, ValueDensity], Utility]
    public_safety: Mapping[SafetyImpact, PublicSafetyImpact]
    priority: Mapping[
        tuple[Exploitation, Utility, TechnicalImpact, PublicSafetyImpact], tuple[int, SsvcDecision]
    ]


def _read_rows(text: str, source: str, width: int) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or len(header) != width:
        raise InputError(source, "line 1", f"expected a header of {width} columns")
    rows: list[tuple[int, list[str]]] = []
    for lineno, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != width:
            raise InputError(source, f"line {lineno}", f"expected {width} columns, got {len(row)}")
        try:
            rows.append((int(row[0]), [_norm(cell) for cell in row[1:]]))
        except ValueError:
            raise InputError(source, f"line {lineno}", f"row number {row[0]!r}") from None
    return rows


def parse_tables(priority_csv: str, utility_csv: str, public_safety_csv: str) -> SsvcTables:
    """Parse the three SSVC tables; every combination of inputs must appear exactly once."""
    utility: dict[tuple[Automatable, ValueDensity], Utility] = {}
    public_safety: dict[SafetyImpact, PublicSafetyImpact] = {}
    priority: dict[
        tuple[Exploitation, Utility, TechnicalImpact, PublicSafetyImpact], tuple[int, SsvcDecision]
    ] = {}
    try:
        for _n, (a, v, u) in _read_rows(utility_csv, UTILITY_TABLE, 4):
            utility[(Automatable(a), ValueDensity(v))] = Utility(u)
        for _n, (s, p) in _read_rows(public_safety_csv, PUBLIC_SAFETY_TABLE, 3):
            public_safety[SafetyImpact(s)] = PublicSafetyImpact(p)
        for n, (e, u, t, p, d) in _read_rows(priority_csv, PRIORITY_TABLE, 6):
            key = (Exploitation(e), Utility(u), TechnicalImpact(t), PublicSafetyImpact(p))
            if key in priority:
                raise InputError(PRIORITY_TABLE, f"row {n}", "duplicate combination")
            priority[key] = (n, SsvcDecision(d))
    except ValueError as exc:
        raise InputError("ssvc tables", None, f"unknown value: {exc}") from None
    expected = len(Exploitation) * len(Utility) * len(TechnicalImpact) * len(PublicSafetyImpact)
    if len(priority) != expected:
        raise InputError(PRIORITY_TABLE, None, f"{len(priority)} rows, expected {expected}")
    if len(utility) != len(Automatable) * len(ValueDensity):
        raise InputError(UTILITY_TABLE, None, "incomplete table")
    return SsvcTables(
        MappingProxyType(utility), MappingProxyType(public_safety), MappingProxyType(priority)
    )


@cache
def shipped_tables() -> SsvcTables:
    """The SSVC tables shipped in ``psirt/policy``."""
    pkg = resources.files("psirt.policy")
    return parse_tables(
        pkg.joinpath(PRIORITY_TABLE).read_text(encoding="utf-8"),
        pkg.joinpath(UTILITY_TABLE).read_text(encoding="utf-8"),
        pkg.joinpath(PUBLIC_SAFETY_TABLE).read_text(encoding="utf-8"),
    )


@dataclass(frozen=True, slots=True)
class SsvcInputs:
    exploitation: Exploitation
    automatable: Automatable
    value_density: ValueDensity
    technical_impact: TechnicalImpact
    public_safety_impact: PublicSafetyImpact


@dataclass(frozen=True, slots=True)
class SsvcOutcome:
    """The priority, the inputs that led to it and the table row used (for display)."""

    decision: SsvcDecision
    table_decision: SsvcDecision
    utility: Utility
    row: int
    inputs: SsvcInputs
    floor_applied: str | None = None


def utility(
    automatable: Automatable, value_density: ValueDensity, tables: SsvcTables | None = None
) -> Utility:
    return (tables or shipped_tables()).utility[(automatable, value_density)]


def public_safety_from_harm(
    severity: HarmSeverity | None, mapping: Mapping[str, PublicSafetyImpact]
) -> PublicSafetyImpact:
    """ISO 14971 harm severity -> SSVC public safety impact; no patient harm -> minimal."""
    if severity is None:
        return PublicSafetyImpact.MINIMAL
    return mapping[severity.value]


def exploitation_from_feeds(
    *,
    reported: Exploitation,
    kev_listed: bool,
    epss: float | None,
    epss_active_above: float,
    epss_bump_at: float,
    epss_poc_active_at: float,
) -> Exploitation:
    """SSVC's example rules for KEV and EPSS (configurable thresholds).

    KEV listing -> active; EPSS > ``epss_active_above`` -> active; EPSS in
    [``epss_bump_at``, ``epss_active_above``] -> one level up; EPSS in
    [``epss_poc_active_at``, ``epss_bump_at``) with a public PoC -> active.
    """
    if kev_listed or reported is Exploitation.ACTIVE:
        return Exploitation.ACTIVE
    if epss is None:
        return reported
    if epss > epss_active_above:
        return Exploitation.ACTIVE
    if epss >= epss_bump_at:
        return Exploitation.PUBLIC_POC if reported is Exploitation.NONE else Exploitation.ACTIVE
    if epss >= epss_poc_active_at and reported is Exploitation.PUBLIC_POC:
        return Exploitation.ACTIVE
    return reported


def supplier_priority(
    inputs: SsvcInputs,
    *,
    floor: SsvcDecision | None = None,
    floor_reason: str = "",
    tables: SsvcTables | None = None,
) -> SsvcOutcome:
    """Look the inputs up in the supplier table; ``floor`` raises the result to at least it."""
    t = tables or shipped_tables()
    util = t.utility[(inputs.automatable, inputs.value_density)]
    row, decision = t.priority[
        (inputs.exploitation, util, inputs.technical_impact, inputs.public_safety_impact)
    ]
    final = decision
    applied = None
    if floor is not None and floor.rank > decision.rank:
        final = floor
        applied = floor_reason or f"floor {floor.value}"
    return SsvcOutcome(final, decision, util, row, inputs, applied)
