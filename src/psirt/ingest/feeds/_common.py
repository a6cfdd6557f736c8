"""Helpers shared by the feed parsers: decoding, typed field access, timestamps.

Record parsers raise :class:`RecordError` for a malformed field; the format module catches it
per record and turns it into a :class:`~psirt.ingest.feeds.FeedProblem`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from psirt.ingest import _yaml
from psirt.ingest._json import strip_bom, type_name
from psirt.ingest.text import decode_utf8


class RecordError(Exception):
    """A malformed field inside one record (``location`` is relative to the document)."""

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(f"{location}: {reason}" if location else reason)
        self.location = location
        self.reason = reason


def join(base: str, key: str | int) -> str:
    """Extend a location: ``join("affected[0]", "ranges")``, ``join("ranges", 1)``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if base.startswith("line "):  # CSV rows: "line 3, dateAdded"
        return f"{base}, {key}"
    return f"{base}.{key}" if base else key


def load_yaml(data: bytes | str, source: str) -> Any:
    """Decode YAML with every scalar kept as a string (no implicit dates, floats or booleans).

    OSV versions such as ``1.10`` or timestamps must stay exactly as written, so every scalar
    is read as a string; psirt's YAML reader refuses alias bombs (see :mod:`psirt.ingest._yaml`).
    """
    return _yaml.load_yaml(data, source, typed=False)


def looks_like_json(data: bytes) -> bool:
    head = strip_bom(data).lstrip()[:1]
    return head in (b"{", b"[")


def decode_text(data: bytes, source: str) -> str:
    return decode_utf8(data, source)


# -- typed access -------------------------------------------------------------------------


def as_object(value: object, location: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(location, f"expected an object, got {type_name(value)}")
    return value


def as_list(value: object, location: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise RecordError(location, f"expected an array, got {type_name(value)}")
    return value


def opt_list(obj: Mapping[str, Any], key: str, location: str) -> Sequence[Any]:
    """A list field that may be absent or null."""
    value = obj.get(key)
    if value is None:
        return ()
    return as_list(value, join(location, key))


def opt_object(obj: Mapping[str, Any], key: str, location: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    return as_object(value, join(location, key))


def req_str(obj: Mapping[str, Any], key: str, location: str) -> str:
    value = obj.get(key)
    if value is None:
        raise RecordError(join(location, key), "missing required field")
    if not isinstance(value, str):
        raise RecordError(join(location, key), f"expected a string, got {type_name(value)}")
    if not value.strip():
        raise RecordError(join(location, key), "empty string")
    return value


def opt_str(obj: Mapping[str, Any], key: str, location: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(join(location, key), f"expected a string, got {type_name(value)}")
    return value


def str_list(obj: Mapping[str, Any], key: str, location: str) -> tuple[str, ...]:
    items = opt_list(obj, key, location)
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise RecordError(
                join(join(location, key), i), f"expected a string, got {type_name(item)}"
            )
        out.append(item)
    return tuple(out)


def opt_bool(obj: Mapping[str, Any], key: str, location: str, default: bool) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RecordError(join(location, key), f"expected a boolean, got {type_name(value)}")
    return value


def unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# -- timestamps ---------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_timestamp(text: str, location: str) -> dt.datetime:
    """RFC 3339 timestamp, fractional seconds of any length, ``Z`` or offset; no zone = UTC.

    NVD writes ``2023-09-12T15:15:24.327`` without a zone (it means UTC).
    """
    m = _TIMESTAMP.fullmatch(text.strip())
    if m is None:
        raise RecordError(location, f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = dt.UTC
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = dt.timezone(sign * offset)
    try:
        value = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            min(int(second), 59), micro, tzinfo=tz,
        )  # fmt: skip
    except ValueError as exc:
        raise RecordError(location, f"not a valid timestamp: {text!r} ({exc})") from None
    return value.astimezone(dt.UTC)


def opt_timestamp(obj: Mapping[str, Any], key: str, location: str) -> dt.datetime | None:
    text = opt_str(obj, key, location)
    if text is None or not text.strip():
        return None
    return parse_timestamp(text, join(location, key))


def parse_date(text: str, location: str) -> dt.date:
    """``YYYY-MM-DD`` (a trailing time part is ignored)."""
    head = text.strip()[:10]
    try:
        return dt.date.fromisoformat(head)
    except ValueError:
        raise RecordError(location, f"not a date (YYYY-MM-DD): {text!r}") from None
