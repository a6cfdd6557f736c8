"""PDF: the text of each page (pypdf, layout mode), one line per line, with its page number.

Layout mode keeps the columns of a table apart by runs of spaces: a line with such a gap is
marked as a table row, not prose. A PDF whose pages hold no text (a scan) yields no lines: it
cannot show content, which the check reports. Encrypted PDFs are read when they open with an
empty password.
"""

from __future__ import annotations

import io
import logging
import re

from psirt.domain.evidence import Line, TextDocument
from psirt.errors import InputError

MAX_PAGES = 2000
_COLUMN_GAP = re.compile(r"\S {4,}\S")


def parse(data: bytes, *, source: str) -> TextDocument:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are about the file
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(source, None, "an encrypted PDF that needs a password")
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise InputError(source, None, f"{count} pages; the limit is {MAX_PAGES}")
        lines: list[Line] = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text(extraction_mode="layout") or ""
            first = True
            number_in_page = 0
            for raw in text.splitlines():
                if not raw.strip():
                    continue
                number_in_page += 1
                row = bool(_COLUMN_GAP.search(raw.strip()))
                lines.append(Line(" ".join(raw.split()), line=number_in_page, page=number,
                                  breaks_before=first or row, cell=row))  # fmt: skip
                first = False
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for a broken file
        raise InputError(
            source, None, f"not a readable PDF ({type(exc).__name__}: {exc})"
        ) from None
    return TextDocument(source, "pdf", tuple(lines), pages=count)
