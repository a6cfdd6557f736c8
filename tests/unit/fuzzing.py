"""Hypothesis strategies for record and policy files: JSON-like values, field-aware records
built from the record types' annotations, and a small TOML writer (no TOML writer ships with
Python) that can also write TOML's own dates and times."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import types
import typing
from enum import StrEnum
from typing import Any

from hypothesis import strategies as st

from psirt.domain.records import Record

# --------------------------------------------------------------------------- values

_texts = st.text(max_size=12) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "CVE-2023-0286", "pkg:pypi/urllib3@2.0.4", "p@1.0",
     "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N", "2025-03-03",
     "2025-03-03T09:00:00Z", "2025-03-03T09:00:00", "0001-01-01T00:00:00+01:00",
     "9999-12-31T23:59:59-12:00", "1e999", "nan"]
)  # fmt: skip
_numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0, 1, -1, 0.5, 1.5, 2**63, 10**30])
)
_aware = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
)
_native = st.dates() | st.datetimes() | _aware | st.times()  # TOML only
scalars = st.none() | st.booleans() | _numbers | _texts


@functools.cache
def json_values(leaves: st.SearchStrategy[Any] = scalars) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3),
        max_leaves=8,
    )


def _unwrap(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], True
    return tp, False


@functools.cache
def typed(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly values of the annotated type, sometimes anything."""
    inner, optional = _unwrap(tp)
    origin = typing.get_origin(inner)
    if origin is tuple:
        (item,) = typing.get_args(inner)[:1]
        good: st.SearchStrategy[Any] = st.lists(typed(item, depth + 1), max_size=3)
    elif isinstance(inner, type) and issubclass(inner, Record):
        good = record_dicts(inner, depth + 1) if depth < 3 else st.fixed_dictionaries({})
    elif isinstance(inner, type) and issubclass(inner, StrEnum):
        good = st.sampled_from([m.value for m in inner])
    elif inner is dt.datetime:
        good = _aware | st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.isoformat())
    elif inner is dt.date:
        good = st.dates() | st.dates().map(lambda d: d.isoformat())
    elif inner is bool:
        good = st.booleans()
    elif inner is int:
        good = st.integers(min_value=-(2**70), max_value=2**70)
    elif inner is float:
        good = st.floats(allow_nan=True, allow_infinity=True) | st.floats(0, 1)
    else:
        good = _texts
    if optional:
        good = st.none() | good
    return st.one_of(good, good, good, json_values() if depth < 2 else scalars)


@functools.cache
def record_dicts(cls: type[Record], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A record of ``cls`` as a file would hold it: its fields, some left out, some extra."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    return st.tuples(
        st.fixed_dictionaries({}, optional={n: typed(hints[n], depth) for n in names}),
        st.dictionaries(_texts, scalars, max_size=1 if depth == 0 else 0),
    ).map(lambda parts: {**parts[1], **parts[0]})


# --------------------------------------------------------------------------- writers


def _toml_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\\ufffd")  # TOML cannot carry a lone surrogate
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(value: Any) -> str | None:
    """``value`` as a TOML inline value; None for null (TOML has none: the key is left out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        items = [v for v in (toml_value(x) for x in value) if v is not None]
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        pairs = [(k, toml_value(v)) for k, v in value.items()]
        return "{" + ", ".join(f"{_toml_string(k)} = {v}" for k, v in pairs if v is not None) + "}"
    raise TypeError(type(value))


def to_toml(document: dict[str, Any]) -> str:
    lines = []
    for key, value in document.items():
        text = toml_value(value)
        if text is not None:
            lines.append(f"{_toml_string(key)} = {text}")
    return "\n".join(lines) + "\n"


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, default=lambda v: v.isoformat())
