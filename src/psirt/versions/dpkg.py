"""Debian ``dpkg`` version order (deb-version(7)), used by Debian, Ubuntu and Echo.

``[epoch:]upstream[-revision]``: the epoch compares as a number (default 0), then the
upstream version and the revision (after the last ``-``; missing is ``0``) with the
dpkg algorithm: alternate runs of non-digits and digits; non-digits compare character
by character where ``~`` sorts before everything, even the end, letters before other
characters; digit runs compare by value.  A string with a non-numeric epoch sorts after
every valid version.
"""

from __future__ import annotations

from functools import lru_cache

NAME = "dpkg"

_Part = tuple[tuple[int, ...], int]
_END: _Part = ((0,), 0)


def _order(c: str) -> int:
    if c == "~":
        return -1
    if c.isascii() and c.isalpha():
        return ord(c)
    return ord(c) + 256


def _string_key(text: str) -> tuple[_Part, ...]:
    parts: list[_Part] = []
    i, n = 0, len(text)
    while i < n:
        j = i
        while j < n and not ("0" <= text[j] <= "9"):
            j += 1
        letters = (*(_order(c) for c in text[i:j]), 0)
        k = j
        while k < n and "0" <= text[k] <= "9":
            k += 1
        parts.append((letters, int(text[j:k]) if k > j else 0))
        i = k
    # the end of a string compares like an empty part with number 0
    while parts and parts[-1] == _END:
        parts.pop()
    parts.append(_END)
    return tuple(parts)


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering Debian package versions; invalid strings sort last."""
    text = version.strip()
    epoch = 0
    if ":" in text:
        head, _, text = text.partition(":")
        if not (head.isdigit() and head.isascii()):
            return (1, version)
        epoch = int(head)
    upstream, dash, revision = text.rpartition("-")
    if not dash:
        upstream, revision = text, ""
    if not upstream:
        return (1, version)
    return (0, epoch, _string_key(upstream), _string_key(revision))
