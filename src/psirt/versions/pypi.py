"""PEP 440 ordering for PyPI, with the legacy setuptools order for non-standard strings.

Valid versions are parsed by :mod:`packaging.version` and turned into a plain tuple that
orders like ``packaging.version.Version`` (epoch, release without trailing zeros, pre,
post, dev, local).  Strings that PEP 440 rejects (``0.3m1``, ``2.0.1rc2-git``) get the
order of the old ``LegacyVersion`` of packaging < 22, as osv.dev and osv-scalibr still
do: they sort before every PEP 440 version and are ordered among themselves by their
zero-padded parts.  So no PyPI string is "invalid": every string has a place.
"""

from __future__ import annotations

import re
from functools import lru_cache

from packaging.version import InvalidVersion, Version

NAME = "pep440"

_LEGACY_SPLIT = re.compile(r"(\d+|[a-z]+|\.|-)")
_LEGACY_REPLACE = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}


def _legacy_parts(version: str) -> tuple[str, ...]:
    parts: list[str] = []
    pieces = [*_LEGACY_SPLIT.split(version.lower()), "final"]
    for raw in pieces:
        piece = _LEGACY_REPLACE.get(raw, raw)
        if not piece or piece == ".":
            continue
        part = piece.zfill(8) if piece[0].isdigit() else "*" + piece
        if part.startswith("*"):
            if part < "*final":
                while parts and parts[-1] == "*final-":
                    parts.pop()
            while parts and parts[-1] == "00000000":
                parts.pop()
        parts.append(part)
    return tuple(parts)


def _release(release: tuple[int, ...]) -> tuple[int, ...]:
    end = len(release)
    while end and release[end - 1] == 0:
        end -= 1
    return release[:end]


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering PyPI versions as pip does; legacy strings sort first."""
    try:
        v = Version(version)
    except InvalidVersion:
        return (0, _legacy_parts(version))
    pre: tuple[object, ...]
    if v.pre is None and v.post is None and v.dev is not None:
        pre = (0,)  # 1.0.dev0 sorts before 1.0a0
    elif v.pre is None:
        pre = (2,)
    else:
        pre = (1, v.pre[0], v.pre[1])
    post = (0,) if v.post is None else (1, v.post)
    dev = (1,) if v.dev is None else (0, v.dev)
    if v.local is None:
        local: tuple[object, ...] = (0,)
    else:
        parts = v.local.split(".")  # packaging normalises separators to "."
        local = (1, tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in parts))
    return (1, v.epoch, _release(v.release), pre, post, dev, local)
