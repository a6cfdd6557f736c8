"""A tiny OSV JSON/YAML reader for the matching tests (the real parser is ingest's job).

It reads only the fields the matcher uses and trusts its input: the files are the
public databases in ../shared/data.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from psirt.domain.advisory import (
    Advisory,
    AffectedPackage,
    RangeEvent,
    RangeType,
    VersionRange,
)


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _severity(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple((s["type"], s["score"]) for s in items or ())


def advisory(doc: dict[str, Any]) -> Advisory:
    affected = []
    for a in doc.get("affected") or ():
        package = a.get("package") or {}
        ranges = tuple(
            VersionRange(
                type=RangeType(r["type"]),
                events=tuple(RangeEvent(k, str(v)) for e in r["events"] for k, v in e.items()),
                repo=r.get("repo"),
            )
            for r in a.get("ranges") or ()
        )
        affected.append(
            AffectedPackage(
                ecosystem=package.get("ecosystem", ""),
                name=package.get("name", ""),
                purl=package.get("purl"),
                ranges=ranges,
                versions=tuple(str(v) for v in a.get("versions") or ()),
                severity=_severity(a.get("severity")),
            )
        )
    db = doc.get("database_specific") or {}
    return Advisory(
        id=doc["id"],
        source="osv",
        modified=_time(doc.get("modified")),
        published=_time(doc.get("published")),
        withdrawn=_time(doc.get("withdrawn")),
        aliases=tuple(doc.get("aliases") or ()),
        summary=doc.get("summary", ""),
        severity=_severity(doc.get("severity")),
        affected=tuple(affected),
        database_severity=db.get("severity") if isinstance(db, dict) else None,
    )


def read_zip(path: Path) -> Iterator[Advisory]:
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".json"):
                yield advisory(json.loads(zf.read(name)))
            elif name.endswith((".yaml", ".yml")):
                yield advisory(yaml.safe_load(zf.read(name)))


def read_zip_members(path: Path, wanted: Callable[[str], bool]) -> list[Advisory]:
    """Records of the zip members whose path satisfies ``wanted``."""
    found = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if not wanted(name):
                continue
            if name.endswith(".json"):
                found.append(advisory(json.loads(zf.read(name))))
            elif name.endswith((".yaml", ".yml")):
                found.append(advisory(yaml.safe_load(zf.read(name))))
    return found
