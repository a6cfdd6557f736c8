"""Fuzzing the feed parsers, their sniffer and the archive reader: any input gives a FeedBatch
or an InputError (never another exception), each example within the deadline."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psirt.errors import InputError
from psirt.ingest import feeds
from psirt.ingest.feeds import PARSERS, FeedBatch, FeedFormat, detect, osv
from tests.fuzz.strategies import (
    FEED_SEEDS,
    HOSTILE_TEXT,
    budget,
    json_values,
    keys_of,
    mutated_bytes,
    structured,
)

KEYS = keys_of(FEED_SEEDS)
MARKERS: list[dict[str, Any]] = [
    {"id": "OSV-1", "modified": "2024-01-01T00:00:00Z"},
    {"cveMetadata": {}},
    {"catalogVersion": "1", "vulnerabilities": []},
    {"format": "NVD_CVE", "vulnerabilities": []},
    {"cve": {}},
]

# a failing example of a large mutated document is reported whole
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def _parsed_or_refused(call: Any) -> FeedBatch | None:
    try:
        result = call()
    except InputError:
        return None
    assert isinstance(result, FeedBatch)
    assert all(isinstance(p.reason, str) for p in result.problems)
    return result


@budget(700)
@given(structured(FEED_SEEDS))
def test_parse_feed_never_crashes(doc: tuple[str, bytes]) -> None:
    name, data = doc
    _parsed_or_refused(lambda: feeds.parse(data, source=name))


@budget(550)
@given(st.sampled_from(sorted(PARSERS)), structured(FEED_SEEDS))
def test_every_feed_parser_on_every_kind_of_feed(fmt: FeedFormat, doc: tuple[str, bytes]) -> None:
    name, data = doc
    _parsed_or_refused(lambda: PARSERS[fmt](data, source=name))


@budget(550)
@given(st.sampled_from(MARKERS), st.dictionaries(st.sampled_from(KEYS), json_values(KEYS)))
def test_generated_feeds_with_a_format_marker(marker: dict[str, Any], rest: dict[str, Any]) -> None:
    data = json.dumps({**rest, **marker}).encode()
    _parsed_or_refused(lambda: feeds.parse(data, source="gen.json"))


@budget(450)
@given(st.binary(max_size=512))
def test_sniffer_on_any_bytes(data: bytes) -> None:
    try:
        found = detect(data, "x")
    except InputError:
        return
    assert isinstance(found, FeedFormat)


MEMBER_NAMES = st.one_of(
    st.sampled_from(
        [
            "a/OSV-1.json",
            "b/OSV-2.yaml",
            "../x.json",
            "/abs.json",
            "C:/w.json",
            "a\\..\\..\\b.json",
            "nul\x00.json",
            "dir/",
            "x.yml",
            "README.md",
            "é/ü.json",
        ]
    ),
    HOSTILE_TEXT.map(lambda t: t.replace("\ud800", "") + ".json"),
)
OSV_SEEDS = [
    d
    for n, d in FEED_SEEDS
    if n.endswith((".json", ".yaml")) and b'"id"' in d or n.endswith(".yaml")
]


@budget(250)
@given(
    members=st.lists(
        st.tuples(MEMBER_NAMES, st.sampled_from(OSV_SEEDS or [b"{}"]), st.booleans()),
        max_size=5,
    ),
    data=st.data(),
)
def test_archive_reader_never_crashes(
    members: list[tuple[str, bytes, bool]], data: st.DataObject, tmp_path_factory: Any
) -> None:
    path = Path(tmp_path_factory.mktemp("zip")) / "feed.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        written: set[str] = set()
        for name, content, mutate in members:
            if name in written:  # zipfile warns about a second member of the same name
                continue
            written.add(name)
            body = data.draw(mutated_bytes(content, [])) if mutate else content
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    raw = buffer.getvalue()
    if data.draw(st.booleans()):
        raw = data.draw(mutated_bytes(raw, []))
    path.write_bytes(raw)
    try:
        batches = list(osv.read_path(path))
    except InputError:
        return
    assert all(isinstance(b, FeedBatch) for b in batches)


def test_there_are_seeds_of_every_format() -> None:
    found = set()
    for name, data in FEED_SEEDS:
        try:
            found.add(detect(data, name))
        except InputError:
            continue
    assert set(PARSERS) <= found
