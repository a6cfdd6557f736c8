"""RubyGems version order (``Gem::Version``).

The string is split into segments at dots and at every switch between digits and
letters (``1.0.a10`` -> ``1 0 a 10``).  Segments are grouped into the leading numbers
and the rest (the pre-release part), trailing zeros are dropped from each group, and
the result compares segment by segment with missing segments taken as ``0``: numbers
by value, letters as strings, a number above any string (``1.0 > 1.0.b1``).
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME = "rubygems"

_SEGMENT = re.compile(r"\d+|[^\d.]+")

# A segment is (1, number, "") or (0, 0, letters); the padding segment is the number 0.
_Seg = tuple[int, int, str]


def _trim_zeros(segments: list[_Seg]) -> list[_Seg]:
    end = len(segments)
    while end and segments[end - 1] == (1, 0, ""):
        end -= 1
    return segments[:end]


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering gem versions; strings with no leading number sort last."""
    text = version.strip()
    if not text or not text[0].isdigit():
        return (1, version)
    numbers: list[_Seg] = []
    rest: list[_Seg] = []
    for raw in _SEGMENT.findall(text):
        seg: _Seg = (1, int(raw), "") if raw.isdigit() else (0, 0, raw)
        if rest or seg[0] == 0:
            rest.append(seg)
        else:
            numbers.append(seg)
    segments = _trim_zeros(numbers) + _trim_zeros(rest)
    # Missing segments count as 0, and 0 is not the smallest segment (letters are
    # smaller), so each zero carries the sign of the next non-zero segment against 0,
    # and the sequence ends with a bare zero: comparing tuples then equals comparing
    # the zero-padded sequences.
    out: list[tuple[int, int, str, int]] = []
    ahead = 0
    for seg in reversed(segments):
        if seg == (1, 0, ""):
            out.append((1, 0, "", ahead))
        else:
            out.append((*seg, 0))
            ahead = 1 if seg[0] == 1 else -1
    out.reverse()
    out.append((1, 0, "", 0))
    return (0, tuple(out))
