"""psirt advisories import|list|statements|confirm|reject|apply and the supplier column of
psirt findings list, end to end on a throw-away SQLite store; the audit chain verifies after
every command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from psirt.cli.main import main
from tests.conftest import ASSETS, require_shared

CLI = ASSETS / "cli"
ADV = ASSETS / "advisories"
TABLES = (
    "supplier_documents",
    "supplier_statements",
    "supplier_matches",
    "supplier_assessment_decisions",
    "audit_events",
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
    if args[:2] != ("audit", "verify"):
        verify = main(["audit", "verify"])
        chain, _ = capsys.readouterr()
        assert verify == 0, chain
    return code, out, err


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        result = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return result


def _openvex(version: int, status: str, **extra: str) -> dict[str, Any]:
    """A supplier's OpenVEX document about the gateway's Django (written for this test)."""
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.org/vex/gateway-django",
        "author": "Gateway Component Supplier",
        "timestamp": "2026-11-30T10:00:00Z",
        "version": version,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2019-12308", "aliases": ["GHSA-7rp2-fm2h-wchj"]},
                "products": [{"@id": "pkg:pypi/django@2.2.0"}],
                "status": status,
                **extra,
            }
        ],
    }


def _gateway_with_finding(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "product", "add", "Gateway")[0] == 0
    assert run(capsys, "release", "add", "1.0", "-p", "Gateway")[0] == 0
    assert (
        run(capsys, "sbom", "import", str(CLI / "gateway.cdx.json"), "-p", "Gateway", "-r", "1.0")[
            0
        ]
        == 0
    )
    assert run(capsys, "feed", "import", str(CLI / "PYSEC-2019-79.json"))[0] == 0


def _findings(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, "findings", "list", "-f", "json")
    assert code == 0
    return list(json.loads(out))


def test_not_affected_is_proposed_confirmed_and_superseded(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _gateway_with_finding(capsys)
    v1 = tmp_path / "django-vex-1.json"
    v1.write_text(
        json.dumps(
            _openvex(
                1,
                "not_affected",
                justification="vulnerable_code_not_in_execute_path",
                impact_statement="the admin site is not installed",
            )
        )
    )
    code, out, _ = run(capsys, "advisories", "import", str(v1), "-f", "json")
    assert code == 0
    (doc,) = json.loads(out)["documents"]
    assert (doc["format"], doc["statements"], doc["matches"], doc["proposed_not_affected"]) == (
        "openvex",
        1,
        1,
        1,
    )
    (finding,) = _findings(capsys)
    assert finding["advisory_id"] == "CVE-2019-12308"
    assert finding["supplier"] == ["not_affected (proposed)"]

    code, out, _ = run(
        capsys, "advisories", "statements", "-p", "Gateway", "-r", "1.0", "-f", "json"
    )
    (st,) = json.loads(out)
    assert (st["component"], st["vulnerability"], st["status"], st["justification"]) == (
        "django",
        "CVE-2019-12308",
        "not_affected",
        "vulnerable_code_not_in_execute_path",
    )
    assert st["impact"] == "the admin site is not installed"
    assert (st["assessment"], st["findings"], st["matched_by"]) == (
        "proposed",
        [finding["id"]],
        "purl",
    )

    # the same bytes again: nothing changes, not even the audit trail
    before = counts(db)
    code, out, _ = run(capsys, "advisories", "import", str(v1))
    assert code == 0 and "already imported" in out
    assert counts(db) == before

    code, out, _ = run(
        capsys,
        "advisories",
        "confirm",
        str(st["id"]),
        "--rationale",
        "django.contrib.admin is not in INSTALLED_APPS",
    )
    assert code == 0 and "confirmed by alice" in out
    assert _findings(capsys)[0]["supplier"] == ["not_affected (confirmed)"]
    code, _, err = run(capsys, "advisories", "reject", str(st["id"]), "--rationale", " ")
    assert code == 2 and "needs a rationale" in err

    # revision 2 of the same document says affected: it supersedes revision 1
    v2 = tmp_path / "django-vex-2.json"
    v2.write_text(json.dumps(_openvex(2, "affected", action_statement="update to 2.2.2")))
    code, out, _ = run(capsys, "advisories", "import", str(v2), "-f", "json")
    (doc2,) = json.loads(out)["documents"]
    assert doc2["supersedes"] == doc["document_id"]
    assert _findings(capsys)[0]["supplier"] == ["affected"]
    code, out, _ = run(capsys, "advisories", "list", "-f", "json")
    assert [(d["version"], d["current"]) for d in json.loads(out)] == [("1", False), ("2", True)]
    code, out, _ = run(
        capsys, "advisories", "statements", "-p", "Gateway", "-r", "1.0", "--all", "-f", "json"
    )
    rows = json.loads(out)
    assert [(r["status"], r["current"], r["assessment"], r["action"]) for r in rows] == [
        ("not_affected", False, "confirmed", None),  # kept, with its decision
        ("affected", True, None, "update to 2.2.2"),
    ]
    code, _, err = run(capsys, "advisories", "reject", str(rows[0]["id"]), "--rationale", "late")
    assert code == 2 and "superseded revision" in err
    code, _, err = run(capsys, "advisories", "confirm", str(rows[1]["id"]), "--rationale", "x")
    assert code == 2 and "only not-affected statements" in err

    # an older revision arriving late is kept as superseded and applied to nothing
    v0 = tmp_path / "django-vex-1-reissued.json"
    v0.write_text(json.dumps(_openvex(1, "under_investigation")))
    code, out, _ = run(capsys, "advisories", "import", str(v0), "-f", "json")
    (late,) = json.loads(out)["documents"]
    assert (late["superseded_by"], late["matches"]) == (doc2["document_id"], 0)
    assert _findings(capsys)[0]["supplier"] == ["affected"]


def test_bad_documents_exit_2_with_file_and_path_and_nothing_written(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = ADV / "openvex-go-vex-v0.2.0.json"
    bad_vex = tmp_path / "bad-status.json"
    doc = json.loads(good.read_text())
    doc["statements"][3]["status"] = "maybe"
    bad_vex.write_text(json.dumps(doc))
    before = counts(db)
    code, _, err = run(capsys, "advisories", "import", str(good), str(bad_vex))
    assert code == 2
    assert err.strip() == f"psirt: {bad_vex}: /statements/3/status: unknown status 'maybe'"
    assert counts(db) == before

    root = require_shared("advisories", "csaf", "cisa-icsma", "2020")
    csaf = json.loads((root / "icsma-20-023-01.json").read_text())
    del csaf["document"]["tracking"]["id"]
    bad_csaf = tmp_path / "no-tracking-id.json"
    bad_csaf.write_text(json.dumps(csaf))
    code, _, err = run(capsys, "advisories", "import", str(root), str(bad_csaf))
    assert code == 2
    assert err.startswith(f"psirt: {bad_csaf}: /document/tracking: JSON schema: 'id' is a required")
    csaf = json.loads((root / "icsma-20-023-01.json").read_text())
    csaf["vulnerabilities"][0]["product_status"]["fixed"] = ["CSAFPID-0001"]
    bad_csaf.write_text(json.dumps(csaf))
    code, _, err = run(capsys, "advisories", "import", str(bad_csaf))
    assert code == 2
    assert err.startswith(
        f"psirt: {bad_csaf}: /vulnerabilities/0/product_status/known_affected/0: CSAF test 6.1.6:"
    )
    code, _, err = run(capsys, "advisories", "import", str(CLI / "gateway.cdx.json"))
    assert code == 2
    assert err.strip() == (
        f"psirt: {CLI / 'gateway.cdx.json'}: /vulnerabilities: a CycloneDX BOM without "
        "vulnerabilities is no VEX (import an SBOM with 'psirt sbom import')"
    )
    assert counts(db) == before


def test_directories_of_real_documents(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = require_shared("advisories")
    code, out, err = run(
        capsys,
        "advisories",
        "import",
        str(root / "cyclonedx-vex"),
        str(root / "openvex"),
        "-f",
        "json",
    )
    assert code == 0, err
    value = json.loads(out)
    # the SBOMs beside the VEX documents and the OpenVEX schema are no supplier documents
    assert {Path(s["file"]).name for s in value["skipped"]} == {
        "bom.json",
        "bom-1.json",
        "bom-2.json",
        "bom-3.json",
        "openvex_json_schema.json",
    }
    formats = sorted(d["format"] for d in value["documents"])
    assert formats == ["cyclonedx"] * 14 + ["openvex"] * 8
    code, out, _ = run(capsys, "advisories", "list", "-f", "json")
    assert len(json.loads(out)) == 22
