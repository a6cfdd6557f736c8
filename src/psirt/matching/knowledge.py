"""The whole matcher: OSV purl/version matching plus NVD CPE matching, with KEV and EPSS.

Components with a purl that maps to an OSV ecosystem are matched by the :class:`AdvisoryIndex`.
Components that carry a CPE are also checked against NVD / CVE 5 applicability statements,
looked up by the (vendor, product) of their CPE; a CVE already reported for the component
through an OSV alias group is not reported again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key
from itertools import groupby
from operator import attrgetter
from typing import Any

import orjson

from psirt.domain.advisory import Advisory
from psirt.domain.codec import advisory_from_json, advisory_to_json
from psirt.domain.sbom import Component
from psirt.errors import InputError
from psirt.matching.cpe import compare_versions, component_matches, parse_cpe
from psirt.matching.index import AdvisoryIndex, Finding, MatchResult, Severity, Vulnerability

PLAIN_FORMAT = 1
_INDENT = orjson.OPT_INDENT_2


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


@dataclass(frozen=True, slots=True)
class KnowledgeReport:
    """A match rendered as the JSON report, without building one value per finding.

    The report is held as its findings' encoded rows: :meth:`chunks` hands the text out in
    pieces of bounded size (a 50,000-component report runs to 100 MB and more), and
    :attr:`json` joins them.
    """

    components: int
    findings: int
    osv: MatchResult
    cpe_problems: tuple[str, ...]
    rows: Sequence[bytes]  # one encoded finding each, in report order

    def chunks(self, rows_per_chunk: int = 2048) -> Iterator[bytes]:
        """The report text in pieces; their concatenation is :attr:`json`."""
        rows = self.rows
        if not rows:
            yield orjson.dumps({"components": self.components, "findings": []}, option=_INDENT)
            yield b"\n"
            return
        yield b'{\n  "components": %d,\n  "findings": [\n' % self.components
        for start in range(0, len(rows), rows_per_chunk):
            if start:
                yield b",\n"
            yield b",\n".join(rows[start : start + rows_per_chunk])
        yield b"\n  ]\n}\n"

    @property
    def json(self) -> bytes:
        """The text ``emit_json(kb.to_json(kb.match(...)))`` writes, newline included."""
        return b"".join(self.chunks(max(len(self.rows), 1)))


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

    def _match_cpe(
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
        cpe, problems = self._match_cpe(components, osv)
        out.extend(cpe)
        return KnowledgeMatch(len(components), tuple(out), osv, problems)

    def report(self, components: Sequence[Component]) -> KnowledgeReport:
        """Match and render the JSON report in one pass: each component's fields and each
        vulnerability's fields are encoded once, findings are joined as bytes."""
        osv = self.index.match(components)
        cpe, problems = self._match_cpe(components, osv)
        tails: dict[int, bytes] = {}

        def tail(v: Vulnerability) -> bytes:
            found = tails.get(id(v))
            if found is None:
                ids = (*v.aliases, *v.related)
                found = tails[id(v)] = _tail(
                    v.advisory_id, v.aliases, v.fixed_versions, v.severity,
                    self.is_kev(ids), self.epss_of(ids),
                )  # fmt: skip
            return found

        rows: list[bytes] = []
        count = 0
        if not cpe:
            ordered = sorted(osv.matches, key=_BY_PURL_NAME_VERSION)
            for _purl, same_purl in groupby(ordered, key=_BY_PURL):
                group = list(same_purl)
                first = group[0]
                name, version = first.name, first.version
                if len(group) == 1 or all(
                    cm.name == name and cm.version == version for cm in group
                ):  # one head, each vulnerability's row repeated for every component
                    head = _head(first.purl, name, version, first.ecosystem)
                    times = len(group)
                    for v in first.vulnerabilities:
                        row = head + (tails.get(id(v)) or tail(v))
                        if times == 1:
                            rows.append(row)
                        else:
                            rows.extend([row] * times)
                else:
                    keyed = [
                        (v.advisory_id, cm.name, cm.version, i, _head(
                            cm.purl, cm.name, cm.version, cm.ecosystem) + tail(v))
                        for i, cm in enumerate(group)
                        for v in cm.vulnerabilities
                    ]  # fmt: skip
                    keyed.sort(key=lambda r: r[:4])
                    rows.extend(r[4] for r in keyed)
            count = len(rows)
        else:
            everything: list[tuple[str, str, str, str, int, bytes]] = []
            n = 0
            for cm in osv.matches:
                head = _head(cm.purl, cm.name, cm.version, cm.ecosystem)
                for v in cm.vulnerabilities:
                    everything.append(
                        (cm.purl, v.advisory_id, cm.name, cm.version, n, head + tail(v))
                    )
                    n += 1
            for cf in cpe:
                f = cf.finding
                ids = (*f.aliases, *f.related)
                row = _head(f.purl or None, f.name, f.version, f.ecosystem) + _tail(
                    f.advisory_id, f.aliases, f.fixed_versions, f.severity,
                    self.is_kev(ids), self.epss_of(ids),
                )  # fmt: skip
                everything.append((f.purl, f.advisory_id, f.name, f.version, n, row))
                n += 1
            everything.sort(key=lambda r: r[:5])
            rows = [r[5] for r in everything]
            count = len(rows)
        return KnowledgeReport(len(components), count, osv, problems, rows)

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


_BY_PURL = attrgetter("purl")
_BY_PURL_NAME_VERSION = attrgetter("purl", "name", "version")


def _head(purl: str | None, name: str, version: str, ecosystem: str) -> bytes:
    """The first fields of a finding, indented as one element of the findings list."""
    text = orjson.dumps(
        {"purl": purl, "name": name, "version": version, "ecosystem": ecosystem}, option=_INDENT
    )
    return b"    " + text[:-2].replace(b"\n", b"\n    ") + b","


def _tail(
    advisory_id: str,
    aliases: tuple[str, ...],
    fixed: tuple[str, ...],
    severity: Severity | None,
    kev: bool,
    epss: float | None,
) -> bytes:
    """The remaining fields of a finding, closing its object (see :func:`_head`)."""
    text = orjson.dumps(
        {
            "advisory_id": advisory_id,
            "aliases": list(aliases),
            "fixed_versions": list(fixed),
            "severity": severity.score if severity else None,
            "kev": kev,
            "epss": epss,
        },
        option=_INDENT,
    )
    return text[1:].replace(b"\n", b"\n    ")


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
