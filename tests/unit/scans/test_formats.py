"""Contents of parsed reports: ids, severities, locations, messages."""

from __future__ import annotations

import datetime as dt

import pytest

from psirt.domain.scan import (
    CodeLocation,
    PackageLocation,
    ScanFormat,
    ScanKind,
    Severity,
    WebLocation,
)
from psirt.ingest.scans import PARSERS, detect, parse
from tests.conftest import ASSETS, require_shared

SCANS = ASSETS / "scans"


def _shared(*parts: str) -> tuple[bytes, str]:
    path = require_shared("scanners", *parts)
    return path.read_bytes(), path.name


def test_every_format_is_registered() -> None:
    assert set(PARSERS) == set(ScanFormat)


def test_sarif_rules_in_extensions_message_ids_and_security_severity() -> None:
    data = (SCANS / "sarif" / "extensions.sarif").read_bytes()
    result = parse(data, source="extensions.sarif")
    assert result.tool == "CodeQL" and result.tool_version == "2.15.0"
    assert result.started == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert result.ended == dt.datetime(2024, 1, 2, 3, 9, 5, 123456, tzinfo=dt.UTC)
    assert result.target == "nightly/cpp/2024-01-02"
    overflow, unused, passed = result.results
    assert overflow.rule_id == "cpp/overflow"
    assert overflow.title == "Buffer overflow"
    assert overflow.message == "Write of 16 bytes into buf."
    assert overflow.raw_level == "error" and overflow.score == 9.3
    assert overflow.severity is Severity.CRITICAL  # security-severity wins over level
    assert overflow.cwes == (120, 787) and overflow.confidence == "high"
    assert overflow.location == CodeLocation(
        path="src/pump/dose.c",
        start_line=42,
        start_column=5,
        end_line=42,
        end_column=30,
        snippet="memcpy(buf, in, len);",
        uri_base_id="%SRCROOT%",
    )
    assert overflow.partial_fingerprints == (("primaryLocationLineHash", "deadbeef:1"),)
    # hierarchical id resolved through index; level from the rule default; CWE relationship
    assert unused.rule_id == "cpp/unused/sub"
    assert unused.raw_level == "none" and unused.severity is Severity.INFO
    assert unused.cwes == (561,)
    assert isinstance(unused.location, CodeLocation)
    assert unused.location.path == "src/pump/rate.c" and unused.location.start_line == 7
    # kind "pass" without level: level "none" (3.27.10), driver rule by ruleIndex
    assert passed.rule_id == "drv/only" and passed.result_kind == "pass"
    assert passed.raw_level == "none"


def test_sarif_tutorial_messages_and_default_levels() -> None:
    data, name = _shared(
        "sarif", "sarif-tutorials", "3-Beyond-basics", "message-with-arguments.sarif"
    )
    (finding,) = parse(data, source=name).results
    assert finding.message == "Variable 'x' was used without being initialized."
    data, name = _shared("sarif", "sarif-tutorials", "DefaultRuleConfiguration.sarif")
    levels = [(f.rule_id, f.raw_level, f.severity) for f in parse(data, source=name).results]
    assert levels == [("TUT1001", "error", Severity.HIGH), ("TUT1002", "warning", Severity.MEDIUM)]
    data, name = _shared("sarif", "sarif-tutorials", "OriginalUriBaseIds.sarif")
    locs = [f.location for f in parse(data, source=name).results]
    assert [(loc.path, loc.uri_base_id) for loc in locs if isinstance(loc, CodeLocation)][:2] == [
        ("README.md", "REPOROOT"),
        ("io/kb.c", "SRCROOT"),
    ]


def test_sarif_suppression_statuses() -> None:
    data, name = _shared("sarif", "sarif-tutorials", "Suppressions.sarif")
    flags = [f.suppressed for f in parse(data, source=name).results]
    # none; inSource; external; rejected; accepted; underReview; accepted+rejected;
    # default+rejected; underReview+rejected
    assert flags == [False, True, True, False, True, False, False, False, False]


def test_sarif_2_0_0_spec_example() -> None:
    data, name = _shared("sarif", "sarif-sdk", "SpecExamples", "Comprehensive.sarif")
    result = parse(data, source=name)
    assert result.format_version == "2.0.0" and result.tool == "CodeScanner"
    (f,) = result.results
    assert f.rule_id == "C2001"
    assert f.title == "A variable was used without being initialized."
    assert f.suppressed  # suppressionStates: suppressedExternally
    assert isinstance(f.location, CodeLocation) and f.location.start_line == 15
    assert f.location.path == "file:///home/buildAgent/src/collections/list.h"


def test_sarif_codeql_and_multi_run() -> None:
    data, name = _shared("defectdojo", "sarif", "codeQL-output.sarif")
    result = parse(data, source=name)
    first = result.results[0]
    assert (first.rule_id, first.title, first.cwes) == ("py/empty-except", "Empty except", (390,))
    assert first.location == CodeLocation(
        path="good/db_init.py",
        start_line=39,
        start_column=5,
        end_line=39,
        end_column=30,
        snippet=first.location.snippet if isinstance(first.location, CodeLocation) else None,
        uri_base_id="%SRCROOT%",
    )
    assert len({f.fingerprint for f in result.results}) == len(result.results)
    data, name = _shared("defectdojo", "sarif", "appendix_k1_double.sarif")
    two = parse(data, source=name)
    assert two.runs == 2 and two.tool == "CodeScanner, OtherScanner"


def test_zap_json_and_xml_of_the_same_alerts_agree() -> None:
    base = ("zap-json", "zap-extensions-reports")
    results = []
    for name in (
        "basic-traditional-json.json",
        "basic-traditional-xml.xml",
        "basic-traditional-json-plus.json",
        "basic-traditional-xml-plus.xml",
    ):
        data, source = _shared(*base, name)
        results.append(parse(data, source=source))
    assert [r.format for r in results] == [
        ScanFormat.ZAP_JSON,
        ScanFormat.ZAP_XML,
        ScanFormat.ZAP_JSON,
        ScanFormat.ZAP_XML,
    ]
    (xss,) = results[0].results
    assert (xss.rule_id, xss.title, xss.severity, xss.confidence) == (
        "1",
        "XSS",
        Severity.HIGH,
        "medium",
    )
    assert xss.cwes == (123,) and xss.vulnerability_ids == ("WASC-456",)
    assert xss.message == "XSS Description" and xss.solution == "Test Solution"
    assert xss.location == WebLocation(url="http://example.com")
    assert xss.instances[0].url == "http://example.com/example_3"
    assert xss.instances[0].method == "GET" and xss.instances[0].parameter == "Test Param"
    assert xss.instances[0].evidence == "Test <p>Evidence"
    for other in results[1:]:
        assert [f.fingerprint for f in other.results] == [xss.fingerprint]
        assert other.results[0].instances == xss.instances


def test_zap_pre_2_8_alert_without_instances() -> None:
    result = parse((SCANS / "zap" / "pre-2.8.xml").read_bytes(), source="pre-2.8.xml")
    (alert,) = result.results
    assert alert.rule_id == "10038" and alert.severity is Severity.LOW
    assert alert.confidence == "high" and alert.cwes == (693,)
    assert alert.instances == (WebLocation(url="https://pump.example/login", method="GET"),)
    assert alert.references == ("https://a.example/csp", "https://b.example/csp")
    assert result.instances == 1 and result.tool_version == "2.7.0"


def test_zap_xml_with_more_sites_and_instances() -> None:
    data, name = _shared("defectdojo", "zap", "zap-results-first-scan.xml")
    result = parse(data, source=name)
    assert result.target == "http://bodgeit.securecodebox-demo.svc:8080"
    high = [f for f in result.results if f.severity is Severity.HIGH]
    assert len(high) == 4 and all(f.kind is ScanKind.DAST for f in result.results)


def test_bandit_contents() -> None:
    data, name = _shared("defectdojo", "bandit", "dd.json")
    result = parse(data, source=name)
    first = result.results[0]
    assert (first.rule_id, first.title, first.raw_level, first.confidence) == (
        "B303",
        "blacklist",
        "MEDIUM",
        "high",
    )
    assert first.location == CodeLocation(
        path="dojo/tools/acunetix/parser.py",
        start_line=39,
        end_line=39,
        snippet="dupe_key = hashlib.md5((acunetix_defectdojo_finding.title + "
        'acunetix_defectdojo_finding.description).encode("utf-8")).hexdigest()',
    )
    assert result.ended == dt.datetime(2021, 3, 30, 18, 23, 12, tzinfo=dt.UTC)


def test_semgrep_contents() -> None:
    data, name = _shared("defectdojo", "semgrep", "one_finding.json")
    (f,) = parse(data, source=name).results
    assert f.rule_id == "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle"
    assert f.severity is Severity.MEDIUM and f.cwes == (696,)
    assert isinstance(f.location, CodeLocation)
    assert (f.location.start_line, f.location.start_column, f.location.end_column) == (64, 4, 83)
    assert "DES/CBC/PKCS5Padding" in (f.location.snippet or "")


def test_semgrep_login_placeholder_is_not_a_snippet() -> None:
    data, name = _shared("defectdojo", "semgrep", "fingerprint_test.json")
    for f in parse(data, source=name).results:
        assert isinstance(f.location, CodeLocation)
        assert f.location.snippet != "requires login"


def test_trivy_vulnerabilities_misconfigurations_secrets() -> None:
    data, name = _shared("defectdojo", "trivy", "misconfigurations_and_secrets.json")
    result = parse(data, source=name)
    by_rule = {f.rule_id: f for f in result.results}
    vuln = by_rule["CVE-2021-33503"]
    assert vuln.kind is ScanKind.SCA and vuln.severity is Severity.HIGH and vuln.score == 7.5
    assert vuln.location == PackageLocation(
        name="urllib3", version="1.26.3", path="requirements.txt", fixed_versions=("1.26.5",)
    )
    assert vuln.cwes == (400,)
    misconf = by_rule["DS002"]
    assert misconf.severity is Severity.HIGH
    assert isinstance(misconf.location, CodeLocation) and misconf.location.path == "Dockerfile"
    secrets = [f for f in result.results if f.rule_id == "github-pat"]
    assert [f.severity for f in secrets] == [Severity.CRITICAL, Severity.CRITICAL]
    assert [f.location.start_line for f in secrets if isinstance(f.location, CodeLocation)] == [
        24,
        1,
    ]


def test_trivy_kubernetes_resources_name_their_workload() -> None:
    data, name = _shared("defectdojo", "trivy", "kubernetes_fabricated_subset.json")
    result = parse(data, source=name)
    assert result.target == "arn:aws:eks:us-east-1:576036489467:cluster/monitoring-test-cluster"
    paths = {f.location.path for f in result.results if isinstance(f.location, PackageLocation)}
    assert any(p and p.startswith("default/Deployment/redis-follower: ") for p in paths)


def test_grype_contents() -> None:
    data, name = _shared("defectdojo", "anchore_grype", "check_all_fields.json")
    result = parse(data, source=name)
    assert (result.tool, result.tool_version, result.target) == (
        "grype",
        "0.28.0",
        "vulnerable-image:latest",
    )
    negligible = result.results[0]
    assert negligible.rule_id == "CVE-2004-0971" and negligible.raw_level == "Negligible"
    assert negligible.severity is Severity.INFO
    redis = result.results[1]
    assert redis.severity is Severity.HIGH and redis.score == 8.8
    assert redis.location == PackageLocation(
        name="redis",
        version="4.0.2",
        purl="pkg:pypi/redis@4.0.2",
        ecosystem="python",
        path="/usr/local/lib/python3.8/site-packages/redis-4.0.2.dist-info/METADATA",
        fixed_versions=("fix_1", "fix_2"),
    )


def test_osv_scanner_contents() -> None:
    data, name = _shared("defectdojo", "osv_scanner", "some_findings.json")
    result = parse(data, source=name)
    (f,) = result.results
    assert f.vulnerability_ids == ("MAL-2023-1035", "GHSA-8348-2q94-ffjx")
    assert f.severity is Severity.CRITICAL and f.cwes == (506,)
    assert f.location == PackageLocation(
        name="flot-axis", version="0.0.0", ecosystem="npm", path="/tmp/components/yarn.lock"
    )


def test_pentest_json_template() -> None:
    result = parse((SCANS / "pentest" / "many.json").read_bytes(), source="many.json")
    assert result.format is ScanFormat.PENTEST_JSON
    assert result.target == "https://infusion-pump.example/api"
    assert result.ended == dt.datetime(2024, 5, 10, 15, 30, tzinfo=dt.UTC)
    xss, password, openssl = result.results
    assert xss.severity is Severity.HIGH and xss.cwes == (79,) and xss.score == 7.4
    assert xss.location == WebLocation(
        url="https://infusion-pump.example/api/dose?q=abc&session=123",
        method="GET",
        parameter="q",
        evidence="<script>alert(1)</script>",
    )
    assert password.severity is Severity.CRITICAL  # from cvss_score 9.1
    assert password.cwes == (259, 798)
    assert password.location == CodeLocation(
        path="firmware/etc/service.conf", start_line=12, end_line=12
    )
    assert openssl.vulnerability_ids == ("CVE-2021-3711", "CVE-2021-3712")
    assert openssl.suppressed and openssl.severity is Severity.MEDIUM


def test_pentest_csv_template() -> None:
    data = (SCANS / "pentest" / "many.csv").read_bytes()
    assert detect(data, "many.csv") is ScanFormat.PENTEST_CSV
    hsts, sqli, zlib = parse(data, source="many.csv").results
    assert hsts.severity is Severity.LOW and hsts.references == ("https://owasp.org/hsts",)
    assert sqli.severity is Severity.CRITICAL and sqli.cwes == (89, 564)
    assert sqli.message == 'Time-based blind, "id" parameter'
    assert isinstance(sqli.location, WebLocation) and sqli.location.parameter == "id"
    assert zlib.severity is Severity.HIGH and zlib.suppressed
    assert zlib.location == PackageLocation(
        name="zlib", version="1.2.11", purl="pkg:generic/zlib@1.2.11"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "invalid-severity.csv",
            "invalid-severity.csv: line 2.severity: unknown severity: 'urgent'",
        ),
        (
            "invalid-missing-column.csv",
            "invalid-missing-column.csv: line 1: missing columns: severity",
        ),
        ("invalid-empty-id.csv", "invalid-empty-id.csv: line 2.id: missing finding id"),
        (
            "invalid-score-out-of-range.json",
            "invalid-score-out-of-range.json: findings[1].cvss_score: "
            "not a CVSS score (0-10): 12.0",
        ),
        (
            "invalid-findings-not-array.json",
            "invalid-findings-not-array.json: findings: expected an array, got an object",
        ),
    ],
)
def test_pentest_invalid(name: str, message: str) -> None:
    from psirt.errors import InputError

    data = (SCANS / "pentest" / name).read_bytes()
    fmt = ScanFormat.PENTEST_CSV if name.endswith(".csv") else ScanFormat.PENTEST_JSON
    with pytest.raises(InputError) as info:
        PARSERS[fmt](data, source=name)
    assert str(info.value) == message
