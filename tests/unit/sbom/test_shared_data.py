"""Every SBOM file of ../shared/data/sbom parses, and its counts agree with MANIFEST.json."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from psirt.domain.sbom import Hash, ParsedSbom, SbomFormat, Serialization
from psirt.ingest.sbom import detect, parse_sbom
from tests.conftest import SHARED_DATA, require_shared

SBOM_DIR = SHARED_DATA / "sbom"


def _manifest_entries() -> dict[str, dict[str, Any]]:
    """Relative path below sbom/ -> the manifest's per-file summary."""
    manifest_path = SHARED_DATA / "MANIFEST.json"
    if not manifest_path.exists():
        return {}
    manifest = json.loads(manifest_path.read_text())
    out = {}
    for item in manifest["items"]:
        if not item["path"].startswith("sbom/"):
            continue
        for rel, summary in item.get("per_file", {}).items():
            out[str(Path(item["path"]) / rel).removeprefix("sbom/")] = summary
    return out


MANIFEST = _manifest_entries()
SBOM_FILES = (
    sorted(
        str(p.relative_to(SBOM_DIR))
        for p in SBOM_DIR.rglob("*")
        if p.is_file() and p.suffix != ".zip"
    )
    if SBOM_DIR.exists()
    else []
)


def _parse(rel: str) -> ParsedSbom:
    path = require_shared("sbom", rel)
    return parse_sbom(path.read_bytes(), source=rel)


def test_every_file_is_known_to_the_manifest() -> None:
    require_shared("sbom")
    assert SBOM_FILES
    assert [f for f in SBOM_FILES if f not in MANIFEST] == []


@pytest.mark.parametrize("rel", SBOM_FILES)
def test_counts_agree_with_manifest(rel: str) -> None:
    sbom = _parse(rel)
    summary = MANIFEST.get(rel)
    if summary is None or summary["format"] == "XML (SPDX XML/RDF)":
        # SPDX XML and RDF/XML of the spec example: same content as the JSON encoding
        twin = _parse("spdx/spdx-spec-examples-2.3/SPDXJSONExample-v2.3.spdx.json")
        assert {(c.ref, c.name, c.version, c.purl, c.cpe) for c in sbom.components} == {
            (c.ref, c.name, c.version, c.purl, c.cpe) for c in twin.components
        }
        return
    fmt = summary["format"]
    if fmt == "CycloneDX JSON":
        assert sbom.format is SbomFormat.CYCLONEDX
        assert sbom.serialization is Serialization.JSON
        assert sbom.spec_version == summary["specVersion"]
        assert len(sbom.components) == summary["all_components_recursive"]
        assert sum(c.parent_ref is None for c in sbom.components) == summary["top_level_components"]
        assert len(sbom.dependencies) == summary["dependencies"]
        assert len(sbom.vulnerabilities) == summary["vulnerabilities"]
        assert sbom.with_purl == summary["with_purl"]
        assert sbom.with_cpe == summary["with_cpe"]
    elif fmt == "CycloneDX XML":
        assert sbom.serialization is Serialization.XML
        assert summary["namespace"].endswith(sbom.spec_version)
        # the manifest counts every <component>, metadata/component included
        assert (
            len(sbom.components) + (sbom.subject is not None) == summary["all_components_recursive"]
        )
        assert sum(c.parent_ref is None for c in sbom.components) == summary["top_level_components"]
    elif fmt in {"SPDX JSON", "SPDX tag-value", "SPDX YAML"}:
        assert sbom.format is SbomFormat.SPDX
        assert f"SPDX-{sbom.spec_version}" == summary["spdxVersion"]
        assert len(sbom.components) == summary["packages"]
        if "packages_with_purl" in summary:
            assert sbom.with_purl == summary["packages_with_purl"]
            assert sbom.with_cpe == summary["packages_with_cpe"]
    elif fmt == "SPDX 3 JSON-LD":
        assert sbom.serialization is Serialization.JSON_LD
        assert sbom.spec_version.startswith("3.")
        assert len(sbom.components) == summary["software_Package"]
    else:
        pytest.fail(f"unexpected manifest format {fmt!r}")
    assert detect(require_shared("sbom", rel).read_bytes(), rel)[:2] == (
        sbom.format,
        sbom.serialization,
    )


def test_dropwizard_json_and_xml_agree() -> None:
    base = "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/"
    j, x = _parse(base + "bom.json"), _parse(base + "bom.xml")
    # the two files differ in one license only (osgi-resource-locator has none in the XML)
    keys = ("ref", "name", "version", "group", "purl", "hashes", "supplier", "type")
    assert [tuple(getattr(c, k) for k in keys) for c in j.components] == [
        tuple(getattr(c, k) for k in keys) for c in x.components
    ]
    assert j.dependencies == x.dependencies
    assert j.subject == x.subject
    assert j.subject is not None and j.subject.name == "dropwizard-parent"
    assert j.serial_number == "urn:uuid:b4f2954f-a96d-4578-9509-1ae2d6476209"
    assert j.timestamp == dt.datetime(2020, 8, 2, 21, 27, 4, tzinfo=dt.UTC)
    guava = next(c for c in j.components if c.name == "guava")
    assert guava.version == "24.1.1-jre"
    assert guava.group == "com.google.guava"
    assert guava.purl == "pkg:maven/com.google.guava/guava@24.1.1-jre?type=jar"
    assert guava.licenses == ("Apache-2.0",)
    assert Hash("SHA-1", "2e3014320a8005e3f3c1800cb246ed42db8cab81") in guava.hashes
    deps = {d.ref: d.depends_on for d in j.dependencies}
    assert "pkg:maven/org.checkerframework/checker-compat-qual@2.0.0?type=jar" in deps[guava.ref]


def test_medical_device_sbom() -> None:
    sbom = _parse("medical/sbom-completeness/narrow.sbom.json")
    assert sbom.spec_version == "1.4"
    assert sbom.authors == ("REDACTED",)
    assert sbom.subject is not None and sbom.subject.type == "device"
    wolfssl = next(c for c in sbom.components if c.name == "WolfSSL")
    assert wolfssl.version == "4.8.1"
    assert wolfssl.cpe == "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"
    assert wolfssl.purl == "pkg:github/wolfssl/wolfssl"
    assert wolfssl.supplier == "wolfSSL"
    assert ("Level of Support", "Actively maintained") in wolfssl.properties
    # free-text support statements are kept as properties, not mapped to an item class
    assert wolfssl.item_class is None


@pytest.mark.parametrize(
    "name",
    [
        "SPDXJSONExample-v2.3.spdx.json",
        "SPDXTagExample-v2.3.spdx",
        "SPDXYAMLExample-2.3.spdx.yaml",
        "SPDXXMLExample-v2.3.spdx.xml",
        "SPDXRdfExample-v2.3.spdx.rdf.xml",
    ],
)
def test_spdx_spec_example_in_every_encoding(name: str) -> None:
    sbom = _parse(f"spdx/spdx-spec-examples-2.3/{name}")
    assert sbom.spec_version == "2.3"
    assert sbom.document_name == "SPDX-Tools-v2.0"
    assert sbom.timestamp == dt.datetime(2010, 1, 29, 18, 30, 22, tzinfo=dt.UTC)
    assert sbom.tools == ("LicenseFind-1.0",)
    assert set(sbom.authors) == {"ExampleCodeInspect", "Jane Doe"}
    glibc = sbom.subject
    assert glibc is not None and glibc.ref == "SPDXRef-Package"
    assert (glibc.name, glibc.version, glibc.supplier, glibc.author) == (
        "glibc",
        "2.11.1",
        "Jane Doe",
        "ExampleCodeInspect",
    )
    assert glibc.cpe == "cpe:2.3:a:pivotal_software:spring_framework:4.1.0:*:*:*:*:*:*:*"
    assert Hash("SHA-256", "11b6d3ee554eedf79299905a98f9b9a04e498210b59f15094c916c91d150efcd") in (
        glibc.hashes
    )
    assert "(LGPL-2.0-only OR LicenseRef-3)" in glibc.licenses
    jena = next(c for c in sbom.components if c.ref == "SPDXRef-fromDoap-0")
    assert jena.purl == "pkg:maven/org.apache.jena/apache-jena@3.12.0"
    assert {c.ref for c in sbom.components} == {
        "SPDXRef-Package",
        "SPDXRef-fromDoap-0",
        "SPDXRef-fromDoap-1",
        "SPDXRef-Saxon",
    }
    assert ("SPDXRef-Package", ("SPDXRef-Saxon",), "depends_on") in {
        (d.ref, d.depends_on, d.kind) for d in sbom.dependencies
    }


def test_spdx2_and_spdx3_of_the_same_build_agree() -> None:
    two = _parse("spdx/spdx-examples/software/example11/spdx2.3/sbom.spdx.json")
    three = _parse("spdx/spdx-examples/software/example11/spdx3.0/sbom.spdx3.json")
    assert sorted((c.name, c.version, c.purl) for c in two.components) == sorted(
        (c.name, c.version, c.purl) for c in three.components
    )
    assert ("tokio", "1.19.2", "pkg:cargo/tokio@1.19.2") in {
        (c.name, c.version, c.purl) for c in three.components
    }
    assert three.subject is not None and three.subject.name == "hello-server-src"
    assert three.dependency_count == 3
    assert three.tools == ("sigs.k8s.io/bom/pkg/spdx",)


def test_tag_value_relationships_and_packages() -> None:
    sbom = _parse("spdx/spdx-examples/software/example6/spdx2.2/example6-lib.spdx")
    assert sbom.spec_version == "2.2"
    assert len(sbom.components) == 5
    assert sbom.subject is not None
    assert sbom.dependency_count == 4
