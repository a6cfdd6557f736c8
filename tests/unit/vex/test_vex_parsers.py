"""Supplier-document parsers on real documents: CISA ICSMA and OASIS CSAF, the CycloneDX VEX
use cases, OpenVEX examples; malformed documents name the file and JSON path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from psirt.domain.vex import ProductRef, VexFormat, VexStatus, revision_key
from psirt.errors import InputError, UnknownFormat
from psirt.ingest.vex import PARSERS, detect, parse
from tests.conftest import ASSETS, require_shared


def _shared(*parts: str) -> bytes:
    return require_shared("advisories", *parts).read_bytes()


def test_every_format_is_registered() -> None:
    assert set(PARSERS) == set(VexFormat)


def test_icsma_product_tree_gives_vendor_name_version_and_range() -> None:
    doc = parse(_shared("csaf", "cisa-icsma", "2020", "icsma-20-023-01.json"), source="x")
    assert (doc.format, doc.identity, doc.version, doc.publisher) == (
        VexFormat.CSAF,
        "csaf:https://www.cisa.gov/#ICSMA-20-023-01",
        "1",
        "CISA",
    )
    assert doc.issued is not None and doc.issued.isoformat() == "2020-01-23T00:00:00+00:00"
    telemetry = {
        (s.vulnerability, s.product.version, s.product.version_range)
        for s in doc.statements
        if s.product.name == "CARESCAPE Telemetry Server"
    }
    assert ("CVE-2020-6961", "4.3", None) in telemetry
    assert ("CVE-2020-6961", None, "<= 4.2") in telemetry
    first = doc.statements[0]
    assert first.product.vendor == "General Electric (GE)"
    assert first.status is VexStatus.AFFECTED and first.supplier_status == "known_affected"
    assert first.path == "/vulnerabilities/0/product_status/known_affected"


def test_csaf_vex_flags_threats_and_groups() -> None:
    doc = parse(
        _shared("csaf", "oasis-examples", "csaf_vex", "2022-evd-uc-03-ms-001.json"), source="x"
    )
    by = {(s.vulnerability, s.status) for s in doc.statements}
    assert ("CVE-2020-11896", VexStatus.UNDER_INVESTIGATION) in by
    na = [s for s in doc.statements if s.status is VexStatus.NOT_AFFECTED]
    assert na and all(s.justification or s.impact for s in na)


def test_csaf_relationship_products_carry_their_reference() -> None:
    doc = parse(_shared("csaf", "oasis-examples", "rhsa-2022_0011.json"), source="x")
    telnet = [s for s in doc.statements if s.product.label.startswith("telnet-1:0.17-65.el7_6.x86")]
    assert telnet and telnet[0].status is VexStatus.FIXED
    assert "default component of" in telnet[0].product.label


def _cdx(case: str) -> Any:
    return parse(_shared("cyclonedx-vex", "bom-examples", "VEX", *case.split("/")), source=case)


def test_cyclonedx_analysis_and_version_lists() -> None:
    one = _cdx("Use-Cases/Case-1/vex.json")
    (st,) = one.statements
    assert (st.vulnerability, st.status, st.justification) == (
        "CVE-2020-25649",
        VexStatus.NOT_AFFECTED,
        "code_not_reachable",
    )
    assert st.product == ProductRef(
        label="Acme Product 2.4.0", name="Acme Product", version="2.4.0"
    )
    assert st.impact and st.impact.startswith("Automated dataflow analysis")
    ranged = _cdx("Use-Cases/Case-4/vex.json").statements[0]
    assert ranged.product.version_range == "vers:semver/>=2.2.0|<=2.4.0"
    assert [s.status for s in _cdx("Use-Cases/Case-3/vex.json").statements] == [
        VexStatus.UNDER_INVESTIGATION
    ]
    assert [s.status for s in _cdx("Use-Cases/Case-2/vex.json").statements] == [VexStatus.AFFECTED]
    linked = _cdx("vex.json").statements[0]  # a BOM-Link whose ref is a purl
    assert (
        linked.product.purl
        == "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"
    )


def test_openvex_subcomponents_and_the_0_0_1_form() -> None:
    doc = parse(_shared("openvex", "go-vex", "pkg_vex_testdata_v0.2.0.json"), source="x")
    assert (
        doc.spec_version == "0.2.0" and doc.publisher == "The OpenVEX Project <openvex@openssf.org>"
    )
    purls = {(s.vulnerability, s.status, s.product.purl) for s in doc.statements}
    assert ("CVE-2023-1255", VexStatus.FIXED, "pkg:apk/alpine/libssl3@3.0.8-r3") in purls
    na = [s for s in doc.statements if s.status is VexStatus.NOT_AFFECTED]
    assert {s.justification for s in na} == {"vulnerable_code_not_present"}
    old = parse(_shared("openvex", "go-vex", "pkg_vex_testdata_v0.0.1.json"), source="x")
    assert old.spec_version == "0.0.1"
    assert [s.product.purl for s in old.statements] == [
        "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
        "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
    ]


def _mutated(path: Path, change: Any) -> bytes:
    doc = json.loads(path.read_text())
    change(doc)
    return json.dumps(doc).encode()


OPENVEX = ASSETS / "advisories" / "openvex-go-vex-v0.2.0.json"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["statements"][1].update(status="maybe"),
            "x.json: /statements/1/status: unknown status 'maybe'",
        ),
        (
            lambda d: d["statements"][0].update(products=[]),
            "x.json: /statements/0/products: the statement names no product",
        ),
        (
            lambda d: d["statements"][2]["vulnerability"].pop("name"),
            "x.json: /statements/2/vulnerability/name: expected a non-empty string, got null",
        ),
        (lambda d: d.pop("@id"), "x.json: /@id: expected a non-empty string, got null"),
    ],
)
def test_invalid_openvex(change: Any, message: str) -> None:
    with pytest.raises(InputError) as exc:
        parse(_mutated(OPENVEX, change), source="x.json")
    assert str(exc.value) == message


def test_invalid_cyclonedx_vex() -> None:
    path = require_shared(
        "advisories", "cyclonedx-vex", "bom-examples", "VEX", "Use-Cases", "Case-1", "vex.json"
    )
    with pytest.raises(InputError, match=r"x.json: /vulnerabilities/0/analysis/state: unknown"):
        parse(
            _mutated(path, lambda d: d["vulnerabilities"][0]["analysis"].update(state="??")),
            source="x.json",
        )
    with pytest.raises(InputError, match=r"/specVersion: CycloneDX 1.3 has no VEX"):
        parse(_mutated(path, lambda d: d.update(specVersion="1.3")), source="x.json")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x: empty document"),
        (b"[1]", "x: not a JSON object (supplier advisories are JSON)"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5"}', "x: /vulnerabilities: a CycloneDX"),
        (b'{"spdxVersion": "SPDX-2.3"}', "x: not a CSAF 2.0 document, a CycloneDX VEX or an"),
    ],
)
def test_sniffer_refuses_what_it_does_not_know(data: bytes, message: str) -> None:
    with pytest.raises(UnknownFormat) as exc:
        detect(data, "x")
    assert str(exc.value).startswith(message)


def test_revision_order() -> None:
    assert revision_key(VexFormat.CSAF, "1.10.0") > revision_key(VexFormat.CSAF, "1.9.0")
    assert revision_key(VexFormat.CSAF, "2") > revision_key(VexFormat.CSAF, "1.0.0")
    assert revision_key(VexFormat.CSAF, "1.0.0") > revision_key(VexFormat.CSAF, "1.0.0-rc.1")
    assert revision_key(VexFormat.OPENVEX, "10") > revision_key(VexFormat.OPENVEX, "9")
