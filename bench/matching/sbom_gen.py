"""Synthetic CycloneDX SBOMs built from the real package names and versions in OSV data.

For every package that the OSV records name (PyPI, Go, CRAN, AlmaLinux) the generator
collects real version strings from the records: half of the draws are affected versions
(listed ``versions``, ``introduced`` values), half unaffected (the highest ``fixed``).
CPython is added as ``pkg:generic/cpython`` (its PSF records are GIT-only: never matched).
The draw is seeded, so the same N gives the same SBOM.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable
from typing import Any

from psirt import versions
from psirt.domain.advisory import Advisory, RangeType
from psirt.errors import UnknownEcosystem

_PURL = {
    "PyPI": "pkg:pypi/{name}@{version}",
    "Go": "pkg:golang/{name}@v{version}",
    "CRAN": "pkg:cran/{name}@{version}",
}


def _purl(ecosystem: str, name: str, version: str) -> str | None:
    base, _, release = ecosystem.partition(":")
    if base in _PURL:
        if base == "Go" and name in ("stdlib", "toolchain"):
            return f"pkg:golang/{name}@v{version}"
        return _PURL[base].format(name=name, version=version)
    if base == "AlmaLinux" and release:
        return f"pkg:rpm/almalinux/{name}@{version}?arch=x86_64&distro=almalinux-{release}"
    return None


def candidates(advisories: Iterable[Advisory]) -> list[tuple[str, str, str]]:
    """(purl, name, version) draws from real records: half affected, half unaffected.

    Affected: the last listed ``versions`` and ``introduced`` values. Unaffected: the
    highest ``fixed`` value of each package (past every record's range, as far as the
    records go), and CPython (GIT-only records).
    """
    affected: dict[str, tuple[str, str, str]] = {}
    latest_fix: dict[tuple[str, str], str] = {}
    for adv in advisories:
        for pkg in adv.affected:
            if not pkg.name:
                continue
            picks = list(pkg.versions[-2:])
            for r in pkg.ranges:
                if r.type is RangeType.GIT:
                    continue
                for e in r.events:
                    if e.kind == "introduced" and e.value != "0":
                        picks.append(e.value)
                    elif e.kind == "fixed":
                        key = (pkg.ecosystem, pkg.name)
                        best = latest_fix.get(key)
                        if best is None or _order(pkg.ecosystem, e.value) > _order(
                            pkg.ecosystem, best
                        ):
                            latest_fix[key] = e.value
            for v in picks:
                purl = _purl(pkg.ecosystem, pkg.name, v)
                if purl:
                    affected[purl] = (purl, pkg.name, v)
    unaffected = []
    for (eco, name), v in sorted(latest_fix.items()):
        purl = _purl(eco, name, v)
        if purl:
            unaffected.append((purl, name, v))
    for minor in range(6, 13):
        for patch in (0, 5, 10):
            v = f"3.{minor}.{patch}"
            unaffected.append((f"pkg:generic/cpython@{v}", "cpython", v))
    return [v for _, v in sorted(affected.items())], unaffected  # type: ignore[return-value]


def _order(ecosystem: str, version: str) -> tuple[object, ...]:
    try:
        return versions.sort_key(ecosystem, version)
    except UnknownEcosystem:
        return (version,)


def cyclonedx(pools: tuple[list, list], n: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    chosen = []
    for i in range(n):
        pool = pools[i % 2]
        chosen.append(pool[rng.randrange(len(pool))])
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}",
        "version": 1,
        "components": [
            {"type": "library", "bom-ref": f"c{i}", "name": name, "version": version, "purl": purl}
            for i, (purl, name, version) in enumerate(chosen)
        ],
    }


def write(path: str, doc: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
