"""CSAF 2.0 validation: the JSON schema and every mandatory test of section 6.1.

The OASIS validator test documents must get their expected verdicts (``expected.json``), the
OASIS examples and the CISA ICSMA advisories must validate, and each test is also checked on
variants made here from real documents, so that the rule is tested and not the example.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from psirt.domain.csaf import CsafValidation, DocumentVersion, instant
from psirt.publish.csaf_tests import purl_problem
from psirt.publish.csaf_validate import (
    language_problem,
    mandatory_test_ids,
    validate_bytes,
    validate_document,
)
from tests.conftest import SHARED_DATA, require_shared

CSAF = SHARED_DATA / "advisories" / "csaf"
TESTS = CSAF / "oasis-validator-tests"


def _cases() -> list[Any]:
    path = TESTS / "expected.json"
    if not path.exists():
        return [pytest.param(None, id="shared-data-missing")]
    return [
        pytest.param(case, id=Path(case["file"]).stem.split("2021-")[1])
        for case in json.loads(path.read_text())["cases"]
    ]


def _validate(path: Path) -> CsafValidation:
    return validate_bytes(path.read_bytes(), source=str(path))


@pytest.mark.parametrize("case", _cases())
def test_oasis_validator_documents_get_their_verdict(case: dict[str, str] | None) -> None:
    require_shared("advisories", "csaf", "oasis-validator-tests", "expected.json")
    assert case is not None
    result = _validate(TESTS / case["file"])
    failed = set(result.failed_tests())
    if case["group"] != "mandatory":
        # documents of the optional and informative tests are valid CSAF documents
        assert result.valid, result.problems
    elif case["expected"] == "invalid":
        assert case["test_id"] in failed, result.problems
        assert all(p.path.startswith("/") for p in result.problems)
    else:
        assert result.valid, result.problems


def test_every_mandatory_test_is_run_and_has_a_failing_oasis_document() -> None:
    require_shared("advisories", "csaf", "oasis-validator-tests", "expected.json")
    ids = mandatory_test_ids()
    expected = {f"6.1.{n}" for n in range(1, 34) if n != 27} | {f"6.1.27.{n}" for n in range(1, 12)}
    assert set(ids) == expected
    cases = json.loads((TESTS / "expected.json").read_text())["cases"]
    assert {
        c["test_id"] for c in cases if c["expected"] == "invalid" and c["group"] == "mandatory"
    } == expected


def _documents(folder: str) -> list[Path]:
    root = CSAF / folder
    return sorted(root.rglob("*.json")) if root.exists() else []


@pytest.mark.parametrize("path", _documents("oasis-examples"), ids=lambda p: p.stem)
def test_oasis_examples_are_valid(path: Path) -> None:
    result = _validate(path)
    assert result.valid, result.problems
    assert len(result.tests) == 43


def test_cisa_icsma_advisories_are_valid() -> None:
    root = require_shared("advisories", "csaf", "cisa-icsma")
    paths = sorted(root.rglob("*.json"))
    assert len(paths) >= 90
    invalid = {p.name: _validate(p).problems for p in paths}
    assert {name: problems for name, problems in invalid.items() if problems} == {}


# --- the rules on variants of real documents ----------------------------------------------


def _icsma() -> dict[str, Any]:
    path = require_shared("advisories", "csaf", "cisa-icsma", "2020", "icsma-20-023-01.json")
    return json.loads(path.read_text())


def _vex() -> dict[str, Any]:
    path = require_shared(
        "advisories", "csaf", "oasis-examples", "csaf_vex", "2022-evd-uc-01-na-001.json"
    )
    return json.loads(path.read_text())


def _problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.test, p.path) for p in validate_document(doc, source="variant").problems]


def test_cvss_score_severity_and_properties_are_recomputed_from_the_vector() -> None:
    doc = _icsma()
    v3 = doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]
    assert v3["vectorString"] == "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
    v3["baseScore"] = 9.9
    v3["baseSeverity"] = "HIGH"
    v3["attackVector"] = "LOCAL"
    v3["scope"] = "CHANGED"  # agrees with S:C
    assert _problems(doc) == [
        ("6.1.9", "/vulnerabilities/0/scores/0/cvss_v3/baseScore"),
        ("6.1.9", "/vulnerabilities/0/scores/0/cvss_v3/baseSeverity"),
        ("6.1.10", "/vulnerabilities/0/scores/0/cvss_v3/attackVector"),
    ]


def test_cvss_object_is_checked_against_the_schema_of_its_version() -> None:
    doc = _icsma()
    v3 = doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]
    del v3["baseSeverity"]
    v3["temporalScore"] = 11
    problems = validate_document(doc, source="x").problems
    assert {(p.test, p.path) for p in problems} == {
        ("6.1.8", "/vulnerabilities/0/scores/0/cvss_v3"),
        ("6.1.8", "/vulnerabilities/0/scores/0/cvss_v3/temporalScore"),
        ("6.1.9", "/vulnerabilities/0/scores/0/cvss_v3/temporalScore"),  # and it is not 10.0
    }
    # reported once, by 6.1.8 against the CVSS v3.0 schema, not by the CSAF schema too
    assert [p.message for p in problems if p.test == "6.1.8"] == [
        "not valid CVSS v3.0: 'baseSeverity' is a required property",
        "not valid CVSS v3.0: 11 is greater than the maximum of 10",
    ]


def test_same_product_in_two_scores_of_one_cvss_version() -> None:
    doc = _icsma()
    vuln = doc["vulnerabilities"][0]
    vuln["scores"].append(copy.deepcopy(vuln["scores"][0]))
    found = _problems(doc)
    assert ("6.1.7", "/vulnerabilities/0/scores/1/products/0") in found
    vuln["scores"][1]["cvss_v3"] = {
        "version": "3.1",
        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "baseScore": 10.0,
        "baseSeverity": "CRITICAL",
    }
    assert _problems(doc) == []  # a v3.1 and a v3.0 score for the same product are fine


def test_cwe_must_exist_and_carry_one_of_its_names() -> None:
    doc = _icsma()
    assert doc["vulnerabilities"][0]["cwe"] == {
        "id": "CWE-256",
        "name": "Plaintext Storage of a Password",
    }
    doc["vulnerabilities"][0]["cwe"]["name"] = (
        "Unprotected Storage of Credentials"  # an earlier name
    )
    assert _problems(doc) == []
    doc["vulnerabilities"][0]["cwe"]["name"] = "Improper Input Validation"
    doc["vulnerabilities"][1]["cwe"]["id"] = "CWE-999999"
    assert _problems(doc) == [
        ("6.1.11", "/vulnerabilities/0/cwe/name"),
        ("6.1.11", "/vulnerabilities/1/cwe/id"),
    ]


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        ("en-US", True),
        ("de", True),
        ("i-default", True),  # grandfathered
        ("x-internal", True),  # private use
        ("qaa", True),  # private-use language range
        ("de-CH-1901", True),
        ("zh-Hant-TW", True),
        ("es-419", True),
        ("EZ", False),  # a region subtag (Eurozone), no language
        ("zz-US", False),
        ("en-Qqqq", False),
        ("en-EZZ", False),
        ("de-1234x", False),
    ],
)
def test_language_tags(tag: str, ok: bool) -> None:
    assert (language_problem(tag) is None) is ok


@pytest.mark.parametrize(
    ("purl", "ok"),
    [
        ("pkg:npm/%40angular/core@1.0.0", True),
        ("pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", True),
        ("pkg:maven/@1.3.4", False),  # no name
        ("pkg:/foo", False),  # no type
        ("pkg:npm/foo?arch", False),  # qualifier without value
        ("pkg:np$m/foo", False),
    ],
)
def test_purls(purl: str, ok: bool) -> None:
    assert (purl_problem(purl) is None) is ok


def test_revision_history_rules_on_a_real_document() -> None:
    doc = _icsma()
    tracking = doc["document"]["tracking"]
    assert tracking["version"] == "1" and [r["number"] for r in tracking["revision_history"]] == [
        "1"
    ]
    first = tracking["revision_history"][0]
    # a second revision dated a tenth of a millisecond later and numbered 2: valid
    tracking["revision_history"].append({**first, "number": "2", "date": first["date"][:-1] + "1Z"})
    tracking["version"] = "2"
    assert _problems(doc) == []
    # numbered 3: version 2 is missing
    tracking["revision_history"][1]["number"] = "3"
    tracking["version"] = "3"
    assert _problems(doc) == [("6.1.21", "/document/tracking/revision_history/1/number")]
    # dated before the first: numbers not ascending by date, the newest is 1, the oldest 2
    tracking["revision_history"][1].update(number="2", date="2019-01-01T00:00:00Z")
    tracking["version"] = "2"
    assert set(_problems(doc)) == {
        ("6.1.14", "/document/tracking/revision_history/0/number"),
        ("6.1.16", "/document/tracking/version"),
        ("6.1.21", "/document/tracking/revision_history/1/number"),
    }


def test_document_version_order_and_parts() -> None:
    v = DocumentVersion.parse
    assert v("1.10.0") > v("1.9.0") > v("1.9.0-rc.1") > v("1.9.0-beta")  # type: ignore[operator]
    assert v("2.0.0+a") == v("2.0.0+b")
    assert v("1.0") is None and v("01") is None
    zero = v("0.9.5")
    assert zero is not None and zero.is_zero and not zero.integer
    assert instant("2021-07-21T10:00:00.00010Z") > instant("2021-07-21T10:00:00.000Z")  # type: ignore[operator]
    assert instant("2021-07-21T12:00:00+02:00") == instant("2021-07-21T10:00:00Z")


def test_vex_profile_needs_impact_and_action_statements() -> None:
    doc = _vex()
    vuln = doc["vulnerabilities"][0]
    assert vuln["product_status"] == {"known_not_affected": ["CSAFPID-0001"]}
    assert _problems(doc) == []
    vuln["threats"][0]["category"] = "exploit_status"  # no impact statement any more
    vuln["product_status"]["known_affected"] = ["CSAFPID-0001"]
    found = _problems(doc)
    assert ("6.1.6", "/vulnerabilities/0/product_status/known_not_affected/0") in found
    assert ("6.1.27.9", "/vulnerabilities/0/product_status/known_not_affected/0") in found
    assert ("6.1.27.10", "/vulnerabilities/0/product_status/known_affected/0") in found


def test_product_ids_must_be_defined_once_and_without_circles() -> None:
    doc = _icsma()
    tree = doc["product_tree"]
    tree["relationships"] = [
        {
            "category": "installed_on",
            "full_product_name": {"name": "B450 on itself", "product_id": "CSAFPID-9000"},
            "product_reference": "CSAFPID-0001",
            "relates_to_product_reference": "CSAFPID-9000",
        },
        {
            "category": "default_component_of",
            "full_product_name": {"name": "again", "product_id": "CSAFPID-0002"},
            "product_reference": "CSAFPID-0001",
            "relates_to_product_reference": "CSAFPID-7777",
        },
    ]
    tree["product_groups"] = [{"group_id": "G1", "product_ids": ["CSAFPID-0001", "CSAFPID-0003"]}]
    doc["vulnerabilities"][0]["remediations"][0]["group_ids"] = ["G2"]
    found = _problems(doc)
    assert ("6.1.1", "/product_tree/relationships/1/relates_to_product_reference") in found
    assert ("6.1.2", "/product_tree/relationships/1/full_product_name/product_id") in found
    assert ("6.1.3", "/product_tree/relationships/0/full_product_name/product_id") in found
    assert ("6.1.4", "/vulnerabilities/0/remediations/0/group_ids/0") in found


def test_category_names_of_other_profiles_are_prohibited() -> None:
    doc = _icsma()
    for category, ok in [
        ("Security-Advisory", False),
        ("csaf_something", False),
        ("V_eX", False),
        ("medical_device_advisory", True),
    ]:
        doc["document"]["category"] = category
        assert (("6.1.26", "/document/category") not in _problems(doc)) is ok, category


def test_product_version_must_not_be_a_range() -> None:
    doc = _icsma()
    branch = doc["product_tree"]["branches"][0]["branches"][0]["branches"][0]
    assert branch["category"] == "product_version" and branch["name"] == "2.X"
    for name, ok in [
        ("2.X and later", False),
        ("<3", False),
        ("All", False),
        ("afterglow 2", True),
    ]:
        branch["name"] = name
        assert (
            ("6.1.31", "/product_tree/branches/0/branches/0/branches/0/name") not in _problems(doc)
        ) is ok


def test_not_json_is_an_input_error(tmp_path: Path) -> None:
    from psirt.errors import InputError

    bad = tmp_path / "bad.json"
    bad.write_text('{"document": ')
    with pytest.raises(InputError, match="bad.json: line 1"):
        validate_bytes(bad.read_bytes(), source=str(bad))
