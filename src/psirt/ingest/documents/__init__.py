"""Quality-system documents (Markdown, plain text, HTML, PDF, DOCX): bytes in, text out.

One module per format, one registry::

    PARSERS[DocumentFormat.PDF](data, source="sop/SIRP.pdf") -> TextDocument

:func:`detect` looks at the content first (PDF and ZIP signatures, archives, binary data) and
then at the file name; archives are refused (``Refused``), files of no document format psirt
reads are ``UnknownFormat``. Every reader raises ``InputError`` naming the file for a document
it cannot read, never a library's own exception.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from enum import StrEnum

from psirt.domain.evidence import TextDocument
from psirt.errors import InputError, UnknownFormat
from psirt.ingest.documents import docx, html, pdf, text

__all__ = ["PARSERS", "DocumentFormat", "Refused", "detect", "parse"]


class DocumentFormat(StrEnum):
    MARKDOWN = "markdown"
    TEXT = "text"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"


class Refused(InputError):
    """A file psirt does not read on purpose (an archive)."""


Parser = Callable[..., TextDocument]  # (data: bytes, *, source: str) -> TextDocument

PARSERS: dict[DocumentFormat, Parser] = {
    DocumentFormat.MARKDOWN: text.parse_markdown,
    DocumentFormat.TEXT: text.parse_text,
    DocumentFormat.HTML: html.parse,
    DocumentFormat.PDF: pdf.parse,
    DocumentFormat.DOCX: docx.parse,
}

_ARCHIVE_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"\x28\xb5\x2f\xfd", "Zstandard"),
)
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".jar")
_SUFFIXES = {
    ".md": DocumentFormat.MARKDOWN,
    ".markdown": DocumentFormat.MARKDOWN,
    ".txt": DocumentFormat.TEXT,
    ".text": DocumentFormat.TEXT,
    ".rst": DocumentFormat.TEXT,
    ".adoc": DocumentFormat.TEXT,
    ".html": DocumentFormat.HTML,
    ".htm": DocumentFormat.HTML,
    ".xhtml": DocumentFormat.HTML,
}


def _suffix(source: str) -> str:
    name = source.rsplit("/", 1)[-1].lower()
    return name[name.rfind(".") :] if "." in name else ""


def detect(data: bytes, source: str) -> DocumentFormat:
    """The document format of ``data`` (read from the file ``source``)."""
    head = data[:1024]
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and _suffix(source) == ".pdf"):
        return DocumentFormat.PDF
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            raise Refused(source, None, "a ZIP archive that cannot be read") from None
        if "word/document.xml" in names:
            return DocumentFormat.DOCX
        if "[Content_Types].xml" in names:
            raise UnknownFormat(source, None, "an Office document that is not a DOCX")
        raise Refused(source, None, "a ZIP archive: unpack it into the folder to check its files")
    for magic, kind in _ARCHIVE_MAGIC:
        if head.startswith(magic):
            raise Refused(source, None, f"a {kind} archive: unpack it into the folder first")
    if len(data) > 262 and data[257:262] == b"ustar":
        raise Refused(source, None, "a tar archive: unpack it into the folder first")
    suffix = _suffix(source)
    if suffix in _ARCHIVE_SUFFIXES:
        raise Refused(source, None, f"a {suffix} archive: unpack it into the folder first")
    if b"\x00" in data[:8192]:
        raise UnknownFormat(source, None, "binary data of no document format psirt reads")
    found = _SUFFIXES.get(suffix)
    if found is not None:
        return found
    sniff = head.lstrip().lower()
    if sniff.startswith(b"<!doctype html") or sniff.startswith(b"<html"):
        return DocumentFormat.HTML
    if suffix in ("", ".log", ".csv", ".yaml", ".yml", ".toml", ".json", ".xml"):
        return DocumentFormat.TEXT
    raise UnknownFormat(source, None, f"{suffix} files are not read (Markdown, text, HTML, PDF, "
                        "DOCX are)")  # fmt: skip


def parse(data: bytes, *, source: str) -> tuple[DocumentFormat, TextDocument]:
    fmt = detect(data, source)
    return fmt, PARSERS[fmt](data, source=source)
