"""Decoding input files as UTF-8, with the place of the first byte that is not UTF-8.

Every reader of text input (CSV, YAML, tag-value, TOML, and JSON and XML when their parser
stops at such a byte) names that place the same way: ``line 3, column 12 (byte offset 57)``.
Lines and columns count from 1 in the text (a column counts characters, not bytes); the
byte offset counts from 0 in the file as it is, a leading byte order mark included.
"""

from __future__ import annotations

from psirt.errors import InputError

BOM = b"\xef\xbb\xbf"


def decode_utf8(data: bytes, source: str) -> str:
    """The text of ``data`` (a UTF-8 byte order mark is dropped); :class:`InputError` at the
    first byte that is not UTF-8."""
    skip = len(BOM) if data.startswith(BOM) else 0
    try:
        return str(memoryview(data)[skip:], "utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        raise InputError(
            source,
            position(data, offset),
            f"not UTF-8 text: {exc.reason} (byte 0x{data[offset]:02x})",
        ) from None


def position(data: bytes, offset: int) -> str:
    """``line L, column C (byte offset O)`` of byte ``offset`` of ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    if start == 0 and data.startswith(BOM):
        start = len(BOM)
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return f"line {line}, column {column} (byte offset {offset})"


def first_invalid_byte(data: bytes) -> int | None:
    """The offset of the first byte of ``data`` that is not UTF-8 (after a byte order mark),
    or None when all of it is."""
    skip = len(BOM) if data.startswith(BOM) else 0
    try:
        str(memoryview(data)[skip:], "utf-8")
    except UnicodeDecodeError as exc:
        return skip + exc.start
    return None
