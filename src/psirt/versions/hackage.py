"""Hackage / GHC version order (Cabal ``Version``).

A version is a sequence of non-negative integers separated by ``.``; sequences compare
element by element and a longer one is greater when the shorter is its prefix
(``1.0 < 1.0.0``).  Other strings sort after every valid one.
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME = "hackage"

_VALID = re.compile(r"^\d+(?:\.\d+)*$")


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering Haskell package versions; invalid strings sort last."""
    text = version.strip()
    if not _VALID.match(text):
        return (1, version)
    return (0, tuple(int(p) for p in text.split(".")))
