"""Decoding input files as UTF-8, with the place of the first byte that is not UTF-8.

Every reader of text input (CSV, YAML, tag-value, TOML, and JSON and XML when their parser
stops at such a byte) names that place the same way: ``line 3, column 12 (byte offset 57)``.
Lines and columns count from 1 in the text (a column counts characters, not bytes); the
byte offset counts from 0 in the file as it is, a leading byte order mark included.

NUL characters (U+0000), raw or escaped (``\u0000`` in JSON, ``\0`` in YAML, TOML), are read
as U+FFFD, the replacement character, in every text psirt reads: the database cannot store
them (PostgreSQL text and JSON refuse them), and tools do write them (Grype has written a Java
version with one into a purl), so one of them must not refuse a whole report. The file itself
is kept as it is. Other control characters are kept, and shown escaped on the terminal.
"""

from __future__ import annotations

from typing import Any

from psirt.errors import InputError

BOM = b"\xef\xbb\xbf"


def decode_utf8(data: bytes, source: str, *, keep_nul: bool = False) -> str:
    """The text of ``data`` (a UTF-8 byte order mark is dropped); :class:`InputError` at the
    first byte that is not UTF-8. NUL characters are read as U+FFFD unless ``keep_nul``
    (readers that refuse them naming the field: decision records, policies)."""
    skip = len(BOM) if data.startswith(BOM) else 0
    try:
        text = str(memoryview(data)[skip:], "utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        raise InputError(
            source,
            position(data, offset),
            f"not UTF-8 text: {exc.reason} (byte 0x{data[offset]:02x})",
        ) from None
    if keep_nul or "\x00" not in text:
        return text
    return text.replace("\x00", REPLACEMENT)


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


REPLACEMENT = "\ufffd"


def replace_nul(doc: Any) -> Any:
    """``doc`` (a decoded document) with every NUL character of its strings, keys included,
    replaced by U+FFFD; containers are changed in place, walked without recursion."""
    if isinstance(doc, str):
        return doc.replace("\x00", REPLACEMENT)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(value, str) and "\x00" in value:
                    node[key] = value.replace("\x00", REPLACEMENT)
                elif isinstance(value, dict | list):
                    stack.append(value)
                if isinstance(key, str) and "\x00" in key:
                    node[key.replace("\x00", REPLACEMENT)] = node.pop(key)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str) and "\x00" in value:
                    node[i] = value.replace("\x00", REPLACEMENT)
                elif isinstance(value, dict | list):
                    stack.append(value)
    return doc
