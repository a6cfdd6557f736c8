"""Dart Pub version order: SemVer 2.0, except that build metadata counts.

``1.0.0-pre < 1.0.0-pre+build < 1.0.0 < 1.0.0+build``; build identifiers compare like
pre-release identifiers.  Strings without a leading number sort after every valid one.
"""

from __future__ import annotations

from functools import lru_cache

from psirt.versions.semver import identifiers_key, split

NAME = "pub"


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering Pub versions; invalid strings sort last."""
    parsed = split(version.strip())
    if parsed is None:
        return (1, version)
    components, suffix = parsed
    pre, plus, build = suffix.partition("+")
    if pre.startswith("-"):
        pre = pre[1:]
    pre_key = (0, identifiers_key(pre)) if pre else (1,)
    build_key = (1, identifiers_key(build)) if plus else (0,)
    return (0, tuple(components), pre_key, build_key)
