"""psirt issue end to end: record files, signatures by several people, gates, history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from psirt.cli.main import main
from psirt.domain.policy import default_policy
from psirt.services import issues as issue_service
from psirt.store.db import Store
from tests.conftest import ASSETS
from tests.integration.issue_store import urllib3_feed

FILES = ASSETS / "issues"
PUMP = FILES / "pump"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("PSIRT_USER", "pat")
    monkeypatch.delenv("PSIRT_POLICY", raising=False)
    assert main(["init"]) == 0
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out


def _pump_releases(capsys: pytest.CaptureFixture[str]) -> None:
    """infusion-pump 4.1.3 and 4.2.0 (fielded, OpenSSL 3.0.7) and the fix 4.2.1, with their
    SBOMs, scanned."""
    ok(capsys, "product", "add", "infusion-pump")
    for version, status in (("4.1.3", "fielded"), ("4.2.0", "fielded"), ("4.2.1", "released")):
        ok(capsys, "release", "add", version, "--product", "infusion-pump", "--status", status)
        ok(capsys, "sbom", "import", str(PUMP / f"pump-{version}.cdx.json"), "--product",
           "infusion-pump", "--release", version)  # fmt: skip
    ok(capsys, "scan", "--all")


def test_kev_openssl_pump_walked_through_the_cli(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    as_ = ("--sign", "approved", "--as-role")
    _pump_releases(capsys)
    out = ok(capsys, "--user", "pat", "issue", "new", "--file", str(PUMP / "intake.toml"),
             "-f", "json")  # fmt: skip
    new = json.loads(out)
    assert (new["issue"], new["state"]) == (1, "RECEIVED")
    ok(capsys, "--user", "pat", "issue", "triage", "1", "--applicable",
       "--rationale", "openssl 3.0.7 linked into the TLS stack",
       "--verifiability", "reproduced on a bench unit", *as_, "psirt_lead")  # fmt: skip

    # analysis needs the security risk owner AND the safety risk manager
    code, _, err = run(capsys, "--user", "sam", "issue", "analyze", "1", "--file",
                       str(PUMP / "analysis.toml"), *as_, "security_risk_owner")  # fmt: skip
    assert code == 2
    assert "analyze: gate not met; missing: R3_analysis approval by safety_risk_manager" in err
    ok(capsys, "--user", "sara", "issue", "sign", "1", "analyze", "--file",
       str(PUMP / "analysis.toml"), "--as-role", "safety_risk_manager")  # fmt: skip
    out = ok(capsys, "--user", "sam", "issue", "analyze", "1", "--file",
             str(PUMP / "analysis.toml"), *as_, "security_risk_owner", "-f", "json")  # fmt: skip
    analyzed = json.loads(out)
    assert analyzed["state"] == "ANALYSIS"
    record = analyzed["events"][0]["records"][0]["data"]
    assert (record["risk_control_status"], record["ssvc_priority"]) == ("uncontrolled", "immediate")
    assert {s["signer"] for s in analyzed["events"][0]["signatures"]} == {"sam", "sara"}

    # deciding without R7 and the OpenSSL notice is refused, naming both
    code, _, err = run(capsys, "--user", "dan", "issue", "decide", "1", "--file",
                       str(PUMP / "decision.toml"))  # fmt: skip
    assert code == 2
    assert "R7_reportability" in err and "R8_third_party OpenSSL Project" in err
    assert "R4_disclosure approval by design_authority" in err
    ok(capsys, "--user", "rita", "issue", "attach", "1", "reportability", "--file",
       str(PUMP / "reportability.toml"), *as_, "regulatory_affairs")  # fmt: skip
    ok(capsys, "issue", "attach", "1", "third-party", "--file", str(PUMP / "third-party.toml"))
    for who, role in (("sam", "security_risk_owner"), ("sara", "safety_risk_manager")):
        ok(capsys, "--user", who, "issue", "sign", "1", "decide", "--file",
           str(PUMP / "decision.toml"), "--as-role", role)  # fmt: skip
    out = ok(capsys, "--user", "dan", "issue", "decide", "1", "--file",
             str(PUMP / "decision.toml"), *as_, "design_authority")  # fmt: skip
    assert "issue 1: ANALYSIS -> REMEDIATION" in out

    # verification before the change review and the interim notice: refused, naming both
    code, _, err = run(capsys, "--user", "tess", "issue", "verify", "1", "--file",
                       str(PUMP / "verification.toml"))  # fmt: skip
    assert code == 2
    assert err.strip() == (
        "psirt: verify: gate not met; missing: R6_change_impact, "
        "R8_customer interim notice (uncontrolled risk)"
    )
    for who, role in (("sara", "safety_risk_manager"), ("sam", "security_risk_owner"),
                      ("rita", "regulatory_affairs")):  # fmt: skip
        ok(capsys, "--user", who, "issue", "sign", "1", "review-change", "--file",
           str(PUMP / "change-review.toml"), "--meaning", "reviewed",
           "--as-role", role)  # fmt: skip
    ok(capsys, "--user", "dan", "issue", "review-change", "1", "--file",
       str(PUMP / "change-review.toml"), "--sign", "reviewed",
       "--as-role", "design_authority")  # fmt: skip
    ok(capsys, "--user", "cora", "issue", "attach", "1", "customer-notice", "--file",
       str(PUMP / "customer-notice.toml"))  # fmt: skip
    ok(capsys, "--user", "quinn", "issue", "sign", "1", "verify", "--file",
       str(PUMP / "verification.toml"), "--as-role", "qa_approver")  # fmt: skip
    ok(capsys, "--user", "tess", "issue", "verify", "1", "--file", str(PUMP / "verification.toml"))
    ok(capsys, "--user", "dan", "issue", "release", "1", "--file", str(PUMP / "release.toml"),
       *as_, "design_authority")  # fmt: skip
    ok(capsys, "issue", "monitor", "1", "--method", "field telemetry of firmware versions",
       "--result", "no crashes since the update", "--deployment-rate", "0.92")  # fmt: skip
    ok(capsys, "--user", "quinn", "issue", "sign", "1", "close", "--file",
       str(PUMP / "closure.toml"), "--as-role", "qa_approver")  # fmt: skip
    out = ok(capsys, "issue", "close", "1", "--file", str(PUMP / "closure.toml"))
    assert "POST_FIX_MONITORING -> CLOSED" in out

    shown = json.loads(ok(capsys, "issue", "show", "1", "-f", "json"))
    assert shown["state"] == "CLOSED"
    assert shown["release_matrix"] == {"infusion-pump@4.2.0": "fixed",
                                       "infusion-pump@4.1.3": "fixed"}  # fmt: skip
    actions = [(e["action"], e["actor"]) for e in shown["events"]]
    assert actions == [
        ("open", "pat"), ("triage", "pat"), ("analyze", "sam"), ("attach", "rita"),
        ("attach", "pat"), ("decide", "dan"), ("start_remediation", "dan"), ("attach", "dan"),
        ("attach", "cora"), ("verify", "tess"), ("release", "dan"), ("monitor", "pat"),
        ("close", "pat"),
    ]  # fmt: skip
    assert {e["policy_digest"] for e in shown["events"]} == {default_policy().digest}
    review = shown["events"][7]
    assert {(s["signer"], s["meaning"]) for s in review["signatures"]} == {
        ("sara", "reviewed"), ("sam", "reviewed"), ("rita", "reviewed"), ("dan", "reviewed")
    }  # fmt: skip
    assert [s["signer"] for s in shown["events"][12]["signatures"]] == ["quinn"]
    due = {d["id"]: d for d in shown["deadlines"]}
    assert due["US_UNCONTROLLED_COMMS"]["due"].startswith("2025-04-02")

    table = ok(capsys, "issue", "show", "1")
    assert "record history" in table and "quinn (qa_approver, approved)" in table
    assert default_policy().digest[:12] in table
    listed = json.loads(ok(capsys, "issue", "list", "-f", "json"))
    assert [(i["id"], i["state"], i["ssvc_priority"], i["risk_control_status"], i["kev"])
            for i in listed] == [(1, "CLOSED", "immediate", "uncontrolled", True)]  # fmt: skip
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "chain intact" in out


def test_not_affected_pypi_advisory(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "issue", "new", "--title", "Jinja2 xmlattr (CVE-2024-22195)", "--source",
       "widespread_vuln_feed", "--learned-at", "2025-03-03T09:00:00+00:00", "--channel",
       "OSV PyPI feed", "--summary", "xmlattr filter accepts keys with spaces", "--vuln",
       "GHSA-h5c8-rqwp-cp95", "--vuln", "CVE-2024-22195", "--affected",
       "dose-calc-web@3.4.0")  # fmt: skip
    ok(capsys, "issue", "triage", "1", "--not-applicable", "--rationale",
       "xmlattr never used; templates are not user supplied", "--verifiability",
       "call-graph review", "--sign", "approved", "--as-role", "psirt_lead")  # fmt: skip
    na = str(FILES / "jinja2" / "not-affected.json")
    code, _, err = run(capsys, "--user", "sam", "issue", "close-not-affected", "1", "--file", na)
    assert code == 2 and "(signed by quinn)" in err
    ok(capsys, "--user", "quinn", "issue", "sign", "1", "close-not-affected", "--file", na,
       "--as-role", "qa_approver")  # fmt: skip
    out = ok(capsys, "--user", "sam", "issue", "close-not-affected", "1", "--file", na)
    assert "TRIAGE -> CLOSED_NOT_AFFECTED" in out
    shown = json.loads(ok(capsys, "issue", "show", "1", "-f", "json"))
    assert shown["release_matrix"] == {"dose-calc-web@3.4.0": "not_affected"}
    assert shown["vulnerability_ids"] == ["GHSA-h5c8-rqwp-cp95", "CVE-2024-22195"]
    data = shown["events"][2]["records"][0]["data"]
    assert data["justification"] == "vulnerable_code_not_in_execute_path"


@pytest.mark.parametrize(
    ("command", "asset", "message"),
    [
        ("analyze", "analysis-bad-cvss.toml", "analysis-bad-cvss.toml: cvss_v31: invalid CVSS"),
        ("analyze", "analysis-bad-severity.toml",
         "analysis-bad-severity.toml: harm_severity: 'deadly' is not one of negligible"),
        ("decide", "decision-missing-table.toml",
         "decision-missing-table.toml: cross_product: missing table"),
    ],
)  # fmt: skip
def test_bad_record_file_exits_2_naming_file_and_field(
    db: str, capsys: pytest.CaptureFixture[str], command: str, asset: str, message: str
) -> None:
    ok(capsys, "issue", "new", "--file", str(PUMP / "intake.toml"))
    code, _, err = run(capsys, "issue", command, "1", "--file", str(FILES / "invalid" / asset))
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_intake_and_policy_files(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "issue", "new", "--file",
                       str(FILES / "invalid" / "intake-naive-time.json"))  # fmt: skip
    assert code == 2 and "intake-naive-time.json: learned_at: date-time needs a time zone" in err
    policy = tmp_path / "site.toml"
    policy.write_text("[timers]\ntriage_dayz = 3\n")
    code, _, err = run(capsys, "issue", "list", "--policy", str(policy))
    assert code == 2 and "site.toml: timers.triage_dayz: unknown policy key" in err
    code, _, err = run(capsys, "issue", "show", "7")
    assert code == 2 and "issue 7 does not exist" in err


def test_policy_from_environment_is_stored_with_the_event(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(capsys, "issue", "new", "--file", str(PUMP / "intake.toml"))
    policy = tmp_path / "site.toml"
    policy.write_text('[people]\npat = ["psirt_lead"]\n')
    monkeypatch.setenv("PSIRT_POLICY", str(policy))
    # the policy lists pat's only role, so --as-role may be left out
    out = ok(capsys, "issue", "triage", "1", "--applicable", "--rationale", "linked",
             "--verifiability", "bench", "--sign", "approved", "-f", "json")  # fmt: skip
    event = json.loads(out)["events"][0]
    assert event["signatures"][0]["role"] == "psirt_lead"
    assert event["policy_digest"] != default_policy().digest
    shown = json.loads(ok(capsys, "issue", "show", "1", "-f", "json"))
    assert [e["policy_digest"] for e in shown["events"]] == [
        default_policy().digest, event["policy_digest"]
    ]  # fmt: skip
    log = json.loads(ok(capsys, "audit", "log", "--object-type", "policy", "-f", "json"))
    assert {e["object"] for e in log} == {
        f"policy {default_policy().digest}", f"policy {event['policy_digest']}"
    }  # fmt: skip
    assert {e["detail"]["digest"] for e in log} == {default_policy().digest, event["policy_digest"]}


def test_edited_issue_event_row_is_caught(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "issue", "new", "--file", str(PUMP / "intake.toml"))
    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE issue_events SET body = replace(body, 'researcher@example.org', "
            "'someone@example.org') WHERE issue_id = 1 AND seq = 0"
        ))  # fmt: skip
    engine.dispose()
    code, _, err = run(capsys, "issue", "show", "1")
    assert code == 1 and "digest does not match its content" in err
    code, _, err = run(capsys, "issue", "triage", "1", "--applicable", "--rationale", "x",
                       "--verifiability", "y")  # fmt: skip
    assert code == 1
    # the state column is audited: an edit shows in psirt audit verify
    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE security_issues SET state = 'CLOSED' WHERE id = 1"))
    engine.dispose()
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1 and "(issue 1)" in err


def test_audit_verify_catches_an_edited_issue_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'ev.db'}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    assert main(["demo"]) == 0
    store = Store(url)
    with store.unit_of_work() as s:
        issue_service.demo_walkthrough(s, actor="demo")
    store.engine.dispose()
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE issue_events SET actor = 'mallory' WHERE seq = 1"))
    engine.dispose()
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "issue 1" in err


GATEWAY = FILES / "gateway"
GW = "Clinical Data Gateway"


def _as(capsys: pytest.CaptureFixture[str], who: str, *args: str) -> str:
    return ok(capsys, "--user", who, *args)


def _sign(capsys: pytest.CaptureFixture[str], who: str, command: str, file: str,
          *extra: str) -> None:  # fmt: skip
    _as(capsys, who, "issue", "sign", "1", command, "--file", str(GATEWAY / file), *extra)


def test_fix_in_a_newer_release_and_environment_update_for_the_fielded_one(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CVE-2023-43804 (urllib3) in the fielded gateway 3.1.0 and 3.2.0: 3.2.0 is fixed in 3.2.1,
    3.1.0 stays in the field under an updated intended environment of use; the issue closes
    without reopening, override or risk acceptance."""
    monkeypatch.setenv("PSIRT_POLICY", str(GATEWAY / "policy.toml"))
    ok(capsys, "product", "add", GW)
    for version in ("3.1.0", "3.2.0"):
        ok(capsys, "release", "add", version, "--product", GW, "--status", "fielded")
        ok(capsys, "sbom", "import", str(GATEWAY / f"gateway-{version}.cdx.json"), "--product",
           GW, "--release", version)  # fmt: skip
    ok(capsys, "feed", "import", str(urllib3_feed(tmp_path)))
    ok(capsys, "scan", "--all")
    found = json.loads(ok(capsys, "findings", "list", "-p", GW, "-f", "json"))
    ids = sorted(f["id"] for f in found if f["advisory_id"] == "CVE-2023-43804")
    assert len(ids) == 2

    _as(capsys, "pat.psirt", "issue", "new", "--from-finding", str(ids[0]),
        "--from-finding", str(ids[1]))  # fmt: skip
    _as(
        capsys,
        "pat.psirt",
        "issue",
        "triage",
        "1",
        "--applicable",
        "--rationale",
        "the gateway's EHR client sets a Cookie header and follows redirects",
        "--verifiability",
        "reproduced against a redirecting test server",
        "--sign",
        "approved",
    )
    _sign(capsys, "sara-safety", "analyze", "analysis.toml")
    _as(capsys, "sam@example.org", "issue", "analyze", "1", "--file",
        str(GATEWAY / "analysis.toml"), "--sign", "approved")  # fmt: skip
    for who in ("sam@example.org", "sara-safety"):
        _sign(capsys, who, "decide", "decision.toml")
    out = _as(capsys, "dan.design", "issue", "decide", "1", "--file",
              str(GATEWAY / "decision.toml"), "--sign", "approved")  # fmt: skip
    assert "issue 1: ANALYSIS -> REMEDIATION" in out
    shown = json.loads(ok(capsys, "issue", "show", "1", "-f", "json"))
    assert [(r["release"], r["resolution"], r["gate"]) for r in shown["releases"]] == [
        (f"{GW}@3.1.0", "environment_of_use_update", "open"),
        (f"{GW}@3.2.0", "fix", "open"),
    ]

    # the fix path: change review of 3.2.0, verification of 3.2.1 from its stored findings
    for who in ("sara-safety", "sam@example.org", "rita.ra"):
        _sign(capsys, who, "review-change", "change-review-fix.toml", "--meaning", "reviewed")
    _as(capsys, "dan.design", "issue", "review-change", "1", "--file",
        str(GATEWAY / "change-review-fix.toml"), "--sign", "reviewed")  # fmt: skip
    verify = ("issue", "verify", "1", "--file", str(GATEWAY / "verification.toml"))
    code, _, err = run(capsys, "--user", "tess", *verify)
    assert code == 2 and f"R9_verification.rescan: {GW}@3.2.1 is not a stored release" in err
    ok(capsys, "release", "add", "3.2.1", "--product", GW, "--status", "released")
    ok(capsys, "sbom", "import", str(GATEWAY / "gateway-3.2.1.cdx.json"), "--product", GW,
       "--release", "3.2.1")  # fmt: skip
    code, _, err = run(capsys, "--user", "tess", *verify)
    assert code == 2 and f"R9_verification.rescan: {GW}@3.2.1 was never scanned" in err
    ok(capsys, "scan", "--product", GW, "--release", "3.2.1")
    _sign(capsys, "quinn.qa@example.org", "verify", "verification.toml")
    _as(capsys, "tess", *verify)
    _as(capsys, "dan.design", "issue", "release", "1", "--file", str(GATEWAY / "release.toml"),
        "--sign", "approved")  # fmt: skip
    ok(capsys, "issue", "monitor", "1", "--method", "installed-base report of gateway versions",
       "--result", "3.2.0 sites moved to 3.2.1")  # fmt: skip

    # closing while 3.1.0's environment-of-use update lacks its review and notice: refused,
    # naming the release
    _sign(capsys, "quinn.qa@example.org", "close", "closure.toml")
    close = ("issue", "close", "1", "--file", str(GATEWAY / "closure.toml"))
    code, _, err = run(capsys, "--user", "pat.psirt", *close)
    assert code == 2
    assert err.strip() == (
        f"psirt: close: gate not met; missing: R6_change_impact for {GW}@3.1.0, "
        f"R8_customer (environment-of-use update) for {GW}@3.1.0, "
        "R4_disclosure done: R8_customer"
    )
    for who in ("sara-safety", "sam@example.org", "rita.ra"):
        _sign(capsys, who, "review-change", "change-review-environment.toml",
              "--meaning", "reviewed")  # fmt: skip
    _as(capsys, "dan.design", "issue", "review-change", "1", "--file",
        str(GATEWAY / "change-review-environment.toml"), "--sign", "reviewed")  # fmt: skip
    _as(capsys, "cora.comms", "issue", "attach", "1", "customer-notice", "--file",
        str(GATEWAY / "customer-notice.toml"))  # fmt: skip
    out = _as(capsys, "pat.psirt", *close)
    assert "POST_FIX_MONITORING -> CLOSED" in out

    shown = json.loads(ok(capsys, "issue", "show", "1", "-f", "json"))
    assert shown["state"] == "CLOSED"
    assert shown["releases"] == [
        {"release": f"{GW}@3.1.0", "status": "affected",
         "resolution": "environment_of_use_update", "gate": "passed", "missing": []},
        {"release": f"{GW}@3.2.0", "status": "fixed", "resolution": "fix", "gate": "passed",
         "missing": []},
    ]  # fmt: skip
    actions = [e["action"] for e in shown["events"]]
    assert not {"reopen", "override", "accept_risk"} & set(actions)
    assert actions == ["open", "triage", "analyze", "decide", "start_remediation", "attach",
                       "verify", "release", "monitor", "attach", "attach", "close"]  # fmt: skip
    records = {r["kind"]: r["data"] for e in shown["events"] for r in e["records"]}
    rescan = records["R9_verification"]["rescan"]
    assert (rescan["release"], rescan["findings_checked"], rescan["found"]) == (
        f"{GW}@3.2.1",
        1,
        [],  # 3.2.1 still has CVE-2023-45803 (urllib3 < 2.0.7), another issue
    )
    assert rescan["vulnerability_ids"][:1] == ["CVE-2023-43804"]
    assert "GHSA-v845-jxx5-vc9f" in rescan["vulnerability_ids"]
    sbom = records["R10_release_advisory"]["sbom"]
    assert [(c["name"], c["version"]) for c in sbom["components"]] == [("urllib3", "2.0.6")]
    assert sbom["still_listed"] == [] and len(sbom["sha256"]) == 64
    assert [(v["release"], v["status"]) for v in records["R10_release_advisory"]["vex_statuses"]] \
        == [("3.1.0", "affected"), ("3.2.0", "fixed"), ("3.2.1", "fixed")]  # fmt: skip
    table = ok(capsys, "issue", "show", "1")
    assert "environment_of_use_update" in table and "passed" in table
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "chain intact" in out


def test_record_errors_name_every_field_at_once(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "issue", "new", "--title", "x")
    assert code == 2
    assert err.strip() == (
        "psirt: command line: source: missing field; learned_at: missing field; channel: missing "
        "field; summary: missing field; affected: missing field"
    )
    code, _, err = run(capsys, "issue", "new", "--title", "x", "--source", "product_user",
                       "--learned-at", "yesterday", "--affected", "pump@1.0")  # fmt: skip
    assert code == 2 and err.strip() == (
        "psirt: command line: learned_at: not an ISO 8601 date-time: 'yesterday'; "
        "channel: missing field; summary: missing field"
    )
    ok(capsys, "issue", "new", "--file", str(PUMP / "intake.toml"))
    code, _, err = run(capsys, "issue", "triage", "1")
    assert code == 2 and err.strip() == (
        "psirt: command line: applicable: missing field; applicability_rationale: missing field; "
        "verifiability: missing field"
    )
    bad = tmp_path / "verification.json"
    bad.write_text(json.dumps({"software_version": "4.2.1", "targeted_test_passed": "yes",
                               "tester_independence": "none", "rescan": 3}))  # fmt: skip
    code, _, err = run(capsys, "issue", "verify", "1", "--file", str(bad))
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (
        f"psirt: {bad}: targeted_test: missing field; targeted_test_passed: expected true or "
        "false; regression_suite: missing field; regression_passed: missing field; tester: "
        "missing field; tester_independence: 'none' is not one of same_team, "
        "independent_internal, independent_external; rescan: expected an object"
    )


@pytest.mark.parametrize(
    ("command", "required"),
    [
        ("new", "Required: --source, --learned-at, --channel, --summary, --affected (file fields: "
                "source, learned_at, channel, summary, affected)."),
        ("triage", "Required: --applicable/--not-applicable, --rationale, --verifiability"),
        ("close-not-affected", "Required: --justification, --impact, --evidence, --approver"),
        ("close-duplicate", "Required: --master (file fields: master_issue_id)."),
        ("analyze", "No field of R3_analysis is required"),
        ("decide", "[disclosure] decision, rationale; [resolution] approach, release_vehicle, "
                   "rationale; [cross_product] query, checked."),
        ("remediate", "Required: --change-request, --description"),
        ("review-change", "Required file fields: change_request_id, aspects."),
        ("verify", "Required file fields: software_version, targeted_test, targeted_test_passed, "
                   "regression_suite, regression_passed, tester, tester_independence."),
        ("rework", "Required: --reason (file fields: reason)."),
        ("release", "Required file fields: release_version, released_at, release_statuses."),
        ("monitor", "Required: --method, --result"),
        ("accept-risk", "Required file fields: residual_risk_statement, compensating_controls, "
                        "controlled_risk_evidence, user_information_ref, approver, review_on."),
        ("close", "Required: --rmf-ref, --problem-report-closed"),
        ("reopen", "Required: --trigger, --details (file fields: trigger, details)."),
        ("attach", "reporter-ack: reporter, sent_at, channel;"),
        ("override", "Required: --transition, --waive, --justification"),
    ],
)  # fmt: skip
def test_help_of_each_record_command_names_what_is_required(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str,
    required: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "2000")
    code, out, _ = run(capsys, "issue", command, "--help")
    assert code == 0
    assert required in " ".join(out.split())
