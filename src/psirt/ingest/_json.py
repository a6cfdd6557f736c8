"""JSON reading shared by every parser: one decoder, one way of naming a value's type."""

from __future__ import annotations

from typing import Any

import orjson

from psirt.errors import InputError
from psirt.ingest import text


def strip_bom(data: bytes) -> bytes:
    """``data`` without a UTF-8 byte order mark."""
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def load_json(data: bytes, source: str) -> Any:
    """Decode JSON; a syntax error names the line and column: ``f.json: line 3, column 12: ...``.

    A byte that is not UTF-8 is named by :mod:`psirt.ingest.text` (orjson reports it at the
    start of the document); NUL characters (``\\u0000``) in strings are read as U+FFFD."""
    try:
        doc = orjson.loads(strip_bom(data))
    except orjson.JSONDecodeError as exc:
        if "UTF-8" in exc.msg:
            text.decode_utf8(data, source)  # raises, naming the first byte that is not UTF-8
        raise InputError(
            source, f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}"
        ) from None
    if b"\\u0000" in data:  # only then can a decoded string hold a NUL character
        text.replace_nul(doc)
    return doc


def type_name(value: object) -> str:
    """How an error message names the JSON type of ``value``: "a string", "an array" ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
