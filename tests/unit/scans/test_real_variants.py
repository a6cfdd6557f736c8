"""Variants real scanners write: severity as a word where a number is expected, missing or
unreadable scores, Semgrep Supply Chain reports in the CLI and platform layouts, osv-scanner
git-commit packages. None of them refuses a whole report."""

from __future__ import annotations

import json

import pytest

from psirt.domain.scan import CodeLocation, PackageLocation, ScanFormat, ScanKind, Severity
from psirt.ingest.scans import detect, parse
from tests.conftest import ASSETS

SCANS = ASSETS / "scans"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7.5, (Severity.HIGH, 7.5)),
        ("9.8", (Severity.CRITICAL, 9.8)),
        ("MEDIUM", (Severity.MEDIUM, None)),
        ("Critical", (Severity.CRITICAL, None)),
        ("info", (Severity.INFO, None)),
        ("Unknown", (None, None)),
        (11, (None, None)),
        (True, (None, None)),
        ({"score": 5}, (None, None)),
        (None, (None, None)),
    ],
)
def test_security_severity_reads_scores_and_words(value: object, expected: object) -> None:
    from psirt.ingest.scans.severity import from_security_severity

    assert from_security_severity(value) == expected


def test_sarif_security_severity_words_from_semgrep_gitlab_rules() -> None:
    result = parse((SCANS / "sarif" / "semgrep-gitlab-rules.sarif").read_bytes(), source="g.sarif")
    assert result.tool == "Semgrep OSS"
    got = [
        (f.rule_id.rsplit(".", 1)[-1], f.severity, f.raw_level, f.score, f.cwes)
        for f in result.results
    ]
    assert got == [
        (
            "javascript_pathtraversal_rule-non-literal-fs-filename",
            Severity.MEDIUM,
            "warning",
            None,
            (22,),
        ),
        (
            "rules_lgpl_javascript_jwt_rule-hardcoded-jwt-secret",
            Severity.HIGH,
            "error",
            None,
            (798,),
        ),
        (
            "rules_lgpl_javascript_database_rule-node-nosqli-injection",
            Severity.CRITICAL,
            "error",
            None,
            (943,),
        ),
    ]


def test_sarif_unknown_security_severity_falls_back_to_the_level() -> None:
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Semgrep OSS",
                        "rules": [{"id": "r", "properties": {"security-severity": "Unknown"}}],
                    }
                },
                "results": [
                    {"ruleId": "r", "level": "note", "message": {"text": "m"}},
                    {
                        "ruleId": "r",
                        "level": "note",
                        "message": {"text": "n"},
                        "properties": {"security-severity": [1]},
                    },
                ],
            }
        ],
    }
    result = parse(json.dumps(doc).encode(), source="u.sarif")
    assert [(f.severity, f.score) for f in result.results] == [(Severity.LOW, None)] * 2


def test_semgrep_cli_code_and_supply_chain_results() -> None:
    data = (SCANS / "semgrep" / "supply-chain-and-code.json").read_bytes()
    assert detect(data, "s.json") is ScanFormat.SEMGREP
    result = parse(data, source="s.json")
    assert (result.tool, result.tool_version) == ("Semgrep", "1.122.0")
    code = [f for f in result.results if f.kind is ScanKind.SAST]
    assert [(f.rule_id, f.severity, f.raw_level, f.score, f.cwes) for f in code] == [
        (
            "rules.gitlab.python_exec_rule-subprocess-shell-true",
            Severity.MEDIUM,
            "Medium",
            None,
            (78,),
        ),
        ("rules.python.flask.debug-enabled", Severity.CRITICAL, "9.1", 9.1, (489,)),
        ("rules.python.crypto.md5", Severity.CRITICAL, "CRITICAL", None, (327,)),
        ("rules.python.sql.format-string", Severity.HIGH, "ERROR", None, ()),
    ]
    assert all(isinstance(f.location, CodeLocation) for f in code)
    sca = [f for f in result.results if f.kind is ScanKind.SCA]
    assert [(f.rule_id, f.title, f.severity, f.raw_level, f.vulnerability_ids) for f in sca] == [
        (
            "ssc-0a1b2c3d-reachable",
            "CVE-2023-30861 in flask",
            Severity.MEDIUM,
            "MODERATE",
            ("CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq"),
        ),
        (
            "ssc-4e5f6a7b-parity",
            "CVE-2024-35195 in requests",
            Severity.CRITICAL,
            "CRITICAL",
            ("CVE-2024-35195", "GHSA-9wx4-h78v-vm56"),
        ),
        (
            "ssc-8c9d0e1f-unreachable",
            "CVE-2024-6345 in setuptools",
            Severity.HIGH,
            "ERROR",
            ("CVE-2024-6345",),
        ),
    ]
    assert [f.location for f in sca] == [
        PackageLocation(
            name="flask",
            version="2.2.2",
            ecosystem="pypi",
            path="gateway/requirements.txt",
            fixed_versions=("2.3.2",),
            reachability="reachable",
            transitivity="direct",
        ),
        PackageLocation(
            name="requests",
            version="2.31.0",
            ecosystem="pypi",
            path="gateway/requirements.txt",
            fixed_versions=("2.32.0",),
            reachability="not analysed",
            transitivity="transitive",
        ),
        PackageLocation(
            name="setuptools",
            version="65.5.0",
            ecosystem="pypi",
            path="gateway/requirements.txt",
            fixed_versions=("70.0.0",),
            reachability="unreachable",
            transitivity="transitive",
        ),
    ]
    assert sca[0].solution == "Upgrade flask to 2.3.2"
    assert sca[0].cwes == (539,)


def test_semgrep_supply_chain_vulns_export() -> None:
    data = (SCANS / "semgrep" / "sca-deployments-vulns.json").read_bytes()
    assert detect(data, "v.json") is ScanFormat.SEMGREP
    result = parse(data, source="v.json")
    assert result.scope == ("example/rfv", "example/px37", "example/frontend")
    got = [
        (
            f.rule_id,
            f.title,
            f.severity,
            f.vulnerability_ids,
            f.cwes,
            f.suppressed,
            f.result_kind,
            f.location,
        )
        for f in result.results
    ]
    assert got[0] == (
        "ssc-82207871-bbda-49be-b1af-49fd927a2f93",
        "Reachable Assertion in grpc",
        Severity.HIGH,
        ("CVE-2023-1428", "GHSA-6628-q6j9-w8vg"),
        (617,),
        False,
        "new",
        PackageLocation(
            name="grpcio",
            version="1.47.0",
            ecosystem="pypi",
            path="example/rfv/requirements3.txt",
            fixed_versions=("1.53.0",),
            reachability="reachable",
            transitivity="direct",
        ),
    )
    assert got[1][7].transitivity == "transitive" and got[1][7].version == "1.51.3"
    assert got[2][:3] == (
        got[2][0],
        "Authorization Bypass Through User-Controlled Key in url-parse",
        Severity.CRITICAL,
    )
    assert got[2][7].ecosystem == "npm" and got[2][6] == "closed"
    assert got[0][0] == got[1][0] and result.results[0].fingerprint != result.results[1].fingerprint


def test_semgrep_findings_api_export() -> None:
    data = (SCANS / "semgrep" / "findings-api.json").read_bytes()
    assert detect(data, "f.json") is ScanFormat.SEMGREP
    result = parse(data, source="f.json")
    assert [
        (f.rule_id, f.title, f.severity, f.vulnerability_ids, f.cwes, f.suppressed, f.location)
        for f in result.results
    ] == [
        (
            "ssc-7f3e-moment",
            "CVE-2022-31129 in moment",
            Severity.HIGH,
            ("CVE-2022-31129",),
            (400, 1333),
            False,
            PackageLocation(
                name="moment",
                version="2.29.2",
                ecosystem="npm",
                path="meridian/gateway/ui/src/dates.ts",
                fixed_versions=("2.29.4",),
                reachability="reachable",
                transitivity="direct",
            ),
        ),
        (
            "ssc-2b1a-braces",
            "GHSA-grv7-fg5c-xmjg in braces",
            Severity.MEDIUM,
            ("GHSA-grv7-fg5c-xmjg",),
            (1050,),
            True,
            PackageLocation(
                name="braces",
                version="3.0.2",
                ecosystem="npm",
                path="meridian/gateway/ui/package-lock.json",
                fixed_versions=("3.0.3",),
                reachability="unreachable",
                transitivity="transitive",
            ),
        ),
    ]


def _osv_scanner(package: dict[str, str], record: dict[str, object], group: object) -> bytes:
    return json.dumps(
        {
            "results": [
                {
                    "source": {"path": "/src/repo", "type": "git"},
                    "packages": [
                        {"package": package, "vulnerabilities": [record], "groups": [group]}
                    ],
                }
            ]
        }
    ).encode()


def test_osv_scanner_git_commit_package_word_max_severity_and_bad_vector() -> None:
    record = {
        "id": "CVE-2023-50094",
        "affected": [
            {
                "ranges": [
                    {"type": "GIT", "repo": "https://github.com/yogeshojha/rengine", "events": []}
                ]
            }
        ],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:Q"}],
        "database_specific": {"severity": "HIGH"},
    }
    data = _osv_scanner(
        {"name": "", "version": "", "ecosystem": "", "commit": "f5f3c22f3ed5"},
        record,
        {"ids": ["CVE-2023-50094"], "max_severity": "HIGH"},
    )
    (finding,) = parse(data, source="o.json").results
    assert finding.location == PackageLocation(
        name="https://github.com/yogeshojha/rengine",
        version="f5f3c22f3ed5",
        ecosystem="",
        path="/src/repo",
    )
    assert (finding.severity, finding.raw_level) == (Severity.HIGH, "HIGH")


def test_trivy_and_grype_scores_that_are_no_numbers_are_passed_over() -> None:
    trivy = {
        "SchemaVersion": 2,
        "Results": [
            {
                "Target": "requirements.txt",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": "CVE-2024-1",
                        "PkgName": "a",
                        "InstalledVersion": "1",
                        "Severity": "UNKNOWN",
                        "CVSS": {"nvd": {"V3Score": "N/A", "V2Score": 5.0}},
                    }
                ],
            }
        ],
    }
    (t,) = parse(json.dumps(trivy).encode(), source="t.json").results
    assert (t.severity, t.score) == (Severity.MEDIUM, 5.0)
    grype = {
        "matches": [
            {
                "vulnerability": {
                    "id": "CVE-2024-2",
                    "severity": "Unknown",
                    "cvss": [
                        {"metrics": {"baseScore": "not scored"}},
                        {"metrics": {"baseScore": 8.1}},
                    ],
                },
                "artifact": {"name": "b", "version": "2"},
            }
        ],
        "descriptor": {"name": "grype"},
    }
    (g,) = parse(json.dumps(grype).encode(), source="g.json").results
    assert (g.severity, g.score) == (Severity.HIGH, 8.1)


def test_bandit_cwe_as_text_and_missing_severity() -> None:
    doc = {
        "results": [
            {
                "test_id": "B602",
                "filename": "a.py",
                "line_number": 3,
                "issue_cwe": {"id": "CWE-78"},
            }
        ],
        "metrics": {},
        "generated_at": "2024-01-01T00:00:00Z",
    }
    (finding,) = parse(json.dumps(doc).encode(), source="b.json").results
    assert (finding.cwes, finding.severity, finding.raw_level) == ((78,), Severity.INFO, None)
