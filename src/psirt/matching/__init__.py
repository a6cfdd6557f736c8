"""Matching SBOM components against advisories.

* :mod:`psirt.matching.osv` - the OSV schema's evaluation of one ``affected[]`` entry;
* :mod:`psirt.matching.aliases` - alias groups and the primary-id rule;
* :mod:`psirt.matching.index` - :class:`AdvisoryIndex`, the pre-sorted index that
  matches many components by purl and version;
* :mod:`psirt.matching.knowledge` - the knowledge base: purl and CPE matching, KEV and EPSS.
"""

from __future__ import annotations

from psirt.matching.aliases import AliasGroup, alias_groups, primary_id
from psirt.matching.index import (
    AdvisoryIndex,
    ComponentMatch,
    Finding,
    MatchResult,
    PackageKey,
    Severity,
    UnknownEcosystemReport,
    Vulnerability,
)
from psirt.matching.osv import affected

__all__ = [
    "AdvisoryIndex",
    "ComponentMatch",
    "AliasGroup",
    "Finding",
    "MatchResult",
    "PackageKey",
    "Severity",
    "UnknownEcosystemReport",
    "Vulnerability",
    "affected",
    "alias_groups",
    "primary_id",
]
