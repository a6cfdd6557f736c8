"""Size limits of every file psirt reads, in one place.

Each kind of input has a default that fits real documents of its kind with room to spare,
and an environment variable that raises (or lowers) it; import commands also take
``--max-mb``. A limit is checked before a file is read (its size on disk, then a read that
stops one byte past the limit, so a file that grows or a device without a size cannot get
past it) and raises :class:`~psirt.errors.LimitExceeded` naming the file, its size, the limit
and how to raise it.

================  =======  ===============================  ===================================
kind              default  environment variable             what
================  =======  ===============================  ===================================
sbom              64 MB    ``PSIRT_MAX_SBOM_MB``            an SBOM file
scan              256 MB   ``PSIRT_MAX_SCAN_MB``            a scanner report
feed              256 MB   ``PSIRT_MAX_FEED_MB``            a feed file (OSV, NVD, CVE 5, KEV,
                                                            EPSS), also inside a directory
archive-member    32 MB    ``PSIRT_MAX_ARCHIVE_MEMBER_MB``  one inflated member of a feed zip
archive           4096 MB  ``PSIRT_MAX_ARCHIVE_MB``         all members of a feed zip, inflated
record            2 MB     ``PSIRT_MAX_RECORD_MB``          decision records, test plans, attack
                                                            surfaces, release reviews, policies
advisory          64 MB    ``PSIRT_MAX_ADVISORY_MB``        a supplier advisory (CSAF, CycloneDX
                                                            VEX, OpenVEX)
================  =======  ===============================  ===================================

One MB is 1,048,576 bytes; fractions (``0.5``) are allowed. Parsers themselves read no
settings: they take a number of bytes, and the file readers pass the resolved limit on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from psirt.errors import InputError, LimitExceeded, UsageError

MB: Final = 1024 * 1024


class InputKind(StrEnum):
    SBOM = "sbom"
    SCAN = "scan"
    FEED = "feed"
    ARCHIVE_MEMBER = "archive-member"
    ARCHIVE = "archive"
    RECORD = "record"
    ADVISORY = "advisory"


@dataclass(frozen=True, slots=True)
class _Default:
    megabytes: float
    variable: str
    label: str


DEFAULTS: Final[dict[InputKind, _Default]] = {
    InputKind.SBOM: _Default(64, "PSIRT_MAX_SBOM_MB", "SBOM"),
    InputKind.SCAN: _Default(256, "PSIRT_MAX_SCAN_MB", "scanner report"),
    InputKind.FEED: _Default(256, "PSIRT_MAX_FEED_MB", "feed file"),
    InputKind.ARCHIVE_MEMBER: _Default(32, "PSIRT_MAX_ARCHIVE_MEMBER_MB", "archive member"),
    InputKind.ARCHIVE: _Default(4096, "PSIRT_MAX_ARCHIVE_MB", "inflated archive"),
    InputKind.RECORD: _Default(2, "PSIRT_MAX_RECORD_MB", "record file"),
    InputKind.ADVISORY: _Default(64, "PSIRT_MAX_ADVISORY_MB", "supplier advisory"),
}


@dataclass(frozen=True, slots=True)
class SizeLimit:
    """A resolved limit: ``max_bytes`` and how a user raises it (for the error message)."""

    kind: InputKind
    max_bytes: int
    option: str | None = None  # the command-line option of the command at hand, if any

    @property
    def label(self) -> str:
        return DEFAULTS[self.kind].label

    @property
    def variable(self) -> str:
        return DEFAULTS[self.kind].variable

    def how_to_raise(self) -> str:
        if self.option:
            return f"raise it with {self.option} or {self.variable}"
        return f"raise it with {self.variable}"

    def exceeded(
        self, source: str, size: int | None, subject: str = "the file is"
    ) -> LimitExceeded:
        """The error for ``source``: ``subject`` ``size`` (None: an unknown size past the
        limit), the limit and how to raise it."""
        amount = "more than" if size is None else f"{_size(size)}, more than"
        return LimitExceeded(
            source,
            None,
            f"{subject} {amount} the {self.label} limit of {_size(self.max_bytes)}; "
            f"{self.how_to_raise()} (a number of MB)",
        )

    def check(self, data: bytes, source: str) -> None:
        if len(data) > self.max_bytes:
            raise self.exceeded(source, len(data), "the document is")


def resolve_default(kind: InputKind) -> int:
    """The built-in limit of ``kind`` in bytes (no environment variable consulted)."""
    return int(DEFAULTS[kind].megabytes * MB)


def resolve(
    kind: InputKind, megabytes: float | None = None, *, option: str | None = None
) -> SizeLimit:
    """The limit of ``kind``: ``megabytes`` when given (a command-line option), else the
    environment variable, else the default. A value that is no positive number is a
    :class:`~psirt.errors.UsageError` naming where it came from."""
    default = DEFAULTS[kind]
    if megabytes is not None:
        return SizeLimit(kind, _to_bytes(megabytes, option or "the size limit"), option)
    raw = os.environ.get(default.variable, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"{default.variable}={raw!r} is not a number of MB") from None
        return SizeLimit(kind, _to_bytes(value, default.variable), option)
    return SizeLimit(kind, resolve_default(kind), option)


def _to_bytes(megabytes: float, where: str) -> int:
    if not megabytes > 0 or megabytes == float("inf"):  # also refuses NaN
        raise UsageError(f"{where}: {megabytes!r} is not a positive number of MB")
    return int(megabytes * MB)


def read_file(path: Path, limit: SizeLimit) -> bytes:
    """The bytes of the file ``path`` when it is within ``limit``; never reads more than
    one byte past it."""
    source = str(path)
    if path.is_dir():
        raise InputError(source, None, "is a directory, not a file")
    if not path.is_file():
        raise InputError(source, None, "no such file" if not path.exists() else "not a file")
    size = path.stat().st_size
    if size > limit.max_bytes:
        raise limit.exceeded(source, size)
    with path.open("rb") as handle:
        data = handle.read(limit.max_bytes + 1)
    if len(data) > limit.max_bytes:
        raise limit.exceeded(source, None)
    return data


def _size(n: int) -> str:
    if n < MB:
        return f"{n:,} bytes"
    return f"{n / MB:,.1f} MB ({n:,} bytes)"
