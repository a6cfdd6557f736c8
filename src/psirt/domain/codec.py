"""Advisories to and from plain JSON values, for storage and for ``--format json``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from psirt.domain.advisory import (
    Advisory,
    AffectedPackage,
    CpeConfiguration,
    CpeMatch,
    CpeNode,
    RangeEvent,
    RangeType,
    VersionRange,
)


def advisory_to_json(advisory: Advisory) -> bytes:
    """Canonical JSON bytes of an advisory (orjson encodes the frozen dataclasses as objects)."""
    return orjson.dumps(advisory, option=orjson.OPT_SORT_KEYS)


def _ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _pairs(values: list[list[str]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in values or ())


def advisory_from_dict(d: dict[str, Any]) -> Advisory:
    return Advisory(
        id=d["id"],
        source=d["source"],
        modified=_ts(d.get("modified")),
        published=_ts(d.get("published")),
        withdrawn=_ts(d.get("withdrawn")),
        aliases=tuple(d.get("aliases") or ()),
        related=tuple(d.get("related") or ()),
        summary=d.get("summary") or "",
        details=d.get("details") or "",
        severity=_pairs(d.get("severity")),
        affected=tuple(
            AffectedPackage(
                ecosystem=a["ecosystem"],
                name=a["name"],
                purl=a.get("purl"),
                ranges=tuple(
                    VersionRange(
                        type=RangeType(r["type"]),
                        events=tuple(RangeEvent(e["kind"], e["value"]) for e in r["events"]),
                        repo=r.get("repo"),
                    )
                    for r in a.get("ranges") or ()
                ),
                versions=tuple(a.get("versions") or ()),
                severity=_pairs(a.get("severity")),
            )
            for a in d.get("affected") or ()
        ),
        configurations=tuple(
            CpeConfiguration(
                operator=c["operator"],
                nodes=tuple(
                    CpeNode(
                        operator=n["operator"],
                        negate=bool(n["negate"]),
                        matches=tuple(CpeMatch(**mt) for mt in n["matches"]),
                    )
                    for n in c["nodes"]
                ),
            )
            for c in d.get("configurations") or ()
        ),
        references=tuple(d.get("references") or ()),
        cwes=tuple(d.get("cwes") or ()),
        database_severity=d.get("database_severity"),
        cvss_base_score=d.get("cvss_base_score"),
    )


def advisory_from_json(data: bytes) -> Advisory:
    return advisory_from_dict(orjson.loads(data))
