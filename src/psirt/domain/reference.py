"""References from one record to another, as a user writes them and as psirt stores them.

A disposition of a scanner finding names the record that justifies it (``psirt scans dispose
--reference``): the security issue holding a risk acceptance, the code review that showed a
result to be a false positive, the release-gate review that accepted the risk. The accepted
forms (case of the prefix does not matter):

=================================  ===================================================
``issue:N`` or ``N``               security issue N (``psirt issue list``)
``finding:N``                      SBOM finding N (``psirt findings list``)
``scan-finding:N``                 scanner finding N (``psirt scans findings``)
``activity:N``                     activity N (``psirt activities list``)
``review:PRODUCT@VERSION``         the current release-gate review minutes of a release
``review:PRODUCT@VERSION#N``       version N of those minutes (``psirt release gate``)
=================================  ===================================================

:meth:`RecordReference.parse` reads the text; the store resolves it (a review without a version
resolves to its current version) and keeps the canonical text of what it found (``str()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from psirt.errors import UsageError

__all__ = ["FORMS", "RecordReference", "ReferenceKind"]


class ReferenceKind(StrEnum):
    ISSUE = "issue"
    FINDING = "finding"
    SCAN_FINDING = "scan-finding"
    ACTIVITY = "activity"
    REVIEW = "review"


FORMS = (
    "issue:N (or N), finding:N, scan-finding:N, activity:N, "
    "review:PRODUCT@VERSION or review:PRODUCT@VERSION#N"
)


def _number(text: str, source: str, given: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or int(value) == 0:
        raise UsageError(f"{source} {given!r}: {value!r} is not a record number")
    return int(value)


@dataclass(frozen=True, slots=True)
class RecordReference:
    """A reference to a stored record: ``number`` for issues, findings and activities;
    ``product``, ``version`` and optionally ``seq`` (the minutes' version) for a review."""

    kind: ReferenceKind
    number: int | None = None
    product: str = ""
    version: str = ""
    seq: int | None = None

    @classmethod
    def parse(cls, text: str, *, source: str = "--reference") -> RecordReference:
        """Read one of the forms of the module docstring; ``UsageError`` naming them all."""
        given = text.strip()
        if not given:
            raise UsageError(f"{source}: empty; expected one of {FORMS}")
        if given.isascii() and given.isdigit():
            return cls(ReferenceKind.ISSUE, _number(given, source, given))
        prefix, colon, rest = given.partition(":")
        try:
            kind = ReferenceKind(prefix.strip().lower())
        except ValueError:
            kind = None
        if not colon or kind is None:
            raise UsageError(f"{source} {given!r}: not a record reference; expected one of {FORMS}")
        if kind is not ReferenceKind.REVIEW:
            return cls(kind, _number(rest, source, given))
        head, hash_, seq_text = rest.partition("#")
        product, at, version = head.strip().rpartition("@")
        if not at or not product.strip() or not version.strip():
            raise UsageError(
                f"{source} {given!r}: expected review:PRODUCT@VERSION or review:PRODUCT@VERSION#N"
            )
        seq = _number(seq_text, source, given) if hash_ else None
        return cls(kind, product=product.strip(), version=version.strip(), seq=seq)

    def __str__(self) -> str:
        if self.kind is ReferenceKind.REVIEW:
            tail = f"#{self.seq}" if self.seq is not None else ""
            return f"review:{self.product}@{self.version}{tail}"
        return f"{self.kind.value}:{self.number}"
