"""Bad input raises InputError naming the file and the place, never a bare exception."""

from __future__ import annotations

import pytest

from psirt.domain.scan import ScanFormat
from psirt.errors import InputError, UnknownFormat
from psirt.ingest.scans import PARSERS, detect, inspect, parse
from tests.conftest import ASSETS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'{"version": "2.1.0",\n "runs": [\n  {"results": [}\n]}',
            "r.sarif: line 3, column 16: not valid JSON",
        ),
        (b'{"version": "2.1.0", "runs": {}}', "r.sarif: runs: expected an array, got an object"),
        (
            b'{"version": "2.1.0", "runs": [{"results": [{"level": 3}]}]}',
            "r.sarif: runs[0].results[0].level: not a SARIF level: '3'",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"results": [{"level": "fatal"}]}]}',
            "r.sarif: runs[0].results[0].level: not a SARIF level: 'fatal'",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"results": [{"locations": [{"physicalLocation": '
            b'{"artifactLocation": {"uri": "a"}, "region": {"startLine": "x"}}}]}]}]}',
            "r.sarif: runs[0].results[0].locations[0].physicalLocation.region.startLine: "
            "expected an integer, got a string 'x'",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"results": [{"message": []}]}]}',
            "r.sarif: runs[0].results[0].message: expected an object, got an array",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"results": [{"suppressions": [1]}]}]}',
            "r.sarif: runs[0].results[0].suppressions[0]: expected an object, got a number",
        ),
    ],
)
def test_sarif_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse(data, source="r.sarif")
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("fmt", "data", "message"),
    [
        (
            ScanFormat.BANDIT,
            b'{"results": [{"test_id": "B1"}], "metrics": {}, "generated_at": "x"}',
            "b.json: results[0]: a Bandit result needs test_id and filename",
        ),
        (
            ScanFormat.BANDIT,
            b'{"results": [{"test_id": "B1", "filename": "a", "line_number": []}]}',
            "b.json: results[0].line_number: expected an integer, got an array",
        ),
        (
            ScanFormat.SEMGREP,
            b'{"results": [{"check_id": "x", "path": "a", "start": 5}], "errors": []}',
            "b.json: results[0].start: expected an object, got a number",
        ),
        (
            ScanFormat.ZAP_JSON,
            b'{"@version": "2.9", "site": [{"alerts": [{"pluginid": "1", '
            b'"instances": {"uri": "x"}}]}]}',
            "b.json: site[0].alerts[0].instances: expected an array, got an object",
        ),
        (
            ScanFormat.ZAP_JSON,
            b'{"@version": "2.9", "site": [{"alerts": [{"pluginid": "1", "cweid": "abc"}]}]}',
            "b.json: site[0].alerts[0].cweid: expected an integer, got a string 'abc'",
        ),
        (
            ScanFormat.TRIVY,
            b'{"SchemaVersion": 2, "Results": [{"Target": "t", '
            b'"Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}]}',
            "b.json: Results[0].Vulnerabilities[0]: a Trivy vulnerability needs PkgName",
        ),
        (
            ScanFormat.GRYPE,
            b'{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": '
            b'{"name": "x", "locations": "nope"}}], "descriptor": {}}',
            "b.json: matches[0].artifact.locations: expected an array, got a string",
        ),
    ],
)
def test_wrong_types_name_the_path(fmt: ScanFormat, data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        PARSERS[fmt](data, source="b.json")
    assert str(info.value).startswith(message)


def test_xml_entity_expansion_is_refused() -> None:
    data = (ASSETS / "scans" / "zap" / "invalid-entity-expansion.xml").read_bytes()
    assert detect(data, "bomb.xml") is ScanFormat.ZAP_XML
    with pytest.raises(InputError, match=r"bomb\.xml: refused XML construct"):
        parse(data, source="bomb.xml")


def test_broken_xml_names_line_and_column() -> None:
    data = b'<?xml version="1.0"?>\n<OWASPZAPReport>\n<site name="x"><alerts>\n</site>'
    with pytest.raises(InputError, match=r"z\.xml: line 4 column 3: not well-formed XML"):
        parse(data, source="z.xml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x: empty document"),
        (b"   \n", "x: empty document"),
        (b'{"bomFormat": "CycloneDX"}', "x: JSON document of no supported scanner format"),
        (b"<bom/>", "x: XML document of no supported scanner format"),
        (b"hello world", "x: not JSON, XML or a penetration-test CSV"),
        (b"null", "x: not JSON, XML or a penetration-test CSV"),
    ],
)
def test_unknown_formats(data: bytes, message: str) -> None:
    with pytest.raises(UnknownFormat) as info:
        detect(data, "x")
    assert str(info.value) == message


def test_detection_of_each_format_from_minimal_documents() -> None:
    cases = {
        b'{"version": "2.1.0", "runs": []}': ScanFormat.SARIF,
        b'{"$schema": "https://example.org/sarif-schema.json", "runs": []}': ScanFormat.SARIF,
        b'{"results": [], "metrics": {}, "generated_at": "2021-01-01"}': ScanFormat.BANDIT,
        b'{"results": [], "errors": []}': ScanFormat.SEMGREP,
        b'{"@version": "2.11.0", "site": []}': ScanFormat.ZAP_JSON,
        b'<?xml version="1.0"?><OWASPZAPReport version="2.9.0"/>': ScanFormat.ZAP_XML,
        b'{"SchemaVersion": 2, "Results": []}': ScanFormat.TRIVY,
        b'[{"Target": "x", "Vulnerabilities": null}]': ScanFormat.TRIVY,
        b'{"matches": [], "descriptor": {"name": "grype"}}': ScanFormat.GRYPE,
        b'{"results": [], "experimental_config": {}}': ScanFormat.OSV_SCANNER,
        b'{"psirt_pentest": "1.0", "findings": []}': ScanFormat.PENTEST_JSON,
        b"\xef\xbb\xbfID,Title,Severity\r\n": ScanFormat.PENTEST_CSV,
    }
    for data, fmt in cases.items():
        assert detect(data, "x") is fmt, data
        summary = inspect(data, "x")
        assert summary["format"] == fmt.value
        assert summary["results"] == summary["instances"] == 0


def test_non_utf8_json_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        parse(b'{"version": "2.1.0", "runs": ["\xff"]}', source="x")
    assert str(info.value) == (
        "x: line 1, column 32 (byte offset 31): not UTF-8 text: invalid start byte (byte 0xff)"
    )


def test_deeply_nested_json_is_an_input_error() -> None:
    with pytest.raises(InputError):
        parse(b"[" * 100_000 + b"]" * 100_000, source="deep.json")
