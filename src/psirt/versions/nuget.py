"""NuGet version order (NuGet.Versioning): up to four numeric parts, SemVer pre-releases.

Missing parts are 0 (``1.0`` == ``1.0.0.0``), leading zeros do not count, pre-release
labels compare case-insensitively with SemVer 2.0 rules and ``+metadata`` is ignored.
Strings without a leading number sort after every valid version.
"""

from __future__ import annotations

from functools import lru_cache

from psirt.versions.semver import identifiers_key, split

NAME = "nuget"


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering NuGet versions; invalid strings sort last."""
    parsed = split(version.strip(), 4)
    if parsed is None:
        return (1, version)
    components, suffix = parsed
    pre = suffix.split("+", 1)[0].lower()
    if pre.startswith("-"):
        pre = pre[1:]
    if not pre:
        return (0, tuple(components), (1,))
    return (0, tuple(components), (0, identifiers_key(pre)))
