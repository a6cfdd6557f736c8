"""A bom-ref used by more than one component is reported, in CycloneDX JSON and XML alike."""

from __future__ import annotations

import json

from psirt.ingest.sbom import parse_sbom

JSON_BOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "metadata": {"component": {"type": "device", "name": "Pump", "bom-ref": "pump"}},
    "components": [
        {"type": "library", "name": "zlib", "version": "1.3", "bom-ref": "lib"},
        {"type": "library", "name": "openssl", "version": "3.0.13", "bom-ref": "lib"},
        {
            "type": "firmware",
            "name": "fw",
            "bom-ref": "fw",
            "components": [{"type": "library", "name": "lwip", "bom-ref": "pump"}],
        },
        {"type": "library", "name": "no-ref"},
        {"type": "library", "name": "no-ref-either"},
    ],
}


def test_json_duplicate_bom_refs_are_problems_naming_both_places() -> None:
    sbom = parse_sbom(json.dumps(JSON_BOM).encode(), source="bom.json")
    assert sbom.problems == (
        "components[1].bom-ref: duplicate 'lib', already used by components[0]",
        "metadata.component.bom-ref: duplicate 'pump', already used by components[2].components[0]",
    )
    assert [c.name for c in sbom.components] == [
        "zlib",
        "openssl",
        "fw",
        "lwip",
        "no-ref",
        "no-ref-either",
    ]


def test_xml_duplicate_bom_refs_are_problems_naming_both_places() -> None:
    data = (
        b'<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">'
        b'<components><component type="library" bom-ref="a"><name>x</name></component>'
        b'<component type="library" bom-ref="b"><name>y</name><components>'
        b'<component type="library" bom-ref="a"><name>z</name></component>'
        b"</components></component></components></bom>"
    )
    sbom = parse_sbom(data, source="bom.xml")
    assert sbom.problems == (
        "/bom/components/component[2]/components/component[1]/@bom-ref: duplicate 'a', "
        "already used by /bom/components/component[1]",
    )


def test_unique_refs_give_no_problem() -> None:
    doc = {**JSON_BOM, "components": JSON_BOM["components"][:1]}
    assert parse_sbom(json.dumps(doc).encode(), source="bom.json").problems == ()
