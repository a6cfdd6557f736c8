"""Every scanner file under ../shared/data/scanners/ of a supported format parses, and its
counts equal the structural counts recorded in expected_counts.json and MANIFEST.json.

The parameters are built from those manifests, not from a hand-written list.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from psirt.domain.scan import ScanFormat, ScanResult
from psirt.errors import InputError, UnknownFormat
from psirt.ingest.scans import detect, inspect, parse, trivy
from tests.conftest import SHARED_DATA, require_shared

SCANNERS = SHARED_DATA / "scanners"


def _defectdojo_cases() -> list[Any]:
    path = SCANNERS / "defectdojo" / "expected_counts.json"
    if not path.exists():
        return [pytest.param(None, None, id="shared-data-missing")]
    doc = json.loads(path.read_text())
    return [
        pytest.param(f"defectdojo/{entry['file']}", entry["structural_counts"], id=entry["file"])
        for entry in doc["files"]
    ]


def _manifest_cases() -> list[Any]:
    path = SHARED_DATA / "MANIFEST.json"
    if not path.exists():
        return [pytest.param(None, None, id="shared-data-missing")]
    doc = json.loads(path.read_text())
    cases = []
    for item in doc["items"]:
        if not item["path"].startswith("scanners/") or "per_file" not in item:
            continue
        if item["id"] == "scanners-defectdojo":
            continue  # per-file counts are in expected_counts.json
        base = item["path"].removeprefix("scanners/")
        for name, counts in item["per_file"].items():
            cases.append(pytest.param(f"{base}{name}", counts, id=f"{item['id']}:{name}"))
    return cases


def _load(rel: str | None) -> tuple[str, bytes]:
    if rel is None:
        require_shared("scanners")
        raise AssertionError("unreachable")
    path = require_shared("scanners", *Path(rel).parts)
    return rel, path.read_bytes()


def _raw_levels(result: ScanResult) -> Counter[str]:
    return Counter(f.raw_level or "" for f in result.results)


@pytest.mark.parametrize(("rel", "counts"), _defectdojo_cases())
def test_defectdojo_structural_counts(rel: str | None, counts: dict[str, Any]) -> None:
    source, data = _load(rel)
    if counts.get("empty_file"):
        with pytest.raises(UnknownFormat, match="empty document"):
            detect(data, source)
        return
    keys = set(counts)
    if any(k.startswith("sarif_") for k in keys):
        result = parse(data, source=source)
        assert result.format is ScanFormat.SARIF
        assert len(result.results) == counts["sarif_results"]
        assert result.runs == counts["sarif_runs"]
        assert result.format_version == counts["sarif_version"]
        assert sum(f.suppressed for f in result.results) == counts["sarif_results_suppressed"]
        # levels the file states explicitly are kept as written
        stated = {k: v for k, v in counts["sarif_levels"].items() if k != "(absent)"}
        explicit = Counter(f.raw_level for f in result.results if f.raw_level in stated)
        for level, n in stated.items():
            assert explicit[level] >= n
    elif "bandit_results" in keys:
        result = parse(data, source=source)
        assert result.format is ScanFormat.BANDIT
        assert len(result.results) == counts["bandit_results"]
        assert _raw_levels(result) == Counter(counts["bandit_severity"])
    elif "semgrep_results" in keys:
        result = parse(data, source=source)
        assert result.format is ScanFormat.SEMGREP
        assert len(result.results) == counts["semgrep_results"]
        assert _raw_levels(result) == Counter(counts["semgrep_severity"])
    elif "zap_alertitems" in keys:
        summary = inspect(data, source)
        assert summary["format"] == "zap-xml"
        assert summary["results"] == counts["zap_alertitems"]
        assert summary["instances"] == counts["zap_instances"]
        assert _raw_levels(parse(data, source=source)) == Counter(counts["zap_riskcodes"])
    elif "grype_matches" in keys:
        summary = inspect(data, source)
        assert summary["format"] == "grype"
        assert summary["results"] == summary["instances"] == counts["grype_matches"]
    elif "osv_vulnerabilities" in keys:
        summary = inspect(data, source)
        assert summary["format"] == "osv-scanner"
        assert summary["results"] == counts["osv_vulnerabilities"]
    elif "trivy_results" in keys:
        _check_trivy(source, data, counts)
    else:
        # a format psirt does not read (CycloneDX, Snyk, npm audit ...): refused clearly
        with pytest.raises(InputError):
            detect(data, source)


def _check_trivy(source: str, data: bytes, counts: dict[str, Any]) -> None:
    doc = json.loads(data)
    total = sum(
        counts[k]
        for k in (
            "trivy_vulnerabilities",
            "trivy_misconfigurations",
            "trivy_secrets",
            "trivy_licenses",
        )
    )
    if doc is None:  # legacy Trivy writes `null` for "no results": not sniffable, but readable
        with pytest.raises(UnknownFormat):
            detect(data, source)
        assert trivy.parse(data, source=source).results == ()
        assert total == 0
        return
    result = parse(data, source=source)
    assert result.format is ScanFormat.TRIVY
    if isinstance(doc, dict) and "ClusterName" in doc:
        # Kubernetes reports nest results under resources; the structural count only
        # looked at top-level Results. Every finding names its resource.
        assert result.results
        assert all(
            ": " in (f.location.path or "")
            for f in result.results
            if f.location and hasattr(f.location, "path") and f.location.path
        )
        return
    assert len(result.results) == total


@pytest.mark.parametrize(("rel", "counts"), _manifest_cases())
def test_manifest_structural_counts(rel: str | None, counts: dict[str, Any]) -> None:
    source, data = _load(rel)
    if "parse_error" in counts:
        with pytest.raises(UnknownFormat):
            detect(data, source)
        return
    if "structural" in counts:  # ZAP JSON (secureCodeBox)
        s = counts["structural"]
        result = parse(data, source=source)
        assert result.format is ScanFormat.ZAP_JSON
        assert result.tool_version == s["zap_version"]
        assert len(result.scope) == s["sites"]
        assert inspect(data, source)["results"] == s["alerts"]
        assert inspect(data, source)["instances"] == s["instances"]
        assert _raw_levels(result) == Counter(s["riskcodes"])
        return
    result = parse(data, source=source)
    assert result.format is ScanFormat.SARIF
    assert result.format_version == counts["sarif_version"]
    assert result.runs == counts["runs"]
    assert len(result.results) == counts["results"]
    named = [t for t in counts["tools"] if t]
    for tool in named:
        assert tool in (result.tool or "")
    stated = {k: v for k, v in counts["levels"].items() if k != "(absent)"}
    for level, n in stated.items():
        assert sum(f.raw_level == level for f in result.results) >= n
    # a result counted as suppressed must have had suppressions
    assert sum(f.suppressed for f in result.results) <= max(
        counts["results_with_suppressions"], 1 if result.format_version == "2.0.0" else 0
    )


def test_secure_code_box_findings_match_alerts() -> None:
    """secureCodeBox kept one finding per ZAP alert with the same name and severity."""
    base = require_shared("scanners", "zap-json", "securecodebox", "demo-bodgeit-baseline-scan")
    result = parse((base / "zap-results.json").read_bytes(), source="zap-results.json")
    findings = json.loads((base / "findings.json").read_text())
    assert sorted(f["name"] for f in findings) == sorted(r.title for r in result.results)
    theirs = Counter(f["severity"].lower().replace("informational", "info") for f in findings)
    ours = Counter(r.severity.value for r in result.results)
    assert theirs == ours
