"""HTML: the text of the page, one line per block element, at the source line it starts on.

Scripts, styles and templates are left out; tags are not interpreted beyond where blocks begin
and end, and nothing is fetched.
"""

from __future__ import annotations

from html.parser import HTMLParser

from psirt.domain.evidence import Line, TextDocument
from psirt.ingest.documents.text import decode

_BLOCKS = frozenset(
    "address article aside blockquote br caption dd div dl dt figcaption footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead title tr "
    "ul".split()
)
_CELLS = frozenset({"td", "th", "caption", "h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP = frozenset({"script", "style", "template", "noscript", "head"})
_KEEP_IN_HEAD = frozenset({"title"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[Line] = []
        self._parts: list[str] = []
        self._line: int | None = None
        self._skip = 0
        self._title = False
        self._new_paragraph = True
        self._cell = 0  # inside table cells and headings

    def _flush(self, *, paragraph: bool) -> None:
        text = " ".join("".join(self._parts).split())
        if text:
            self.lines.append(Line(text, line=self._line, breaks_before=self._new_paragraph,
                                   cell=self._cell > 0))  # fmt: skip
            self._new_paragraph = False
        self._parts = []
        self._line = None
        if paragraph:
            self._new_paragraph = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _KEEP_IN_HEAD:
            self._title = True
        if tag in _BLOCKS:
            self._flush(paragraph=tag not in ("br", "td", "th"))
        if tag in _CELLS:
            self._cell += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1
        elif tag in _KEEP_IN_HEAD:
            self._title = False
        if tag in _BLOCKS:
            self._flush(paragraph=tag not in ("td", "th"))
        if tag in _CELLS and self._cell:
            self._cell -= 1

    def handle_data(self, data: str) -> None:
        if self._skip and not self._title:
            return
        if data.strip() and self._line is None:
            self._line = self.getpos()[0]
        self._parts.append(data)


def parse(data: bytes, *, source: str) -> TextDocument:
    reader = _Text()
    reader.feed(decode(data, source))
    reader.close()
    reader._flush(paragraph=True)
    return TextDocument(source, "html", tuple(reader.lines))
