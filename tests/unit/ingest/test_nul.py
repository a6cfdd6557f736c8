"""NUL characters are read as U+FFFD in every input (the database cannot store them, and real
tools write them); other control characters in names are kept as written."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from psirt.ingest import feeds
from psirt.ingest.sbom import parse_sbom
from psirt.ingest.scans import parse as parse_scan
from tests.conftest import require_shared


@pytest.mark.parametrize(
    ("read", "data", "value"),
    [
        (
            lambda d: parse_sbom(d, source="n.json").components[0].name,
            b'{"bomFormat": "CycloneDX", "specVersion": "1.5", '
            b'"components": [{"name": "lib\\u0000c", "version": "1"}]}',
            "lib\ufffdc",
        ),
        (
            lambda d: parse_sbom(d, source="n.json").components[0].properties,
            b'{"bomFormat": "CycloneDX", "specVersion": "1.5", '
            b'"components": [{"name": "x", "properties": [{"name": "k\\u0000", "value": "v"}]}]}',
            (("k\ufffd", "v"),),
        ),
        (
            lambda d: parse_sbom(d, source="n.spdx.yaml").components[0].name,
            b'spdxVersion: SPDX-2.3\nname: doc\npackages: [{name: "lib\\0c", SPDXID: SPDXRef-a}]\n',
            "lib\ufffdc",
        ),
        (
            lambda d: parse_sbom(d, source="n.spdx").components[0].name,
            b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nPackageName: lib\0c\n",
            "lib\ufffdc",
        ),
        (
            lambda d: parse_scan(d, source="n.sarif").tool,
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x\\u0000"}}}]}',
            "x\ufffd",
        ),
        (
            lambda d: feeds.parse(d, source="n.json").advisories[0].id,
            b'{"id": "OSV-\\u0000", "modified": "2024-01-01T00:00:00Z"}',
            "OSV-\ufffd",
        ),
        (
            lambda d: feeds.parse(d, source="n.csv").problems[0].reason,
            b"cve,epss,percentile\nCVE-2024-0001\0,0.1,0.2\n",
            "not a CVE id: 'CVE-2024-0001\ufffd'",
        ),
    ],
)
def test_nul_characters_are_read_as_the_replacement_character(
    read: Callable[[bytes], Any], data: bytes, value: Any
) -> None:
    # PostgreSQL refuses NUL in text and JSON: storing such a name failed with a DataError
    assert read(data) == value


def test_a_grype_report_with_a_nul_in_a_purl_is_read() -> None:
    # Grype wrote a Java version with a NUL character into a purl
    path = require_shared("scanners", "defectdojo", "anchore_grype", "fix_not_available.json")
    result = parse_scan(path.read_bytes(), source=path.name)
    purls = [f.location.purl for f in result.results if f.location is not None]  # type: ignore[union-attr]
    assert "pkg:generic/java@17.0.10%2B7\ufffd-J-ms8m" in purls
    assert not any("\x00" in (p or "") for p in purls)


def test_nul_in_plans_and_attack_surfaces_is_read_as_the_replacement_character() -> None:
    from psirt.services.activities import parse_surface

    assert parse_surface(b'interfaces = ["USB\\u0000"]\n', "s.toml").interfaces == ("USB\ufffd",)
    assert parse_surface(b'{"interfaces": ["USB\\u0000"]}', "s.json").interfaces == ("USB\ufffd",)


def test_control_characters_in_names_are_kept_as_written() -> None:
    data = json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [{"name": "a\x1b[2Jb\r\u202e", "version": "1\x07"}],
        }
    ).encode()
    (component,) = parse_sbom(data, source="c.json").components
    assert (component.name, component.version) == ("a\x1b[2Jb\r\u202e", "1\x07")


def test_a_json_text_with_an_escaped_backslash_before_u0000_is_no_nul() -> None:
    data = (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "a\\\\u0000"}]}'
    )
    (component,) = parse_sbom(data, source="b.json").components
    assert component.name == "a\\u0000"


def test_decision_records_keep_refusing_nul_characters() -> None:
    # records and policies refuse a NUL naming the field: their text keeps it for that check
    from psirt.errors import InputError
    from psirt.ingest.text import decode_utf8
    from psirt.services.issues import parse_record_document

    assert decode_utf8(b"a\0b", "x", keep_nul=True) == "a\0b"
    assert decode_utf8(b"a\0b", "x") == "a\ufffdb"
    with pytest.raises(InputError):
        parse_record_document(b'reason = "a\0b"\n', source="r.toml")
