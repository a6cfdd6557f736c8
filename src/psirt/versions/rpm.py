"""RPM version order (``rpmvercmp`` over epoch, version and release).

Used by Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia and openEuler.
``[epoch:]version[-release]``: the epoch compares as a number (default 0); version and
release each split into runs of digits and of letters, other characters only separate;
digit runs compare by value and above letter runs, letter runs compare as strings; a
``~`` sorts before everything including the end (``1.0~rc1 < 1.0``), a ``^`` after the
end but before any further run (``1.0 < 1.0^git1 < 1.0.1``); when one side runs out,
the side with runs left is greater.  An empty field sorts first; a release that is
present but empty (``1-``) sorts after a missing one (``1``).  A prefix before ``:`` that
is not a number is not an epoch but part of the version (``a:1``), as in osv-scalibr.
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME = "rpm"

_TOKEN = re.compile(r"~|\^|[0-9]+|[a-zA-Z]+")
_TILDE = (0, 0, "")
_END = (1, 0, "")
_CARET = (2, 0, "")


def vercmp_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A key whose order is ``rpmvercmp`` on one version or release string."""
    out: list[tuple[int, int, str]] = []
    for run in _TOKEN.findall(text):
        if run == "~":
            out.append(_TILDE)
        elif run == "^":
            out.append(_CARET)
        elif run[0].isdigit():
            out.append((4, int(run), ""))
        else:
            out.append((3, 0, run))
    out.append(_END)
    return tuple(out)


def _field(text: str) -> tuple[object, ...]:
    # an empty field sorts before any non-empty one, whatever that holds
    return (1, vercmp_key(text)) if text else (0,)


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering RPM EVR strings; every string has a place."""
    text = version.strip()
    epoch = 0
    head, colon, tail = text.partition(":")
    if colon and head.isdigit() and head.isascii():
        epoch, text = int(head), tail
    elif colon and not head:
        text = tail
    ver, dash, release = text.rpartition("-")
    if not dash:
        ver, release = text, ""
    else:
        release = "-" + release  # a present but empty release sorts after a missing one
    return (0, epoch, _field(ver), _field(release))
