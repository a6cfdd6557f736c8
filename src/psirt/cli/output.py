"""Rendering for every listing: ``--format table`` for people, ``--format json`` for tools.

rich is imported only when a table or a progress bar is drawn: JSON output and pipes do
without it (it is a good part of the start-up time of a short command).

Names, titles and messages come from input files, and a file can hold anything. Text for the
terminal is therefore never rich markup (``[bold red]x[/]`` or ``[link=...]`` is shown as
written) and control characters cannot reach the terminal: :func:`printable` shows ANSI
escapes, carriage returns, NUL, the other C0 and C1 controls and the bidirectional overrides
escaped (``\x1b``, ``\u202e``); line breaks and tabs stay. Tables, :func:`err` and
:func:`say` apply it; JSON output escapes control characters itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

import orjson

# C0 controls but tab and line feed, DEL, C1 controls, Unicode bidirectional controls
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character that could act on a terminal shown escaped."""
    return _UNSAFE.sub(_escape, text)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def to_json(value: Any) -> str:
    return orjson.dumps(value, default=_default, option=orjson.OPT_INDENT_2).decode()


def emit_json(value: Any) -> None:
    sys.stdout.write(to_json(value) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return printable(str(value))


def emit_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    title: str | None = None,
    empty: str = "nothing to show",
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # In a pipe there is no terminal width to respect: keep rows whole for grep and less.
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 240)
    if not rows:
        console.print(Text(printable(empty)))
        return
    # Text values are shown as they are written: never read as rich markup
    table = Table(
        title=None if title is None else Text(printable(title)),
        show_lines=False,
        header_style="bold",
    )
    for _key, header in columns:
        table.add_column(Text(header), overflow="fold")
    for row in rows:
        table.add_row(*(Text(_cell(row.get(key))) for key, _ in columns))
    console.print(table)


def emit(
    fmt: OutputFormat,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    json_value: Any = None,
    title: str | None = None,
    empty: str = "nothing to show",
) -> None:
    if fmt is OutputFormat.JSON:
        emit_json(rows if json_value is None else json_value)
    else:
        emit_table(rows, columns, title=title, empty=empty)


def err(message: str) -> None:
    sys.stderr.write(printable(message.rstrip("\n")) + "\n")


def say(message: str = "") -> None:
    """One line on stdout, with control characters shown escaped (see :func:`printable`)."""
    sys.stdout.write(printable(message) + "\n")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; silent in pipes. Yields ``advance(n)``."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
