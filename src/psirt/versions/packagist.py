"""Packagist (Composer / PHP ``version_compare``) version order.

A leading ``v``/``V`` is dropped, ``-``, ``_`` and ``+`` become ``.``, and a ``.`` is
inserted wherever digits and other characters meet (``1.0rc1`` -> ``1.0.rc.1``).  Parts
compare pairwise: numbers by value; words by their special form, chosen by prefix:
``dev`` and unknown words < ``alpha``/``a`` < ``beta``/``b`` < ``RC``/``rc`` < ``#`` <
``pl``/``p``; a number counts as ``#`` against a word.  When one side runs out, the other
is greater if its next part is a number, else its next part is weighed against ``#``
(``1.0 < 1.0.0``, ``1.0 > 1.0-dev``, ``1.0 < 1.0pl1``).

PHP treats ``#`` as equal to every number, which is not transitive; here ``#`` sorts
just below every number, which keeps a total order (``1.2.3.# == 1.2.3``).
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME = "packagist"

_SEPARATORS = re.compile(r"[-_+]")
_ALPHA_DIGIT = re.compile(r"([^\d.])(\d)")
_DIGIT_ALPHA = re.compile(r"(\d)([^\d.])")
_HASH = 4


def _weight(part: str) -> int:
    if part.startswith("RC"):
        return 3
    for weight, special in enumerate(("dev", "a", "b", "rc", "#", "p")):
        if part.startswith(special):
            return weight
    return 0


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering Composer versions; every string has a place."""
    text = version.strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    text = _SEPARATORS.sub(".", text)
    text = _ALPHA_DIGIT.sub(r"\1.\2", text)
    text = _DIGIT_ALPHA.sub(r"\1.\2", text)
    # part encodings: word (w, 0, 0); number (4, 1, n); "#" and the end (4, 0, sign),
    # where sign tells how what follows the "#" weighs against "#" (padding semantics).
    parts: list[tuple[int, int, int]] = []
    for raw in text.split("."):
        if raw.isdigit() and raw.isascii():
            parts.append((_HASH, 1, int(raw)))
        else:
            parts.append((_weight(raw), 0, 0))
    out: list[tuple[int, int, int]] = []
    ahead = 0
    for part in reversed(parts):
        if part == (_HASH, 0, 0):
            if ahead == 0 and not out:
                continue  # trailing "#" parts are the same as the end
            out.append((_HASH, 0, ahead))
        else:
            out.append(part)
            ahead = 1 if part[0] > _HASH or part[1] == 1 else -1
    out.reverse()
    out.append((_HASH, 0, 0))
    return (0, tuple(out))
