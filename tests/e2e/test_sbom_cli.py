"""psirt sbom inspect | validate | quality | diff | support, on bundled and shared SBOMs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psirt.cli.main import main
from psirt.demo import data_dir
from tests.conftest import ASSETS, require_shared

DEMO_SBOM = data_dir() / "sbom"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_reports_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "sbom", "inspect", str(DEMO_SBOM / "infusion-pump-4.2.0.cdx.json"), "-f", "json"
    )
    assert code == 0
    assert json.loads(out) == {
        "format": "cyclonedx",
        "spec_version": "1.4",
        "serialization": "json",
        "components": 55,
        "with_purl": 55,
        "with_cpe": 55,
        "dependencies": 0,
    }


def test_inspect_spdx_counts_every_package(capsys: pytest.CaptureFixture[str]) -> None:
    path = require_shared(
        "sbom", "spdx", "spdx-spec-examples-2.3", "SPDXJSONExample-v2.3.spdx.json"
    )
    code, out, _ = run(capsys, "sbom", "inspect", str(path), "-f", "json")
    value = json.loads(out)
    assert code == 0
    assert value["format"] == "spdx" and value["spec_version"] == "2.3"
    assert value["components"] == 4


def test_validate_verdicts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "sbom", "validate", str(DEMO_SBOM / "fleet-manager-2.0.0.cdx.json"))
    assert code == 0 and "valid" in out
    bad = tmp_path / "bad.cdx.json"
    bad.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "components": [{"type": "not-a-type", "name": "x"}],
            }
        )
    )
    code, out, err = run(capsys, "sbom", "validate", str(bad), "-f", "json")
    assert code == 2
    value = json.loads(out)
    assert value["valid"] is False
    assert any(e["location"].startswith("/components/0") for e in value["errors"])


def test_truncated_sbom_names_line_and_column(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sbom", "inspect", str(ASSETS / "cli" / "truncated.cdx.json"))
    assert code == 2
    assert "truncated.cdx.json: line 6, column 1" in err


def test_quality_scores_support_data_and_psirt_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "sbom",
        "quality",
        str(DEMO_SBOM / "patient-monitor-fw-7.4.2.cdx.json"),
        "-f",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["missing"] == {"end_of_support": 7}
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'q.db'}")
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "product", "add", "PM-8")[0] == 0
    assert run(capsys, "release", "add", "7.4.2", "-p", "PM-8")[0] == 0
    assert (
        run(
            capsys,
            "sbom",
            "import",
            str(DEMO_SBOM / "patient-monitor-fw-7.4.2.cdx.json"),
            "-p",
            "PM-8",
            "-r",
            "7.4.2",
        )[0]
        == 0
    )
    code, _, _ = run(
        capsys,
        "sbom",
        "support",
        "libwebp",
        "-p",
        "PM-8",
        "-r",
        "7.4.2",
        "--support-end",
        "2028-06-30",
    )
    assert code == 0
    code, out, _ = run(capsys, "sbom", "quality", "-p", "PM-8", "-r", "7.4.2", "-f", "json")
    report = json.loads(out)
    assert report["missing"] == {"end_of_support": 6}
    row = next(r for r in report["components"] if r["name"] == "libwebp")
    assert row["end_of_support"] == "2028-06-30"
    # A new SBOM version of the release keeps what was set in psirt.
    assert run(capsys, "release", "add", "7.4.3", "-p", "PM-8")[0] == 0
    assert (
        run(
            capsys,
            "sbom",
            "import",
            str(DEMO_SBOM / "patient-monitor-fw-7.4.2.cdx.json"),
            "-p",
            "PM-8",
            "-r",
            "7.4.3",
        )[0]
        == 0
    )
    code, out, _ = run(capsys, "sbom", "quality", "-p", "PM-8", "-r", "7.4.3", "-f", "json")
    assert json.loads(out)["missing"] == {"end_of_support": 6}


def test_diff_files_and_releases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = DEMO_SBOM / "clinical-gateway-3.1.0.cdx.json"
    new = DEMO_SBOM / "clinical-gateway-3.2.0.cdx.json"
    code, out, _ = run(capsys, "sbom", "diff", str(old), str(new), "-f", "json")
    assert code == 0
    value = json.loads(out)
    assert (value["added"], value["removed"], value["upgraded"], value["unchanged"]) == (
        0,
        0,
        12,
        3,
    )
    django = next(c for c in value["changes"] if c["name"] == "django")
    assert (django["change"], django["before"], django["after"]) == ("upgraded", "3.2.10", "4.2.16")
    code, out, _ = run(capsys, "sbom", "diff", str(new), str(old), "-f", "json")
    assert json.loads(out)["downgraded"] == 12
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'd.db'}")
    run(capsys, "init")
    run(capsys, "product", "add", "GW")
    for version, path in (("3.1.0", old), ("3.2.0", new)):
        run(capsys, "release", "add", version, "-p", "GW")
        assert run(capsys, "sbom", "import", str(path), "-p", "GW", "-r", version)[0] == 0
    code, out, _ = run(capsys, "sbom", "diff", "3.1.0", "3.2.0", "-p", "GW", "-f", "json")
    assert code == 0 and json.loads(out)["upgraded"] == 12
