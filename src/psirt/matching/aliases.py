"""Alias groups: the ids under which one vulnerability is known.

OSV records name the same vulnerability in other databases through ``aliases``
(a PYSEC record aliases its CVE and GHSA, a GO record its CVE and GHSA ...). The
schema asks consumers to treat aliases as symmetric and transitive, so the groups are
the connected components of the graph whose nodes are record ids and alias ids and
whose edges join a record to each of its aliases (union-find). ``related`` and
``upstream`` are *not* aliases and never join groups.

A group is reported under one **primary id**, chosen by a rule that does not depend on
the order in which records were read:

1. a ``CVE-`` id if the group has one, else a ``GHSA-`` id, else any other id;
2. among ids of the same class, the one with the smallest natural key: the prefix
   compared as text, then each run of digits compared as a number
   (``CVE-2021-999`` before ``CVE-2021-1000``), then the id itself as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from psirt.domain.advisory import Advisory

_CLASS_RANK = (("CVE-", 0), ("GHSA-", 1))


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """Key splitting ``text`` into digit runs (compared as numbers) and other runs."""
    parts: list[tuple[int, int, str]] = []
    start = 0
    n = len(text)
    while start < n:
        digit = text[start].isdigit()
        end = start + 1
        while end < n and text[end].isdigit() == digit:
            end += 1
        run = text[start:end]
        parts.append((1, int(run), "") if digit and run.isascii() else (0, 0, run))
        start = end
    return tuple(parts)


def id_rank(vuln_id: str) -> tuple[int, tuple[tuple[int, int, str], ...], str]:
    """Sort key of an id for primary-id selection (smallest wins)."""
    upper = vuln_id.upper()
    cls = 2
    for prefix, rank in _CLASS_RANK:
        if upper.startswith(prefix):
            cls = rank
            break
    return (cls, _natural(upper), vuln_id)


def primary_id(ids: Iterable[str]) -> str:
    """The primary id of a group of ids (see the module docstring for the rule)."""
    return min(ids, key=id_rank)


@dataclass(frozen=True, slots=True)
class AliasGroup:
    """One vulnerability: its primary id and every id it is known under, sorted."""

    primary: str
    ids: tuple[str, ...]


class _UnionFind:
    __slots__ = ("parent",)

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent
        root = parent.setdefault(item, item)
        while root != parent[root]:
            root = parent[root]
        while item != root:  # path compression
            parent[item], item = root, parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def alias_groups(advisories: Iterable[Advisory]) -> dict[str, AliasGroup]:
    """Map every record id and every alias id to its :class:`AliasGroup`.

    Ids are compared exactly as written (OSV ids are case-sensitive strings).
    """
    uf = _UnionFind()
    for adv in advisories:
        uf.find(adv.id)
        for alias in adv.aliases:
            if alias and alias != adv.id:
                uf.union(adv.id, alias)
    members: dict[str, list[str]] = {}
    for item in list(uf.parent):
        members.setdefault(uf.find(item), []).append(item)
    groups: dict[str, AliasGroup] = {}
    for ids in members.values():
        group = AliasGroup(primary=primary_id(ids), ids=tuple(sorted(ids)))
        for vuln_id in ids:
            groups[vuln_id] = group
    return groups


__all__ = ["AliasGroup", "alias_groups", "id_rank", "primary_id"]
