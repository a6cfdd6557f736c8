"""psirt release review | sign | gate | approve and release status --override-gate, end to end
on the demo portfolio (Patient Monitor PM-8 7.4.2: issue 1 in REMEDIATION, KEV CVE-2023-4863
in libwebp 1.3.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psirt.cli.main import main
from psirt.services import demo
from psirt.store.db import Store, migrate
from tests.conftest import ASSETS

RG = ASSETS / "release_gate"
PM8 = ("-p", "Patient Monitor PM-8")
REVIEW = RG / "review-pm8-7.4.2.toml"


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


def test_review_sign_gate_approve(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8, "-f", "json")
    assert code == 1
    report = json.loads(out)
    assert report["missing"] == [
        "R13a release-gate review",
        "R13a entry for issue 1 (REMEDIATION)",
        "KEV CVE-2023-4863 in libwebp@1.3.1: not_applicable or mitigated assessment",
    ]
    assert [(i["issue"], i["state"], i["releases"]) for i in report["open_issues"]] == [
        ("1", "REMEDIATION", ["7.4.2: affected"])
    ]
    assert [(k["kev"], k["component"], k["version"]) for k in report["kev_findings"]] == [
        (["CVE-2023-4863"], "libwebp", "1.3.1")
    ]

    sign_as = ("--sign", "authored", "--as-role", "design_authority")
    code, out, _ = run(capsys, "release", "review", "7.4.2", *PM8, "--file", str(REVIEW), *sign_as)
    assert code == 0 and "review minutes recorded (version 1" in out
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8)
    assert code == 1
    assert "R13a approval by design_authority other than the chair" in out
    assert "R13a approval by qa_approver other than the chair" in out
    assert "R13a entry for issue 1" not in out and "KEV CVE-2023-4863" not in out

    code, _, err = run(capsys, "release", "approve", "7.4.2", *PM8, "--status", "fielded")
    assert code == 2
    assert err.startswith("psirt: release approval: gate not met; missing: R13a approval by")

    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8, "-f", "json")
    digest = json.loads(out)["review"]["digest"]
    for user, role in (("dan.other", "design_authority"), ("quinn.qa", "qa_approver")):
        code, out, _ = run(
            capsys,
            "-u",
            user,
            "release",
            "sign",
            "7.4.2",
            *PM8,
            "--as-role",
            role,
            "--digest",
            digest[:16],
        )
        assert code == 0 and f"signed: {user} ({role}, approved)" in out
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8)
    assert code == 0 and "met" in out and "missing" not in out
    code, out, _ = run(capsys, "release", "approve", "7.4.2", *PM8, "--status", "fielded")
    assert code == 0
    assert out.startswith(
        "release Patient Monitor PM-8 7.4.2 approved and fielded (review version 3"
    )
    code, out, _ = run(capsys, "release", "gate", "7.4.2", *PM8, "-f", "json")
    decisions = json.loads(out)["decisions"]
    assert [(d["kind"], d["status"], d["decided_by"]) for d in decisions] == [
        ("approval", "fielded", "dana.design")
    ]
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
