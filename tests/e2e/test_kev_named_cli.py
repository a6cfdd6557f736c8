"""KEV-listed through a related CVE, named on the command line: psirt match (table and JSON),
psirt findings list (table and JSON), psirt issue new --from-finding, issue list and show.
Data: the demo portfolio (AlmaLinux ALSA-2023:5453 fixes CVE-2023-4911, which CISA lists)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psirt.cli.main import main
from psirt.demo import data_dir

FEEDS = data_dir() / "feeds"
IMAGING_SBOM = data_dir() / "sbom" / "imaging-workstation-5.1.cdx.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _line(out: str, *words: str) -> str:
    return next(x for x in out.splitlines() if all(w in x for w in words))


def test_match_names_the_kev_cve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = ("--advisories", str(FEEDS / "osv-almalinux9-slice.zip"),
             "--advisories", str(FEEDS / "kev-slice.json"))  # fmt: skip
    code, out, _ = run(capsys, "match", str(IMAGING_SBOM), *feeds, "--format", "json")
    assert code == 1
    found = json.loads(out)["findings"]
    glibc = [f for f in found if f["advisory_id"] == "ALSA-2023:5453"]
    assert [(f["name"], f["kev"], f["kev_ids"]) for f in glibc] == [
        ("glibc", True, ["CVE-2023-4911"])
    ]
    assert all(f["kev_ids"] == [] and f["kev"] is False for f in found if f not in glibc)
    code, out, _ = run(capsys, "match", str(IMAGING_SBOM), *feeds)
    assert code == 1
    assert "CVE-2023-4911" in _line(out, "glibc", "ALSA-2023:5453")


def test_findings_and_issue_name_the_kev_cve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSIRT_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("PSIRT_USER", "pat")
    assert run(capsys, "demo")[0] == 0
    code, out, _ = run(capsys, "findings", "list", "--kev", "-p", "Imaging Workstation",
                       "-r", "5.1", "-f", "json")  # fmt: skip
    assert code == 0
    (glibc,) = json.loads(out)
    assert (glibc["component"], glibc["advisory_id"], glibc["kev"], glibc["kev_ids"]) == (
        "glibc", "ALSA-2023:5453", True, ["CVE-2023-4911"]
    )  # fmt: skip
    code, out, _ = run(capsys, "findings", "list", "--kev")
    assert "CVE-2023-4911" in _line(out, "Imaging Workstation", "glibc", "ALSA-2023:5453")
    assert "CVE-2023-44487" in _line(out, "Device Fleet Manager", "golang.org/x/net")

    code, out, _ = run(capsys, "issue", "new", "--from-finding", str(glibc["id"]), "-f", "json")
    assert code == 0
    opened = json.loads(out)
    issue = opened["issue"]
    assert (opened["state"], opened["kev"], opened["kev_ids"]) == (
        "RECEIVED", True, ["CVE-2023-4911"]
    )  # fmt: skip
    assert opened["vulnerability_ids"] == [
        "CVE-2023-4527", "CVE-2023-4806", "CVE-2023-4813", "CVE-2023-4911", "ALSA-2023:5453"
    ]  # fmt: skip
    code, out, _ = run(capsys, "findings", "list", "-p", "Imaging Workstation", "-f", "json")
    sudo = next(f for f in json.loads(out) if f["advisory_id"] == "ALSA-2023:0282")
    code, out, _ = run(capsys, "issue", "new", "--from-finding", str(sudo["id"]))
    assert code == 0 and out.splitlines()[-1].endswith("; KEV no")
    code, out, _ = run(capsys, "issue", "list", "-f", "json")
    listed = {i["id"]: i for i in json.loads(out)}
    assert (listed[issue]["kev"], listed[issue]["kev_ids"]) == (True, ["CVE-2023-4911"])
    assert "CVE-2023-4911" in listed[issue]["vulnerability_ids"]
    code, out, _ = run(capsys, "issue", "list")
    assert "yes (CVE-2023-4911)" in _line(out, f" {issue} ", "RECEIVED")
    code, out, _ = run(capsys, "issue", "show", str(issue))
    assert "KEV yes (CVE-2023-4911)" in out
    assert "CVE-2023-4911" in _line(out, str(glibc["id"]), "glibc", "ALSA-2023:5453")
    code, out, _ = run(capsys, "issue", "show", str(issue), "-f", "json")
    shown = json.loads(out)
    assert (shown["kev"], shown["kev_ids"]) == (True, ["CVE-2023-4911"])
    assert [(f["id"], f["kev_ids"]) for f in shown["findings"]] == [
        (glibc["id"], ["CVE-2023-4911"])
    ]
