"""Matching SBOM components against advisories.

* :mod:`psirt.matching.osv` - the OSV schema's evaluation of one ``affected[]`` entry;
* :mod:`psirt.matching.aliases` - alias groups and the primary-id rule;
* :mod:`psirt.matching.index` - :class:`AdvisoryIndex`, the pre-sorted index that
  matches many components by purl and version, and the JSON report.
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
    to_json_dict,
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
    "to_json_dict",
]
