"""Supplier advisories and VEX documents as domain values, whatever format they came in.

A supplier document (a CSAF 2.0 security advisory or VEX, a CycloneDX VEX, an OpenVEX
document) is read into a :class:`SupplierDocument`: who published it, which document and
revision it is, and one :class:`SupplierStatement` per (vulnerability, product) it speaks
about, with the status in the four words VEX uses (:class:`VexStatus`), the supplier's own
status word, the justification and impact statement of a "not affected", and the action
statement of an "affected".

Revisions of the same document share an :attr:`SupplierDocument.identity`; the newer
revision (:func:`revision_key`) supersedes the older one's statements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from psirt.domain.csaf import DocumentVersion


class VexFormat(StrEnum):
    CSAF = "csaf"
    CYCLONEDX = "cyclonedx"
    OPENVEX = "openvex"


class VexStatus(StrEnum):
    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


@dataclass(frozen=True, slots=True)
class ProductRef:
    """What identifies the product a statement is about.

    ``purl`` and ``cpe`` as the supplier gives them; ``vendor``, ``name``, ``version`` and
    ``version_range`` from a CSAF product tree (the branches of categories vendor,
    product_name, product_version, product_version_range) or a VEX document's version list.
    ``version_range`` is a ``vers:`` range or the comparator list CSAF documents write
    (``<= 4.2``, ``>= 1.3.4 | < 1.5.3``).
    """

    label: str
    purl: str | None = None
    cpe: str | None = None
    vendor: str | None = None
    name: str | None = None
    version: str | None = None
    version_range: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k in _REF_FIELDS if (v := getattr(self, k)) is not None}

    @classmethod
    def from_dict(cls, value: dict[str, str]) -> ProductRef:
        return cls(**{k: value[k] for k in _REF_FIELDS if k in value})


_REF_FIELDS = ("label", "purl", "cpe", "vendor", "name", "version", "version_range")


@dataclass(frozen=True, slots=True)
class SupplierStatement:
    """One (vulnerability, product) statement of a supplier document.

    ``supplier_status`` is the document's own word (``known_not_affected``, ``first_fixed``,
    ``exploitable``, ``in_triage`` ...); ``path`` the JSON pointer of the statement."""

    vulnerability: str
    aliases: tuple[str, ...]
    status: VexStatus
    product: ProductRef
    supplier_status: str
    path: str
    justification: str | None = None
    impact: str | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class SupplierDocument:
    format: VexFormat
    spec_version: str
    profile: str  # CSAF document category; "vex" for CycloneDX and OpenVEX
    identity: str  # the same for every revision of one document
    tracking_id: str
    version: str
    publisher: str
    title: str
    issued: dt.datetime | None
    updated: dt.datetime | None
    statements: tuple[SupplierStatement, ...]
    problems: tuple[str, ...] = ()  # what the importer should know but need not refuse


def revision_key(fmt: VexFormat, version: str) -> tuple[int, ...]:
    """Order of revisions of one document: CSAF by its version numbers (integer or semantic
    versioning), CycloneDX and OpenVEX by their integer ``version``."""
    if fmt is VexFormat.CSAF:
        parsed = DocumentVersion.parse(version)
        if parsed is None:
            return (0,)
        pre = 0 if parsed.pre else 1
        return (1, parsed.major, parsed.minor, parsed.patch, pre)
    try:
        return (1, int(version))
    except ValueError:
        return (0,)
