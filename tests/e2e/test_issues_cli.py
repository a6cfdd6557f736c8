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


def test_kev_openssl_pump_walked_through_the_cli(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    as_ = ("--sign", "approved", "--as-role")
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
