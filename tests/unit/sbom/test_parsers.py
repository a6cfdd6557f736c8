"""Registry, detection and hostile input."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from psirt.domain.sbom import ItemClass, SbomFormat, Serialization
from psirt.errors import InputError, UnknownFormat
from psirt.ingest.sbom import PARSERS, detect, parse_sbom
from tests.conftest import ASSETS

SBOM_ASSETS = ASSETS / "sbom"


def _cdx(**fields: object) -> bytes:
    return orjson.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, **fields})


def test_every_format_and_serialisation_pair_in_use_is_registered() -> None:
    assert set(PARSERS) == {
        (SbomFormat.CYCLONEDX, Serialization.JSON),
        (SbomFormat.CYCLONEDX, Serialization.XML),
        (SbomFormat.SPDX, Serialization.JSON),
        (SbomFormat.SPDX, Serialization.YAML),
        (SbomFormat.SPDX, Serialization.TAG_VALUE),
        (SbomFormat.SPDX, Serialization.XML),
        (SbomFormat.SPDX, Serialization.RDF_XML),
        (SbomFormat.SPDX, Serialization.JSON_LD),
    }
    assert {s for _, s in PARSERS} == set(Serialization)
    assert {f for f, _ in PARSERS} == set(SbomFormat)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_cdx(), (SbomFormat.CYCLONEDX, Serialization.JSON, "1.6")),
        (
            b'<?xml version="1.0"?>\n<!-- c -->\n<bom xmlns="http://cyclonedx.org/schema/bom/1.3"/>',
            (SbomFormat.CYCLONEDX, Serialization.XML, "1.3"),
        ),
        (
            b'<c:bom xmlns:c="http://cyclonedx.org/schema/bom/1.7" version="1"/>',
            (SbomFormat.CYCLONEDX, Serialization.XML, "1.7"),
        ),
        (
            b'{"spdxVersion": "SPDX-2.2", "SPDXID": "SPDXRef-DOCUMENT"}',
            (SbomFormat.SPDX, Serialization.JSON, "2.2"),
        ),
        (
            b"# c\nSPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n",
            (SbomFormat.SPDX, Serialization.TAG_VALUE, "2.3"),
        ),
        (b"---\nspdxVersion: 'SPDX-2.3'\nname: x\n", (SbomFormat.SPDX, Serialization.YAML, "2.3")),
        (
            b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}',
            (SbomFormat.SPDX, Serialization.JSON_LD, "3.0.1"),
        ),
    ],
)
def test_detect(data: bytes, expected: tuple[SbomFormat, Serialization, str]) -> None:
    assert detect(data, "x") == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"name": "not an sbom"}', "neither CycloneDX"),
        (b"<html><body/></html>", "'html'"),
        (b"hello world", "not a CycloneDX or SPDX document"),
        (b"", "not a CycloneDX or SPDX document"),
    ],
)
def test_unknown_format_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(UnknownFormat, match=message):
        parse_sbom(data, source="thing.bin")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'{"bomFormat": "CycloneDX",\n "components": [\n  {"name": ',
            "bom.json: line 3, column 12: not valid JSON: unexpected end of data",
        ),
        (_cdx(components={"a": 1}), "bom.json: components: expected an array, got an object"),
        (
            _cdx(
                components=[{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d", "purl": 7}]
            ),
            "bom.json: components[3].purl: expected a string, got a number",
        ),
        (
            _cdx(components=[{"name": "a", "components": [{"name": 3}]}]),
            "bom.json: components[0].components[0].name: expected a string, got a number",
        ),
        (_cdx(components=["lib"]), "bom.json: components[0]: expected an object, got a string"),
        (_cdx(metadata=[]), "bom.json: metadata: expected an object, got an array"),
        (
            _cdx(dependencies=[{"ref": "a", "dependsOn": [1]}]),
            "bom.json: dependencies[0].dependsOn[0]: expected a string, got a number",
        ),
        (
            _cdx(vulnerabilities=[{"id": "CVE-1", "cwes": ["79"]}]),
            "bom.json: vulnerabilities[0].cwes[0]: expected an integer",
        ),
        (
            _cdx(components=[{"name": "a", "hashes": {"alg": "MD5"}}]),
            "bom.json: components[0].hashes: expected an array, got an object",
        ),
        (
            b'{"spdxVersion": "SPDX-2.3", "packages": [{"name": "x", "externalRefs": "pkg:x"}]}',
            "bom.json: packages[0].externalRefs: expected an array, got a string",
        ),
        (
            b"<bom xmlns='http://cyclonedx.org/schema/bom/1.4'><components></bom>",
            "bom.json: line 1, column",
        ),
        (
            b'<!DOCTYPE bom [<!ENTITY a "aaaa">]><bom xmlns="http://cyclonedx.org/schema/bom/1.4">'
            b"&a;</bom>",
            "bom.json: refused XML: EntitiesForbidden",
        ),
    ],
)
def test_bad_input_names_the_place(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_sbom(data, source="bom.json")
    assert str(info.value).startswith(message)


def test_size_limit() -> None:
    data = _cdx()
    with pytest.raises(
        InputError, match=rf"big.json: the document is {len(data)} bytes, more than the SBOM limit"
    ):
        parse_sbom(data, source="big.json", max_bytes=len(data) - 1)
    assert parse_sbom(data, source="ok.json", max_bytes=len(data)).components == ()


def test_invalid_purl_is_kept_and_recorded() -> None:
    sbom = parse_sbom(
        _cdx(components=[{"name": "a", "purl": "pkg:pypi/a@1"}, {"name": "b", "purl": "b@1"}]),
        source="bom.json",
    )
    assert [c.purl for c in sbom.components] == ["pkg:pypi/a@1", "b@1"]
    assert sbom.problems == ("components[1].purl: not a package URL: 'b@1'",)


def test_item_class_and_support_end_from_properties() -> None:
    sbom = parse_sbom(
        _cdx(
            components=[
                {
                    "name": "zlib",
                    "properties": [
                        {"name": "psirt:item_class", "value": "Supported"},
                        {"name": "acme:endOfSupport", "value": "2027-06-30"},
                    ],
                },
                {"name": "x", "properties": [{"name": "Level of Support", "value": "Inactive"}]},
            ]
        ),
        source="bom.json",
    )
    zlib, x = sbom.components
    assert zlib.item_class is ItemClass.SUPPORTED
    assert zlib.support_end == dt.date(2027, 6, 30)
    assert x.item_class is None and x.properties == (("Level of Support", "Inactive"),)


def test_cyclonedx_details() -> None:
    sbom = parse_sbom((SBOM_ASSETS / "cyclonedx-1.6-many.json").read_bytes(), source="many.json")
    assert sbom.tools == ("acme sbom-tool 2.1",)
    assert sbom.authors == ("Jane Doe",)
    assert sbom.subject is not None and sbom.subject.name == "infusion-pump-fw"
    app, nested, openssl = sbom.components
    assert nested.parent_ref == app.ref == "app"
    assert openssl.swid == "swidgen-openssl-3.0.13"
    assert openssl.cpe == "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*"
    assert openssl.supplier == "OpenSSL Foundation"
    assert openssl.licenses == ("Apache-2.0",)
    assert openssl.hashes[0].algorithm == "SHA-256"
    assert nested.licenses == ("MIT OR Apache-2.0",)
    (vuln,) = sbom.vulnerabilities
    assert vuln.id == "CVE-2024-0727"
    assert vuln.source == "NVD"
    assert vuln.affects == ("openssl",)
    assert vuln.ratings == (("CVSSv31", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"),)
    assert (vuln.analysis_state, vuln.analysis_justification) == (
        "not_affected",
        "code_not_reachable",
    )
    assert vuln.cwes == (476,)
    assert [(d.ref, d.depends_on) for d in sbom.dependencies] == [
        ("infusion-pump-fw", ("app", "openssl"))
    ]


def test_cyclonedx_1_4_tools_array() -> None:
    sbom = parse_sbom(
        _cdx(metadata={"tools": [{"vendor": "acme", "name": "gen", "version": "1"}]}),
        source="bom.json",
    )
    assert sbom.tools == ("acme gen 1",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"SPDXVersion: SPDX-2.3\nthis line has no tag\n", "t.spdx: line 2: expected 'Tag: value'"),
        (
            b"SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>open\nmore\n",
            "t.spdx: line 3: PackageComment: <text> is never closed",
        ),
        (
            b"SPDXVersion: SPDX-2.3\nRelationship: SPDXRef-A DEPENDS_ON\n",
            "t.spdx: line 2: Relationship: expected 'A TYPE B'",
        ),
    ],
)
def test_tag_value_errors_name_the_line(text: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_sbom(text, source="t.spdx")
    assert str(info.value).startswith(message)


def test_tag_value_multiline_text_and_relationships() -> None:
    sbom = parse_sbom((SBOM_ASSETS / "spdx-2.3-one.spdx").read_bytes(), source="one.spdx")
    a, b = sbom.components
    assert (a.name, a.version, a.supplier, a.purl) == (
        "app",
        "1.0",
        "Acme Medical",
        "pkg:generic/acme/app@1.0",
    )
    assert b.cpe == "cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*"
    assert sbom.subject == a
    assert [(d.ref, d.depends_on, d.kind) for d in sbom.dependencies] == [
        ("SPDXRef-app", ("SPDXRef-zlib",), "depends_on")
    ]
    assert sbom.tools == ("make-sbom-1.2",)
    assert sbom.authors == ("Acme Medical",)
