"""psirt publish end to end: the advisory and the VEX of the gateway issue that is fixed in one
release and mitigated by an environment-of-use update in another."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from psirt.publish.csaf_validate import validate_document
from tests.conftest import ASSETS
from tests.e2e.test_issues_cli import GATEWAY, GW, _as, _sign, db, ok, run
from tests.integration.issue_store import urllib3_feed
from tests.publish_checks import (
    Statements,
    bsi_validate,
    cyclonedx_problems,
    official_csaf_problems,
    official_openvex_problems,
    read_statements,
)

__all__ = ["db"]
PUBLISHER = ASSETS / "publish" / "publisher.toml"


def gateway_policy(tmp_path: Path) -> Path:
    """The gateway team's policy with the publisher identity."""
    policy = tmp_path / "policy.toml"
    policy.write_text((GATEWAY / "policy.toml").read_text() + "\n" + PUBLISHER.read_text())
    return policy


def walk_to_decision(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue of tests/e2e/test_issues_cli.py::test_fix_in_a_newer_release_and_environment_
    update_for_the_fielded_one up to its decision: CVE-2023-43804 in the fielded gateway 3.1.0
    (environment-of-use update) and 3.2.0 (a fix in 3.2.1)."""
    monkeypatch.setenv("PSIRT_POLICY", str(gateway_policy(tmp_path)))
    ok(capsys, "product", "add", GW, "--manufacturer", "Meridian Medical Systems")
    for version in ("3.1.0", "3.2.0"):
        ok(capsys, "release", "add", version, "--product", GW, "--status", "fielded")
        ok(capsys, "sbom", "import", str(GATEWAY / f"gateway-{version}.cdx.json"), "--product",
           GW, "--release", version)  # fmt: skip
    ok(capsys, "feed", "import", str(urllib3_feed(tmp_path)))
    ok(capsys, "scan", "--all")
    found = json.loads(ok(capsys, "findings", "list", "-p", GW, "-f", "json"))
    ids = sorted(f["id"] for f in found if f["advisory_id"] == "CVE-2023-43804")
    _as(capsys, "pat.psirt", "issue", "new", "--from-finding", str(ids[0]),
        "--from-finding", str(ids[1]))  # fmt: skip
    _as(capsys, "pat.psirt", "issue", "triage", "1", "--applicable", "--rationale",
        "the gateway's EHR client sets a Cookie header and follows redirects",
        "--verifiability", "reproduced against a redirecting test server",
        "--sign", "approved")  # fmt: skip
    _sign(capsys, "sara-safety", "analyze", "analysis.toml")
    _as(capsys, "sam@example.org", "issue", "analyze", "1", "--file",
        str(GATEWAY / "analysis.toml"), "--sign", "approved")  # fmt: skip
    for who in ("sam@example.org", "sara-safety"):
        _sign(capsys, who, "decide", "decision.toml")
    _as(capsys, "dan.design", "issue", "decide", "1", "--file",
        str(GATEWAY / "decision.toml"), "--sign", "approved")  # fmt: skip


def walk_to_closure(capsys: pytest.CaptureFixture[str]) -> None:
    """... and on: 3.2.1 released and verified, 3.1.0's environment update reviewed and
    notified, the issue CLOSED."""
    for who in ("sara-safety", "sam@example.org", "rita.ra"):
        _sign(capsys, who, "review-change", "change-review-fix.toml", "--meaning", "reviewed")
    _as(capsys, "dan.design", "issue", "review-change", "1", "--file",
        str(GATEWAY / "change-review-fix.toml"), "--sign", "reviewed")  # fmt: skip
    ok(capsys, "release", "add", "3.2.1", "--product", GW, "--status", "released")
    ok(capsys, "sbom", "import", str(GATEWAY / "gateway-3.2.1.cdx.json"), "--product", GW,
       "--release", "3.2.1")  # fmt: skip
    ok(capsys, "scan", "--product", GW, "--release", "3.2.1")
    _sign(capsys, "quinn.qa@example.org", "verify", "verification.toml")
    _as(capsys, "tess", "issue", "verify", "1", "--file", str(GATEWAY / "verification.toml"))
    _as(capsys, "dan.design", "issue", "release", "1", "--file", str(GATEWAY / "release.toml"),
        "--sign", "approved")  # fmt: skip
    ok(capsys, "issue", "monitor", "1", "--method", "installed-base report of gateway versions",
       "--result", "3.2.0 sites moved to 3.2.1")  # fmt: skip
    for who in ("sara-safety", "sam@example.org", "rita.ra"):
        _sign(capsys, who, "review-change", "change-review-environment.toml",
              "--meaning", "reviewed")  # fmt: skip
    _as(capsys, "dan.design", "issue", "review-change", "1", "--file",
        str(GATEWAY / "change-review-environment.toml"), "--sign", "reviewed")  # fmt: skip
    _as(capsys, "cora.comms", "issue", "attach", "1", "customer-notice", "--file",
        str(GATEWAY / "customer-notice.toml"))  # fmt: skip
    _sign(capsys, "quinn.qa@example.org", "close", "closure.toml")
    _as(capsys, "pat.psirt", "issue", "close", "1", "--file", str(GATEWAY / "closure.toml"))


def walk_gateway_issue(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk_to_decision(capsys, tmp_path, monkeypatch)
    walk_to_closure(capsys)


def _names(doc: dict[str, Any]) -> dict[str, str]:
    """product id -> full product name, from branches and relationships."""
    out: dict[str, str] = {}

    def walk(branches: list[dict[str, Any]]) -> None:
        for b in branches:
            if "product" in b:
                out[b["product"]["product_id"]] = b["product"]["name"]
            walk(b.get("branches", []))

    tree = doc["product_tree"]
    walk(tree.get("branches", []))
    for r in tree.get("relationships", []):
        out[r["full_product_name"]["product_id"]] = r["full_product_name"]["name"]
    return out


def _publish(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> dict[str, Any]:
    ok(capsys, "publish", "csaf", "1", "--out", str(path), *args)
    doc = json.loads(path.read_bytes())
    assert validate_document(doc, source=str(path)).problems == ()
    assert official_csaf_problems(doc) == []
    return dict(doc)


def test_advisory_of_a_fix_and_an_environment_update(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk_to_decision(capsys, tmp_path, monkeypatch)
    # at the decision: a draft, then the same content again (no new version), then final
    draft = _publish(capsys, tmp_path / "draft.json")
    assert (draft["document"]["tracking"]["version"], draft["document"]["tracking"]["status"]) \
        == ("0.1.0", "draft")  # fmt: skip
    code, out, err = run(capsys, "publish", "csaf", "1", "--out", str(tmp_path / "again.json"))
    assert code == 0 and "unchanged since" in out and "no new version" in out
    assert (tmp_path / "again.json").read_bytes() == (tmp_path / "draft.json").read_bytes()
    first = _publish(capsys, tmp_path / "first.json", "--status", "final")
    tracking = first["document"]["tracking"]
    assert (tracking["version"], tracking["status"]) == ("1.0.0", "final")
    assert [r["number"] for r in tracking["revision_history"]] == ["1.0.0"]  # drafts left out
    (vuln,) = first["vulnerabilities"]
    names = _names(first)
    planned = {r["category"]: (sorted(names[p] for p in r["product_ids"]), r["details"])
               for r in vuln["remediations"]}  # fmt: skip
    assert planned["none_available"] == (
        ["Clinical Data Gateway 3.2.0", "urllib3 2.0.4 in Clinical Data Gateway 3.2.0"],
        "A software update that fixes the vulnerability is in preparation (3.2.0 -> 3.2.1); "
        "it is planned for 2025-04-30.",
    )

    # the fix released and the issue closed: a major version (the product status changed)
    walk_to_closure(capsys)
    doc = _publish(capsys, tmp_path / "advisory.json", "--status", "final")
    tracking = doc["document"]["tracking"]
    assert tracking["version"] == "2.0.0"
    assert [(r["number"], r["summary"]) for r in tracking["revision_history"]] == [
        ("1.0.0", "Initial release."),
        ("2.0.0", "Updated product status, remediations, products."),
    ]
    names = _names(doc)
    (vuln,) = doc["vulnerabilities"]
    assert vuln["cve"] == "CVE-2023-43804"
    status = {group: sorted(names[p] for p in pids)
              for group, pids in vuln["product_status"].items()}  # fmt: skip
    fixed = ["Clinical Data Gateway 3.2.1", "urllib3 2.0.6 in Clinical Data Gateway 3.2.1"]
    assert status == {
        "first_fixed": fixed,
        "fixed": fixed,
        "known_affected": [
            "Clinical Data Gateway 3.1.0",
            "Clinical Data Gateway 3.2.0",
            "urllib3 1.26.4 in Clinical Data Gateway 3.1.0",
            "urllib3 2.0.4 in Clinical Data Gateway 3.2.0",
        ],
        "recommended": fixed,
    }
    remediations = {r["category"]: r for r in vuln["remediations"]}
    assert set(remediations) == {"vendor_fix", "workaround"}
    fix = remediations["vendor_fix"]
    assert sorted(names[p] for p in fix["product_ids"]) == [
        "Clinical Data Gateway 3.2.0", "urllib3 2.0.4 in Clinical Data Gateway 3.2.0"
    ]  # fmt: skip
    assert fix["details"] == (
        "Update Clinical Data Gateway to version 3.2.1, released 2025-04-25. Verify the update: "
        "sha256 of the signed installer published with the release notes. The update is "
        "available from https://support.meridian-medical.example/gateway/3.2.1."
    )
    assert fix["url"] == "https://support.meridian-medical.example/gateway/3.2.1"
    assert fix["date"] == "2025-04-25T12:00:00Z"
    environment = remediations["workaround"]
    assert sorted(names[p] for p in environment["product_ids"]) == [
        "Clinical Data Gateway 3.1.0", "urllib3 1.26.4 in Clinical Data Gateway 3.1.0"
    ]  # fmt: skip
    assert environment["details"] == (
        "Operate Clinical Data Gateway 3.1.0 in the updated intended environment of use "
        "(Security guide SG-GW rev E): route outbound HTTP of the gateway through the site "
        "proxy with cross-origin redirects blocked. Updated labelling: IFU 3.1 rev G, SG-GW "
        "rev E."
    )
    assert vuln["scores"][0]["cvss_v3"]["vectorString"] == (
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"
    )
    assert vuln["cwe"] == {
        "id": "CWE-200", "name": "Exposure of Sensitive Information to an Unauthorized Actor"
    }  # fmt: skip
    publisher = doc["document"]["publisher"]
    assert (publisher["name"], publisher["category"]) == ("Meridian Medical Systems PSIRT",
                                                          "vendor")  # fmt: skip
    assert doc["document"]["distribution"]["tlp"] == {"label": "AMBER"}  # targeted customers
    assert doc["document"]["references"] == [{
        "category": "self", "summary": "This advisory",
        "url": f"https://psirt.meridian-medical.example/csaf/{tracking['id'].lower()}.json",
    }]  # fmt: skip

    shown = json.loads(ok(capsys, "issue", "show", "1", "-f", "json"))
    assert [(p["version"], p["status"]) for p in shown["publications"]] == [
        ("0.1.0", "draft"), ("1.0.0", "final"), ("2.0.0", "final")
    ]  # fmt: skip
    listed = json.loads(ok(capsys, "publish", "list", "--issue", "1", "-f", "json"))
    assert [p["sha256"] for p in listed] == [p["sha256"] for p in shown["publications"]]

    # the customer advisory says the same in plain words, in HTML and PDF
    html_file = tmp_path / "advisory.html"
    printed = ok(capsys, "publish", "advisory", "1", "--format", "html", "--out", str(html_file))
    assert f"published {tracking['id']} version 2.0.0 (final)" in printed
    html = html_file.read_text()
    for text in (
        "<h1>Security advisory: CVE-2023-43804 in urllib3 1.26.4</h1>",
        "<td>Clinical Data Gateway</td><td>3.1.0</td><td>Affected</td><td>urllib3 1.26.4</td>",
        "<td>3.2.1</td><td>Fixed (recommended version)</td><td>urllib3 2.0.6</td>",
        "<li>Clinical Data Gateway 3.1.0: Workaround: Operate Clinical Data Gateway 3.1.0 in the "
        "updated intended environment of use",
        "<li>Clinical Data Gateway 3.2.0: Update: Update Clinical Data Gateway to version 3.2.1",
        "<li>Clinical Data Gateway 3.2.1: no action needed; it has the fix and is the "
        "recommended version.</li>",
        "https://support.meridian-medical.example/gateway/3.2.1",
        "Severity of the possible harm: minor.",
        "Meridian Medical Systems PSIRT: psirt@meridian-medical.example, +1 555 0100",
        f"CSAF 2.0 document {tracking['id']} version 2.0.0",
    ):
        assert text in html, text
    pdf_file = tmp_path / "advisory.pdf"
    ok(capsys, "publish", "advisory", "1", "--format", "pdf", "--out", str(pdf_file))
    from pypdf import PdfReader

    pdf_text = " ".join(" ".join((p.extract_text() or "").split())
                        for p in PdfReader(pdf_file).pages)  # fmt: skip
    for text in ("What is affected", "What to do now", "The fix and where to get it",
                 "Update Clinical Data Gateway to version 3.2.1, released 2025-04-25",
                 "route outbound HTTP of the gateway through the site proxy"):  # fmt: skip
        assert text in pdf_text, text
    again = tmp_path / "again.pdf"
    code, out, _ = run(capsys, "publish", "advisory", "1", "--format", "pdf", "--out", str(again))
    assert code == 0 and "no new version" in out
    assert again.read_bytes() == pdf_file.read_bytes()
    kinds = [p["kind"] for p in json.loads(ok(capsys, "publish", "list", "-f", "json"))]
    assert kinds == ["csaf_advisory"] * 3 + ["advisory_html", "advisory_pdf"]
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "chain intact" in out


def test_the_three_vex_documents_of_the_environment_update_release_agree(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk_gateway_issue(capsys, tmp_path, monkeypatch)
    read: dict[str, Statements] = {}
    docs: dict[str, dict[str, Any]] = {}
    for fmt in ("csaf", "cyclonedx", "openvex"):
        out = tmp_path / f"vex-3.1.0.{fmt}.json"
        ok(capsys, "publish", "vex", f"{GW}@3.1.0", "--format", fmt, "--out", str(out))
        read[fmt] = read_statements(fmt, out.read_bytes())
        docs[fmt] = json.loads(out.read_bytes())
    assert read["csaf"] == read["cyclonedx"] == read["openvex"]
    assert read["csaf"] == {
        ("CVE-2023-43804", "pkg:pypi/urllib3@1.26.4"): ("affected", None, True),
        ("CVE-2023-45803", "pkg:pypi/urllib3@1.26.4"): ("under_investigation", None, True),
    }
    (affected,) = [s for s in docs["openvex"]["statements"] if s["status"] == "affected"]
    assert affected["action_statement"].startswith(
        "Operate Clinical Data Gateway 3.1.0 in the updated intended environment of use "
        "(Security guide SG-GW rev E): route outbound HTTP"
    )
    (cdx,) = [v for v in docs["cyclonedx"]["vulnerabilities"] if v["id"] == "CVE-2023-43804"]
    assert cdx["analysis"]["state"] == "exploitable"
    assert cdx["analysis"]["response"] == ["workaround_available"]
    assert cdx["affects"] == [{"ref": "pkg:pypi/urllib3@1.26.4"}]
    assert validate_document(docs["csaf"], source="vex").problems == ()
    assert official_csaf_problems(docs["csaf"]) == []
    assert cyclonedx_problems((tmp_path / "vex-3.1.0.cyclonedx.json").read_bytes()) == []
    assert official_openvex_problems(docs["openvex"]) == []

    # the fix release: fixed through the issue (no finding of it there), and the other urllib3
    # vulnerability, matched but not assessed
    fixed: dict[str, Statements] = {}
    for fmt in ("csaf", "cyclonedx", "openvex"):
        out = tmp_path / f"vex-3.2.1.{fmt}.json"
        ok(capsys, "publish", "vex", f"{GW}@3.2.1", "--format", fmt, "--out", str(out))
        fixed[fmt] = read_statements(fmt, out.read_bytes())
    assert (
        fixed["csaf"]
        == fixed["cyclonedx"]
        == fixed["openvex"]
        == {
            ("CVE-2023-43804", "pkg:pypi/urllib3@2.0.6"): ("fixed", None, True),
            ("CVE-2023-45803", "pkg:pypi/urllib3@2.0.6"): ("under_investigation", None, True),
        }
    )


def test_the_bsi_validator_finds_no_error_in_the_csaf_documents(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The BSI CSAF validator (secvisogram csaf-validator-lib: strict schema, mandatory,
    optional and informative tests), an implementation independent of psirt's, on a draft and a
    final advisory and the CSAF VEX of each release; it runs where node and the library are
    installed."""
    walk_to_decision(capsys, tmp_path, monkeypatch)
    files = [tmp_path / "draft.json"]
    ok(capsys, "publish", "csaf", "1", "--out", str(files[0]))
    walk_to_closure(capsys)
    files.append(tmp_path / "final.json")
    ok(capsys, "publish", "csaf", "1", "--status", "final", "--out", str(files[-1]))
    for version in ("3.1.0", "3.2.0", "3.2.1"):
        files.append(tmp_path / f"vex-{version}.json")
        ok(capsys, "publish", "vex", f"{GW}@{version}", "--format", "csaf", "--out",
           str(files[-1]))  # fmt: skip
    results = bsi_validate(*files)
    assert [(Path(r["file"]).name, r["valid"], r["errors"]) for r in results] == [
        (f.name, True, []) for f in files
    ]
    # what the optional tests still say: the URLs of the example namespace do not resolve
    # offline (6.3.6, 6.3.7 are informative), and no optional test warns
    assert [w for r in results for w in r["warnings"]] == []


def test_the_demo_publishes_the_advisory_and_the_vex_beside_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from psirt.cli.main import main

    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.delenv("PSIRT_POLICY", raising=False)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "published"
    assert f"written to {folder}; stored versions: psirt publish list" in out
    files = sorted(p.name for p in folder.iterdir())
    stem = files[0].rsplit(".", 1)[0]  # the advisory's CSAF file name
    vex = "vex-patient-monitor-pm-8-7.4.2"
    assert files == [f"{stem}.html", f"{stem}.json", f"{stem}.pdf", f"{vex}.cdx.json",
                     f"{vex}.csaf.json", f"{vex}.openvex.json"]  # fmt: skip
    assert stem.startswith("psirt-") and stem.endswith("-0001")
    (advisory,) = [f for f in files if f.endswith(".json") and not f.startswith("vex-")]
    doc = json.loads((folder / advisory).read_bytes())
    assert (doc["document"]["tracking"]["status"], doc["document"]["publisher"]["name"]) == (
        "interim", "Meridian Medical Systems PSIRT"
    )  # fmt: skip
    assert doc["vulnerabilities"][0]["cve"] == "CVE-2023-4863"
    assert validate_document(doc, source=advisory).problems == ()
    read = {
        fmt: read_statements(fmt, (folder / f"vex-patient-monitor-pm-8-7.4.2.{suffix}")
                             .read_bytes())
        for fmt, suffix in (("csaf", "csaf.json"), ("cyclonedx", "cdx.json"),
                            ("openvex", "openvex.json"))
    }  # fmt: skip
    assert read["csaf"] == read["cyclonedx"] == read["openvex"]
    libwebp = read["openvex"][
        ("CVE-2023-4863", "cpe:2.3:a:webmproject:libwebp:1.3.1:*:*:*:*:*:*:*")
    ]  # fmt: skip
    assert libwebp == ("affected", None, True)
    # a second run publishes nothing new
    assert main(["demo"]) == 0
    again = capsys.readouterr().out
    assert again.count(", unchanged)") == 6 and ", published)" not in again


def test_publishing_mistakes_exit_2_naming_what_is_wrong(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.e2e.test_issues_cli import FILES

    # an issue closed not affected: its advisory says so (no publisher yet: refused)
    ok(capsys, "issue", "new", "--title", "Jinja2 xmlattr (CVE-2024-22195)", "--source",
       "widespread_vuln_feed", "--learned-at", "2025-03-03T09:00:00+00:00", "--channel",
       "OSV PyPI feed", "--summary", "xmlattr filter accepts keys with spaces", "--vuln",
       "GHSA-h5c8-rqwp-cp95", "--vuln", "CVE-2024-22195", "--affected",
       "dose-calc-web@3.4.0")  # fmt: skip
    code, _, err = run(capsys, "publish", "csaf", "1")
    assert code == 2 and "set the publisher's name and namespace in the policy's [publisher]" in err
    monkeypatch.setenv("PSIRT_POLICY", str(PUBLISHER))
    ok(capsys, "issue", "triage", "1", "--not-applicable", "--rationale",
       "xmlattr never used; templates are not user supplied", "--verifiability",
       "call-graph review", "--sign", "approved", "--as-role", "psirt_lead")  # fmt: skip
    na = str(FILES / "jinja2" / "not-affected.json")
    ok(capsys, "--user", "quinn", "issue", "sign", "1", "close-not-affected", "--file", na,
       "--as-role", "qa_approver")  # fmt: skip
    ok(capsys, "--user", "sam", "issue", "close-not-affected", "1", "--file", na)
    code, _, err = run(capsys, "publish", "csaf", "1", "--status", "final")
    assert code == 2 and err.strip() == (
        "psirt: issue 1's advisory cannot be published as final: no disclosure decision is "
        "recorded (R4) (a draft can be)"
    )
    code, _, err = run(capsys, "publish", "advisory", "1", "--format", "html")
    assert code == 2 and "issue 1 has no published CSAF advisory yet" in err
    doc = _publish(capsys, tmp_path / "na.json")
    (vuln,) = doc["vulnerabilities"]
    assert vuln["product_status"] == {"known_not_affected": ["dose-calc-web-3.4.0"]}
    assert vuln["flags"] == [{"label": "vulnerable_code_not_in_execute_path",
                              "product_ids": ["dose-calc-web-3.4.0"]}]  # fmt: skip
    assert "remediations" not in vuln and "scores" not in vuln

    for args, message in (
        (("publish", "vex", "dose-calc-web-3.4.0", "--format", "openvex"),
         "name the release as PRODUCT@RELEASE, not 'dose-calc-web-3.4.0'"),
        (("publish", "vex", "dose-calc-web@3.4.0", "--format", "openvex"),
         "product 'dose-calc-web' does not exist"),
        (("publish", "csaf", "7"), "issue 7 does not exist"),
        (("publish", "advisory", "7", "--format", "pdf"), "issue 7 does not exist"),
        (("publish", "show", "99"), "publication 99 does not exist"),
        (("publish", "csaf", "1", "--status", "published"), "'published' is not one of"),
    ):  # fmt: skip
        code, _, err = run(capsys, *args)
        assert code == 2 and message in err and "Traceback" not in err, (args, err)
