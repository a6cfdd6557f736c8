"""The psirt command end to end, on a throw-away SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from psirt.cli.main import main
from tests.conftest import ASSETS

CLI = ASSETS / "cli"
TABLES = (
    "products",
    "releases",
    "sbom_documents",
    "components",
    "advisories",
    "findings",
    "audit_events",
    "feed_snapshots",
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("PSIRT_USER", "alice")
    assert main(["init"]) == 0
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        result = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return result


def _portfolio(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "product", "add", "Gateway")[0] == 0
    assert run(capsys, "release", "add", "1.0", "-p", "Gateway", "--status", "fielded")[0] == 0
    code, out, _ = run(
        capsys, "sbom", "import", str(CLI / "gateway.cdx.json"), "-p", "Gateway", "-r", "1.0"
    )
    assert code == 0, out
    assert "2 components imported" in out


def test_import_scan_and_list(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _portfolio(capsys)
    code, out, _ = run(capsys, "feed", "import", str(CLI / "PYSEC-2019-79.json"), "-f", "json")
    assert code == 0
    summary = json.loads(out)
    assert summary["imported"] == 1
    assert summary["rematch"]["new_findings"] == 1
    assert summary["rematch"]["events"] == 1  # a fielded release became affected
    code, out, _ = run(capsys, "findings", "list", "-f", "json")
    assert code == 0
    findings = json.loads(out)
    assert [(f["component"], f["version"], f["advisory_id"]) for f in findings] == [
        ("django", "2.2.0", "CVE-2019-12308")
    ]
    assert findings[0]["aliases"] == ["CVE-2019-12308", "GHSA-7rp2-fm2h-wchj", "PYSEC-2019-79"]
    assert findings[0]["fixed_versions"] == ["1.11.21", "2.1.9", "2.2.2"]
    # Re-importing the same SBOM changes nothing; a re-scan keeps the finding.
    code, out, _ = run(
        capsys, "sbom", "import", str(CLI / "gateway.cdx.json"), "-p", "Gateway", "-r", "1.0"
    )
    assert "nothing changed" in out
    code, out, _ = run(capsys, "scan", "-p", "Gateway", "-r", "1.0", "-f", "json")
    assert json.loads(out)[0]["unchanged"] == 1
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "chain intact" in out


def test_match_is_stateless_and_exits_1_on_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "match",
        str(CLI / "gateway.cdx.json"),
        "--advisories",
        str(CLI / "PYSEC-2019-79.json"),
        "-f",
        "json",
    )
    assert code == 1
    value = json.loads(out)
    assert value["components"] == 2
    assert [(f["purl"], f["advisory_id"]) for f in value["findings"]] == [
        ("pkg:pypi/django@2.2.0", "CVE-2019-12308")
    ]
    assert set(value["findings"][0]) == {
        "purl",
        "name",
        "version",
        "ecosystem",
        "advisory_id",
        "aliases",
        "fixed_versions",
        "severity",
        "kev",
        "kev_ids",
        "epss",
    }


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("truncated.cdx.json", "truncated.cdx.json: line "),
        ("wrong-type.cdx.json", "wrong-type.cdx.json: components[0].purl"),
    ],
)
def test_malformed_sbom_exits_2_and_writes_nothing(
    db: str, capsys: pytest.CaptureFixture[str], asset: str, message: str
) -> None:
    _portfolio(capsys)
    before = counts(db)
    code, out, err = run(capsys, "sbom", "import", str(CLI / asset), "-p", "Gateway", "-r", "1.0")
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert counts(db) == before


def test_malformed_feed_file_exits_2_and_writes_nothing(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _portfolio(capsys)
    before = counts(db)
    bad = tmp_path / "broken.json"
    bad.write_text('{"id": "OSV-1", "affected": [')
    code, _, err = run(capsys, "feed", "import", str(CLI / "PYSEC-2019-79.json"), str(bad))
    assert code == 2
    assert str(bad) in err and "line 1" in err
    assert counts(db) == before


def test_audit_verify_catches_direct_sql_edit(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _portfolio(capsys)
    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE products SET name = 'Renamed' WHERE name = 'Gateway'"))
    engine.dispose()
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1
    assert "audit chain broken at event 1 (product 1)" in err


def test_user_mistakes_exit_2_without_traceback(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "release", "add", "1.0", "-p", "Nope")
    assert code == 2 and "product 'Nope' does not exist" in err
    code, _, err = run(capsys, "sbom", "import", "/nonexistent.json", "-p", "x", "-r", "1")
    assert code == 2 and "/nonexistent.json" in err
    code, _, err = run(capsys, "findings", "list", "--format", "yaml")
    assert code == 2


def test_uninitialised_database_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    code, _, err = run(capsys, "product", "list")
    assert code == 2 and "psirt init" in err


def test_demo_runs_on_bundled_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # psirt demo, like psirt init, creates its database and the folders it lives in
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'demo' / 'demo.db'}")
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "CVE-2023-4863" in out  # libwebp in the patient monitor, KEV-listed
    assert "chain intact" in out
    code, out, _ = run(capsys, "findings", "list", "--kev", "-f", "json")
    kev = {(f["product"], f["component"]) for f in json.loads(out)}
    assert ("Patient Monitor PM-8", "libwebp") in kev
    assert ("Imaging Workstation", "glibc") in kev
    code, out, _ = run(capsys, "issue", "list", "-f", "json")
    listed = json.loads(out)
    assert [(i["state"], i["kev"]) for i in listed] == [("REMEDIATION", True)]
    code, out, _ = run(capsys, "activities", "due", "-p", "Clinical Data Gateway", "-f", "json")
    due = {(d["type"], d["release"]) for d in json.loads(out)}
    assert {("dast", "3.2.0"), ("penetration_test", "3.2.0")} <= due  # the FHIR API is new
    code, out, _ = run(capsys, "scans", "findings", "-p", "Clinical Data Gateway", "-f", "json")
    dispositions = [f["disposition"] for f in json.loads(out) if f["disposition"]]
    assert [d["kind"] for d in dispositions] == ["false_positive"]
    # Running the demo again changes nothing.
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "loaded 0 products, 0 releases, 0 SBOMs" in out


def test_a_recorded_threat_model_review_is_no_longer_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    assert run(capsys, "demo")[0] == 0

    def due() -> set[tuple[str, str]]:
        _, out, _ = run(capsys, "activities", "due", "-p", "Clinical Data Gateway", "-f", "json")
        return {(d["type"], d["release"]) for d in json.loads(out)}

    assert ("threat_model_review", "3.2.0") in due()
    code, out, _ = run(
        capsys, "activities", "record", "--type", "threat_model_review",
        "-p", "Clinical Data Gateway", "-r", "3.2.0", "--method", "STRIDE workshop",
        "--performer", "external assessor", "--independent", "--started", "2026-11-20",
        "--ended", "2026-11-21", "--scope", "FHIR facade", "--scope", "OAuth client",
        "--outcome", "two new threats, both mitigated by design", "-f", "json",
    )  # fmt: skip
    assert code == 0
    activity = json.loads(out)["activity"]
    assert ("threat_model_review", "3.2.0") not in due()
    _, out, _ = run(capsys, "activities", "list", "-p", "Clinical Data Gateway", "-f", "json")
    row = next(a for a in json.loads(out) if a["id"] == activity)
    assert (row["type"], row["performer"], row["independent"]) == (
        "threat_model_review", "external assessor", True
    )  # fmt: skip
    code, _, err = run(
        capsys, "activities", "record", "--type", "code_review", "-p", "Clinical Data Gateway",
        "--started", "2026-11-22", "--ended", "2026-11-21",
    )  # fmt: skip
    assert code == 2 and "before it starts" in err


def test_a_new_sbom_neither_deletes_nor_renames_findings(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """import, scan, issue new --from-finding 1, import another SBOM, scan: finding 1 still
    names the same vulnerability and component, retracted, and still belongs to issue 1."""
    _portfolio(capsys)
    assert run(capsys, "feed", "import", str(CLI / "PYSEC-2019-79.json"))[0] == 0
    code, out, _ = run(capsys, "issue", "new", "--from-finding", "1")
    assert code == 0, out
    bom = json.loads((CLI / "gateway.cdx.json").read_text())
    bom["components"][0]["version"] = "2.2.1"
    bom["components"][0]["purl"] = "pkg:pypi/django@2.2.1"
    second = tmp_path / "gateway-1.0.1.cdx.json"
    second.write_text(json.dumps(bom))
    code, out, _ = run(capsys, "sbom", "import", str(second), "-p", "Gateway", "-r", "1.0")
    assert code == 0
    assert "findings of the replaced SBOM: 0 kept, 1 retracted" in out
    code, out, _ = run(capsys, "scan", "-p", "Gateway", "-r", "1.0", "-f", "json")
    assert (json.loads(out)[0]["new"], json.loads(out)[0]["retracted"]) == (1, 0)
    code, out, _ = run(capsys, "findings", "list", "--all", "-f", "json")
    by_id = {f["id"]: f for f in json.loads(out)}
    assert set(by_id) == {1, 2}
    assert (by_id[1]["advisory_id"], by_id[1]["version"], by_id[1]["status"]) == (
        "CVE-2019-12308",
        "2.2.0",
        "retracted",
    )
    assert (by_id[1]["retracted_reason"], by_id[1]["issue"]) == (
        "component removed from the SBOM",
        1,
    )
    assert (by_id[2]["version"], by_id[2]["status"], by_id[2]["issue"]) == ("2.2.1", "active", None)
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0, out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "kev.json",
            json.dumps(
                {
                    "catalogVersion": "2025.01.01",
                    "vulnerabilities": [
                        {"cveID": "heartbleed", "dateAdded": "2022-05-04"},
                        {"cveID": "CVE-2021-44228", "dateAdded": "12/10/2021"},
                    ],
                }
            ),
            "kev.json: every record is invalid (2 skipped), nothing to import; "
            "first: {path}: heartbleed: vulnerabilities[0].cveID: not a CVE id: 'heartbleed'",
        ),
        (
            "osv.json",
            json.dumps([{"id": "OSV-1", "affected": "x"}, {"summary": "no id"}]),
            "osv.json: every record is invalid (2 skipped), nothing to import; "
            "first: {path}: OSV-1: [0].affected: expected an array, got a string",
        ),
        (
            "epss.csv",
            "cve,epss,percentile\n",
            "epss.csv: no feed records in it; nothing to import",
        ),
    ],
)
def test_feed_without_one_valid_record_exits_2_and_records_nothing(
    db: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: str,
    message: str,
) -> None:
    _portfolio(capsys)
    before = counts(db)
    bad = tmp_path / name
    bad.write_text(content)
    code, _, err = run(capsys, "feed", "import", str(CLI / "PYSEC-2019-79.json"), str(bad))
    assert code == 2
    assert f"psirt: {tmp_path}/{message.format(path=bad)}" in err
    assert counts(db) == before


def test_archive_without_one_valid_member_exits_2(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import zipfile

    before = counts(db)
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a/OSV-1.json", '{"id": "OSV-1", "affected": [')
        zf.writestr("a/OSV-2.json", '{"summary": "no id"}')
    code, _, err = run(capsys, "feed", "import", str(archive))
    assert code == 2
    assert f"{archive}: every record is invalid (2 skipped)" in err
    assert counts(db) == before


def test_feed_with_some_valid_records_imports_them_and_reports_the_rest(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mixed = tmp_path / "kev.json"
    mixed.write_text(
        json.dumps(
            {
                "catalogVersion": "2025.01.01",
                "vulnerabilities": [
                    {"cveID": "heartbleed", "dateAdded": "2022-05-04"},
                    {"cveID": "CVE-2014-0160", "dateAdded": "2022-05-04"},
                ],
            }
        )
    )
    code, out, _ = run(capsys, "feed", "import", str(mixed), "-f", "json")
    assert code == 0
    value = json.loads(out)
    assert value["kev"] == 1 and value["skipped"] == 1
    assert value["problems"] == [
        f"{mixed}: heartbleed: vulnerabilities[0].cveID: not a CVE id: 'heartbleed'"
    ]
    assert counts(db)["feed_snapshots"] == 1
