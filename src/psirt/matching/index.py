"""The advisory index: OSV records pre-sorted so that SBOM components match by bisection.

Built once from :class:`~psirt.domain.advisory.Advisory` values, the index keys every
``affected[]`` package by ``(base ecosystem, normalised name)``. For each key and
ecosystem release (the ``:11`` of ``Debian:11``; None for records without one) it keeps
one *segment table* per version ordering:

* every range of every record is turned, once, into half-open intervals of sort keys
  following the OSV evaluation (:mod:`psirt.matching.osv`), and every ``versions`` entry
  into a one-point interval;
* the interval ends of all records of the package are sorted into one ``bounds`` list,
  and ``regions[i]`` holds the ids of the records affecting every version between
  ``bounds[i-1]`` and ``bounds[i]``.

A component's version key is computed once; one ``bisect`` per table yields the records
that affect it. Positions are tuples so that inclusive and exclusive ends and the
``introduced: "0"`` / open-ended infinities order correctly against a query
``(1, key, 1)``: ``(0,)`` is minus infinity, ``(1, key, 0)`` "at key", ``(1, key, 2)``
"just after key", ``(2,)`` plus infinity.

Release scoping: a record for ``AlmaLinux:9`` matches only components whose purl maps
to ``AlmaLinux:9`` (``?distro=almalinux-9``); a record without suffix (``PyPI``, or a
distribution record that names no release) matches every release. A component whose
purl names no release is matched against release-less records only; when the package
has release-scoped records it is reported in :attr:`MatchResult.skipped` instead of
being silently missed.

Records that cannot be evaluated are reported, not guessed: ranges in an ecosystem
without a known ordering (:attr:`AdvisoryIndex.unknown_ecosystems`, and per match in
:attr:`MatchResult.unknown_ecosystems`), and records with no package to key
(CPython's GIT-only PSF records) in :attr:`AdvisoryIndex.unindexed`. Withdrawn records
never match.
"""

from __future__ import annotations

import marshal
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from psirt import versions
from psirt.domain.advisory import Advisory, AffectedPackage, RangeEvent, RangeType
from psirt.domain.sbom import Component
from psirt.matching.aliases import AliasGroup, alias_groups
from psirt.matching.osv import (
    FIXED,
    INTRODUCED,
    KIND_ORDER,
    LAST_AFFECTED,
    LIMIT,
    SortKey,
    ecosystem_sort_key,
    range_sort_key,
)
from psirt.versions.semver import sort_key as _semver_key

PackageKey = tuple[str, str]  # (base ecosystem, normalised name)
Position = tuple[Any, ...]

_NEG_INF: Position = (0,)
_POS_INF: Position = (2,)

# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Severity:
    """The best severity known for a finding: a CVSS vector or a database label."""

    type: str  # CVSS_V4 | CVSS_V3 | CVSS_V2 | Ubuntu | ... | DATABASE
    score: str


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One alias group as it applies to one package (shared by all its findings)."""

    advisory_id: str  # primary id of the alias group
    aliases: tuple[str, ...]  # every id of the group, sorted
    fixed_versions: tuple[str, ...]  # sorted by the ecosystem's ordering
    severity: Severity | None
    related: tuple[str, ...] = ()  # CVE ids the group's records list as related, not aliases


@dataclass(frozen=True, slots=True)
class ComponentMatch:
    """A component and the vulnerabilities (one per alias group) that affect it."""

    purl: str
    name: str
    version: str
    ecosystem: str  # OSV ecosystem of the component, e.g. "PyPI", "AlmaLinux:9"
    vulnerabilities: tuple[Vulnerability, ...]
    position: int = -1  # index of the component in the matched sequence


@dataclass(frozen=True, slots=True)
class Finding:
    """One component affected by one vulnerability (one alias group)."""

    purl: str
    name: str
    version: str
    ecosystem: str
    advisory_id: str
    aliases: tuple[str, ...]
    fixed_versions: tuple[str, ...]
    severity: Severity | None
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnknownEcosystemReport:
    """An ecosystem without a known version ordering met while matching."""

    ecosystem: str
    advisories: tuple[str, ...]  # records whose ECOSYSTEM ranges were not evaluated
    components: int  # components of that ecosystem (matched on exact versions only)


@dataclass(frozen=True, slots=True)
class MatchResult:
    components: int
    matches: tuple[ComponentMatch, ...]  # affected components, in input order
    unknown_ecosystems: tuple[UnknownEcosystemReport, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (purl, reason) of components not matched
    without_purl: int = 0  # components with no purl (left to the CPE matcher)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """One finding per (component, alias group), in input order."""
        return tuple(
            Finding(
                m.purl,
                m.name,
                m.version,
                m.ecosystem,
                v.advisory_id,
                v.aliases,
                v.fixed_versions,
                v.severity,
                v.related,
            )
            for m in self.matches
            for v in m.vulnerabilities
        )


# --- range -> intervals -----------------------------------------------------------------


def _event_position(event: RangeEvent, key: SortKey) -> Position:
    """Where an event starts to act on a query ``(1, v, 1)``."""
    if event.kind == INTRODUCED and event.value == "0":
        return _NEG_INF
    if event.kind == LAST_AFFECTED:
        return (1, key(event.value), 2)  # acts on versions > value
    return (1, key(event.value), 0)  # acts on versions >= value


def range_intervals(
    events: tuple[RangeEvent, ...], key: SortKey
) -> list[tuple[Position, Position]]:
    """The affected intervals ``[start, end)`` of one ECOSYSTEM or SEMVER range.

    Replays the events exactly like :func:`psirt.matching.osv.in_range` for every
    stretch of versions between two event positions, then cuts at the largest limit.
    """
    replay = sorted(
        (
            ((0,) if e.kind == INTRODUCED and e.value == "0" else (1, key(e.value))),
            KIND_ORDER[e.kind],
            i,
        )
        for i, e in enumerate(events)
        if e.kind in KIND_ORDER and e.kind != LIMIT
    )
    acting = [(_event_position(events[i], key), events[i].kind == INTRODUCED) for *_, i in replay]
    bounds = sorted({pos for pos, _ in acting})
    intervals: list[tuple[Position, Position]] = []
    start: Position | None = None
    for j, bound in enumerate(bounds):
        state = False
        for pos, introduces in acting:  # last event (in replay order) that acts wins
            if pos <= bound:
                state = introduces
        if state and start is None:
            start = bound
        elif not state and start is not None:
            intervals.append((start, bound))
            start = None
        if j == len(bounds) - 1 and start is not None:
            intervals.append((start, _POS_INF))
    limits = [e.value for e in events if e.kind == LIMIT]
    if limits and not any("*" in v for v in limits):
        cap: Position = (1, max(key(v) for v in limits), 0)
        intervals = [(s, min(e, cap)) for s, e in intervals if s < cap]
    return intervals


# --- tables -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    """Segment table of one package, release and ordering (see the module docstring)."""

    sort_key: SortKey | None  # None: exact version strings only
    bounds: tuple[Position, ...]
    regions: tuple[tuple[str, ...], ...]
    exact: Mapping[str, tuple[str, ...]]
    ordering: str | None = None  # "semver", a base ecosystem, or None (exact strings)
    texts: Mapping[Any, str] = field(default_factory=dict)  # sort key -> a version string


def _sweep(
    intervals: list[tuple[Position, Position, str]], intern: dict[tuple[str, ...], tuple[str, ...]]
) -> tuple[tuple[Position, ...], tuple[tuple[str, ...], ...]]:
    deltas: dict[Position, list[tuple[str, int]]] = {}
    for start, end, vuln_id in intervals:
        if start < end:
            deltas.setdefault(start, []).append((vuln_id, 1))
            deltas.setdefault(end, []).append((vuln_id, -1))
    bounds = sorted(deltas)
    active: dict[str, int] = {}
    regions: list[tuple[str, ...]] = [()]
    for bound in bounds:
        for vuln_id, step in deltas[bound]:
            count = active.get(vuln_id, 0) + step
            if count:
                active[vuln_id] = count
            else:
                del active[vuln_id]
        region = tuple(sorted(active))
        regions.append(intern.setdefault(region, region))
    return tuple(bounds), tuple(regions)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One ``affected[]`` entry of one record, as filed under its package key."""

    advisory_id: str
    release: str | None
    ecosystem: str
    package: AffectedPackage


def _package_key(ecosystem: str, name: str) -> tuple[PackageKey, str | None, str]:
    canonical = versions.canonical_ecosystem(ecosystem.strip())
    base, sep, release = canonical.partition(":")
    base = base.strip()
    return (base, versions.normalize_name(base, name)), (release if sep else None), canonical


_SEVERITY_RANK = {"CVSS_V4": 0, "CVSS_V3": 1, "CVSS_V2": 2}


def _severity_rank(kind: str) -> int:
    return _SEVERITY_RANK.get(kind, 3)


# --- purls ------------------------------------------------------------------------------


def _split_purl(purl: str) -> tuple[str, str, str, str]:
    """``(purl without version and qualifiers, version, distro, epoch)``, no regex."""
    text = purl.strip()
    hash_at = text.find("#")
    if hash_at >= 0:
        text = text[:hash_at]
    distro = epoch = ""
    q_at = text.find("?")
    if q_at >= 0:
        for part in text[q_at + 1 :].split("&"):
            name, _, value = part.partition("=")
            name = name.lower()
            if name == "distro":
                distro = value
            elif name == "epoch":
                epoch = unquote(value)
        text = text[:q_at]
    version = ""
    at = text.rfind("@")
    if at >= 0 and "/" not in text[at + 1 :] and text.find("/") < at:
        version = text[at + 1 :]
        text = text[:at]
        if "%" in version:
            version = unquote(version)
    return text, version, distro, epoch


@dataclass(frozen=True, slots=True)
class _Target:
    """What a versionless purl resolves to (cached per index)."""

    key: PackageKey | None
    ecosystem: str
    tables: tuple[_Table, ...]
    skip_reason: str | None
    unknown_base: str | None  # base ecosystem without a known ordering
    rpm: bool
    memo: dict[tuple[str, ...], tuple[Vulnerability, ...]] = field(default_factory=dict)


# (skip reasons, unknown base ecosystem, version, ecosystem, vulnerabilities, default name)
_Outcome = tuple[tuple[str, ...], str | None, str, str, tuple["Vulnerability", ...], str]

# --- the index --------------------------------------------------------------------------


class AdvisoryIndex:
    """OSV records indexed for fast purl/version matching (pure: no I/O, no database)."""

    def __init__(self, advisories: Iterable[Advisory] = ()) -> None:
        self._advisories: dict[str, Advisory] = {}
        self._entries: dict[PackageKey, dict[str, tuple[_Entry, ...]]] = {}
        self._tables: dict[PackageKey, dict[str | None, tuple[_Table, ...]]] = {}
        self._unknown: dict[PackageKey, dict[str, set[str]]] = {}
        self._unindexed: dict[str, str] = {}
        self._withdrawn: set[str] = set()
        self._groups: dict[str, AliasGroup] = {}
        self._targets: dict[tuple[str, str], _Target] = {}
        # (package, release) -> any id of a group -> the group's Vulnerability there
        self._vuln_cache: dict[tuple[PackageKey, str | None], dict[str, Vulnerability]] = {}
        self._intern: dict[tuple[str, ...], tuple[str, ...]] = {}
        # record id -> CVE ids it lists as related (filled from plain data)
        self._related: dict[str, tuple[str, ...]] = {}
        self._loaded_count = 0  # records behind an index loaded from plain data
        self.update(advisories)

    # -- building --

    def update(self, advisories: Iterable[Advisory]) -> set[PackageKey]:
        """Add or replace records (by id); a withdrawn record removes its id.

        Returns the package keys whose tables changed: only components of those
        packages can gain or lose findings. Alias groups are recomputed over all
        records, so the primary id of an unrelated finding can change when a new
        record joins two groups.
        """
        touched: set[PackageKey] = set()
        for adv in advisories:
            if self._loaded_count:
                raise RuntimeError("an index loaded from plain data cannot be updated")
            old = self._advisories.pop(adv.id, None)
            self._withdrawn.discard(adv.id)
            self._unindexed.pop(adv.id, None)
            if old is not None:
                touched |= self._file(old, remove=True)
            if adv.withdrawn is not None:
                self._withdrawn.add(adv.id)
                continue
            self._advisories[adv.id] = adv
            touched |= self._file(adv, remove=False)
        for key in touched:
            self._build_tables(key)
        self._groups = alias_groups(self._advisories.values())
        self._targets.clear()
        self._vuln_cache.clear()
        return touched

    def _file(self, adv: Advisory, *, remove: bool) -> set[PackageKey]:
        per_key: dict[PackageKey, list[_Entry]] = {}
        for i, pkg in enumerate(adv.affected):
            if not pkg.ecosystem.strip() or not pkg.name.strip():
                if not remove:
                    self._unindexed[adv.id] = f"affected[{i}] names no package"
                continue
            key, release, canonical = _package_key(pkg.ecosystem, pkg.name)
            per_key.setdefault(key, []).append(_Entry(adv.id, release, canonical, pkg))
        for key, entries in per_key.items():
            by_id = self._entries.setdefault(key, {})
            if remove:
                by_id.pop(adv.id, None)
                if not by_id:
                    del self._entries[key]
            else:
                by_id[adv.id] = tuple(entries)
        return set(per_key)

    def _build_tables(self, key: PackageKey) -> None:
        by_id = self._entries.get(key)
        self._unknown.pop(key, None)
        if not by_id:
            self._tables.pop(key, None)
            return
        unknown: dict[str, set[str]] = {}
        # release -> ordering name -> (sort key, intervals); release -> exact strings
        spans: dict[str | None, dict[str, tuple[SortKey, list[tuple[Position, Position, str]]]]]
        spans = {}
        exact: dict[str | None, dict[str, set[str]]] = {}
        # ordering name -> sort key -> a version string with that key (for plain data)
        texts: dict[str, dict[Any, str]] = {}
        recorders: dict[str, SortKey] = {}

        def recorder(name: str, sort_key: SortKey) -> SortKey:
            found = recorders.get(name)
            if found is None:
                seen = texts.setdefault(name, {})

                def found(version: str) -> Any:
                    k = sort_key(version)
                    seen.setdefault(k, version)
                    return k

                recorders[name] = found
            return found

        for vuln_id, entries in by_id.items():
            for entry in entries:
                pkg = entry.package
                eco_key = ecosystem_sort_key(entry.ecosystem)
                per_release = spans.setdefault(entry.release, {})
                for range_ in pkg.ranges:
                    if range_.type is RangeType.GIT:
                        continue
                    sort_key = range_sort_key(range_, eco_key)
                    if sort_key is None:
                        unknown.setdefault(key[0], set()).add(vuln_id)
                        continue
                    name = "semver" if range_.type is RangeType.SEMVER else key[0]
                    _, bucket = per_release.setdefault(name, (sort_key, []))
                    bucket.extend(
                        (s, e, vuln_id)
                        for s, e in range_intervals(range_.events, recorder(name, sort_key))
                    )
                if not pkg.versions:
                    continue
                if eco_key is None:
                    strings = exact.setdefault(entry.release, {})
                    for v in pkg.versions:
                        strings.setdefault(v, set()).add(vuln_id)
                    continue
                _, bucket = per_release.setdefault(key[0], (eco_key, []))
                record = recorder(key[0], eco_key)
                for v in pkg.versions:
                    k = record(v)
                    bucket.append(((1, k, 0), (1, k, 2), vuln_id))
        tables: dict[str | None, tuple[_Table, ...]] = {}
        for release in spans.keys() | exact.keys():
            built: list[_Table] = []
            for ordering, (sort_key, intervals) in spans.get(release, {}).items():
                bounds, regions = _sweep(intervals, self._intern)
                built.append(
                    _Table(sort_key, bounds, regions, {}, ordering, texts.get(ordering, {}))
                )
            listed = exact.get(release)
            if listed:
                frozen = {v: tuple(sorted(ids)) for v, ids in listed.items()}
                built.append(_Table(None, (), ((),), frozen))
            tables[release] = tuple(built)
        self._tables[key] = tables
        if unknown:
            self._unknown[key] = unknown

    # -- queries about the index --

    def __len__(self) -> int:
        return len(self._advisories) or self._loaded_count

    def packages(self) -> set[PackageKey]:
        """Every ``(base ecosystem, normalised name)`` that some live record names."""
        return set(self._tables)

    def advisory(self, vuln_id: str) -> Advisory | None:
        return self._advisories.get(vuln_id)

    def group(self, vuln_id: str) -> AliasGroup | None:
        """The alias group of an id (record id or alias) known to the index."""
        return self._groups.get(vuln_id)

    @property
    def withdrawn(self) -> frozenset[str]:
        return frozenset(self._withdrawn)

    @property
    def unindexed(self) -> Mapping[str, str]:
        """Record id -> why it cannot be matched by purl (e.g. no package block)."""
        return dict(self._unindexed)

    @property
    def unknown_ecosystems(self) -> Mapping[str, frozenset[str]]:
        """Base ecosystem -> ids of records whose ranges could not be evaluated."""
        merged: dict[str, set[str]] = {}
        for per_eco in self._unknown.values():
            for eco, ids in per_eco.items():
                merged.setdefault(eco, set()).update(ids)
        return {eco: frozenset(ids) for eco, ids in merged.items()}

    def key_of(self, component: Component) -> PackageKey | None:
        """The package key a component is matched under (None: not matchable by purl)."""
        if not component.purl:
            return None
        return self._target(component.purl).key

    # -- matching --

    def _target(self, purl: str) -> _Target:
        base_purl, _, distro, _ = _split_purl(purl)
        return self._targets.get((base_purl, distro)) or self._new_target(base_purl, distro)

    def _new_target(self, base_purl: str, distro: str) -> _Target:
        """What ``base_purl`` (no version, no qualifiers) with ``distro`` resolves to."""
        lookup = f"{base_purl}?distro={distro}" if distro else base_purl
        mapped = versions.ecosystem_from_purl(lookup)
        if mapped is None:
            target = _Target(None, "", (), "purl type has no OSV ecosystem", None, False)
        else:
            key, release, canonical = _package_key(*mapped)
            per_release = self._tables.get(key, {})
            tables = per_release.get(None, ())
            reason = None
            if release is not None:
                tables = per_release.get(release, ()) + tables
            elif any(r is not None for r in per_release):
                reason = f"{canonical} advisories name releases; the purl has no distro qualifier"
            unknown = None if ecosystem_sort_key(canonical) else key[0]
            rpm = base_purl[:8].lower() == "pkg:rpm/"
            target = _Target(key, canonical, tables, reason, unknown, rpm)
        if len(self._targets) > 500_000:
            self._targets.clear()
        self._targets[(base_purl, distro)] = target
        return target

    def match(self, components: Iterable[Component]) -> MatchResult:
        """Findings for every component with a purl, one per (component, alias group).

        Components repeating a (purl, version) pair are resolved once per call.
        """
        matches: list[ComponentMatch] = []
        skipped: list[tuple[str, str]] = []
        unknown_components: dict[str, int] = {}
        count = without_purl = 0
        seen: dict[tuple[str, str], _Outcome] = {}
        for component in components:
            count += 1
            purl = component.purl
            if not purl:
                without_purl += 1
                continue
            outcome = seen.get((purl, component.version))
            if outcome is None:
                outcome = seen[(purl, component.version)] = self._resolve(purl, component.version)
            reasons, unknown_base, version, ecosystem, found_vulns, default_name = outcome
            if reasons:
                skipped.extend((purl, reason) for reason in reasons)
            if unknown_base is not None:
                unknown_components[unknown_base] = unknown_components.get(unknown_base, 0) + 1
            if found_vulns:
                matches.append(
                    ComponentMatch(
                        purl,
                        component.name or default_name,
                        version,
                        ecosystem,
                        found_vulns,
                        count - 1,
                    )
                )
        unknown = self.unknown_ecosystems
        reports = tuple(
            UnknownEcosystemReport(eco, tuple(sorted(unknown.get(eco, ()))), n)
            for eco, n in sorted(unknown_components.items())
        )
        return MatchResult(
            components=count,
            matches=tuple(matches),
            unknown_ecosystems=reports,
            skipped=tuple(skipped),
            without_purl=without_purl,
        )

    def _resolve(self, purl: str, component_version: str) -> _Outcome:
        """What matching one (purl, version) yields: skip reasons, the ecosystem without
        an ordering it counts under, the version matched, its ecosystem, the
        vulnerabilities and the name to report when the component has none."""
        base_purl, version, distro, epoch = _split_purl(purl)
        target = self._targets.get((base_purl, distro)) or self._new_target(base_purl, distro)
        reasons: tuple[str, ...] = ()
        if target.skip_reason is not None:
            reasons = (target.skip_reason,)
        key = target.key
        if key is None:
            return reasons, None, version, target.ecosystem, (), ""
        if not target.tables:
            return reasons, target.unknown_base, version, target.ecosystem, (), key[1]
        if not version:
            version = component_version
            if not version:
                return (
                    (*reasons, "no version"),
                    target.unknown_base,
                    version,
                    target.ecosystem,
                    (),
                    key[1],
                )
        if epoch and target.rpm and ":" not in version:
            version = f"{epoch}:{version}"
        hits: tuple[str, ...] = ()
        for table in target.tables:
            if table.sort_key is None:
                found = table.exact.get(version, ())
            else:
                found = table.regions[bisect_right(table.bounds, (1, table.sort_key(version), 1))]
            if found:
                hits = found if not hits else hits + found
        found_vulns: tuple[Vulnerability, ...] = ()
        if hits:
            memo = target.memo.get(hits)
            if memo is None:
                memo = target.memo[hits] = self._vulnerabilities(target, hits)
            found_vulns = memo
        return reasons, target.unknown_base, version, target.ecosystem, found_vulns, key[1]

    def related(self, ids: Iterable[str]) -> tuple[str, ...]:
        """CVE ids that the records ``ids`` list as ``related`` (distro advisories such as
        ALSA name the CVEs they fix there), minus ``ids`` themselves; sorted."""
        wanted = tuple(ids)
        out: set[str] = set()
        for vuln_id in wanted:
            adv = self._advisories.get(vuln_id)
            if adv is not None:
                out.update(r for r in adv.related if r.upper().startswith("CVE-"))
            else:
                out.update(self._related.get(vuln_id, ()))
        return tuple(sorted(out.difference(wanted)))

    def _vulnerabilities(self, target: _Target, hits: tuple[str, ...]) -> tuple[Vulnerability, ...]:
        assert target.key is not None
        release = target.ecosystem.partition(":")[2] or None
        found: dict[str, Vulnerability] = {}
        for vuln_id in hits:
            vuln = self._vulnerability(target.key, release, vuln_id)
            found[vuln.advisory_id] = vuln
        return tuple(found[p] for p in sorted(found))

    def _vulnerability(self, key: PackageKey, release: str | None, vuln_id: str) -> Vulnerability:
        """The group of ``vuln_id`` as it applies to ``key`` in ``release`` (cached)."""
        if release is not None and release not in self._tables.get(key, {}):
            release = None  # only release-less records apply: the same answer as no release
        known = self._vuln_cache.setdefault((key, release), {})
        vuln = known.get(vuln_id)
        if vuln is None:
            group = self._groups[vuln_id]
            ecosystem = f"{key[0]}:{release}" if release is not None else key[0]
            vuln = Vulnerability(
                group.primary,
                group.ids,
                self._fixed_versions(key, release, ecosystem, group),
                self._severity(key, group),
                self.related(group.ids),
            )
            for member in group.ids:
                known[member] = vuln
        return vuln

    # -- plain data --

    def to_plain(self) -> dict[str, Any]:
        """The index as plain data (str, int, tuple, list, dict, None) for ``marshal``.

        Every vulnerability value is computed here, so an index rebuilt with
        :meth:`from_plain` matches without the records. Sort keys are kept as they are
        when ``marshal`` can write them, else as version strings re-keyed on load.
        """
        vulns: list[tuple[Any, ...]] = []
        vuln_index: dict[int, int] = {}
        packages: list[tuple[Any, ...]] = []
        for key, per_release in self._tables.items():
            releases: list[tuple[Any, ...]] = []
            for release, tables in per_release.items():
                ids: set[str] = set()
                for table in (*tables, *(per_release.get(None, ()) if release else ())):
                    for region in table.regions:
                        ids.update(region)
                    for found in table.exact.values():
                        ids.update(found)
                vmap: dict[str, int] = {}
                for vuln_id in sorted(ids):
                    vuln = self._vulnerability(key, release, vuln_id)
                    n = vuln_index.get(id(vuln))
                    if n is None:
                        n = vuln_index[id(vuln)] = len(vulns)
                        sev = vuln.severity
                        vulns.append(
                            (
                                vuln.advisory_id,
                                vuln.aliases,
                                vuln.fixed_versions,
                                sev.type if sev else None,
                                sev.score if sev else None,
                                vuln.related,
                            )
                        )
                    vmap[vuln_id] = n
                releases.append((release, tuple(_table_plain(t) for t in tables), vmap))
            packages.append((key[0], key[1], releases))
        groups = {g.primary: g.ids for g in self._groups.values()}
        related = {a.id: a.related for a in self._advisories.values() if a.related}
        related.update(self._related)
        return {
            "format": PLAIN_FORMAT,
            "count": len(self),
            "packages": packages,
            "vulnerabilities": vulns,
            "unknown": [
                (k[0], k[1], {eco: sorted(ids) for eco, ids in per.items()})
                for k, per in self._unknown.items()
            ],
            "unindexed": dict(self._unindexed),
            "withdrawn": sorted(self._withdrawn),
            "groups": list(groups.items()),
            "related": {
                i: tuple(r for r in rel if r.upper().startswith("CVE-"))
                for i, rel in related.items()
            },
        }

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> AdvisoryIndex:
        """An index rebuilt from :meth:`to_plain` data: it matches and answers
        :meth:`group`, :meth:`related` and :attr:`withdrawn`, but holds no records
        (:meth:`advisory` returns None) and cannot be updated.

        Raises ValueError when the data is not of this format.
        """
        if data.get("format") != PLAIN_FORMAT:
            raise ValueError("not an advisory index of this format")
        index = cls()
        vulns = [
            Vulnerability(a, tuple(ids), tuple(fixed), Severity(t, s) if t else None, tuple(rel))
            for a, ids, fixed, t, s, rel in data["vulnerabilities"]
        ]
        for eco, name, releases in data["packages"]:
            key = (eco, name)
            per_release: dict[str | None, tuple[_Table, ...]] = {}
            for release, tables, vmap in releases:
                per_release[release] = tuple(_table_from_plain(t) for t in tables)
                index._vuln_cache[(key, release)] = {v: vulns[n] for v, n in vmap.items()}
            index._tables[key] = per_release
        for eco, name, per in data["unknown"]:
            index._unknown[(eco, name)] = {e: set(ids) for e, ids in per.items()}
        index._unindexed = dict(data["unindexed"])
        index._withdrawn = set(data["withdrawn"])
        for primary, ids in data["groups"]:
            group = AliasGroup(primary, tuple(ids))
            for member in ids:
                index._groups[member] = group
        index._related = {i: tuple(rel) for i, rel in data["related"].items()}
        index._loaded_count = max(int(data["count"]), 1)
        return index

    def _group_entries(self, key: PackageKey, group: AliasGroup) -> list[_Entry]:
        by_id = self._entries.get(key, {})
        return [e for vuln_id in group.ids for e in by_id.get(vuln_id, ())]

    def _fixed_versions(
        self, key: PackageKey, release: str | None, ecosystem: str, group: AliasGroup
    ) -> tuple[str, ...]:
        """Fixed versions named for this package (and release) by any record of the group."""
        fixed: set[str] = set()
        for entry in self._group_entries(key, group):
            if entry.release is not None and entry.release != release:
                continue
            for range_ in entry.package.ranges:
                if range_.type is not RangeType.GIT:
                    fixed.update(e.value for e in range_.events if e.kind == FIXED)
        eco_key = ecosystem_sort_key(ecosystem)
        if eco_key is None:
            return tuple(sorted(fixed))
        return tuple(sorted(fixed, key=lambda v: (eco_key(v), v)))

    def _severity(self, key: PackageKey, group: AliasGroup) -> Severity | None:
        """Best severity: CVSS v4, then v3, then v2, then other typed scores, then a
        database label; package-level scores before record-level ones, the primary
        record before the others."""
        candidates: list[tuple[int, int, int, str, str]] = []
        entries = self._group_entries(key, group)
        order = sorted(
            (a for a in (self._advisories.get(i) for i in group.ids) if a is not None),
            key=lambda a: (a.id != group.primary, a.id),
        )
        for n, adv in enumerate(order):
            for entry in entries:
                if entry.advisory_id == adv.id:
                    candidates.extend(
                        (_severity_rank(t), 0, n, t, s) for t, s in entry.package.severity
                    )
            candidates.extend((_severity_rank(t), 1, n, t, s) for t, s in adv.severity)
            if adv.database_severity:
                candidates.append((9, 2, n, "DATABASE", adv.database_severity))
        best = min(candidates, default=None)
        return Severity(best[3], best[4]) if best else None


PLAIN_FORMAT = 1


def _ordering_key(ordering: str | None) -> SortKey | None:
    if ordering is None:
        return None
    if ordering == "semver":
        return _semver_key
    found = ecosystem_sort_key(ordering)
    if found is None:
        raise ValueError(f"no version ordering {ordering!r}")
    return found


def _table_plain(table: _Table) -> tuple[Any, ...]:
    exact = dict(table.exact)
    try:
        marshal.dumps(table.bounds)
    except ValueError:  # keys marshal cannot write (e.g. Maven): keep the version strings
        texts = table.texts
        bounds = tuple(b if len(b) == 1 else (1, texts[b[1]], b[2]) for b in table.bounds)
        return (table.ordering, bounds, table.regions, exact, True)
    return (table.ordering, table.bounds, table.regions, exact, False)


def _table_from_plain(plain: tuple[Any, ...]) -> _Table:
    ordering, bounds, regions, exact, as_text = plain
    sort_key = _ordering_key(ordering)
    texts: dict[Any, str] = {}
    if as_text and sort_key is not None:
        # keep the strings, so that the table can be written as plain data again
        texts = {sort_key(b[1]): b[1] for b in bounds if len(b) > 1}
        bounds = tuple(b if len(b) == 1 else (1, sort_key(b[1]), b[2]) for b in bounds)
    return _Table(sort_key, tuple(bounds), tuple(regions), dict(exact), ordering, texts)


__all__ = [
    "AdvisoryIndex",
    "ComponentMatch",
    "Finding",
    "MatchResult",
    "PackageKey",
    "Severity",
    "UnknownEcosystemReport",
    "Vulnerability",
    "range_intervals",
]
