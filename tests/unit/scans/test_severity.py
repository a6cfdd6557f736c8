"""One severity table, used by every format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from psirt.domain.scan import ScanFormat, Severity
from psirt.ingest.scans import PARSERS, severity
from psirt.ingest.scans.severity import Scale, classify, from_score, resolve
from tests.conftest import ASSETS, SHARED_DATA

S = SHARED_DATA / "scanners"
P = ASSETS / "scans" / "pentest"

SAMPLES: dict[ScanFormat, tuple[Path, Scale]] = {
    ScanFormat.SARIF: (
        S / "sarif" / "sarif-tutorials" / "DefaultRuleConfiguration.sarif",
        Scale.SARIF_LEVEL,
    ),
    ScanFormat.BANDIT: (S / "defectdojo" / "bandit" / "dd.json", Scale.BANDIT),
    ScanFormat.SEMGREP: (S / "defectdojo" / "semgrep" / "many_findings.json", Scale.SEMGREP),
    ScanFormat.ZAP_JSON: (
        S / "zap-json" / "zap-extensions-reports" / "basic-traditional-json.json",
        Scale.ZAP_RISK,
    ),
    ScanFormat.ZAP_XML: (S / "defectdojo" / "zap" / "juicy2.xml", Scale.ZAP_RISK),
    ScanFormat.TRIVY: (S / "defectdojo" / "trivy" / "all_statuses.json", Scale.VENDOR),
    ScanFormat.GRYPE: (S / "defectdojo" / "anchore_grype" / "fix_not_available.json", Scale.VENDOR),
    ScanFormat.OSV_SCANNER: (S / "defectdojo" / "osv_scanner" / "some_findings.json", Scale.VENDOR),
    ScanFormat.PENTEST_JSON: (P / "many.json", Scale.VENDOR),
    ScanFormat.PENTEST_CSV: (P / "many.csv", Scale.VENDOR),
}


def test_every_format_has_a_sample() -> None:
    assert set(SAMPLES) == set(ScanFormat)


@pytest.mark.parametrize("fmt", list(ScanFormat), ids=str)
def test_every_format_maps_severity_through_the_table(
    fmt: ScanFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, scale = SAMPLES[fmt]
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    calls: list[tuple[Scale, Any]] = []
    real = severity.classify

    def spy(s: Scale, value: str | float | None) -> Severity | None:
        calls.append((s, value))
        return real(s, value)

    monkeypatch.setattr(severity, "classify", spy)
    result = PARSERS[fmt](path.read_bytes(), source=path.name)
    assert result.results
    assert any(s is scale for s, _ in calls)
    # every finding's severity is one the table (or the CVSS bands) produced
    produced = {real(s, v) for s, v in calls} - {None}
    assert {f.severity for f in result.results} <= produced | {Severity.INFO}


@pytest.mark.parametrize(
    ("scale", "value", "expected"),
    [
        (Scale.SARIF_LEVEL, "error", Severity.HIGH),
        (Scale.SARIF_LEVEL, "note", Severity.LOW),
        (Scale.SARIF_LEVEL, "none", Severity.INFO),
        (Scale.BANDIT, "MEDIUM", Severity.MEDIUM),
        (Scale.SEMGREP, "ERROR", Severity.HIGH),
        (Scale.SEMGREP, "INFO", Severity.LOW),
        (Scale.ZAP_RISK, "3", Severity.HIGH),
        (Scale.ZAP_RISK, "0", Severity.INFO),
        (Scale.ZAP_RISK, "Informational", Severity.INFO),
        (Scale.VENDOR, "CRITICAL", Severity.CRITICAL),
        (Scale.VENDOR, "Negligible", Severity.INFO),
        (Scale.VENDOR, "MODERATE", Severity.MEDIUM),
        (Scale.VENDOR, "UNKNOWN", None),
        (Scale.CVSS_SCORE, 9.0, Severity.CRITICAL),
        (Scale.CVSS_SCORE, 8.9, Severity.HIGH),
        (Scale.CVSS_SCORE, "4.0", Severity.MEDIUM),
        (Scale.CVSS_SCORE, 3.9, Severity.LOW),
        (Scale.CVSS_SCORE, 0.1, Severity.LOW),
        (Scale.CVSS_SCORE, 0.0, Severity.INFO),
        (Scale.CVSS_SCORE, 10.5, None),
        (Scale.CVSS_SCORE, "high", None),
    ],
)
def test_table(scale: Scale, value: Any, expected: Severity | None) -> None:
    assert classify(scale, value) is expected


def test_unknown_falls_back_to_score_then_default() -> None:
    assert resolve(Scale.VENDOR, "UNKNOWN", score=7.5) is Severity.HIGH
    assert resolve(Scale.VENDOR, "UNKNOWN") is Severity.INFO
    assert from_score(float("nan")) is None


def test_rank_orders_severities() -> None:
    ranks = [s.rank for s in Severity]
    assert ranks == sorted(ranks, reverse=True) == [4, 3, 2, 1, 0]
