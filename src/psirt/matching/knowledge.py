"""The whole matcher: OSV purl/version matching plus NVD CPE matching, with KEV and EPSS.

Components with a purl that maps to an OSV ecosystem are matched by the :class:`AdvisoryIndex`.
Components that carry a CPE are also checked against NVD / CVE 5 applicability statements,
looked up by the (vendor, product) of their CPE; a CVE already reported for the component
through an OSV alias group is not reported again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any

from psirt.domain.advisory import Advisory
from psirt.domain.sbom import Component
from psirt.errors import InputError
from psirt.matching.cpe import compare_versions, component_matches, parse_cpe
from psirt.matching.index import AdvisoryIndex, Finding, MatchResult, Severity


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

    def match(self, components: Sequence[Component]) -> KnowledgeMatch:
        osv = self.index.match(components)
        out: list[ComponentFinding] = []
        seen: dict[int, set[str]] = {}
        for cm in osv.matches:
            i = cm.position
            ids = seen.setdefault(i, set())
            for v in cm.vulnerabilities:
                f = Finding(
                    cm.purl,
                    cm.name,
                    cm.version,
                    cm.ecosystem,
                    v.advisory_id,
                    v.aliases,
                    v.fixed_versions,
                    v.severity,
                )
                out.append(ComponentFinding(i, f, "purl"))
                ids.update(v.aliases)
        problems: list[str] = []
        if self.cpe_advisories:
            for i, c in enumerate(components):
                if not c.cpe:
                    continue
                try:
                    cpe = parse_cpe(c.cpe, source=c.name)
                except InputError as exc:
                    problems.append(str(exc))
                    continue
                for adv in self.cpe_advisories.get((cpe.vendor, cpe.product), ()):
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
                            ),
                            "cpe",
                        )
                    )
                    seen.setdefault(i, set()).update(aliases)
        return KnowledgeMatch(len(components), tuple(out), osv, tuple(problems))

    def related_ids(self, finding: Finding) -> tuple[str, ...]:
        """CVE ids a finding's advisories list as ``related`` (distro advisories such as ALSA
        name the CVEs they fix there, not in ``aliases``); used for KEV and EPSS lookups."""
        out: set[str] = set()
        for vuln_id in finding.aliases:
            adv = self.index.advisory(vuln_id)
            if adv is not None:
                out.update(r for r in adv.related if r.upper().startswith("CVE-"))
        return tuple(sorted(out - set(finding.aliases)))

    def is_kev(self, ids: Iterable[str]) -> bool:
        return any(i in self.kev for i in ids)

    def epss_of(self, ids: Iterable[str]) -> float | None:
        scores = [self.epss[i] for i in ids if i in self.epss]
        return max(scores) if scores else None

    def to_json(self, result: KnowledgeMatch, components: Sequence[Component]) -> dict[str, Any]:
        rows = []
        for cf in result.findings:
            f = cf.finding
            rows.append(
                {
                    "purl": f.purl or None,
                    "name": f.name,
                    "version": f.version,
                    "ecosystem": f.ecosystem,
                    "advisory_id": f.advisory_id,
                    "aliases": list(f.aliases),
                    "fixed_versions": list(f.fixed_versions),
                    "severity": f.severity.score if f.severity else None,
                    "kev": self.is_kev((*f.aliases, *self.related_ids(f))),
                    "epss": self.epss_of((*f.aliases, *self.related_ids(f))),
                }
            )
        rows.sort(key=lambda r: (r["purl"] or "", r["advisory_id"], r["name"], r["version"]))
        return {"components": result.components, "findings": rows}


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
