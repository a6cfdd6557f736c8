"""Absolute SARIF paths: a finding keeps its identity in another checkout."""

from __future__ import annotations

import orjson

from psirt.domain.scan import CodeLocation
from psirt.ingest.scans import parse


def _sarif(root: str, *, working_directory: str | None = None) -> bytes:
    run: dict[str, object] = {
        "tool": {"driver": {"name": "ruff", "version": "0.17.6"}},
        "results": [
            {
                "ruleId": "S608",
                "level": "error",
                "message": {"text": "Possible SQL injection"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"file://{root}/src/app/db.py"},
                            "region": {"startLine": 12, "startColumn": 5},
                        }
                    }
                ],
            }
        ],
    }
    if working_directory:
        run["invocations"] = [
            {"executionSuccessful": True, "workingDirectory": {"uri": working_directory}}
        ]
    return orjson.dumps({"version": "2.1.0", "runs": [run]})


def _only(result_path: str, data: bytes, root: str | None) -> tuple[str, str]:
    finding = parse(data, source=result_path, source_root=root).results[0]
    assert isinstance(finding.location, CodeLocation)
    return finding.location.path, finding.fingerprint


def test_source_root_makes_paths_relative_and_identity_checkout_independent() -> None:
    a = _only("a.sarif", _sarif("/home/runner/work/app"), "/home/runner/work/app")
    b = _only("b.sarif", _sarif("/tmp/ci/checkout"), "/tmp/ci/checkout/")
    assert a == b
    assert a[0] == "src/app/db.py"


def test_without_a_root_absolute_paths_stay_and_identities_differ() -> None:
    a = _only("a.sarif", _sarif("/home/runner/work/app"), None)
    b = _only("b.sarif", _sarif("/tmp/ci/checkout"), None)
    assert a[0] == "file:///home/runner/work/app/src/app/db.py"
    assert a[1] != b[1]


def test_the_runs_working_directory_is_a_root_too() -> None:
    data = _sarif("/srv/build/app", working_directory="file:///srv/build/app/")
    assert _only("c.sarif", data, None)[0] == "src/app/db.py"


def test_a_root_the_path_is_not_under_changes_nothing() -> None:
    path, _ = _only("d.sarif", _sarif("/srv/build/app"), "/srv/build/application")
    assert path == "file:///srv/build/app/src/app/db.py"
