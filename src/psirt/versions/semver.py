"""Semantic Versioning 2.0 order, lenient like osv-scalibr's SemVer parser.

Used for npm, crates.io, Go (``v`` prefix), Hex, Bitnami, SwiftURL and VSCode.

* an optional leading ``v`` is ignored;
* the leading run of dot-separated digit groups gives the numeric components; missing
  ones count as 0 (``1.2`` == ``1.2.0``), components after the third are appended to
  the suffix (``1.1.3.4.5`` is ``1.1.3`` with suffix ``.4.5``), as osv-scalibr does;
* the first other character starts the suffix; ``+build`` metadata is ignored, and a
  leading ``-`` is dropped; a non-empty pre-release sorts before the release, and its
  dot-separated identifiers compare numerically when all digits, else in ASCII order,
  numbers before words, shorter before longer.

A string that does not start with a digit (after the ``v``) is invalid and sorts after
every valid version.
"""

from __future__ import annotations

from functools import lru_cache

NAME = "semver"

_MAX_COMPONENTS = 3


def _identifier(part: str) -> tuple[int, int, str]:
    if part.isdigit() and part.isascii():
        return (0, int(part), "")
    return (1, 0, part)


def split(version: str, max_components: int = _MAX_COMPONENTS) -> tuple[list[int], str] | None:
    """Numeric components and the suffix of a SemVer-like string, or None when invalid.

    Components beyond ``max_components`` are appended to the suffix as ``.N``, as
    osv-scalibr does; trailing zero components are removed (``1.2`` == ``1.2.0``).
    """
    text = version[1:] if version.startswith("v") else version
    components: list[int] = []
    i, n = 0, len(text)
    current_start = -1
    while i < n:
        c = text[i]
        if "0" <= c <= "9":
            if current_start < 0:
                current_start = i
        else:
            if current_start >= 0:
                components.append(int(text[current_start:i]))
                current_start = -1
            if c != ".":
                break
        i += 1
    if i == n and current_start >= 0:
        components.append(int(text[current_start:]))
    if not components:
        return None
    suffix = text[i:]
    if len(components) > max_components:
        suffix += "".join(f".{c}" for c in components[max_components:])
        del components[max_components:]
    while components and components[-1] == 0:
        components.pop()
    return components, suffix


def identifiers_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """SemVer precedence of dot-separated identifiers: numbers numerically and first."""
    return tuple(_identifier(p) for p in text.split("."))


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering SemVer-like versions; invalid strings sort last."""
    parsed = split(version)
    if parsed is None:
        return (1, version)
    components, suffix = parsed
    pre = suffix.split("+", 1)[0]
    if pre.startswith("-"):
        pre = pre[1:]
    if not pre:
        return (0, tuple(components), (1,))
    return (0, tuple(components), (0, identifiers_key(pre)))
