"""psirt release review | sign | gate | approve and release status --override-gate, end to end
on the demo portfolio (Patient Monitor PM-8 7.4.2: issue 1 in REMEDIATION, KEV CVE-2023-4863
in libwebp 1.3.1, registered as fielded without review; 7.5.0's minutes, signed by the chair,
cover it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psirt.cli.main import main
from psirt.demo import data_dir
from psirt.services import demo
from psirt.store.db import Store, migrate
from tests.conftest import ASSETS

RG = ASSETS / "release_gate"
PM8 = ("-p", "Patient Monitor PM-8")
REVIEW = RG / "review-pm8-7.4.2.toml"
REVIEW_7_5_0 = data_dir() / "reviews" / "patient-monitor-7.5.0-review.toml"
WITHOUT_7_4_2 = RG / "review-pm8-7.5.0-without-7.4.2.toml"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    store = Store(url)
    migrate(store.engine)
    with store.unit_of_work() as s:
        demo.load_portfolio(s, actor="demo")
    store.engine.dispose()
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("PSIRT_USER", "dana.design")
    monkeypatch.delenv("PSIRT_POLICY", raising=False)
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _missing_7_4_2_entry(report: dict[str, object]) -> str:
    (row,) = report["unreviewed_releases"]  # type: ignore[misc]
    return (
        f"R13a entry for release 7.4.2 registered fielded without review (decision "
        f"{row['decision']} by demo, {row['decided_at'][:10]}); its open issues: 1"
    )


def test_next_review_covers_the_release_registered_without_review(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo registers 7.4.2 as fielded and records 7.5.0's minutes, signed by the chair,
    listing 7.4.2 and its open issue 1: the approvers sign, 7.5.0 is approved, and 7.4.2 shows
    which review covered it. Minutes without the entry are refused."""
    code, out, _ = run(capsys, "release", "gate", "7.5.0", *PM8, "-f", "json")
    assert code == 1
    report = json.loads(out)
    assert report["missing"] == [
        "R13a approval by design_authority other than the chair",
        "R13a approval by qa_approver other than the chair",
    ]
    assert [(u["release"], u["status"], u["open_issues"], u["covered"], u["listed_issues"])
            for u in report["unreviewed_releases"]] == [
        ("7.4.2", "fielded", ["1"], True, ["1"])
    ]  # fmt: skip
    assert report["registered_without_review"] == []
    assert (report["untriaged_findings"], report["due_activities"]) == ([], [])
    code, out, _ = run(capsys, "release", "list", *PM8, "-f", "json")
    assert [(r["version"], r["gate"]) for r in json.loads(out)] == [
        ("7.4.2", "registered without review; not yet covered by a review"),
        ("7.5.0", ""),
    ]

    sign_as = ("--sign", "authored", "--as-role", "design_authority")
    code, out, _ = run(capsys, "release", "review", "7.5.0", *PM8, "--file", str(WITHOUT_7_4_2),
                       *sign_as)  # fmt: skip
    assert code == 0 and "review minutes recorded (version 2" in out
    code, out, _ = run(capsys, "release", "gate", "7.5.0", *PM8, "-f", "json")
    assert code == 1
    refused = json.loads(out)
    assert _missing_7_4_2_entry(report) in refused["missing"]
    assert [u["covered"] for u in refused["unreviewed_releases"]] == [False]
    code, out, _ = run(capsys, "release", "gate", "7.5.0", *PM8)
    assert "- " + _missing_7_4_2_entry(report) in out
    code, _, err = run(capsys, "release", "approve", "7.5.0", *PM8, "--status", "fielded")
    assert code == 2 and _missing_7_4_2_entry(report) in err

    code, out, _ = run(capsys, "release", "review", "7.5.0", *PM8, "--file", str(REVIEW_7_5_0),
                       *sign_as)  # fmt: skip
    assert code == 0 and "review minutes recorded (version 3" in out
    code, out, _ = run(capsys, "release", "gate", "7.5.0", *PM8, "-f", "json")
    digest = json.loads(out)["review"]["digest"]
    for user, role in (("dan.other", "design_authority"), ("quinn.qa", "qa_approver")):
        code, out, _ = run(
            capsys,
            "-u",
            user,
            "release",
            "sign",
            "7.5.0",
            *PM8,
            "--as-role",
            role,
            "--digest",
            digest[:16],
        )
        assert code == 0 and f"signed: {user} ({role}, approved)" in out
    code, out, _ = run(capsys, "release", "gate", "7.5.0", *PM8)
    assert code == 0 and "met" in out and "missing" not in out
    code, out, _ = run(capsys, "release", "approve", "7.5.0", *PM8, "--status", "fielded")
    assert code == 0
    assert out.startswith(
        "release Patient Monitor PM-8 7.5.0 approved and fielded (review version 5"
    )
    code, out, _ = run(capsys, "release", "gate", "7.5.0", *PM8, "-f", "json")
    decisions = json.loads(out)["decisions"]
    assert [(d["kind"], d["status"], d["decided_by"]) for d in decisions] == [
        ("approval", "fielded", "dana.design")
    ]
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8, "-f", "json")
    own = json.loads(out)["registered_without_review"]
    assert [(w["kind"], w["status"], w["decided_by"], w["covered_by"]["release"]) for w in own] == [
        ("unreviewed", "fielded", "demo", "7.5.0")
    ]
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8)
    assert "registered fielded without review" in out and "covered by the review of 7.5.0" in out
    code, out, _ = run(capsys, "release", "list", *PM8, "-f", "json")
    assert [(r["version"], r["gate"]) for r in json.loads(out)] == [
        ("7.4.2", "registered without review; covered by the review of 7.5.0"),
        ("7.5.0", "approved"),
    ]
    assert run(capsys, "audit", "verify")[0] == 0


def test_untriaged_findings_block_as_the_policy_says(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """7.4.2 carries busybox (8.1), open62541 (7.5) and xz (10.0) findings attached to no issue:
    they block its gate under the shipped policy; a site policy moves the threshold."""
    untriaged = {
        "CVE-2018-1000500 in busybox@1.31.1": "high",
        "CVE-2022-25761 in open62541@1.2.4": "high",
        "CVE-2024-3094 in xz@5.6.0": "critical",
    }
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8, "-f", "json")
    assert code == 1
    report = json.loads(out)
    assert {f["what"]: f["severity"] for f in report["untriaged_findings"]} == untriaged
    assert all(f["source"] == "sbom" for f in report["untriaged_findings"])
    for f in report["untriaged_findings"]:
        label = (f"untriaged SBOM finding {f['finding']} ({f['severity']}): {f['what']}, open "
                 f"since {f['since'][:10]}: attach it to a security issue")  # fmt: skip
        assert label in report["missing"]
    own = report["registered_without_review"]
    assert [(w["kind"], w["covered_by"]) for w in own] == [("unreviewed", None)]
    site = tmp_path / "site.toml"
    site.write_text('[release_gate]\nsbom_findings_at = "critical"\n')
    code, out, _ = run(
        capsys, "release", "gate", "7.4.2", *PM8, "--policy", str(site), "-f", "json"
    )
    assert [f["what"] for f in json.loads(out)["untriaged_findings"]] == [
        "CVE-2024-3094 in xz@5.6.0"
    ]
    site.write_text("[release_gate]\nuntriaged_sbom_findings = false\n")
    code, out, _ = run(
        capsys, "release", "gate", "7.4.2", *PM8, "--policy", str(site), "-f", "json"
    )
    assert json.loads(out)["untriaged_findings"] == []
    site.write_text('[release_gate]\nsbom_findings_at = "severe"\n')
    code, _, err = run(capsys, "release", "gate", "7.4.2", *PM8, "--policy", str(site))
    assert code == 2
    assert "site.toml: release_gate.sbom_findings_at: 'severe' is not one of critical" in err


def test_gate_names_due_activities_and_other_unreviewed_releases(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = ("-p", "Clinical Data Gateway")
    code, out, _ = run(capsys, "release", "gate", "3.2.0", *gw, "-f", "json")
    assert code == 1
    report = json.loads(out)
    assert {(d["type"], d["status"], d["release"]) for d in report["due_activities"]} == {
        ("dast", "due", "3.2.0"),
        ("penetration_test", "due", "3.2.0"),
        ("threat_model_review", "due", "3.2.0"),
    }
    assert [u["release"] for u in report["unreviewed_releases"]] == ["3.1.0"]
    assert any(m.startswith("penetration_test due: attack surface changed from release 3.1.0")
               for m in report["missing"])  # fmt: skip


def test_release_registered_as_fielded_says_so(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "release", "add", "7.3.9", *PM8, "--status", "released")
    assert code == 0
    assert out.splitlines() == [
        "release Patient Monitor PM-8 7.3.9 added (released)",
        "registered without release-gate review: the next review of Patient Monitor PM-8 must "
        "list 7.3.9 and its open issues",
    ]
    code, out, _ = run(capsys, "release", "gate", "7.5.0", *PM8, "-f", "json")
    assert [u["release"] for u in json.loads(out)["unreviewed_releases"]] == ["7.4.2", "7.3.9"]
    assert run(capsys, "audit", "verify")[0] == 0


def test_stale_digest_and_missing_role_are_refused(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "release", "sign", "7.4.2", *PM8, "--as-role", "qa_approver")
    assert code == 2 and "no release-gate review of Patient Monitor PM-8 7.4.2 to sign" in err
    assert run(capsys, "release", "review", "7.4.2", *PM8, "--file", str(REVIEW))[0] == 0
    code, _, err = run(
        capsys, "release", "sign", "7.4.2", *PM8, "--as-role", "qa_approver", "--digest", "0000"
    )
    assert code == 2 and "not 0000" in err
    code, _, err = run(capsys, "release", "sign", "7.4.2", *PM8)
    assert code == 2 and "give --as-role for 'dana.design'" in err


def test_release_status_needs_the_gate_or_an_override(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = ("-p", "Clinical Data Gateway")
    code, _, err = run(capsys, "release", "status", "3.2.0", "released", *gw)
    assert code == 2
    assert "approved R13a release-gate review of Clinical Data Gateway 3.2.0" in err
    code, out, _ = run(
        capsys,
        "release",
        "status",
        "3.2.0",
        "released",
        *gw,
        "--override-gate",
        "CAPA-104: gate review held on paper, scanned to DMS-77",
    )
    assert code == 0 and "is now released" in out
    code, out, _ = run(capsys, "release", "gate", "3.2.0", *gw, "-f", "json")
    assert code == 1
    assert json.loads(out)["decisions"][0]["justification"].startswith("CAPA-104")
    assert run(capsys, "audit", "verify")[0] == 0


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("invalid-other-release.toml", "release: '7.4.1', but the command names '7.4.2'"),
        ("invalid-duplicate-issue.toml", "issues[1].issue_id: issue 1 appears twice"),
    ],
)
def test_bad_review_file_writes_nothing(
    db: str, capsys: pytest.CaptureFixture[str], asset: str, message: str
) -> None:
    code, _, err = run(capsys, "release", "review", "7.4.2", *PM8, "--file", str(RG / asset))
    assert code == 2 and f"{RG / asset}: {message}" in err
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8, "-f", "json")
    assert json.loads(out)["review"] is None
