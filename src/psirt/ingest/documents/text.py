"""Markdown and plain text: one line per line of the file; a blank line ends a paragraph."""

from __future__ import annotations

import re

from psirt.domain.evidence import Line, TextDocument
from psirt.errors import InputError

_MD_BLOCK_START = re.compile(r"^\s{0,3}(#{1,6}\s|>|[-*+]\s|\d+[.)]\s|\||<a\s|```|~~~)")
# Block markers, emphasis (not the underscores inside words), code ticks, escapes.
_MD_MARKUP = re.compile(
    r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)|\*+|`+|(?<!\w)_+|_+(?!\w)|\\(?=[^\w\s])"
)


def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(source, None, "not valid UTF-16 text") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(source, None, "not UTF-8 or Windows-1252 text") from None


def _lines(text: str, *, markdown: bool) -> tuple[Line, ...]:
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        starts = cell = False
        if markdown:
            starts = bool(_MD_BLOCK_START.match(raw))
            cell = raw.lstrip().startswith(("|", "#"))
            line = _MD_MARKUP.sub("", raw).replace("|", " ")
        out.append(Line(line.strip(), line=number, breaks_before=starts, cell=cell))
    return tuple(out)


def parse_markdown(data: bytes, *, source: str) -> TextDocument:
    return TextDocument(source, "markdown", _lines(decode(data, source), markdown=True))


def parse_text(data: bytes, *, source: str) -> TextDocument:
    return TextDocument(source, "text", _lines(decode(data, source), markdown=False))
