"""psirt csaf validate: exit codes, the test number and JSON path of each error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psirt.cli.main import main
from tests.conftest import require_shared


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_documents_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    root = require_shared("advisories", "csaf")
    files = [
        root / "oasis-examples" / "bsi-2022-0001.json",
        root / "cisa-icsma" / "2019" / "icsma-19-080-01.json",
    ]
    code, out, _ = run(capsys, "csaf", "validate", *map(str, files))
    assert code == 0
    assert out.splitlines() == [f"{f}: valid (43 mandatory tests passed)" for f in files]


def test_invalid_document_exits_2_naming_test_and_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = require_shared("advisories", "csaf", "oasis-examples")
    doc = json.loads((root / "bsi-2022-0001.json").read_text())
    doc["document"]["lang"] = "EZ"
    doc["vulnerabilities"].append(dict(doc["vulnerabilities"][0]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    good = root / "cisco-sa-20180328-smi2.json"
    code, out, err = run(capsys, "csaf", "validate", str(good), str(bad), "--format", "json")
    assert code == 2
    value = json.loads(out)
    assert value["valid"] is False
    assert [d["valid"] for d in value["documents"]] == [True, False]
    errors = value["documents"][1]["errors"]
    assert {
        "test": "6.1.12",
        "path": "/document/lang",
        "message": "'EZ' is not a valid language tag: 'ez' is not a registered language subtag",
    } in errors
    assert {(e["test"], e["path"]) for e in errors} >= {("6.1.23", "/vulnerabilities/1/cve")}
    code, out, err = run(capsys, "csaf", "validate", str(bad))
    assert code == 2
    assert "6.1.12" in out and "/document/lang" in out
    assert f"{bad}: invalid" in err


def test_broken_and_missing_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"document": {')
    code, out, _ = run(
        capsys, "csaf", "validate", str(broken), str(tmp_path / "none.json"), "-f", "json"
    )
    assert code == 2
    docs = json.loads(out)["documents"]
    assert docs[0]["errors"][0]["path"] == "line 1, column 15"
    assert docs[1]["errors"] == [{"test": "input", "path": "", "message": "no such file"}]
