"""DOCX (Office Open XML): paragraphs and table cells in document order (python-docx).

A DOCX is a ZIP package: before python-docx opens it, the sizes its entries declare are checked
(:data:`MAX_UNPACKED_BYTES`, :data:`MAX_RATIO`), so a compression bomb is refused unread.
python-docx parses the XML with lxml without resolving entities.
"""

from __future__ import annotations

import io
import zipfile

from psirt.domain.evidence import Line, TextDocument
from psirt.errors import InputError

MAX_UNPACKED_BYTES = 200_000_000
MAX_RATIO = 200  # unpacked / packed size of any one entry


def _check_package(data: bytes, source: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            total = 0
            for info in package.infolist():
                total += info.file_size
                if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                    raise InputError(source, info.filename,
                                     f"compressed more than {MAX_RATIO}:1; refused")  # fmt: skip
            if total > MAX_UNPACKED_BYTES:
                raise InputError(source, None, f"unpacks to {total} bytes; the limit is "
                                 f"{MAX_UNPACKED_BYTES}")  # fmt: skip
    except zipfile.BadZipFile as exc:
        raise InputError(source, None, f"not a readable DOCX ({exc})") from None


def parse(data: bytes, *, source: str) -> TextDocument:
    _check_package(data, source)
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[Line] = []
    try:
        doc = Document(io.BytesIO(data))
        paragraph = 0
        table = 0
        for block in doc.iter_inner_content():
            if isinstance(block, Paragraph):
                paragraph += 1
                if block.text.strip():
                    heading = block.style is not None and block.style.name.startswith("Heading")
                    lines.append(Line(block.text.strip(), paragraph=paragraph, breaks_before=True,
                                      cell=heading))  # fmt: skip
            elif isinstance(block, Table):
                table += 1
                for r, row in enumerate(block.rows, start=1):
                    seen: list[str] = []
                    for cell in row.cells:
                        text = cell.text.strip()
                        if text and text not in seen:  # merged cells repeat their text
                            seen.append(text)
                    if seen:
                        lines.append(Line(" | ".join(seen), table=(table, r), breaks_before=True,
                                          cell=True))  # fmt: skip
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a broken file
        raise InputError(
            source, None, f"not a readable DOCX ({type(exc).__name__}: {exc})"
        ) from None
    return TextDocument(source, "docx", tuple(lines))
