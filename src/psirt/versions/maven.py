"""Maven version order (``ComparableVersion``, the POM "Version Order Specification").

The version is split into tokens at ``.``, ``-`` and at every switch between digits and
other characters (a switch counts as ``-``); each token remembers its separator.  Tokens
are lower-cased; ``cr`` means ``rc``; ``ga``, ``final`` and ``release`` mean the empty
qualifier; ``a``, ``b``, ``m`` directly followed by a digit mean ``alpha``, ``beta``,
``milestone``.  Trailing "null" tokens (``0``, empty) are trimmed, before each ``-`` too.

Tokens compare: numbers by value, above qualifiers; qualifiers ``alpha < beta <
milestone < rc < snapshot < "" < sp < other words`` (other words alphabetically); with
different separators ``.qualifier < -qualifier < -number < .number``.  The shorter
version is padded with null tokens taking the other side's separator.

Because padding depends on the other side, the key holds a small comparable object
(equal keys have equal token lists, so hashing stays consistent).
"""

from __future__ import annotations

import re
from functools import lru_cache, total_ordering

NAME = "maven"

_KEYWORDS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_KEYWORD_INDEX = {k: i for i, k in enumerate(_KEYWORDS)}
_TRANSITION = re.compile(r"(?<=\D)(?=\d)|(?<=\d)(?=\D)")
_SPLIT = re.compile(r"([.-])")
_ALIASES = {"cr": "rc", "ga": "", "final": "", "release": ""}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}

# A token is (separator, is_number, number, qualifier, is_null).
_Token = tuple[str, bool, int, str, bool]


def _tokens(version: str) -> tuple[_Token, ...]:
    pieces = _SPLIT.split(version)
    tokens: list[_Token] = []
    for i in range(0, len(pieces), 2):
        separator = "" if i == 0 else pieces[i - 1]
        raw = pieces[i]
        chunks = _TRANSITION.split(raw) if raw else [""]
        for j, chunk in enumerate(chunks):
            sep = "-" if j > 0 else separator
            value = chunk.lower() or "0"
            value = _ALIASES.get(value, value)
            if j + 1 < len(chunks):
                value = _SHORT.get(value, value)
            if value.isdigit() and value.isascii():
                tokens.append((sep, True, int(value), "", False))
            else:
                tokens.append((sep, False, 0, value, False))
    # trim trailing nulls, then again before each remaining "-" from the end
    i = len(tokens) - 1
    while i > 0:
        sep, is_number, number, qualifier, _ = tokens[i]
        if (is_number and number == 0) or (not is_number and qualifier == ""):
            del tokens[i]
            i -= 1
            continue
        while i >= 0 and tokens[i][0] != "-":
            i -= 1
        i -= 1
    return tuple(tokens)


def _null_like(token: _Token) -> _Token:
    if token[0] == "-":
        return ("-", False, 0, "", True)
    if not token[1] and token[3] == "sp":
        return (".", False, 0, "", True)
    return (".", True, 0, "", True)


def _separator_order(token: _Token) -> int:
    if token[1]:
        return 2 if token[0] == "-" else 3
    return 1 if token[0] == "-" else 0


def _qualifier_order(value: str) -> tuple[int, str]:
    index = _KEYWORD_INDEX.get(value)
    return (len(_KEYWORDS), value) if index is None else (index, "")


def _token_less(a: _Token, b: _Token) -> bool:
    if a[0] == b[0] or a[4] or b[4]:
        if a[1] and b[1]:
            return a[2] < b[2]
        if a[1] and not a[4]:
            return False
        if b[1] and not b[4]:
            return True
        return _qualifier_order("0" if a[1] else a[3]) < _qualifier_order("0" if b[1] else b[3])
    return _separator_order(a) < _separator_order(b)


def _same(a: _Token, b: _Token) -> bool:
    return a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and a[3] == b[3]


def _less(a: tuple[_Token, ...], b: tuple[_Token, ...]) -> bool:
    for i in range(max(len(a), len(b))):
        left = a[i] if i < len(a) else _null_like(b[i])
        right = b[i] if i < len(b) else _null_like(a[i])
        if _same(left, right):
            continue
        return _token_less(left, right)
    return False


@total_ordering
class MavenVersion:
    """A parsed Maven version, ordered like ``ComparableVersion``."""

    __slots__ = ("tokens",)

    def __init__(self, tokens: tuple[_Token, ...]) -> None:
        self.tokens = tokens

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenVersion):
            return NotImplemented
        return self.tokens == other.tokens

    def __lt__(self, other: MavenVersion) -> bool:
        return self.tokens != other.tokens and _less(self.tokens, other.tokens)

    def __hash__(self) -> int:
        return hash(self.tokens)

    def __repr__(self) -> str:
        return f"MavenVersion({self.tokens!r})"


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering Maven versions; every string has a place."""
    return (0, MavenVersion(_tokens(version.strip())))
