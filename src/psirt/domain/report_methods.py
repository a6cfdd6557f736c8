"""What a scanner report can be evidence of.

A report imported as an activity stands for a test method (SAST, DAST, SCA, penetration
test). It can only stand for a method its tool performs: a Bandit run is no penetration test,
a SARIF log without a single run is no evidence of any test, however it is labelled. The
methods of a report come from its format, its tool and, where the format says so, its
findings:

==========================  ============================================================
report                      methods (the first is the default activity type)
==========================  ============================================================
Bandit                      SAST
Semgrep JSON                SAST for Code results, SCA (``sbom_scan``) for Supply Chain
                            results; both when it has no results
OWASP ZAP JSON/XML          DAST
Trivy                       SCA for vulnerability and licence findings, SAST for
                            misconfiguration and secret findings; both when it has none
Grype, osv-scanner          SCA
penetration-test template   penetration test
SARIF                       by the name of each run's tool (:data:`SARIF_TOOLS`); a tool
                            not in the table performs an unknown method
==========================  ============================================================

:func:`evidence_problem` says why a report cannot stand for the claimed type (None when it
can). A tool of unknown method may stand for SAST (SARIF's own purpose) and nothing else.
Importing a report despite a problem takes an explicit rationale, which is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from psirt.domain.activity import ActivityType
from psirt.domain.scan import ScanFormat, ScanKind, ScanResult

SAST, DAST, SCA, PENTEST = (
    ActivityType.SAST,
    ActivityType.DAST,
    ActivityType.SBOM_SCAN,
    ActivityType.PENETRATION_TEST,
)

# SARIF tool names (lower case; a name matches when it contains the key), most specific first.
SARIF_TOOLS: tuple[tuple[str, tuple[ActivityType, ...]], ...] = (
    # composition analysis
    ("snyk open source", (SCA,)),
    ("dependency-check", (SCA,)),
    ("osv-scanner", (SCA,)),
    ("grype", (SCA,)),
    ("trivy", (SCA, SAST)),
    ("npm audit", (SCA,)),
    ("pip-audit", (SCA,)),
    ("govulncheck", (SCA,)),
    ("cargo-audit", (SCA,)),
    ("retire", (SCA,)),
    ("dependabot", (SCA,)),
    ("anchore", (SCA,)),
    # dynamic testing
    ("zap", (DAST,)),
    ("burp", (DAST,)),
    ("nuclei", (DAST,)),
    ("nikto", (DAST,)),
    ("wapiti", (DAST,)),
    ("arachni", (DAST,)),
    # static analysis (code, configuration, secrets)
    ("semgrep", (SAST, SCA)),
    ("codeql", (SAST,)),
    ("bandit", (SAST,)),
    ("ruff", (SAST,)),
    ("eslint", (SAST,)),
    ("spotbugs", (SAST,)),
    ("findsecbugs", (SAST,)),
    ("pmd", (SAST,)),
    ("flawfinder", (SAST,)),
    ("cppcheck", (SAST,)),
    ("clang", (SAST,)),
    ("gosec", (SAST,)),
    ("brakeman", (SAST,)),
    ("njsscan", (SAST,)),
    ("nodejsscan", (SAST,)),
    ("lgtm", (SAST,)),
    ("mobsf", (SAST,)),
    ("sonar", (SAST,)),
    ("snyk", (SAST,)),  # Snyk Code; Snyk Open Source is matched above
    ("checkmarx", (SAST,)),
    ("fortify", (SAST,)),
    ("coverity", (SAST,)),
    ("devskim", (SAST,)),
    ("binskim", (SAST,)),
    ("infer", (SAST,)),
    ("pylint", (SAST,)),
    ("checkov", (SAST,)),
    ("kics", (SAST,)),
    ("tfsec", (SAST,)),
    ("hadolint", (SAST,)),
    ("dockle", (SAST,)),
    ("gitleaks", (SAST,)),
    ("trufflehog", (SAST,)),
    ("detect-secrets", (SAST,)),
)

_KIND_METHOD = {ScanKind.SAST: SAST, ScanKind.DAST: DAST, ScanKind.SCA: SCA}


def sarif_tool_methods(name: str) -> tuple[ActivityType, ...] | None:
    """The methods of a SARIF run's tool, by its name; None when the name is unknown."""
    lowered = name.strip().lower()
    for key, methods in SARIF_TOOLS:
        if key in lowered:
            return methods
    return None


def _by_findings(
    kinds: Iterable[ScanKind], order: tuple[ActivityType, ...]
) -> tuple[ActivityType, ...]:
    shown = {_KIND_METHOD[k] for k in kinds if k in _KIND_METHOD}
    return tuple(m for m in order if m in shown) or order


def methods(result: ScanResult) -> tuple[ActivityType, ...] | None:
    """The test methods ``result`` can stand for, the default first; None when unknown."""
    kinds = {f.kind for f in result.results}
    match result.format:
        case ScanFormat.BANDIT:
            return (SAST,)
        case ScanFormat.SEMGREP:
            return _by_findings(kinds, (SAST, SCA))
        case ScanFormat.ZAP_JSON | ScanFormat.ZAP_XML:
            return (DAST,)
        case ScanFormat.TRIVY:
            return _by_findings(kinds, (SCA, SAST))
        case ScanFormat.GRYPE | ScanFormat.OSV_SCANNER:
            return (SCA,)
        case ScanFormat.PENTEST_JSON | ScanFormat.PENTEST_CSV:
            return (PENTEST,)
        case ScanFormat.SARIF:
            if not result.tools:
                return None
            found: list[ActivityType] = []
            for tool in result.tools:
                known = sarif_tool_methods(tool)
                if known is None:
                    return None
                found.extend(m for m in known if m not in found)
            return tuple(found)
        case _:
            assert_never(result.format)


def default_type(result: ScanResult) -> ActivityType:
    """The activity type a report stands for when none is given: its first method, SAST for
    a SARIF log of an unknown tool."""
    known = methods(result)
    return known[0] if known else SAST


def evidence_problem(result: ScanResult, claimed: ActivityType) -> str | None:
    """Why ``result`` cannot be evidence of a ``claimed`` activity, or None when it can."""
    if result.format is ScanFormat.SARIF and result.runs == 0:
        return "a SARIF log without runs is no evidence of any test"
    known = methods(result)
    tool = result.tool or result.format.value
    if known is None:
        if claimed is SAST:
            return None
        return (
            f"{tool!r} is not a tool known to perform {claimed.value} "
            "(a SARIF log of an unknown tool stands for sast only)"
        )
    if claimed in known:
        return None
    return (
        f"a {result.format.value} report of {tool!r} with "
        f"{_count(len(result.results))} cannot be evidence of {claimed.value}: "
        f"it stands for {', '.join(m.value for m in known)}"
    )


def _count(n: int) -> str:
    return "1 result" if n == 1 else f"{n} results"
