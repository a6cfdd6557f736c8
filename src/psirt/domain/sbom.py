"""Software bill of materials as domain values, whatever format it was read from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class ItemClass(StrEnum):
    """IEC 81001-5-1 (ISH1:2025) software item classes."""

    MAINTAINED = "maintained"
    SUPPORTED = "supported"
    REQUIRED = "required"


class SbomFormat(StrEnum):
    CYCLONEDX = "cyclonedx"
    SPDX = "spdx"


class Serialization(StrEnum):
    JSON = "json"
    XML = "xml"
    YAML = "yaml"
    TAG_VALUE = "tag-value"
    RDF_XML = "rdf-xml"
    JSON_LD = "json-ld"


@dataclass(frozen=True, slots=True)
class Hash:
    algorithm: str  # normalised upper-case, e.g. "SHA-256"
    value: str  # lower-case hex


@dataclass(frozen=True, slots=True)
class Component:
    """One entry of an SBOM's component list.

    ``ref`` is the document-local identifier (CycloneDX ``bom-ref``, SPDX ``SPDXID``) used
    by the dependency graph; it may be empty when the document has none.
    """

    name: str
    version: str = ""
    ref: str = ""
    type: str = "library"
    group: str = ""
    purl: str | None = None
    cpe: str | None = None
    swid: str | None = None
    supplier: str | None = None
    author: str | None = None
    hashes: tuple[Hash, ...] = ()
    licenses: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    item_class: ItemClass | None = None
    support_end: dt.date | None = None
    parent_ref: str | None = None  # enclosing component for nested CycloneDX components


@dataclass(frozen=True, slots=True)
class Dependency:
    """``ref`` depends on (or contains) each of ``depends_on``."""

    ref: str
    depends_on: tuple[str, ...]
    kind: str = "depends_on"  # depends_on | contains


@dataclass(frozen=True, slots=True)
class SbomVulnerability:
    """A vulnerability statement embedded in an SBOM (CycloneDX ``vulnerabilities``)."""

    id: str
    source: str | None = None
    affects: tuple[str, ...] = ()  # component refs
    ratings: tuple[tuple[str, str], ...] = ()  # (method, vector or severity)
    analysis_state: str | None = None
    analysis_justification: str | None = None
    cwes: tuple[int, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedSbom:
    format: SbomFormat
    spec_version: str
    serialization: Serialization
    components: tuple[Component, ...]
    dependencies: tuple[Dependency, ...] = ()
    subject: Component | None = None  # CycloneDX metadata.component, SPDX described package
    serial_number: str | None = None
    document_name: str | None = None
    timestamp: dt.datetime | None = None
    authors: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    vulnerabilities: tuple[SbomVulnerability, ...] = field(default=())
    # non-fatal findings of the parser, e.g. "components[3].purl: not a package URL"
    problems: tuple[str, ...] = ()

    @property
    def with_purl(self) -> int:
        return sum(1 for c in self.components if c.purl)

    @property
    def with_cpe(self) -> int:
        return sum(1 for c in self.components if c.cpe)

    @property
    def dependency_count(self) -> int:
        return sum(len(d.depends_on) for d in self.dependencies)
