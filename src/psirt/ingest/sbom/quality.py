"""SBOM quality: NTIA minimum elements and FDA premarket expectations, per component.

NTIA "The Minimum Elements For a Software Bill of Materials" (2021), data fields:
supplier name, component name, version, other unique identifier (here purl, CPE or SWID),
dependency relationship, author of SBOM data, timestamp. FDA "Cybersecurity in Medical
Devices" premarket guidance (2023, section V.A.4) additionally expects, for each component,
its level of support and its end-of-support date.

A component has a *dependency relationship* when it appears in the dependency graph (as a
source or a target), is nested in another component (``parent_ref``) or is the subject.
Level of support is met by ``item_class`` or by a property naming a support level (free
text such as "Actively maintained" counts as a statement); end of support by
``support_end`` or a property naming an end-of-support date or statement.

Score (documented formula): every component is checked against the 7 per-component
elements (supplier, name, version, identifier, dependency, level of support, end of
support); the document against 2 (author, timestamp).

    score = 100 * (component checks met + document checks met)
                / (7 * number of components + 2)

An SBOM without components scores only on the document elements. ``ntia_score`` applies the
same formula to the NTIA elements only (5 per component + 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from psirt.domain.sbom import Component, ParsedSbom
from psirt.ingest.sbom._common import (
    ITEM_CLASS_PROPERTY_NAMES,
    SUPPORT_END_PROPERTY_NAMES,
    property_key,
)

NTIA_COMPONENT_FIELDS = ("supplier", "name", "version", "unique_identifier", "dependency")
FDA_COMPONENT_FIELDS = ("level_of_support", "end_of_support")


@dataclass(frozen=True, slots=True)
class ComponentQuality:
    ref: str
    name: str
    version: str
    supplier: bool
    name_present: bool
    version_present: bool
    unique_identifier: bool
    dependency: bool
    level_of_support: str | None  # item class or the stated level, None when absent
    end_of_support: str | None  # ISO date or the stated text, None when absent

    @property
    def missing(self) -> tuple[str, ...]:
        checks = {
            "supplier": self.supplier,
            "name": self.name_present,
            "version": self.version_present,
            "unique_identifier": self.unique_identifier,
            "dependency": self.dependency,
            "level_of_support": self.level_of_support is not None,
            "end_of_support": self.end_of_support is not None,
        }
        return tuple(k for k, ok in checks.items() if not ok)

    @property
    def ntia_met(self) -> int:
        return sum(
            (
                self.supplier,
                self.name_present,
                self.version_present,
                self.unique_identifier,
                self.dependency,
            )
        )

    @property
    def fda_met(self) -> int:
        return (self.level_of_support is not None) + (self.end_of_support is not None)


@dataclass(frozen=True, slots=True)
class QualityReport:
    components: tuple[ComponentQuality, ...]
    author: bool
    timestamp: bool
    score: float  # 0..100, NTIA + FDA elements (formula in the module docstring)
    ntia_score: float  # 0..100, NTIA elements only

    def missing_by_field(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.components:
            for name in row.missing:
                counts[name] = counts.get(name, 0) + 1
        if not self.author:
            counts["author"] = 1
        if not self.timestamp:
            counts["timestamp"] = 1
        return counts


def _stated(component: Component, names: frozenset[str]) -> str | None:
    for name, value in component.properties:
        if property_key(name) in names and value.strip():
            return value.strip()
    return None


def assess(sbom: ParsedSbom) -> QualityReport:
    in_graph: set[str] = set()
    for dep in sbom.dependencies:
        in_graph.add(dep.ref)
        in_graph.update(dep.depends_on)
    subject_ref = sbom.subject.ref if sbom.subject is not None else None

    rows = []
    for c in sbom.components:
        level = c.item_class.value if c.item_class else _stated(c, ITEM_CLASS_PROPERTY_NAMES)
        end = c.support_end.isoformat() if c.support_end else _stated(c, SUPPORT_END_PROPERTY_NAMES)
        rows.append(
            ComponentQuality(
                ref=c.ref,
                name=c.name,
                version=c.version,
                supplier=bool(c.supplier and c.supplier.strip()),
                name_present=bool(c.name.strip()),
                version_present=bool(c.version.strip()),
                unique_identifier=bool(c.purl or c.cpe or c.swid),
                dependency=bool(c.ref)
                and (c.ref in in_graph or c.parent_ref is not None or c.ref == subject_ref),
                level_of_support=level,
                end_of_support=end,
            )
        )
    author = bool(sbom.authors)
    timestamp = sbom.timestamp is not None
    doc_met = author + timestamp
    n = len(rows)
    ntia = sum(r.ntia_met for r in rows)
    fda = sum(r.fda_met for r in rows)
    score = 100.0 * (ntia + fda + doc_met) / (7 * n + 2)
    ntia_score = 100.0 * (ntia + doc_met) / (5 * n + 2)
    return QualityReport(
        components=tuple(rows),
        author=author,
        timestamp=timestamp,
        score=round(score, 1),
        ntia_score=round(ntia_score, 1),
    )
