"""psirt scans / activities / plan / surface / ci end to end, on a throw-away SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from psirt.cli.main import main
from tests.conftest import ASSETS, require_shared

ACT = ASSETS / "activities"
TABLES = ("activities", "activity_inputs", "scan_identities", "scan_results", "audit_events")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("PSIRT_USER", "alice")
    assert main(["init"]) == 0
    assert main(["product", "add", "Pump"]) == 0
    assert main(["release", "add", "1.0", "-p", "Pump"]) == 0
    assert main(["release", "add", "1.1", "-p", "Pump"]) == 0
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        result = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return result


def _sarif(tmp_path: Path, name: str, results: list[dict[str, object]]) -> Path:
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "ruff", "version": "0.17.6"}},
                "results": results,
            }
        ],
    }
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _result(rule: str, path: str, line: int, level: str, text_: str) -> dict[str, object]:
    return {
        "ruleId": rule,
        "level": level,
        "message": {"text": text_},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": line, "startColumn": 5},
                }
            }
        ],
    }


def test_inspect_json_has_exactly_the_issue_keys(capsys: pytest.CaptureFixture[str]) -> None:
    zap = require_shared(
        "scanners", "zap-json", "zap-extensions-reports", "basic-traditional-json.json"
    )
    code, out, _ = run(capsys, "scans", "inspect", str(zap), "--format", "json")
    assert code == 0
    value = json.loads(out)
    assert list(value) == ["format", "tool", "tool_version", "results", "instances"]
    assert value["format"] == "zap-json"
    code, out, _ = run(capsys, "scans", "inspect", str(zap))
    assert code == 0 and "suppressed" in out


def test_import_findings_dispose_and_ci_gate(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    high = _result("S608", "src/app/db.py", 40, "error", "Possible SQL injection")
    low = _result("S311", "src/app/rand.py", 9, "note", "Pseudo-random generator")
    first = _sarif(tmp_path, "first.sarif", [high, low])
    code, out, err = run(
        capsys,
        "ci",
        "check",
        str(first),
        "-p",
        "Pump",
        "-r",
        "1.0",
        "--fail-on",
        "high",
        "-f",
        "json",
    )
    assert code == 1, err
    gate = json.loads(out)
    assert gate["passed"] is False
    assert [(b["rule_id"], b["where"], b["severity"]) for b in gate["blocking"]] == [
        ("S608", "src/app/db.py:40", "high")
    ]
    finding = gate["blocking"][0]["id"]
    # A false positive needs a rationale; without one nothing is written.
    before = counts(db)
    code, _, err = run(capsys, "scans", "dispose", str(finding), "--as", "false_positive")
    assert code == 2 and "needs a rationale" in err
    assert counts(db) == before
    code, out, _ = run(
        capsys,
        "scans",
        "dispose",
        str(finding),
        "--as",
        "false_positive",
        "--rationale",
        "query text is a constant",
    )
    assert code == 0 and "false_positive" in out
    # Same finding reworded: identity and disposition kept, the gate passes.
    reworded = _sarif(
        tmp_path,
        "second.sarif",
        [dict(high, message={"text": "SQL built from strings"}), low],
    )
    code, out, _ = run(capsys, "ci", "check", str(reworded), "-p", "Pump", "-r", "1.0")
    assert code == 0 and "passed" in out
    code, out, _ = run(capsys, "scans", "findings", "-p", "Pump", "-f", "json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows[finding]["disposition"]["kind"] == "false_positive"
    assert rows[finding]["disposition"]["rationale"] == "query text is a constant"
    assert rows[finding]["message"] == "SQL built from strings"
    code, out, _ = run(capsys, "scans", "findings", "-p", "Pump", "--open", "-f", "json")
    assert [r["rule_id"] for r in json.loads(out)] == ["S311"]
    # The low one is fixed: gone with the run that stopped seeing it.
    third = _sarif(tmp_path, "third.sarif", [high])
    code, out, _ = run(
        capsys,
        "scans",
        "import",
        str(third),
        "-p",
        "Pump",
        "-r",
        "1.0",
        "--performer",
        "ci-bot",
        "--not-independent",
        "--commit",
        "9f8e7d6",
        "-f",
        "json",
    )
    assert code == 0
    imported = json.loads(out)
    assert (imported["results"], imported["gone"]) == (1, 1)
    code, out, _ = run(capsys, "scans", "findings", "-p", "Pump", "-f", "json")
    gone = [r for r in json.loads(out) if r["rule_id"] == "S311"]
    assert gone[0]["gone_activity"] == imported["activity_id"]
    assert gone[0]["state"] == f"gone (activity {imported['activity_id']})"
    code, out, _ = run(capsys, "activities", "list", "-p", "Pump", "-f", "json")
    acts = json.loads(out)
    assert [(a["type"], a["tool"], a["input_file"]) for a in acts] == [
        ("sast", "ruff", "first.sarif"),
        ("sast", "ruff", "second.sarif"),
        ("sast", "ruff", "third.sarif"),
    ]
    assert (acts[2]["performer"], acts[2]["build"], acts[2]["independent"]) == (
        "ci-bot",
        "9f8e7d6",
        False,
    )
    code, out, _ = run(capsys, "scans", "history", str(finding), "-f", "json")
    assert [(h["kind"], h["actor"]) for h in json.loads(out)] == [("false_positive", "alice")]
    assert run(capsys, "audit", "verify")[0] == 0


def test_ci_gate_fails_again_on_an_identical_rerun(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    high = _result("S608", "src/app/db.py", 40, "error", "Possible SQL injection")
    low = _result("S311", "src/app/rand.py", 9, "note", "Pseudo-random generator")
    report = _sarif(tmp_path, "build.sarif", [high, low])
    check = ("ci", "check", str(report), "-p", "Pump", "-r", "1.0", "--fail-on", "high")
    code, out, _ = run(capsys, *check, "-f", "json")
    assert code == 1
    first = json.loads(out)
    (blocking,) = first["blocking"]
    since = blocking["first_seen"]
    assert (blocking["rule_id"], blocking["where"], blocking["severity"], blocking["new"]) == (
        "S608",
        "src/app/db.py:40",
        "high",
        True,
    )
    # Nothing dispositioned: the identical re-run fails again, naming the same finding.
    code, out, _ = run(capsys, *check, "-f", "json")
    assert code == 1
    again = json.loads(out)
    assert (again["passed"], again["new_only"]) == (False, False)
    keys = ("id", "rule_id", "where", "first_seen", "new")
    seen = [tuple(b[k] for k in keys) for b in again["blocking"]]
    assert seen == [(blocking["id"], "S608", "src/app/db.py:40", since, False)]
    code, out, err = run(capsys, *check)
    assert code == 1
    assert "1 open finding(s) at or above high without disposition" in out
    line = next(x for x in out.splitlines() if "S608" in x)
    for cell in (str(blocking["id"]), "high", "src/app/db.py:40", since[:10], "seen again"):
        assert cell in line, (cell, line)
    assert "2 results, 0 new, 2 seen again, 0 gone" in err
    # --new-only keeps the old rule: nothing new, so it passes.
    code, out, _ = run(capsys, *check, "--new-only")
    assert code == 0 and "passed: no new finding at or above high without disposition" in out
    code, out, _ = run(
        capsys,
        "scans",
        "dispose",
        str(blocking["id"]),
        "--as",
        "false_positive",
        "--rationale",
        "query text is a constant",
    )
    assert code == 0
    code, out, _ = run(capsys, *check)
    assert code == 0 and "passed: no open finding at or above high without disposition" in out


def test_dispose_reference_must_name_a_stored_record(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _sarif(tmp_path, "build.sarif", [_result("S608", "src/db.py", 4, "error", "SQL")])
    code, out, _ = run(capsys, "scans", "import", str(report), "-p", "Pump", "-r", "1.0",
                       "-f", "json")  # fmt: skip
    activity = json.loads(out)["activity_id"]
    code, out, _ = run(capsys, "scans", "findings", "-p", "Pump", "-f", "json")
    (finding,) = [r["id"] for r in json.loads(out)]
    before = counts(db)
    accept = ("scans", "dispose", str(finding), "--as", "accepted", "--reference")
    code, _, err = run(capsys, *accept, "DMS-77 risk file")
    assert code == 2
    assert "--reference 'DMS-77 risk file': not a record reference; expected one of" in err
    code, _, err = run(capsys, *accept, "issue:5")
    assert code == 2
    assert "--reference 'issue:5': security issue 5 does not exist (see 'psirt issue list')" in err
    code, _, err = run(capsys, *accept, "review:Pump@1.0")
    assert code == 2 and "--reference 'review:Pump@1.0': no release-gate review of Pump 1.0" in err
    code, _, err = run(capsys, "scans", "dispose", str(finding), "--as", "false_positive",
                       "--rationale", "constant query", "--reference", "activity:99")  # fmt: skip
    assert code == 2 and "--reference 'activity:99': activity 99 does not exist" in err
    assert counts(db) == before
    code, out, _ = run(capsys, *accept, f"Activity:{activity}")
    assert code == 0 and f"accepted (disposition 1, reference activity:{activity})" in out
    code, out, _ = run(capsys, "scans", "history", str(finding), "-f", "json")
    assert [(h["kind"], h["reference"]) for h in json.loads(out)] == [
        ("accepted", f"activity:{activity}")
    ]
    assert run(capsys, "audit", "verify")[0] == 0


def test_bad_report_writes_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.sarif"
    bad.write_text('{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [7]}]}')
    before = counts(db)
    code, _, err = run(capsys, "scans", "import", str(bad), "-p", "Pump", "-r", "1.0")
    assert code == 2
    assert err.startswith(f"psirt: {bad}: ")
    assert "results[0]" in err
    code, _, err = run(capsys, "ci", "check", str(bad), "-p", "Pump", "-r", "1.0")
    assert code == 2 and str(bad) in err
    code, _, err = run(
        capsys, "scans", "import", str(bad.with_name("missing.json")), "-p", "Pump", "-r", "1.0"
    )
    assert code == 2 and "no such file" in err
    assert counts(db) == before


def test_plan_surface_and_due(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "set", str(ACT / "plan.toml"), "-p", "Pump")
    assert code == 0 and "4 required activities" in out
    code, out, _ = run(capsys, "plan", "show", "-p", "Pump", "-f", "json")
    shown = json.loads(out)
    assert [(a["type"], a["cadence"]) for a in shown["activities"]] == [
        ("sast", "every build"),
        ("dast", "every release, every 90 days, on attack-surface change"),
        ("penetration_test", "every 365 days, on attack-surface change"),
        ("threat_model_review", "on attack-surface change"),
    ]
    assert (
        run(capsys, "surface", "set", str(ACT / "surface-1.0.toml"), "-p", "Pump", "-r", "1.0")[0]
        == 0
    )
    code, out, _ = run(
        capsys, "surface", "set", str(ACT / "surface-1.1.json"), "-p", "Pump", "-r", "1.1"
    )
    assert code == 0 and "+interfaces: Bluetooth LE" in out and "penetration test are due" in out
    code, out, _ = run(capsys, "surface", "show", "-p", "Pump", "-r", "1.1", "-f", "json")
    assert json.loads(out)["interfaces"] == ["Bluetooth LE", "USB service port", "Wi-Fi"]
    code, out, _ = run(capsys, "activities", "due", "-p", "Pump", "-f", "json")
    assert code == 0  # nothing released yet: due, not overdue
    due = json.loads(out)
    assert {(d["type"], d["release"], d["status"]) for d in due} >= {
        ("dast", "1.0", "due"),
        ("dast", "1.1", "due"),
        ("penetration_test", "1.1", "due"),
        ("threat_model_review", "1.1", "due"),
    }
    assert all(d["reason"] for d in due)
    override = ("--override-gate", "activity-due test: release gate not under test")
    assert run(capsys, "release", "status", "1.0", "released", "-p", "Pump", *override)[0] == 0
    code, out, _ = run(capsys, "activities", "due", "-p", "Pump")
    assert code == 1 and "overdue" in out


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("plan-invalid-type.toml", "activity[0].type: 'sats' is not one of sast"),
        (
            "plan-invalid-interval.toml",
            "activity[0].interval_days: must be a positive whole number",
        ),
    ],
)
def test_invalid_plan(
    db: str, capsys: pytest.CaptureFixture[str], asset: str, message: str
) -> None:
    code, _, err = run(capsys, "plan", "set", str(ACT / asset), "-p", "Pump")
    assert code == 2
    assert f"{ACT / asset}: {message}" in err


def test_invalid_surface(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = ACT / "surface-invalid-key.toml"
    code, _, err = run(capsys, "surface", "set", str(path), "-p", "Pump", "-r", "1.0")
    assert code == 2
    assert f"{path}: port: unknown key" in err


def _due(capsys: pytest.CaptureFixture[str]) -> set[tuple[str, str | None]]:
    code, out, _ = run(capsys, "activities", "due", "-p", "Pump", "-f", "json")
    return {(d["type"], d["release"]) for d in json.loads(out)}


def test_sarif_without_runs_is_no_evidence_of_a_test(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "plan", "set", str(ACT / "plan.toml"), "-p", "Pump")[0] == 0
    assert ("dast", "1.0") in _due(capsys)
    empty = tmp_path / "empty.sarif"
    empty.write_text(json.dumps({"version": "2.1.0", "runs": []}))
    before = counts(db)
    code, _, err = run(
        capsys, "scans", "import", str(empty), "-p", "Pump", "-r", "1.0", "-t", "dast"
    )
    assert code == 2
    assert (
        f"psirt: {empty}: a SARIF log without runs is no evidence of any test; to record it as "
        "dast all the same, give the reason with --accept-mismatch" in err
    )
    code, _, err = run(capsys, "ci", "check", str(empty), "-p", "Pump", "-r", "1.0")
    assert code == 2 and "a SARIF log without runs is no evidence of any test" in err
    assert counts(db) == before
    assert ("dast", "1.0") in _due(capsys)

    why = "scanner crashed before the first run; DAST repeated in ticket QA-17"
    code, out, err = run(
        capsys,
        "scans", "import", str(empty), "-p", "Pump", "-r", "1.0", "-t", "dast",
        "--accept-mismatch", why,
    )  # fmt: skip
    assert code == 0
    assert (
        f"recorded despite: a SARIF log without runs is no evidence of any test (rationale: {why})"
        in err
    )
    code, out, _ = run(capsys, "activities", "list", "-p", "Pump", "-f", "json")
    (activity,) = json.loads(out)
    assert activity["summary"]["accepted_mismatch"] == {
        "problem": "a SARIF log without runs is no evidence of any test",
        "rationale": why,
    }
    code, out, _ = run(capsys, "audit", "log", "-f", "json")
    recorded = [e for e in json.loads(out) if e["action"] == "activity.record"]
    assert recorded[-1]["detail"]["summary"]["accepted_mismatch"]["rationale"] == why


def test_report_of_a_tool_that_cannot_perform_the_method_is_refused(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bandit = require_shared("scanners", "defectdojo", "bandit", "many_vulns.json")
    before = counts(db)
    code, _, err = run(
        capsys, "scans", "import", str(bandit), "-p", "Pump", "-r", "1.0", "-t", "penetration_test"
    )
    assert code == 2
    assert f"{bandit}: a bandit report of 'Bandit' with " in err
    assert "cannot be evidence of penetration_test: it stands for sast" in err
    unknown = tmp_path / "inhouse.sarif"
    unknown.write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {"driver": {"name": "In-house analyser"}},
                        "results": [_result("R1", "a.py", 1, "error", "x")],
                    }
                ],
            }
        )
    )
    code, _, err = run(
        capsys, "scans", "import", str(unknown), "-p", "Pump", "-r", "1.0", "-t", "dast"
    )
    assert code == 2 and "is not a tool known to perform dast" in err
    code, _, err = run(
        capsys, "scans", "import", str(unknown), "-p", "Pump", "-r", "1.0", "-t", "dast",
        "--accept-mismatch", "  ",
    )  # fmt: skip
    assert code == 2  # a blank rationale is none
    assert counts(db) == before
    code, out, _ = run(capsys, "scans", "import", str(bandit), "-p", "Pump", "-r", "1.0")
    assert code == 0 and "(sast, bandit, Bandit)" in out
