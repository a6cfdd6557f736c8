"""Alpine ``apk`` version order (apk-tools), used by Alpine, Wolfi, Chainguard and others.

``number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}``: numeric parts compare
by value, except that a later part with a leading zero compares as a string; a letter
sorts after none; suffixes order ``_alpha < _beta < _pre < _rc < (none) < _cvs < _svn <
_git < _hg < _p``; the hash is ignored; ``-rN`` is the package release.  Like apk-tools
and osv-scalibr, a malformed string is not set apart: it is compared by the parts that
parse, and any text left over makes it sort below the same version without it
(``1.2_blah < 1.2``, ``.1 < 1``); two malformed strings with the same parsed parts
compare as strings (``1.9.5p1-r1 < 1.9.5p2-r1``), while text after a valid ``-rN`` is
otherwise ignored (``1-r0-ruff1 == 1-r0-ruff2``).
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME = "apk"

_NUMBERS = re.compile(r"^(?:\d+\.?)*")
_SUFFIX = re.compile(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)")
_HASH = re.compile(r"^~[0-9a-f]+")
_BUILD = re.compile(r"^-r(\d*)")
_SUFFIX_WEIGHT = {
    "alpha": 0,
    "beta": 1,
    "pre": 2,
    "rc": 3,
    "cvs": 5,
    "svn": 6,
    "git": 7,
    "hg": 8,
    "p": 9,
}
_NO_SUFFIX = (4, 0)


def _is_zero(component: tuple[int, object]) -> bool:
    value = component[1]
    return value == 0 if isinstance(value, int) else not str(value).strip("0")


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering apk versions; every string has a place."""
    rest = version
    numbers = _NUMBERS.match(rest)
    digits = numbers.group(0) if numbers else ""
    rest = rest[len(digits) :]
    components: list[tuple[int, object]] = []
    for index, part in enumerate(p for p in digits.split(".") if p):
        if index and part.startswith("0"):
            components.append((0, part))  # leading zero: compared as a string
        else:
            components.append((1, int(part)))
    # missing parts compare as the number 0, equal to trailing zero parts
    while components and _is_zero(components[-1]):
        components.pop()
    letter = ""
    if rest[:1].isascii() and rest[:1].islower():
        letter, rest = rest[0], rest[1:]
    suffixes: list[tuple[int, int]] = []
    while match := _SUFFIX.match(rest):
        suffixes.append((_SUFFIX_WEIGHT[match.group(1)], int(match.group(2) or 0)))
        rest = rest[match.end() :]
    if match := _HASH.match(rest):
        rest = rest[match.end() :]
    build = 0
    tail: tuple[int, str] = (1, "")
    if rest:
        if match := _BUILD.match(rest):
            build = int(match.group(1) or 0)
            rest = rest[match.end() :]
            if rest:
                tail = (0, "")  # text after -rN: below the clean version, else ignored
        else:
            tail = (0, version)  # not an apk version: ordered by the whole string
    return (
        0,
        tuple(components),
        (1, letter) if letter else (0, ""),
        (*suffixes, _NO_SUFFIX),
        build,
        tail,
    )
