"""psirt evidence check: read a folder of quality-system documents and evaluate the evidence
signals of IEC 81001-5-1 clause 9.5 (:mod:`psirt.domain.evidence`).

Every regular file under the folder (hidden files and folders aside, symbolic links not
followed) is read with the reader of its format (:mod:`psirt.ingest.documents`). A file that is
too large, an archive, a file of another format or a broken document is listed with the reason
and not read; the signals are evaluated over the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psirt.domain.evidence import SignalResult, TextDocument, evaluate
from psirt.errors import InputError, UnknownFormat
from psirt.ingest.documents import Refused, parse

MAX_FILE_BYTES = 50_000_000
MAX_FILES = 5_000


@dataclass(frozen=True, slots=True)
class FileReport:
    file: str
    status: str  # read | refused | skipped | unreadable
    format: str = ""
    detail: str = ""  # the reason, or what was read

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "format": self.format,
                "detail": self.detail}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CheckReport:
    folder: str
    signals: tuple[SignalResult, ...]
    files: tuple[FileReport, ...]

    @property
    def met(self) -> bool:
        return all(s.met for s in self.signals)

    @property
    def gaps(self) -> list[str]:
        return [f"{s.title}: not found; needs {s.needs}" for s in self.signals if not s.met]

    def as_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "met": self.met,
            "signals": [s.as_dict() for s in self.signals],
            "gaps": self.gaps,
            "files": [f.as_dict() for f in self.files],
        }


def _files(folder: Path) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root) / name
            found.append((path.relative_to(folder).as_posix(), path))
            if len(found) > MAX_FILES:
                raise InputError(str(folder), None, f"more than {MAX_FILES} files; check a "
                                 "smaller folder")  # fmt: skip
    return found


def _read(name: str, path: Path) -> tuple[FileReport, TextDocument | None]:
    if path.is_symlink() or not path.is_file():
        return FileReport(name, "skipped", detail="not a regular file"), None
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return FileReport(name, "refused", detail=f"{size} bytes; the limit is "
                          f"{MAX_FILE_BYTES}"), None  # fmt: skip
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileReport(name, "unreadable", detail=exc.strerror or str(exc)), None
    try:
        fmt, doc = parse(data, source=name)
    except Refused as exc:
        return FileReport(name, "refused", detail=exc.reason), None
    except UnknownFormat as exc:
        return FileReport(name, "skipped", detail=exc.reason), None
    except InputError as exc:
        return FileReport(name, "unreadable", detail=exc.reason), None
    text_lines = sum(1 for line in doc.lines if line.text)
    detail = f"{doc.pages} pages, " if doc.pages is not None else ""
    detail += f"{text_lines} lines of text"
    if not text_lines:
        detail = (f"{doc.pages} pages, " if doc.pages is not None else "") + "no text found"
    return FileReport(name, "read", fmt.value, detail), doc


def check(folder: Path) -> CheckReport:
    """Read ``folder`` and evaluate every signal; ``InputError`` when it is not a folder."""
    if not folder.exists():
        raise InputError(str(folder), None, "no such folder")
    if not folder.is_dir():
        hint = "give the folder of documents"
        if folder.suffix.lower() in (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar"):
            hint = "an archive is not read: unpack it and give the folder"
        raise InputError(str(folder), None, f"not a folder ({hint})")
    reports: list[FileReport] = []
    docs: list[TextDocument] = []
    for name, path in _files(folder):
        report, doc = _read(name, path)
        reports.append(report)
        if doc is not None:
            docs.append(doc)
    names = [r.file for r in reports]
    return CheckReport(str(folder), tuple(evaluate(names, docs)), tuple(reports))
