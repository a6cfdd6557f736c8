"""Vulnerability feed parsers: one module per format, one registry, one sniffing function.

Every parser has the same contract, ``parse(data: bytes, *, source: str) -> FeedBatch``:

* the whole document is refused with :class:`psirt.errors.InputError` only when it is not
  readable at all (not JSON / YAML / CSV, or not shaped like the format);
* a malformed *record* inside a readable document is skipped and reported as a
  :class:`FeedProblem` naming the file, the record id (when known), the place and the reason,
  so one bad advisory never hides the thousand good ones next to it;
* an input that gives not one valid record is refused as a whole (:func:`require_records`).

``detect(data, source)`` looks at a document once and says which :class:`FeedFormat` it is;
``PARSERS`` maps every format to its parser; ``parse(data, source=...)`` does both.
``iter_batches(path)`` reads a file, a directory tree or a zip archive of feed documents.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from psirt.domain.advisory import Advisory, EpssScore, KevEntry
from psirt.errors import InputError
from psirt.ingest import limits

FEED_SUFFIXES = {".json", ".yaml", ".yml", ".csv"}


class FeedFormat(StrEnum):
    OSV = "osv"
    NVD = "nvd"  # NVD CVE API 2.0 JSON
    CVE5 = "cve5"  # CVE JSON 5.x record
    KEV = "kev"  # CISA Known Exploited Vulnerabilities, JSON or CSV
    EPSS = "epss"  # FIRST EPSS scores CSV


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """One record that was skipped, and why.

    ``location`` is the place in the file (``"[3].affected[0].ranges[1].events[2]"`` for the
    fourth record of a JSON list, ``"line 17"`` for CSV), or ``""`` when the whole file is meant.
    """

    source: str
    record_id: str | None
    location: str
    reason: str

    def __str__(self) -> str:
        parts = [self.source]
        if self.record_id:
            parts.append(self.record_id)
        if self.location:
            parts.append(self.location)
        parts.append(self.reason)
        return ": ".join(parts)


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """What one document gave: domain values plus the records that had to be skipped."""

    source: str
    format: FeedFormat
    advisories: tuple[Advisory, ...] = ()
    kev: tuple[KevEntry, ...] = ()
    epss: tuple[EpssScore, ...] = ()
    problems: tuple[FeedProblem, ...] = ()

    @property
    def records(self) -> int:
        """The valid records read: advisories, KEV entries and EPSS scores."""
        return len(self.advisories) + len(self.kev) + len(self.epss)


def require_records(source: str, records: int, problems: Sequence[FeedProblem]) -> None:
    """Refuse a feed input (a file, a directory tree, an archive) that gave no valid record.

    Skipping malformed records keeps the good ones of a feed; when not one record of an
    input is usable, importing it would only record an empty snapshot as if a feed had been
    read, so it is an :class:`InputError` naming the input, how many records were skipped
    and the first reason.
    """
    if records:
        return
    if not problems:
        raise InputError(source, None, "no feed records in it; nothing to import")
    raise InputError(
        source,
        None,
        f"every record is invalid ({len(problems)} skipped), nothing to import; "
        f"first: {problems[0]}",
    )


class Parser(Protocol):
    """The contract every feed module's ``parse`` fulfils."""

    def __call__(self, data: bytes, *, source: str) -> FeedBatch: ...


# The registry and the sniffer need the format modules, which import the types above.
from psirt.ingest.feeds import cve5, epss, kev, nvd, osv  # noqa: E402
from psirt.ingest.feeds._sniff import detect  # noqa: E402

PARSERS: dict[FeedFormat, Parser] = {
    FeedFormat.OSV: osv.parse,
    FeedFormat.NVD: nvd.parse,
    FeedFormat.CVE5: cve5.parse,
    FeedFormat.KEV: kev.parse,
    FeedFormat.EPSS: epss.parse,
}


def parse(data: bytes, *, source: str) -> FeedBatch:
    """Detect the format of ``data`` and parse it with the registered parser."""
    return PARSERS[detect(data, source)](data, source=source)


def iter_batches(path: Path, size: osv.FeedLimits | None = None) -> Iterator[FeedBatch]:
    """Every feed document below ``path``: a file, a directory tree or a zip archive.

    In a directory, a file that cannot be read as a feed is reported as a problem of its
    batch and the others are read; a single file that cannot be read refuses the whole. Each
    file and archive member must be within its size limit (the configured ones unless
    ``size``); one that is not refuses the whole."""
    given = size or osv.FeedLimits.resolve()
    if not path.exists():
        raise InputError(str(path), None, "no such file or directory")
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() in FEED_SUFFIXES:
                data = limits.read_file(child, given.file)
                try:
                    yield parse(data, source=str(child))
                except InputError as exc:
                    yield FeedBatch(
                        source=str(child),
                        format=FeedFormat.OSV,
                        problems=(FeedProblem(str(child), None, exc.location or "", exc.reason),),
                    )
    elif zipfile.is_zipfile(path):
        yield from osv.read_zip(path, given)
    else:
        yield parse(limits.read_file(path, given.file), source=str(path))


__all__ = [
    "FEED_SUFFIXES",
    "PARSERS",
    "FeedBatch",
    "FeedFormat",
    "FeedProblem",
    "Parser",
    "detect",
    "iter_batches",
    "parse",
    "require_records",
]
