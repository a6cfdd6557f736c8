"""Vulnerability advisories as domain values (OSV-shaped; NVD and CVE 5 map onto it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class RangeType(StrEnum):
    ECOSYSTEM = "ECOSYSTEM"
    SEMVER = "SEMVER"
    GIT = "GIT"


@dataclass(frozen=True, slots=True)
class RangeEvent:
    """One OSV range event: exactly one of the four kinds."""

    kind: str  # introduced | fixed | last_affected | limit
    value: str


@dataclass(frozen=True, slots=True)
class VersionRange:
    type: RangeType
    events: tuple[RangeEvent, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class AffectedPackage:
    """An OSV ``affected[]`` entry."""

    ecosystem: str  # as written in the record, e.g. "PyPI", "Debian:11", "AlmaLinux:9"
    name: str
    purl: str | None = None
    ranges: tuple[VersionRange, ...] = ()
    versions: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # per-package severity (type, score)


@dataclass(frozen=True, slots=True)
class CpeMatch:
    """An NVD ``cpeMatch`` entry."""

    criteria: str
    vulnerable: bool = True
    version_start_including: str | None = None
    version_start_excluding: str | None = None
    version_end_including: str | None = None
    version_end_excluding: str | None = None


@dataclass(frozen=True, slots=True)
class CpeNode:
    operator: str  # OR | AND
    negate: bool
    matches: tuple[CpeMatch, ...]


@dataclass(frozen=True, slots=True)
class CpeConfiguration:
    """An NVD configuration: nodes combined by ``operator`` (default OR)."""

    operator: str
    nodes: tuple[CpeNode, ...]


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    source: str  # "osv" | "nvd" | "cve5" | ...
    modified: dt.datetime | None = None
    published: dt.datetime | None = None
    withdrawn: dt.datetime | None = None
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    severity: tuple[tuple[str, str], ...] = ()  # (type, score), e.g. ("CVSS_V3", "CVSS:3.1/...")
    affected: tuple[AffectedPackage, ...] = ()
    configurations: tuple[CpeConfiguration, ...] = ()
    references: tuple[str, ...] = ()
    cwes: tuple[str, ...] = ()
    database_severity: str | None = None  # e.g. GHSA "HIGH", NVD baseSeverity
    cvss_base_score: float | None = None  # baseScore of the preferred CVSS metric (NVD, CVE 5)


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve_id: str
    vendor: str
    product: str
    name: str
    date_added: dt.date
    due_date: dt.date | None
    known_ransomware: str | None
    required_action: str = ""


@dataclass(frozen=True, slots=True)
class EpssScore:
    cve_id: str
    epss: float
    percentile: float
    score_date: dt.date | None
