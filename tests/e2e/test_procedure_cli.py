"""psirt procedure render | issue | sign | list and the demo's procedure, end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdf
import pytest

from psirt.cli.main import main
from psirt.store.db import Store, migrate

POLICY = '[people]\n"q.lee" = ["qa_approver"]\n"m.diaz" = ["management"]\n'


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'psirt.db'}"
    store = Store(url)
    migrate(store.engine)
    store.engine.dispose()
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("PSIRT_POLICY", str(policy))
    monkeypatch.setenv("PSIRT_USER", "pat.psirt")
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_issue_sign_render_list(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "procedure", "render")
    assert code == 0 and out.startswith("# Security Issue Resolution Procedure\n")
    assert "> **DRAFT: not issued, not for use**" in out
    assert "| Version | draft of version 1 |" in out

    code, out, _ = run(capsys, "procedure", "issue", "--note", "first release of the SOP")
    assert code == 0 and out.startswith("issued procedure version 1 (PSIRT-SIRP)")
    code, out, _ = run(capsys, "procedure", "issue")
    assert code == 0 and out.startswith("nothing to issue")

    code, _, err = run(capsys, "procedure", "sign")
    assert code == 2 and "give --as-role for 'pat.psirt'" in err
    code, _, err = run(capsys, "-u", "q.lee", "procedure", "sign", "--as-role", "management")
    assert code == 2 and "q.lee does not hold role management in the policy" in err
    code, out, _ = run(capsys, "-u", "q.lee", "procedure", "sign")
    assert code == 0 and "signed by q.lee (qa_approver, approved)" in out
    code, out, _ = run(capsys, "-u", "m.diaz", "procedure", "sign", "-f", "json")
    assert code == 0 and json.loads(out)["status"] == "Approved, in force"

    code, out, _ = run(capsys, "procedure", "list", "-f", "json")
    (listed,) = json.loads(out)
    assert (listed["version"], listed["issued_by"], listed["note"]) == (
        1, "pat.psirt", "first release of the SOP"
    )  # fmt: skip
    assert [s["signer"] for s in listed["signatures"]] == ["q.lee", "m.diaz"]

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for fmt in ("md", "html", "pdf"):
        code, _, err = run(capsys, "procedure", "render", "-f", fmt, "--out", str(out_dir))
        assert code == 0 and "procedure version 1: Approved, in force; written to" in err
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == [f"security-issue-resolution-procedure-v1.{x}" for x in ("html", "md", "pdf")]
    pdf = (out_dir / "security-issue-resolution-procedure-v1.pdf").read_bytes()
    first = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "m.diaz" in first and "q.lee" in first and "Approved, in force" in first
    code, _, _ = run(capsys, "procedure", "render", "-f", "pdf", "--version", "1",
                     "--out", str(tmp_path / "again.pdf"))  # fmt: skip
    assert code == 0 and (tmp_path / "again.pdf").read_bytes() == pdf

    code, _, err = run(capsys, "procedure", "render", "--version", "2")
    assert code == 2 and "no procedure version 2; versions 1 to 1 exist" in err
    code, _, err = run(capsys, "procedure", "render", "--out", str(tmp_path / "no" / "x.md"))
    assert code == 2 and "does not exist" in err

    # The rendered folder is evidence of clause 9.5.
    code, out, _ = run(capsys, "evidence", "check", str(out_dir), "-f", "json")
    assert code == 0 and json.loads(out)["met"] is True


def test_the_demo_renders_its_procedure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.delenv("PSIRT_POLICY", raising=False)
    code, out, _ = run(capsys, "demo")
    assert code == 0
    folder = tmp_path / "procedure"
    assert f"version 1: Approved, in force; written to {folder}" in out
    for ext in ("md", "html", "pdf"):
        path = folder / f"security-issue-resolution-procedure-v1.{ext}"
        assert f"  {path}" in out and path.stat().st_size > 10_000
    code, out, _ = run(capsys, "procedure", "list", "-f", "json")
    (version,) = json.loads(out)
    assert [(s["signer"], s["role"]) for s in version["signatures"]] == [
        ("quality.manager", "qa_approver"), ("managing.director", "management")
    ]  # fmt: skip
    md = (folder / "security-issue-resolution-procedure-v1.md").read_text(encoding="utf-8")
    assert "| Patient Monitor PM-8 |" in md  # the demo's products are in scope
    assert "| Clinical Data Gateway | sast | every build |" in md  # and its test plan
    code, out, _ = run(capsys, "demo")  # again: the same version, nothing new issued
    assert code == 0 and "version 1: Approved, in force" in out
    assert run(capsys, "evidence", "check", str(folder))[0] == 0
