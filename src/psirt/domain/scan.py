"""Results of security scanners (SAST, DAST, SCA, penetration tests) as domain values.

Whatever format a report was read from (SARIF, Bandit, Semgrep, ZAP, Trivy, Grype,
osv-scanner, the psirt penetration-test template), it becomes one :class:`ScanResult`
holding :class:`ScanFinding` values. A finding carries exactly one kind of location:

* :class:`CodeLocation`     a place in source code or a file (SAST, secrets, misconfiguration)
* :class:`WebLocation`      a URL, HTTP method and parameter (DAST, penetration tests)
* :class:`PackageLocation`  a package and version (SCA)

``fingerprint`` is the finding's identity across runs (see ``psirt.ingest.scans.fingerprint``):
it is built from the rule and the location, never from free text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias


class Severity(StrEnum):
    """The one severity scale of psirt; every format is mapped onto it by one table."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info, for sorting and thresholds."""
        return _RANK[self]


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class ScanFormat(StrEnum):
    SARIF = "sarif"
    BANDIT = "bandit"
    SEMGREP = "semgrep"
    ZAP_JSON = "zap-json"
    ZAP_XML = "zap-xml"
    TRIVY = "trivy"
    GRYPE = "grype"
    OSV_SCANNER = "osv-scanner"
    PENTEST_JSON = "pentest-json"
    PENTEST_CSV = "pentest-csv"


class ScanKind(StrEnum):
    """What kind of testing produced a finding."""

    SAST = "sast"
    DAST = "dast"
    SCA = "sca"
    PENTEST = "pentest"


@dataclass(frozen=True, slots=True)
class CodeLocation:
    """A region of a file. Lines and columns are 1-based, as in SARIF."""

    path: str
    start_line: int | None = None
    start_column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    snippet: str | None = None
    uri_base_id: str | None = None  # SARIF uriBaseId (e.g. "%SRCROOT%"), path is relative to it


@dataclass(frozen=True, slots=True)
class WebLocation:
    """One request of a dynamic test (a ZAP alert instance, a penetration-test finding)."""

    url: str
    method: str | None = None
    parameter: str | None = None
    evidence: str | None = None
    attack: str | None = None
    other_info: str | None = None


@dataclass(frozen=True, slots=True)
class PackageLocation:
    """A package found vulnerable by a composition-analysis tool."""

    name: str
    version: str | None = None
    purl: str | None = None
    ecosystem: str | None = None
    path: str | None = None  # lock file, image layer path or scan target holding the package
    fixed_versions: tuple[str, ...] = ()
    # what the tool found about the use of the vulnerable code, as it says it (Semgrep
    # Supply Chain: "reachable", "unreachable", "undetermined", "not analysed")
    reachability: str | None = None
    transitivity: str | None = None  # "direct", "transitive", "unknown"


Location: TypeAlias = CodeLocation | WebLocation | PackageLocation


@dataclass(frozen=True, slots=True)
class ScanFinding:
    """One result of a scan: a SARIF result, a Bandit issue, a ZAP alert item, a Grype match.

    ``raw_level`` is the severity exactly as the tool wrote it (e.g. SARIF ``"warning"``,
    ZAP riskcode ``"2"``, Trivy ``"HIGH"``); ``severity`` is its mapping. ``instances`` holds
    the individual requests of a ZAP alert (empty for other formats). ``suppressed`` is true
    when the tool itself reports the result as suppressed (SARIF suppressions, all accepted).
    """

    rule_id: str
    title: str
    severity: Severity
    fingerprint: str
    kind: ScanKind
    message: str = ""
    raw_level: str | None = None
    confidence: str | None = None
    cwes: tuple[int, ...] = ()
    location: Location | None = None
    vulnerability_ids: tuple[str, ...] = ()
    suppressed: bool = False
    instances: tuple[WebLocation, ...] = ()
    result_kind: str | None = None  # SARIF result.kind: fail, pass, review, open, ...
    score: float | None = None  # CVSS base score or SARIF security-severity, when given
    partial_fingerprints: tuple[tuple[str, str], ...] = ()  # as written by the tool, sorted
    references: tuple[str, ...] = ()
    solution: str | None = None
    tool: str | None = None  # for multi-run SARIF: the run's tool


@dataclass(frozen=True, slots=True)
class ScanResult:
    """A whole parsed report.

    ``instances`` counts ZAP alert instances; for formats without instances it equals the
    number of results. ``target`` names what was scanned (site, image, repository, lock
    file); ``scope`` lists further targets (ZAP sites, SARIF runs' automation ids).
    """

    format: ScanFormat
    source: str
    tool: str | None
    tool_version: str | None
    results: tuple[ScanFinding, ...]
    instances: int
    format_version: str | None = None
    started: dt.datetime | None = None
    ended: dt.datetime | None = None
    target: str | None = None
    scope: tuple[str, ...] = ()
    runs: int = 1
    tools: tuple[str, ...] = ()  # SARIF: the tool name of every run ("" when a run names none)

    def __post_init__(self) -> None:
        if self.instances < 0:
            raise ValueError("instances must not be negative")
