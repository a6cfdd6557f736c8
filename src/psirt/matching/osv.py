"""Is a version affected by an OSV ``affected[]`` entry? The schema's evaluation, verbatim.

This module is the *reference* reading of the OSV schema's ``IsVulnerable`` pseudocode
(https://ossf.github.io/osv-schema/#evaluation); :mod:`psirt.matching.index` answers the
same question for many components at once from pre-sorted interval tables, and the
tests check the two against each other.

* ``versions``: a version listed there is affected, compared as the exact string and,
  when the ecosystem has a known ordering, by its sort key (``2.2.0`` == ``2.2`` in
  PyPI).
* ``ECOSYSTEM`` ranges are evaluated with the ecosystem's ordering, ``SEMVER`` ranges
  with the SemVer ordering whatever the ecosystem.
* ``GIT`` ranges name commits: they are never evaluated against package versions, a
  GIT-only entry matches only through its ``versions`` list.
* Within one range the events are sorted by version (``introduced: "0"`` sorts first)
  and replayed: ``introduced`` makes versions ``>=`` it affected, ``fixed`` makes
  versions ``>=`` it unaffected, ``last_affected`` makes versions ``>`` it unaffected.
  Events at the same version replay in the order introduced, last_affected, fixed,
  limit, so a version that is both introduced and fixed is not affected.
* ``limit``: when a range has limit events, only versions below at least one of them
  can be affected; a limit containing ``*`` is infinity.
* Ranges and the versions list are OR-ed.

Withdrawn records are the caller's concern (the index drops them).
"""

from __future__ import annotations

from collections.abc import Callable

from psirt import versions
from psirt.domain.advisory import AffectedPackage, RangeEvent, RangeType, VersionRange
from psirt.errors import UnknownEcosystem
from psirt.versions import VersionKey
from psirt.versions import semver as _semver

SortKey = Callable[[str], VersionKey]

INTRODUCED = "introduced"
FIXED = "fixed"
LAST_AFFECTED = "last_affected"
LIMIT = "limit"

# Replay order of events that sort at the same version.
KIND_ORDER: dict[str, int] = {INTRODUCED: 0, LAST_AFFECTED: 1, FIXED: 2, LIMIT: 3}


def ecosystem_sort_key(ecosystem: str) -> SortKey | None:
    """The sort-key function of an ecosystem's ordering, or None when psirt has none."""
    try:
        return versions.scheme_for(versions.canonical_ecosystem(ecosystem)).sort_key
    except UnknownEcosystem:
        return None


def range_sort_key(range_: VersionRange, ecosystem_key: SortKey | None) -> SortKey | None:
    """The ordering a range is evaluated with (None: it cannot be evaluated)."""
    if range_.type is RangeType.SEMVER:
        return _semver.sort_key
    if range_.type is RangeType.ECOSYSTEM:
        return ecosystem_key
    return None


def is_zero_introduced(event: RangeEvent) -> bool:
    return event.kind == INTRODUCED and event.value == "0"


def has_infinite_limit(events: tuple[RangeEvent, ...]) -> bool:
    return any(e.kind == LIMIT and "*" in e.value for e in events)


def in_range(version_key: VersionKey, events: tuple[RangeEvent, ...], key: SortKey) -> bool:
    """The schema's ``BeforeLimits`` and event replay for one range."""
    limits = [e.value for e in events if e.kind == LIMIT]
    if limits and not any("*" in v or version_key < key(v) for v in limits):
        return False
    ordered: list[tuple[tuple[int, VersionKey], int, str]] = sorted(
        ((0, ()) if is_zero_introduced(e) else (1, key(e.value)), KIND_ORDER[e.kind], e.kind)
        for e in events
        if e.kind in KIND_ORDER and e.kind != LIMIT
    )
    vulnerable = False
    for (rank, event_key), _, kind in ordered:
        if kind == INTRODUCED:
            if rank == 0 or version_key >= event_key:
                vulnerable = True
        elif kind == FIXED:
            if version_key >= event_key:
                vulnerable = False
        elif version_key > event_key:  # last_affected
            vulnerable = False
    return vulnerable


def affected(version: str, pkg: AffectedPackage) -> bool:
    """True when ``version`` of ``pkg``'s package is affected by this entry.

    Raises :class:`~psirt.errors.UnknownEcosystem` when the answer depends on an
    ``ECOSYSTEM`` range of an ecosystem whose ordering psirt does not know (it is never
    guessed); an exact hit in ``versions`` is answered without an ordering.
    """
    if version in pkg.versions:
        return True
    eco_key = ecosystem_sort_key(pkg.ecosystem)
    if eco_key is not None and pkg.versions:
        wanted = eco_key(version)
        if any(eco_key(v) == wanted for v in pkg.versions):
            return True
    for range_ in pkg.ranges:
        if range_.type is RangeType.GIT:
            continue
        key = range_sort_key(range_, eco_key)
        if key is None:
            raise UnknownEcosystem(pkg.ecosystem)
        if in_range(key(version), range_.events, key):
            return True
    return False


__all__ = [
    "FIXED",
    "INTRODUCED",
    "KIND_ORDER",
    "LAST_AFFECTED",
    "LIMIT",
    "SortKey",
    "affected",
    "ecosystem_sort_key",
    "in_range",
    "range_sort_key",
]
