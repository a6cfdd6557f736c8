"""Schema validation: every CycloneDX conformance case gets the verdict its name states."""

from __future__ import annotations

import importlib.util
import zipfile

import pytest

from psirt.ingest.sbom.validate import ValidationError, ValidatorUnavailable, validate
from tests.conftest import SHARED_DATA, require_shared

ZIP = SHARED_DATA / "sbom" / "cyclonedx" / "cyclonedx-spec-conformance.zip"
CASES = (
    sorted(n for n in zipfile.ZipFile(ZIP).namelist() if n.endswith((".json", ".xml")))
    if ZIP.exists()
    else []
)
HAVE_LXML = importlib.util.find_spec("lxml") is not None


def _expected_valid(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    # "informal-invalid-*" cases are documents the schema accepts (informal rules only)
    return base.startswith("valid-") or base.startswith("informal-")


@pytest.mark.parametrize("member", CASES)
def test_conformance_case_gets_the_verdict_of_its_name(member: str) -> None:
    data = zipfile.ZipFile(require_shared("sbom", "cyclonedx", ZIP.name)).read(member)
    try:
        errors = validate(data, source=member)
    except ValidatorUnavailable as exc:
        assert member.endswith(".xml") and not HAVE_LXML
        assert "lxml" in str(exc)
        pytest.skip("XSD validation needs lxml, which is not installed")
    if _expected_valid(member):
        assert errors == []
    else:
        assert errors, "an invalid case was accepted"
        assert all(isinstance(e, ValidationError) and e.message for e in errors)


def test_errors_name_the_json_pointer() -> None:
    data = (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,'
        b' "components": [{"type": "library", "name": "a"}, {"type": "nonsense", "name": "b"}]}'
    )
    errors = validate(data, source="bom.json")
    assert [e.pointer_or_line for e in errors] == ["/components/1/type"]
    assert "nonsense" in errors[0].message


def test_bad_timestamp_is_caught_by_the_format_check() -> None:
    data = (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,'
        b' "metadata": {"timestamp": "yesterday"}}'
    )
    assert [e.pointer_or_line for e in validate(data, source="bom.json")] == ["/metadata/timestamp"]


def test_spdx_spec_example_validates_with_spdx_tools() -> None:
    path = require_shared(
        "sbom", "spdx", "spdx-spec-examples-2.3", "SPDXJSONExample-v2.3.spdx.json"
    )
    assert validate(path.read_bytes(), source=path.name) == []


def test_spdx_error_is_reported() -> None:
    path = require_shared(
        "sbom",
        "spdx",
        "spdx-examples",
        "software",
        "example9",
        "spdx2.2",
        "appbomination.spdx.json",
    )
    errors = validate(path.read_bytes(), source=path.name)
    assert errors and errors[0].pointer_or_line == "SPDXRef-5"
    assert "files_analyzed is False" in errors[0].message


def test_spdx3_has_no_offline_validator() -> None:
    path = require_shared(
        "sbom", "spdx", "spdx-examples", "software", "example11", "spdx3.0", "sbom.spdx3.json"
    )
    with pytest.raises(ValidatorUnavailable, match="SPDX 3"):
        validate(path.read_bytes(), source=path.name)
