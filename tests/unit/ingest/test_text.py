"""The first byte that is not UTF-8 is named by line, column and byte offset in every reader
that decodes text, a byte order mark and multi-byte characters before it counted right."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from psirt.errors import InputError
from psirt.ingest import feeds
from psirt.ingest.sbom import parse_sbom
from psirt.ingest.scans import parse as parse_scan

BOM = b"\xef\xbb\xbf"


def _with_bad_byte(lines: list[bytes]) -> bytes:
    """BOM + the lines; the last line gets 'é' (two bytes) then the invalid byte 0xff."""
    return BOM + b"\n".join([*lines[:-1], lines[-1] + "é".encode() + b"\xff"]) + b"\n"


def _expected(data: bytes) -> str:
    offset = data.index(b"\xff")
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode()) + 1
    return f"line {line}, column {column} (byte offset {offset})"


def _plan(data: bytes, source: str) -> Any:
    from psirt.services.activities import parse_plan

    return parse_plan(data, source)


def _record(data: bytes, source: str) -> Any:
    from psirt.services.issues import parse_record_document

    return parse_record_document(data, source=source)


CASES: list[tuple[str, list[bytes], Callable[[bytes, str], Any]]] = [
    (
        "cyclonedx.json",
        [b'{"bomFormat": "CycloneDX",', b'"specVersion": "1.6",', b'"components": [{"name": "x'],
        lambda d, s: parse_sbom(d, source=s),
    ),
    (
        "tag-value.spdx",
        [b"SPDXVersion: SPDX-2.3", b"DataLicense: CC0-1.0", b"PackageName: x"],
        lambda d, s: parse_sbom(d, source=s),
    ),
    (
        "doc.spdx.yaml",
        [b"spdxVersion: SPDX-2.3", b"name: doc", b"packages: [{name: x"],
        lambda d, s: parse_sbom(d, source=s),
    ),
    (
        "kev.csv",
        [b"cveID,vendorProject,product,vulnerabilityName,dateAdded", b"CVE-2024-1,a,b,c,2024"],
        lambda d, s: feeds.parse(d, source=s),
    ),
    (
        "epss.csv",
        [b"cve,epss,percentile", b"CVE-2024-1,0.1,0.2", b"CVE-2024-2,0.1,0.2"],
        lambda d, s: feeds.parse(d, source=s),
    ),
    ("osv.yaml", [b"id: OSV-1", b"summary: x"], lambda d, s: feeds.parse(d, source=s)),
    (
        "osv.json",
        [b"{", b'"id": "OSV-1",', b'"summary": "x'],
        lambda d, s: feeds.parse(d, source=s),
    ),
    (
        "report.sarif",
        [b'{"version": "2.1.0",', b'"runs": [{"tool": {"driver": {"name": "x'],
        lambda d, s: parse_scan(d, source=s),
    ),
    ("pentest.csv", [b"id,title,severity", b"PT-1,title "], lambda d, s: parse_scan(d, source=s)),
    ("plan.toml", [b"[[activity]]", b'type = "sast" # '], _plan),
    ("record.toml", [b"[triage]", b'summary = "x'], _record),
]


@pytest.mark.parametrize(("name", "lines", "read"), CASES, ids=[c[0] for c in CASES])
def test_first_invalid_byte_is_named_by_line_column_and_offset(
    name: str, lines: list[bytes], read: Callable[[bytes, str], Any]
) -> None:
    data = _with_bad_byte(lines)
    with pytest.raises(InputError) as info:
        read(data, name)
    assert str(info.value).startswith(f"{name}: {_expected(data)}: not UTF-8 text"), str(info.value)


def test_policy_file_names_the_invalid_byte(tmp_path: Any) -> None:
    from psirt.services.policy_store import active_policy

    data = _with_bad_byte([b"[timers]", b"# "])
    path = tmp_path / "policy.toml"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        active_policy(path)
    assert str(info.value).startswith(f"{path}: {_expected(data)}: not UTF-8 text")


def test_xml_names_the_invalid_byte_by_line_and_character_column() -> None:
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.4">'
        b'<components>\n<component type="library"><name>'
        + "é".encode()
        + b"\xff</name></component></components></bom>"
    )
    with pytest.raises(InputError) as info:
        parse_sbom(data, source="b.xml")
    # the 34th character of line 3: expat's own message counts columns from 0
    assert (
        str(info.value) == "b.xml: line 3, column 34: invalid XML: not well-formed (invalid token)"
    )


def test_a_directory_is_named_as_one(tmp_path: Any) -> None:
    from psirt.ingest import limits

    with pytest.raises(InputError) as info:
        limits.read_file(tmp_path, limits.resolve(limits.InputKind.SBOM))
    assert str(info.value) == f"{tmp_path}: is a directory, not a file"
