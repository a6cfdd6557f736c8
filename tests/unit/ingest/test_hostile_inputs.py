"""Named hostile inputs, each of which breaks a naive parser, and regression tests for the
crashes fuzzing found. Every case must end in domain values or an InputError naming the file,
in bounded time and memory. (YAML anchors, aliases and merge keys: test_yaml.py; NUL and
control characters in names: test_nul.py.)"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from psirt.errors import InputError, LimitExceeded
from psirt.ingest import feeds
from psirt.ingest.feeds import osv
from psirt.ingest.sbom import parse_sbom
from psirt.ingest.sbom.validate import validate
from psirt.ingest.scans import parse as parse_scan

MB = 1024 * 1024


def peak_of(call: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        call()
    except InputError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


# --- deep nesting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "read",
    [
        lambda d: parse_sbom(d, source="deep.json"),
        lambda d: parse_scan(d, source="deep.json"),
        lambda d: feeds.parse(d, source="deep.json"),
    ],
)
def test_json_nested_beyond_the_decoder_limit_is_an_input_error(
    read: Callable[[bytes], Any],
) -> None:
    with pytest.raises(InputError, match="deep.json: line 1, column"):
        read(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_cyclonedx_components_nested_to_the_decoder_limit_parse() -> None:
    component: dict[str, Any] = {"type": "library", "name": "leaf"}
    for i in range(500):  # 1,001 JSON levels: just within orjson's limit of 1,024
        component = {"type": "library", "name": f"n{i}", "components": [component]}
    text = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [0]})
    data = text.replace("[0]", "[" + _dumps_deep(component) + "]").encode()
    sbom = parse_sbom(data, source="nested.json")
    assert len(sbom.components) == 501
    assert sbom.components[-1].parent_ref is None and sbom.components[-1].name == "leaf"


def _dumps_deep(component: dict[str, Any]) -> str:
    """json.dumps without recursion (the encoder stops near 1,000 levels)."""
    names = []
    node: dict[str, Any] | None = component
    while node is not None:
        names.append(node["name"])
        node = node.get("components", [None])[0]
    out = ""
    for name in reversed(names):
        inner = f', "components": [{out}]' if out else ""
        out = f'{{"type": "library", "name": "{name}"{inner}}}'
    return out


def _nested_xml(depth: int) -> bytes:
    inner = '<component type="library"><name>leaf</name></component>'
    head = '<component type="library"><name>n</name><components>' * depth
    tail = "</components></component>" * depth
    return (
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>'
        f"{head}{inner}{tail}</components></bom>"
    ).encode()


@pytest.mark.parametrize(
    "read",
    [
        lambda d: parse_sbom(d, source="deep.xml"),
        lambda d: validate(d, source="deep.xml"),
    ],
)
def test_xml_nested_deeper_than_the_limit_is_refused(read: Callable[[bytes], Any]) -> None:
    # a recursive walker ran out of stack here (RecursionError)
    with pytest.raises(LimitExceeded, match="deep.xml: XML nested more than 256 elements deep"):
        read(_nested_xml(2_000))


def test_xml_nested_within_the_limit_parses() -> None:
    assert len(parse_sbom(_nested_xml(100), source="ok.xml").components) == 101


def test_spdx_xml_and_zap_xml_nested_deeper_than_the_limit_are_refused() -> None:
    deep = b"<x>" * 20_000 + b"</x>" * 20_000
    spdx = b"<Document><spdxVersion>SPDX-2.3</spdxVersion>" + deep + b"</Document>"
    with pytest.raises(LimitExceeded, match="s.xml: XML nested more than 256"):
        parse_sbom(spdx, source="s.xml")
    zap = b'<OWASPZAPReport version="2.14.0"><site name="x">' + deep + b"</site></OWASPZAPReport>"
    with pytest.raises(LimitExceeded, match="z.xml: XML nested more than 256"):
        parse_scan(zap, source="z.xml")


def test_sarif_fingerprints_nested_deeply_are_an_input_error() -> None:
    # _string_pairs recursed once per level (RecursionError at about 1,000 levels)
    fingerprints = '{"a": ' * 1_000 + '"x"' + "}" * 1_000
    data = (
        '{"version": "2.1.0", "runs": [{"results": [{"ruleId": "r", "fingerprints": '
        + fingerprints
        + "}]}]}"
    ).encode()
    with pytest.raises(InputError, match=r"f.sarif: runs\[0\].results\[0\].fingerprints.a"):
        parse_scan(data, source="f.sarif")


# --- huge numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": '
            b'[{"name": "x", "version": 1e400}]}',
            "number is infinity",
        ),
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": '
            b'[{"name": "x", "version": 123456789012345678901234567890}]}',
            "components[0].version: expected a string, got a number",
        ),
    ],
)
def test_huge_numbers_in_json_sboms(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_sbom(data, source="h.json")
    assert message in str(info.value)


def test_huge_numbers_in_reports_and_feeds() -> None:
    sarif = (
        b'{"version": "2.1.0", "runs": [{"results": [{"ruleId": "r", "locations": [{'
        b'"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 1e300}'
        b"}}]}]}]}"
    )
    (finding,) = parse_scan(sarif, source="r.sarif").results
    assert finding.location is not None and finding.location.start_line == int(1e300)
    with pytest.raises(InputError, match=r"startLine: expected an integer, got a number 1.5"):
        parse_scan(sarif.replace(b"1e300", b"1.5"), source="r.sarif")
    batch = feeds.parse(
        b"cve,epss,percentile\nCVE-2024-0001," + b"9" * 5000 + b",0.5\nCVE-2024-0002,0.1,0.2\n",
        source="e.csv",
    )
    assert [s.cve_id for s in batch.epss] == ["CVE-2024-0002"]
    assert batch.problems[0].reason.startswith("epss must be between 0 and 1")


# --- entities and external references ------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component '
        b'type="library"><name>&xxe;</name></component></components></bom>',
        b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><metadata><component type="device">'
        b"<name>&c;</name></component></metadata></bom>",
        b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "http://evil.example/x">]>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:spdx="http://spdx.org/rdf/terms#"><spdx:SpdxDocument>&e;</spdx:SpdxDocument>'
        b"</rdf:RDF>",
    ],
)
def test_xml_entities_and_external_references_are_refused(data: bytes) -> None:
    for read in (lambda: parse_sbom(data, source="x.xml"), lambda: validate(data, source="x.xml")):
        with pytest.raises(InputError, match="x.xml: refused XML"):
            read()


# --- archives ------------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_zip_bomb_member_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"v/OSV-1.json": b"\0" * (100 * MB)})
    assert bomb.stat().st_size < MB  # 100 MB of zeros deflate to about 100 KB
    with pytest.raises(LimitExceeded) as info:
        list(osv.read_path(bomb))
    assert str(info.value).startswith(
        f"{bomb}: v/OSV-1.json: the member is 100.0 MB (104,857,600 bytes), more than the "
        "archive member limit of 32.0 MB"
    )
    assert peak_of(lambda: list(osv.read_path(bomb))) < 4 * MB


def test_zip_whose_members_inflate_beyond_the_total_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSIRT_MAX_ARCHIVE_MB", "50")
    members = {f"v/OSV-{i}.json": b" " * (20 * MB) for i in range(3)}
    bombs = _zip(tmp_path / "many.zip", members)
    with pytest.raises(LimitExceeded, match=r"the archive inflates to 60.0 MB .* more than"):
        list(osv.read_path(bombs))


@pytest.mark.parametrize(
    "name",
    ["../escape.json", "/abs.json", "C:/win.json", "a/../../b.json", "..\\..\\w.json"],
)
def test_zip_slip_member_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="unsafe member name in archive"):
        list(osv.read_path(_zip(tmp_path / "slip.zip", {name: b"{}"})))


def test_zip_member_without_a_name_is_refused(tmp_path: Path) -> None:
    # zipfile.ZipInfo.is_dir() raised IndexError for an empty member name
    archive = _zip_with_empty_name(tmp_path / "empty-name.zip")
    with pytest.raises(InputError, match="archive member without a name"):
        list(osv.read_path(archive))


def _zip_with_empty_name(path: Path) -> Path:
    info = zipfile.ZipInfo("")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, b"{}")
    path.write_bytes(buffer.getvalue())
    return path


def test_corrupt_deflate_stream_becomes_a_problem_of_that_member(tmp_path: Path) -> None:
    # zipfile raised zlib.error through read_zip for a corrupt compressed member
    record = b'{"id": "OSV-1", "modified": "2024-01-01T00:00:00Z", "summary": "' + b"s" * 400
    path = _zip(tmp_path / "corrupt.zip", {"v/OSV-1.json": record + b'"}'})
    raw = bytearray(path.read_bytes())
    start = raw.index(b"v/OSV-1.json") + len(b"v/OSV-1.json")
    raw[start + 2 : start + 6] = b"\xff\xff\xff\xff"  # inside the deflate stream
    path.write_bytes(bytes(raw))
    (batch,) = list(osv.read_path(path))
    (problem,) = batch.problems
    assert batch.advisories == ()
    assert problem.source == f"{path}!v/OSV-1.json"
    assert problem.reason.startswith("cannot read archive member")


# --- regressions found by fuzzing ----------------------------------------------------------


def test_spdx3_graph_that_is_no_list_is_an_input_error() -> None:
    # spec_version_of iterated a boolean @graph (TypeError)
    data = b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": true}'
    with pytest.raises(InputError, match="g.json: @graph: expected an array, got a boolean"):
        parse_sbom(data, source="g.json")


@pytest.mark.parametrize(
    "read",
    [
        lambda d: parse_sbom(d, source="e.xml"),
        lambda d: validate(d, source="e.xml"),
        lambda d: parse_scan(d.replace(b"<bom", b"<OWASPZAPReport"), source="e.xml"),
    ],
)
def test_xml_declaring_an_unknown_encoding_is_an_input_error(read: Callable[[bytes], Any]) -> None:
    # expat raised LookupError through every XML reader
    data = (
        b'<?xml version="1.0" encoding="Atf-8"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"/>'
    )
    with pytest.raises(InputError, match=r"e.xml: line 1: .*unknown encoding: Atf-8"):
        read(data)


def test_xml_that_expat_reads_but_lxml_refuses_is_a_validation_error() -> None:
    # lxml's XMLSyntaxError escaped from sbom validate
    data = (
        b'<?xml version="A.0" encoding="utf-8"?>\n'
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.2" version="1"><components/></bom>'
    )
    (error,) = validate(data, source="v.xml")
    assert error.pointer_or_line == "line 1"
    assert error.message.startswith("not well-formed: String not closed")


def test_xml_sbom_in_another_declared_encoding_validates() -> None:
    # validate decoded every XML SBOM as UTF-8 (UnicodeDecodeError for ISO-8859-1)
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><bom '
        'xmlns="http://cyclonedx.org/schema/bom/1.4" version="1"><components><component '
        'type="library"><name>café</name><version>1</version></component></components></bom>'
    ).encode("latin-1")
    assert validate(data, source="l.xml") == []
    assert parse_sbom(data, source="l.xml").components[0].name == "café"


def test_validating_tag_value_writes_nothing_into_the_installed_spdx_tools() -> None:
    # spdx-tools' parse_file built its ply parser with debug output: parser.out (1.5 MB) was
    # written into site-packages on every call and its file left open (ResourceWarning)
    import spdx_tools.spdx.parser.tagvalue as package

    from tests.conftest import ASSETS

    folder = Path(package.__file__).parent
    debug = folder / "parser.out"
    debug.unlink(missing_ok=True)
    before = sorted(p.name for p in folder.iterdir())
    data = (ASSETS / "sbom" / "spdx-2.3-one.spdx").read_bytes()
    assert isinstance(validate(data, source="one.spdx"), list)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not debug.exists()
