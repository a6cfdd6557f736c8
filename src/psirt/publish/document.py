"""A controlled document as data: title page, approvals, revision history, numbered sections.

The renderers (:mod:`psirt.publish.render`) turn one :class:`Document` into Markdown, HTML and
PDF, so the three say the same thing. Text is plain; a span between backticks is a command or a
key (``psirt issue decide``) and is set in a fixed-width font. A :class:`Section` body is kept
as JSON (``to_dict``/``from_dict``) where it has to be reproduced later exactly as issued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psirt.errors import InputError

__all__ = [
    "Block",
    "Bullets",
    "Document",
    "Paragraph",
    "Section",
    "Table",
    "blocks_from_dict",
    "sections_from_dict",
]


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    note: bool = False  # set apart: a remark, a manual duty, a limit of what psirt checks

    def to_dict(self) -> dict[str, Any]:
        return {"type": "paragraph", "text": self.text, "note": self.note}


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "bullets", "items": list(self.items)}


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...] = ()  # relative column widths for paged output; empty: equal
    caption: str = ""

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.caption!r}: row {i} has {len(row)} cells")
        if self.widths and len(self.widths) != len(self.columns):
            raise ValueError(f"table {self.caption!r}: {len(self.widths)} widths")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "table",
            "caption": self.caption,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "widths": list(self.widths),
        }


Block = Paragraph | Bullets | Table


@dataclass(frozen=True, slots=True)
class Section:
    number: str  # "1", "7", "A"
    title: str
    blocks: tuple[Block, ...]
    clauses: tuple[str, ...] = ()  # the clauses of standards and regulations it serves
    annex: bool = False

    @property
    def heading(self) -> str:
        return f"Annex {self.number} {self.title}" if self.annex else f"{self.number} {self.title}"

    @property
    def anchor(self) -> str:
        return f"annex-{self.number.lower()}" if self.annex else f"section-{self.number}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "annex": self.annex,
            "clauses": list(self.clauses),
            "blocks": [b.to_dict() for b in self.blocks],
        }


@dataclass(frozen=True, slots=True)
class Document:
    """Everything a renderer needs; nothing in it depends on when it is rendered."""

    title: str
    document_id: str
    version: str  # "3", or "draft"
    status: str  # "Approved", "Issued, awaiting approval", "Draft: not issued" ...
    organisation: str
    properties: tuple[tuple[str, str], ...]  # title-page table: label, value
    approvals: Table | None  # None: the document has no approvals section
    history: Table
    sections: tuple[Section, ...]
    created: dt.datetime | None = None  # the PDF's creation date; None: none is written
    notice: str = ""  # a line on every page, e.g. that a draft is not for use

    @property
    def version_label(self) -> str:
        return f"version {self.version}" if self.version.isdigit() else self.version

    @property
    def running_title(self) -> str:
        return f"{self.title} ({self.document_id}, {self.version_label})"


def _str(value: Any, source: str, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(source, where, "expected a string")
    return value


def _strs(value: Any, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InputError(source, where, "expected an array")
    return tuple(_str(v, source, f"{where}[{i}]") for i, v in enumerate(value))


def _block(data: Any, source: str, where: str) -> Block:
    if not isinstance(data, dict):
        raise InputError(source, where, "expected an object")
    kind = data.get("type")
    if kind == "paragraph":
        note = data.get("note", False)
        if not isinstance(note, bool):
            raise InputError(source, f"{where}.note", "expected true or false")
        return Paragraph(_str(data.get("text"), source, f"{where}.text"), note)
    if kind == "bullets":
        return Bullets(_strs(data.get("items"), source, f"{where}.items"))
    if kind == "table":
        rows = data.get("rows")
        if not isinstance(rows, list):
            raise InputError(source, f"{where}.rows", "expected an array")
        widths = data.get("widths", [])
        if not isinstance(widths, list) or not all(
            isinstance(w, int) and not isinstance(w, bool) for w in widths
        ):
            raise InputError(source, f"{where}.widths", "expected an array of integers")
        try:
            return Table(
                columns=_strs(data.get("columns"), source, f"{where}.columns"),
                rows=tuple(_strs(r, source, f"{where}.rows[{i}]") for i, r in enumerate(rows)),
                widths=tuple(widths),
                caption=_str(data.get("caption", ""), source, f"{where}.caption"),
            )
        except ValueError as exc:
            raise InputError(source, where, str(exc)) from None
    raise InputError(source, f"{where}.type", f"unknown block type {kind!r}")


def blocks_from_dict(data: Any, *, source: str, where: str) -> tuple[Block, ...]:
    if not isinstance(data, list):
        raise InputError(source, where, "expected an array")
    return tuple(_block(b, source, f"{where}[{i}]") for i, b in enumerate(data))


def sections_from_dict(data: Any, *, source: str) -> tuple[Section, ...]:
    """Sections stored with ``Section.to_dict``; a malformed one raises ``InputError``."""
    if not isinstance(data, list):
        raise InputError(source, "sections", "expected an array")
    out = []
    for i, item in enumerate(data):
        where = f"sections[{i}]"
        if not isinstance(item, dict):
            raise InputError(source, where, "expected an object")
        annex = item.get("annex", False)
        if not isinstance(annex, bool):
            raise InputError(source, f"{where}.annex", "expected true or false")
        out.append(
            Section(
                number=_str(item.get("number"), source, f"{where}.number"),
                title=_str(item.get("title"), source, f"{where}.title"),
                blocks=blocks_from_dict(item.get("blocks"), source=source, where=f"{where}.blocks"),
                clauses=_strs(item.get("clauses", []), source, f"{where}.clauses"),
                annex=annex,
            )
        )
    return tuple(out)
