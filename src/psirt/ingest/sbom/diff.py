"""Differences between two SBOMs: components added, removed, upgraded, downgraded, changed.

Components are keyed by their purl without version, qualifiers and subpath
(``pkg:pypi/requests``); without a purl by (type, group, name). Versions are ordered by
:func:`psirt.versions.compare` when the purl names an ecosystem psirt knows; otherwise, or
when that raises :class:`~psirt.errors.UnknownEcosystem`, by a plain comparison that
orders digit runs numerically ("1.10" > "1.9"). When one key occurs several times in an
SBOM (several versions side by side) the set of versions is compared instead: versions
only in ``b`` are added, only in ``a`` removed.

``changed`` lists components whose version is unchanged but whose identifiers (purl with
qualifiers, CPE, SWID) differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psirt.domain.sbom import Component, ParsedSbom
from psirt.errors import UnknownEcosystem


@dataclass(frozen=True, slots=True)
class VersionChange:
    key: str
    before: Component
    after: Component


@dataclass(frozen=True, slots=True)
class SbomDiff:
    added: tuple[Component, ...]
    removed: tuple[Component, ...]
    upgraded: tuple[VersionChange, ...]
    downgraded: tuple[VersionChange, ...]
    changed: tuple[VersionChange, ...]  # same version, other identifiers
    unchanged: int

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.upgraded or self.downgraded or self.changed)


def component_key(c: Component) -> str:
    if c.purl and c.purl.startswith("pkg:"):
        base = c.purl.split("#", 1)[0].split("?", 1)[0]
        head, sep, tail = base.rpartition("@")
        if sep and "/" in head and "/" not in tail:  # "@version" (an "@" in a namespace stays)
            base = head
        return base.lower()
    return f"{c.type}:{c.group}/{c.name}".lower()


_CHUNK = re.compile(r"(\d+)|(\D+)")


def _plain_key(version: str) -> tuple[tuple[int, int, str], ...]:
    return tuple(
        (1, int(num), "") if num else (0, 0, text) for num, text in _CHUNK.findall(version.lower())
    )


def compare_versions(purl: str | None, a: str, b: str) -> int:
    """-1, 0 or 1: ecosystem order when psirt.versions knows the purl's ecosystem."""
    if a == b:
        return 0
    if purl:
        try:
            from psirt import versions

            found = versions.ecosystem_from_purl(purl)
            if found is not None:
                return versions.compare(found[0], a, b)
        except (UnknownEcosystem, ImportError, AttributeError):
            pass
    ka, kb = _plain_key(a), _plain_key(b)
    return (ka > kb) - (ka < kb)


def _identifiers(c: Component) -> tuple[str | None, str | None, str | None]:
    return (c.purl, c.cpe, c.swid)


def diff(a: ParsedSbom, b: ParsedSbom) -> SbomDiff:
    before: dict[str, list[Component]] = {}
    after: dict[str, list[Component]] = {}
    for c in a.components:
        before.setdefault(component_key(c), []).append(c)
    for c in b.components:
        after.setdefault(component_key(c), []).append(c)

    added: list[Component] = []
    removed: list[Component] = []
    upgraded: list[VersionChange] = []
    downgraded: list[VersionChange] = []
    changed: list[VersionChange] = []
    unchanged = 0
    for key in before.keys() | after.keys():
        olds, news = before.get(key, []), after.get(key, [])
        if len(olds) == 1 and len(news) == 1:
            old, new = olds[0], news[0]
            order = compare_versions(new.purl or old.purl, old.version, new.version)
            if order < 0:
                upgraded.append(VersionChange(key, old, new))
            elif order > 0:
                downgraded.append(VersionChange(key, old, new))
            elif _identifiers(old) != _identifiers(new):
                changed.append(VersionChange(key, old, new))
            else:
                unchanged += 1
            continue
        old_versions = {c.version: c for c in olds}
        new_versions = {c.version: c for c in news}
        removed.extend(c for v, c in old_versions.items() if v not in new_versions)
        added.extend(c for v, c in new_versions.items() if v not in old_versions)
        unchanged += sum(1 for v in old_versions if v in new_versions)

    def by_name(c: Component) -> tuple[str, str]:
        return (c.name, c.version)

    def change_order(ch: VersionChange) -> str:
        return ch.key

    return SbomDiff(
        added=tuple(sorted(added, key=by_name)),
        removed=tuple(sorted(removed, key=by_name)),
        upgraded=tuple(sorted(upgraded, key=change_order)),
        downgraded=tuple(sorted(downgraded, key=change_order)),
        changed=tuple(sorted(changed, key=change_order)),
        unchanged=unchanged,
    )
