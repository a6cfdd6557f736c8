"""Fuzzing the scanner report parsers and their sniffer: any input gives a ScanResult or an
InputError (never another exception), each example within the deadline."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psirt.domain.scan import ScanFormat, ScanResult
from psirt.errors import InputError
from psirt.ingest.scans import PARSERS, detect, inspect, parse
from tests.fuzz.strategies import SCAN_SEEDS, budget, json_values, keys_of, structured

KEYS = keys_of(SCAN_SEEDS)
MARKERS: list[dict[str, Any]] = [
    {"version": "2.1.0", "runs": []},
    {"psirt_pentest": "1.0"},
    {"@version": "2.14.0", "site": []},
    {"matches": [], "descriptor": {}},
    {"SchemaVersion": 2},
    {"results": [], "metrics": {}, "generated_at": "2024-01-01T00:00:00Z"},
    {"results": [], "errors": []},
    {"vulns": [{"advisory": {}, "matchedDependency": {}}]},
    {"findings": [{"found_dependency": {}}]},
]

# a failing example of a large mutated document is reported whole
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def _parsed_or_refused(call: Any) -> ScanResult | None:
    try:
        result = call()
    except InputError:
        return None
    assert isinstance(result, ScanResult)
    assert result.instances >= 0
    return result


@budget(700)
@given(structured(SCAN_SEEDS))
def test_parse_report_never_crashes(doc: tuple[str, bytes]) -> None:
    name, data = doc
    _parsed_or_refused(lambda: parse(data, source=name))
    try:
        counts = inspect(data, name)
    except InputError:
        return
    assert counts["results"] >= 0


@budget(550)
@given(st.sampled_from(sorted(PARSERS)), structured(SCAN_SEEDS))
def test_every_scan_parser_on_every_kind_of_report(fmt: ScanFormat, doc: tuple[str, bytes]) -> None:
    name, data = doc
    _parsed_or_refused(lambda: PARSERS[fmt](data, source=name))


@budget(550)
@given(st.sampled_from(MARKERS), st.dictionaries(st.sampled_from(KEYS), json_values(KEYS)))
def test_generated_reports_with_a_format_marker(
    marker: dict[str, Any], rest: dict[str, Any]
) -> None:
    doc = {**rest, **marker}
    for key in ("runs", "site", "matches", "results", "vulns", "findings"):
        if key in rest and key in marker:
            doc[key] = rest[key]  # the generated value under the format's own key
    _parsed_or_refused(lambda: parse(json.dumps(doc).encode(), source="gen.json"))


@budget(450)
@given(st.binary(max_size=512))
def test_sniffer_on_any_bytes(data: bytes) -> None:
    try:
        found = detect(data, "x")
    except InputError:
        return
    assert isinstance(found, ScanFormat)


def test_there_are_seeds_of_every_format() -> None:
    found = set()
    for name, data in SCAN_SEEDS:
        try:
            found.add(detect(data, name))
        except InputError:
            continue
    assert set(PARSERS) <= found
