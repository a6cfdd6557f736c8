"""The whole matcher: OSV purl/version matching plus NVD CPE matching, with KEV and EPSS.

Components with a purl that maps to an OSV ecosystem are matched by the :class:`AdvisoryIndex`.
Components that carry a CPE are also checked against NVD / CVE 5 applicability statements,
looked up by the (vendor, product) of their CPE; a CVE already reported for the component
through an OSV alias group is not reported again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any

from psirt.domain.advisory import Advisory
from psirt.domain.codec import advisory_from_json, advisory_to_json
from psirt.domain.sbom import Component
from psirt.errors import InputError
from psirt.matching.cpe import compare_versions, component_matches, parse_cpe
from psirt.matching.index import AdvisoryIndex, Finding, MatchResult, Severity

PLAIN_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ComponentFinding:
    """A finding tied to the component (position in the input) it was found for."""

    component: int
    finding: Finding
    via: str  # "purl" | "cpe"


@dataclass(frozen=True, slots=True)
class KnowledgeMatch:
    components: int
    findings: tuple[ComponentFinding, ...]
    osv: MatchResult
    cpe_problems: tuple[str, ...] = ()


def kev_listed(ids: Iterable[str], kev: Collection[str]) -> tuple[str, ...]:
    """psirt's one KEV rule: a finding is KEV-listed when the catalogue ``kev`` lists one of
    its ids, that is its alias group and the CVE ids its advisories name as ``related``
    (distro advisories such as AlmaLinux's list the CVEs they fix there). Returns those ids,
    each once, in the order given; empty when the finding is not listed."""
    return tuple(dict.fromkeys(i for i in ids if i in kev))


def _cvss_severity(adv: Advisory) -> Severity | None:
    best: Severity | None = None
    rank = {"CVSS_V4": 0, "CVSS_V3": 1, "CVSS_V2": 2}
    for kind, score in adv.severity:
        if kind in rank and (best is None or rank[kind] < rank[best.type]):
            best = Severity(kind, score)
    if best is None and adv.database_severity:
        best = Severity("DATABASE", adv.database_severity)
    return best


@dataclass
class KnowledgeBase:
    index: AdvisoryIndex
    cpe_advisories: dict[tuple[str, str], list[Advisory]] = field(default_factory=dict)
    kev: frozenset[str] = frozenset()
    epss: Mapping[str, float] = field(default_factory=dict)
    # (vendor, product) -> canonical JSON of the CPE advisories, decoded on first use
    cpe_bodies: dict[tuple[str, str], tuple[bytes, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        advisories: Iterable[Advisory],
        *,
        kev: Iterable[str] = (),
        epss: Mapping[str, float] | None = None,
    ) -> KnowledgeBase:
        advs = list(advisories)
        osv_like = [a for a in advs if a.affected]
        kb = cls(AdvisoryIndex(osv_like), kev=frozenset(kev), epss=dict(epss or {}))
        for adv in advs:
            if adv.configurations and adv.withdrawn is None:
                for vp in _vendor_products(adv):
                    kb.cpe_advisories.setdefault(vp, []).append(adv)
        return kb

    def _cpe_for(self, vendor_product: tuple[str, str]) -> list[Advisory]:
        found = self.cpe_advisories.get(vendor_product)
        if found is None:
            bodies = self.cpe_bodies.get(vendor_product, ())
            found = self.cpe_advisories[vendor_product] = [advisory_from_json(b) for b in bodies]
        return found

    def match_cpe(
        self, components: Sequence[Component], osv: MatchResult
    ) -> tuple[list[ComponentFinding], tuple[str, ...]]:
        """Findings through NVD applicability for components with a CPE, skipping CVEs
        already reported for the component through an OSV alias group."""
        out: list[ComponentFinding] = []
        problems: list[str] = []
        if not (self.cpe_advisories or self.cpe_bodies):
            return out, ()
        with_cpe = {i for i, c in enumerate(components) if c.cpe}
        if not with_cpe:
            return out, ()
        seen: dict[int, set[str]] = {}
        for cm in osv.matches:
            if cm.position in with_cpe:
                ids = seen.setdefault(cm.position, set())
                for v in cm.vulnerabilities:
                    ids.update(v.aliases)
        for i in sorted(with_cpe):
            c = components[i]
            assert c.cpe is not None
            try:
                cpe = parse_cpe(c.cpe, source=c.name)
            except InputError as exc:
                problems.append(str(exc))
                continue
            for adv in self._cpe_for((cpe.vendor, cpe.product)):
                ids = {adv.id, *adv.aliases}
                group = self.index.group(adv.id)
                if group is not None:
                    ids |= set(group.ids)
                if ids & seen.get(i, set()):
                    continue
                if not component_matches(c.cpe, adv.configurations):
                    continue
                aliases = tuple(sorted(ids))
                out.append(
                    ComponentFinding(
                        i,
                        Finding(
                            purl=c.purl or "",
                            name=c.name,
                            version=c.version,
                            ecosystem="CPE",
                            advisory_id=adv.id,
                            aliases=aliases,
                            fixed_versions=_cpe_fixed(adv, cpe.vendor, cpe.product),
                            severity=_cvss_severity(adv),
                            related=self.index.related(aliases),
                        ),
                        "cpe",
                    )
                )
                seen.setdefault(i, set()).update(aliases)
        return out, tuple(problems)

    def match(self, components: Sequence[Component]) -> KnowledgeMatch:
        osv = self.index.match(components)
        out = [
            ComponentFinding(
                cm.position,
                Finding(
                    cm.purl,
                    cm.name,
                    cm.version,
                    cm.ecosystem,
                    v.advisory_id,
                    v.aliases,
                    v.fixed_versions,
                    v.severity,
                    v.related,
                ),
                "purl",
            )
            for cm in osv.matches
            for v in cm.vulnerabilities
        ]
        cpe, problems = self.match_cpe(components, osv)
        out.extend(cpe)
        return KnowledgeMatch(len(components), tuple(out), osv, problems)

    def related_ids(self, finding: Finding) -> tuple[str, ...]:
        """CVE ids a finding's advisories list as ``related`` (distro advisories such as ALSA
        name the CVEs they fix there, not in ``aliases``); used for KEV and EPSS lookups."""
        return finding.related or self.index.related(finding.aliases)

    # -- plain data --

    def to_plain(self) -> dict[str, Any]:
        """The knowledge base as plain data for ``marshal`` (see :meth:`from_plain`).

        EPSS scores are kept for the ids the knowledge base can report only.
        """
        index = self.index.to_plain()
        known: set[str] = set()
        for _primary, ids in index["groups"]:
            known.update(ids)
        for related in index["related"].values():
            known.update(related)
        cpe: list[tuple[str, str, tuple[bytes, ...]]] = []
        for (vendor, product), advs in self.cpe_advisories.items():
            cpe.append((vendor, product, tuple(advisory_to_json(a) for a in advs)))
            for a in advs:
                known.update((a.id, *a.aliases, *a.related))
        for (vendor, product), bodies in self.cpe_bodies.items():
            if (vendor, product) not in self.cpe_advisories:
                cpe.append((vendor, product, bodies))
                for a in self._cpe_for((vendor, product)):
                    known.update((a.id, *a.aliases, *a.related))
        return {
            "format": PLAIN_FORMAT,
            "index": index,
            "cpe": cpe,
            "kev": sorted(self.kev),
            "epss": {i: score for i, score in self.epss.items() if i in known},
        }

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> KnowledgeBase:
        """Rebuild from :meth:`to_plain` data; raises ValueError when it is not that."""
        if data.get("format") != PLAIN_FORMAT:
            raise ValueError("not a knowledge base of this format")
        return cls(
            AdvisoryIndex.from_plain(data["index"]),
            kev=frozenset(data["kev"]),
            epss=dict(data["epss"]),
            cpe_bodies={(v, p): tuple(bodies) for v, p, bodies in data["cpe"]},
        )

    def is_kev(self, ids: Iterable[str]) -> bool:
        """Whether the KEV catalogue lists one of ``ids`` (see :func:`kev_listed`)."""
        return any(i in self.kev for i in ids)

    def kev_ids(self, ids: Iterable[str]) -> tuple[str, ...]:
        """Those of ``ids`` the KEV catalogue lists (see :func:`kev_listed`)."""
        return kev_listed(ids, self.kev)

    def finding_ids(self, finding: Finding) -> tuple[str, ...]:
        """The ids KEV and EPSS are looked up for: the alias group and the CVEs its
        advisories list as related."""
        return (finding.advisory_id, *finding.aliases, *self.related_ids(finding))

    def epss_of(self, ids: Iterable[str]) -> float | None:
        scores = [self.epss[i] for i in ids if i in self.epss]
        return max(scores) if scores else None


def _vendor_products(adv: Advisory) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for conf in adv.configurations:
        for node in conf.nodes:
            for mt in node.matches:
                if not mt.vulnerable:
                    continue
                try:
                    cpe = parse_cpe(mt.criteria, source=adv.id)
                except InputError:
                    continue
                out.add((cpe.vendor, cpe.product))
    return out


def _cpe_fixed(adv: Advisory, vendor: str, product: str) -> tuple[str, ...]:
    fixed: set[str] = set()
    for conf in adv.configurations:
        for node in conf.nodes:
            for mt in node.matches:
                if mt.vulnerable and mt.version_end_excluding:
                    try:
                        cpe = parse_cpe(mt.criteria, source=adv.id)
                    except InputError:
                        continue
                    if (cpe.vendor, cpe.product) == (vendor, product):
                        fixed.add(mt.version_end_excluding)
    return tuple(sorted(fixed, key=cmp_to_key(compare_versions)))
