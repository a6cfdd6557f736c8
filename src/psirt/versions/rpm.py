"""RPM version order (``rpmvercmp`` over epoch, version and release).

Used by Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia and openEuler.
``[epoch:]version[-release]``: the epoch compares as a number (default 0); version and
release each split into runs of digits and of letters, other characters only separate;
digit runs compare by value and above letter runs, letter runs compare as strings; a
``~`` sorts before everything including the end (``1.0~rc1 < 1.0``), a ``^`` after the
end but before any further run (``1.0 < 1.0^git1 < 1.0.1``); when one side runs out,
the side with runs left is greater.  A non-numeric epoch makes the string invalid: it
sorts after every valid version.
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


@lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[object, ...]:
    """Key ordering RPM EVR strings; invalid strings sort last."""
    text = version.strip()
    epoch = 0
    head, colon, tail = text.partition(":")
    if colon:
        if not (head.isdigit() and head.isascii()):
            return (1, version)
        epoch, text = int(head), tail
    ver, dash, release = text.rpartition("-")
    if not dash:
        ver, release = text, ""
    return (0, epoch, vercmp_key(ver), vercmp_key(release))
