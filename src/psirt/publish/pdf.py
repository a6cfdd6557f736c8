"""PDF layout of a :class:`~psirt.publish.document.Document` with reportlab's platypus.

A4 pages: a title page (document properties, approvals, revision history), a table of contents,
then the numbered sections; every page carries the document id, version, status and
"page N of M". Text is set in the Bitstream Vera fonts that reportlab ships (no system font is
read), commands in Courier. The file is byte-identical for the same document: reportlab's
invariant mode fixes the file identifier, and the creation date comes from ``Document.created``
(a document without one, a draft, gets reportlab's fixed date of 2000-01-01).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from psirt.publish import document as d
from psirt.publish.render import inline_spans

__all__ = ["render_pdf"]

FONT = "PsirtVera"
FONT_BOLD = "PsirtVera-Bold"
FONT_ITALIC = "PsirtVera-Italic"
FONT_BOLD_ITALIC = "PsirtVera-BoldItalic"
MONO = "Courier"
PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
BODY_W = PAGE_W - 2 * MARGIN
GREY = colors.Color(0.91, 0.91, 0.91)
LINE = colors.Color(0.55, 0.55, 0.55)
NOTICE_RED = colors.Color(0.7, 0, 0)
CELL_CODE_SIZE = 7.2  # commands and keys in table cells, so that most fit their column

_FONTS_READY: list[bool] = []


def _fonts() -> None:
    if _FONTS_READY:
        return
    for name, file in (
        (FONT, "Vera.ttf"),
        (FONT_BOLD, "VeraBd.ttf"),
        (FONT_ITALIC, "VeraIt.ttf"),
        (FONT_BOLD_ITALIC, "VeraBI.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, file))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )
    _FONTS_READY.append(True)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.6, spaceAfter=5,
                          alignment=TA_LEFT, allowWidows=0, allowOrphans=0)  # fmt: skip
    return {
        "body": base,
        "note": ParagraphStyle(
            "note",
            parent=base,
            leftIndent=8,
            borderPadding=(2, 4, 2, 6),
            borderColor=LINE,
            borderWidth=0,
            textColor=colors.Color(0.2, 0.2, 0.2),
            fontName=FONT_ITALIC,
        ),  # fmt: skip
        "bullet": ParagraphStyle("bullet", parent=base, spaceAfter=2),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.2, leading=10.2, spaceAfter=0),
        "head": ParagraphStyle(
            "head", parent=base, fontName=FONT_BOLD, fontSize=8.2, leading=10.2, spaceAfter=0
        ),  # fmt: skip
        "caption": ParagraphStyle(
            "caption", parent=base, fontName=FONT_BOLD, fontSize=9, spaceBefore=4, spaceAfter=3
        ),  # fmt: skip
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=13.5,
            leading=17,
            spaceBefore=10,
            spaceAfter=3,
            keepWithNext=1,
        ),  # fmt: skip
        "clauses": ParagraphStyle(
            "clauses",
            parent=base,
            fontName=FONT_ITALIC,
            fontSize=8.5,
            leading=11,
            textColor=colors.Color(0.3, 0.3, 0.3),
            spaceAfter=6,
            keepWithNext=1,
        ),  # fmt: skip
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=22,
            leading=27,
            spaceBefore=30,
            spaceAfter=8,
        ),  # fmt: skip
        "org": ParagraphStyle("org", parent=base, fontSize=13, leading=16, spaceAfter=14),
        "notice": ParagraphStyle(
            "notice",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10.5,
            textColor=NOTICE_RED,
            borderColor=NOTICE_RED,
            borderWidth=1.2,
            borderPadding=5,
            spaceBefore=4,
            spaceAfter=12,
        ),  # fmt: skip
        "toc0": ParagraphStyle("toc0", parent=base, fontSize=9.5, leading=13, spaceAfter=0),
    }


def _markup(text: str, code_size: float | None = None) -> str:
    """reportlab paragraph markup of document text: escaped, commands in Courier."""
    size = f' size="{code_size}"' if code_size else ""
    return "".join(
        f'<font face="{MONO}"{size}>{xml_escape(p)}</font>' if code else xml_escape(p)
        for p, code in inline_spans(text)
    )


def _table(t: d.Table, st: dict[str, ParagraphStyle], width: float = BODY_W) -> list[Flowable]:
    widths = t.widths or tuple(1 for _ in t.columns)
    total = sum(widths)
    col_w = [width * w / total for w in widths]
    head = [Paragraph(_markup(c), st["head"]) for c in t.columns]
    if t.rows:
        body = [[Paragraph(_markup(c, CELL_CODE_SIZE), st["cell"]) for c in row] for row in t.rows]
        spans: list[tuple[Any, ...]] = []
    else:
        body = [
            [Paragraph("None.", st["cell"])] + [Paragraph("", st["cell"])] * (len(t.columns) - 1)
        ]
        spans = [("SPAN", (0, 1), (-1, 1))]
    table = Table([head, *body], colWidths=col_w, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                ("BACKGROUND", (0, 0), (-1, 0), GREY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                *spans,
            ]
        )
    )
    out: list[Flowable] = []
    if t.caption:
        out.append(Paragraph(_markup(t.caption), st["caption"]))
    out.append(table)
    out.append(Spacer(1, 6))
    if t.caption and len(t.rows) <= 3:
        return [KeepTogether(out)]
    return out


def _blocks(blocks: tuple[d.Block, ...], st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = []
    for b in blocks:
        if isinstance(b, d.Paragraph):
            out.append(Paragraph(_markup(b.text), st["note" if b.note else "body"]))
        elif isinstance(b, d.Bullets):
            items = [ListItem(Paragraph(_markup(i), st["bullet"]), leftIndent=12) for i in b.items]
            out.append(ListFlowable(items, bulletType="bullet", start="\u2022", leftIndent=12,
                                    bulletFontName=FONT, bulletFontSize=8))  # fmt: skip
            out.append(Spacer(1, 4))
        else:
            out.extend(_table(b, st))
    return out


class _Heading(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A section heading that enters the table of contents and the PDF outline."""

    def __init__(self, text: str, style: ParagraphStyle, key: str, plain: str) -> None:
        super().__init__(text, style)
        self.toc_key = key
        self.toc_text = plain


class _Doc(BaseDocTemplate):  # type: ignore[misc]
    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's hook name
        if isinstance(flowable, _Heading):
            self.canv.bookmarkPage(flowable.toc_key)
            self.canv.addOutlineEntry(flowable.toc_text, flowable.toc_key, level=0)
            self.notify("TOCEntry", (0, flowable.toc_text, self.page, flowable.toc_key))


def _canvas_class(document: d.Document) -> type[Canvas]:
    """A canvas that draws the running header and "page N of M" once the page count is known,
    and writes the creation date of the document."""
    footer_left = f"{document.document_id}, {document.version_label}: {document.status}"
    created = document.created

    class _Canvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            if created is not None:
                stamp = created.strftime("D:%Y%m%d%H%M%S+00'00'")
                self.setDateFormatter(lambda *_parts: stamp)

        def showPage(self) -> None:  # noqa: N802 - reportlab's method name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setStrokeColor(LINE)
            self.setLineWidth(0.5)
            self.setFont(FONT, 7.5)
            self.setFillColor(colors.Color(0.25, 0.25, 0.25))
            if number > 1:
                self.drawString(MARGIN, PAGE_H - 12 * mm, document.title)
                self.drawRightString(PAGE_W - MARGIN, PAGE_H - 12 * mm, document.organisation)
                self.line(MARGIN, PAGE_H - 13.5 * mm, PAGE_W - MARGIN, PAGE_H - 13.5 * mm)
            self.line(MARGIN, 14.5 * mm, PAGE_W - MARGIN, 14.5 * mm)
            self.drawString(MARGIN, 10.5 * mm, footer_left)
            self.drawRightString(PAGE_W - MARGIN, 10.5 * mm, f"Page {number} of {total}")
            if document.notice:
                self.setFillColor(NOTICE_RED)
                self.setFont(FONT_BOLD, 7.5)
                self.drawCentredString(PAGE_W / 2, 6.5 * mm, document.notice)
            self.restoreState()

    return _Canvas


def _title_page(document: d.Document, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(_markup(document.title), st["title"])]
    if document.organisation:
        out.append(Paragraph(_markup(document.organisation), st["org"]))
    if document.notice:
        out.append(Paragraph(_markup(document.notice), st["notice"]))
    props = Table(
        [
            [Paragraph(_markup(k), st["head"]), Paragraph(_markup(v), st["cell"])]
            for k, v in document.properties
        ],
        colWidths=[BODY_W * 0.28, BODY_W * 0.72],
        hAlign="LEFT",
    )
    props.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("BACKGROUND", (0, 0), (0, -1), GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))  # fmt: skip
    out += [props, Spacer(1, 10)]
    if document.approvals is not None:
        out.append(Paragraph("Approvals", st["h1"]))
        out += _table(document.approvals, st)
    out.append(Paragraph("Revision history", st["h1"]))
    out += _table(document.history, st)
    return out


def render_pdf(document: d.Document) -> bytes:
    _fonts()
    st = _styles()
    buffer = io.BytesIO()
    doc = _Doc(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=document.running_title,
        author=document.organisation or "psirt",
        subject=document.status,
        creator="psirt",
        invariant=1,
    )
    frame = Frame(MARGIN, MARGIN, BODY_W, PAGE_H - 2 * MARGIN, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)  # fmt: skip
    doc.addPageTemplates([PageTemplate(id="title", frames=[frame]),
                          PageTemplate(id="body", frames=[frame])])  # fmt: skip
    toc = TableOfContents(levelStyles=[st["toc0"]], dotsMinLevel=0)
    story: list[Flowable] = [*_title_page(document, st), NextPageTemplate("body"), PageBreak()]
    story += [Paragraph("Contents", st["h1"]), toc, PageBreak()]
    for section in document.sections:
        heading = _Heading(_markup(section.heading), st["h1"], section.anchor, section.heading)
        lead: list[Flowable] = [heading]
        if section.clauses:
            lead.append(Paragraph(_markup("Serves: " + "; ".join(section.clauses)),
                                  st["clauses"]))  # fmt: skip
        story += lead
        story += _blocks(section.blocks, st)
    doc.multiBuild(story, canvasmaker=_canvas_class(document))
    return buffer.getvalue()
