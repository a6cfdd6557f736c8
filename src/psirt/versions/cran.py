"""CRAN / Bioconductor version order (R ``package_version``).

A version is a sequence of non-negative integers separated by ``.`` or ``-``; sequences
compare element by element and a longer one is greater when the shorter is its prefix
(``0.1.0 < 0.1.0.0``, ``0.9 < 0.75``).  Other strings sort after every valid one.
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME = "cran"

_VALID = re.compile(r"^\d+(?:[.-]\d+)*$")
_SEP = re.compile(r"[.-]")


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering R package versions; invalid strings sort last."""
    text = version.strip()
    if not _VALID.match(text):
        return (1, version)
    return (0, tuple(int(p) for p in _SEP.split(text)))
