"""Fuzzing the SBOM parsers and their sniffer: any input gives a ParsedSbom or an InputError
(never another exception), each example within the deadline (see strategies.budget)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.errors import InputError
from psirt.ingest.sbom import PARSERS, detect, parse_sbom
from psirt.ingest.sbom.validate import ValidatorUnavailable, validate, warnings
from tests.fuzz.strategies import SBOM_SEEDS, budget, json_values, keys_of, structured

KEYS = keys_of(SBOM_SEEDS)
MARKERS: list[dict[str, Any]] = [
    {"bomFormat": "CycloneDX", "specVersion": "1.6"},
    {"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"},
    {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"},
]

# a failing example of a large mutated document is reported whole
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def _parsed_or_refused(call: Any) -> ParsedSbom | None:
    try:
        result = call()
    except InputError:
        return None
    assert isinstance(result, ParsedSbom)
    return result


@budget(700)
@given(structured(SBOM_SEEDS))
def test_parse_sbom_never_crashes(doc: tuple[str, bytes]) -> None:
    name, data = doc
    sbom = _parsed_or_refused(lambda: parse_sbom(data, source=name))
    if sbom is not None:
        assert all(isinstance(c.name, str) for c in sbom.components)


@budget(450)
@given(st.sampled_from(sorted(PARSERS)), structured(SBOM_SEEDS))
def test_every_sbom_parser_on_every_kind_of_document(
    key: tuple[SbomFormat, Serialization], doc: tuple[str, bytes]
) -> None:
    name, data = doc
    _parsed_or_refused(lambda: PARSERS[key](data, source=name))


@budget(450)
@given(st.sampled_from(MARKERS), st.dictionaries(st.sampled_from(KEYS), json_values(KEYS)))
def test_generated_documents_with_a_format_marker(
    marker: dict[str, Any], rest: dict[str, Any]
) -> None:
    data = json.dumps({**rest, **marker}).encode()
    _parsed_or_refused(lambda: parse_sbom(data, source="gen.json"))


@budget(450)
@given(st.binary(max_size=512))
def test_sniffer_on_any_bytes(data: bytes) -> None:
    try:
        found = detect(data, "x")
    except InputError:
        return
    assert isinstance(found[0], SbomFormat) and isinstance(found[1], Serialization)


def _kind(name: str, data: bytes) -> tuple[SbomFormat, Serialization] | None:
    try:
        fmt, ser, _ = detect(data, name)
    except InputError:
        return None
    return fmt, ser


# spdx-tools takes a second or more for tag-value, YAML and RDF documents: CycloneDX and
# SPDX JSON are validated here, the other serialisations by the unit tests of validate
VALIDATE_SEEDS = [
    (n, d)
    for n, d in SBOM_SEEDS
    if _kind(n, d)
    in {
        (SbomFormat.CYCLONEDX, Serialization.JSON),
        (SbomFormat.CYCLONEDX, Serialization.XML),
        (SbomFormat.SPDX, Serialization.JSON),
    }
]


@budget(80)
@given(structured(VALIDATE_SEEDS))
def test_validate_never_crashes(doc: tuple[str, bytes]) -> None:
    name, data = doc
    try:
        errors = validate(data, source=name)
    except (InputError, ValidatorUnavailable):
        return
    assert isinstance(errors, list)
    assert isinstance(warnings(data, source=name), list)


def test_there_are_seeds_of_every_serialisation() -> None:
    found = {_kind(name, data) for name, data in SBOM_SEEDS}
    assert set(PARSERS) <= found
