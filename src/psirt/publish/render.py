"""One :class:`~psirt.publish.document.Document`, three outputs: Markdown, HTML and PDF.

Markdown and HTML come from the Jinja2 templates in ``publish/templates/`` (HTML autoescaped);
PDF is laid out by :mod:`psirt.publish.pdf`. The output depends on the document alone: the same
document gives the same bytes.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import assert_never

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from psirt.publish.document import Bullets, Document, Paragraph, Table

__all__ = ["RenderFormat", "inline_spans", "render"]


class RenderFormat(StrEnum):
    MD = "md"
    HTML = "html"
    PDF = "pdf"


def inline_spans(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_code) at backticks; an unpaired backtick stays text."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # odd number of backticks: the last one is literal
        parts[-2] = parts[-2] + "`" + parts.pop()
    return [(p, i % 2 == 1) for i, p in enumerate(parts) if p]


# Characters that would turn plain text into Markdown markup. Brackets stay: "[D]" is no link.
_MD_SPECIAL = re.compile(r"[\\*<>|]|(?<!\w)_|_(?!\w)")


def _md_text(text: str) -> str:
    escaped = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)
    escaped = re.sub(r"^(\d+)\. ", r"\1\\. ", escaped)  # not a numbered list
    return re.sub(r"^([#+-]) ", r"\\\1 ", escaped)  # not a heading or a list item


def md_inline(text: str) -> str:
    """Markdown of one line of document text (line breaks become spaces)."""
    flat = " ".join(text.split())
    return "".join(f"`{p}`" if code else _md_text(p) for p, code in inline_spans(flat))


def html_inline(text: str) -> Markup:
    return Markup("").join(
        Markup("<code>{}</code>").format(p) if code else escape(p) for p, code in inline_spans(text)
    )


_ENV: list[Environment] = []


def _env() -> Environment:
    if not _ENV:
        env = Environment(
            loader=PackageLoader("psirt.publish", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["md"] = md_inline
        env.filters["html"] = html_inline
        env.tests["paragraph"] = lambda b: isinstance(b, Paragraph)
        env.tests["bullets"] = lambda b: isinstance(b, Bullets)
        env.tests["table"] = lambda b: isinstance(b, Table)
        _ENV.append(env)
    return _ENV[0]


def render(document: Document, fmt: RenderFormat) -> bytes:
    """The document in ``fmt``, as bytes (UTF-8 for Markdown and HTML)."""
    match fmt:
        case RenderFormat.MD:
            text = _env().get_template("document.md").render(doc=document)
            return (re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n").encode("utf-8")
        case RenderFormat.HTML:
            return _env().get_template("document.html").render(doc=document).encode("utf-8")
        case RenderFormat.PDF:
            from psirt.publish.pdf import render_pdf

            return render_pdf(document)
        case _:
            assert_never(fmt)
