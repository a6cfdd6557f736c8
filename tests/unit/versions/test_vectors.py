"""Every line of osv-scalibr's version fixtures (``A op B``) must hold for our ordering.

The fixtures are produced by each ecosystem's reference tool (see the README of
../shared/data); each file is checked line by line, and a failure names the line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from psirt.versions import compare
from tests.conftest import require_shared

# fixture file prefix -> an OSV ecosystem using that ordering
FILES = {
    "alpine": "Alpine:v3.18",
    "cran": "CRAN",
    "debian": "Debian:11",
    "hackage": "Hackage",
    "maven": "Maven",
    "nuget": "NuGet",
    "packagist": "Packagist",
    "pub": "Pub",
    "pypi": "PyPI",
    "redhat": "Red Hat:rhel_aus:8.4::appstream",
    "rubygems": "RubyGems",
    "semver": "npm",
}

_OPS = {"<": -1, "=": 0, ">": 1}

# Lines no total order can satisfy, because the reference comparator is not transitive
# there.  Each entry is checked to be in the file verbatim, and our answer is pinned.
KNOWN_INTRANSITIVE = {
    # PHP weighs "#" equal to every number, so "1.2.3.# = 1.2.3" (line 95, kept) and
    # this line together would make 1.2.3 == 1.2.3.1, yet PHP orders 1.2.3 < 1.2.3.1.
    ("packagist-versions.txt", 96): ("1.2.3.# = 1.2.3.1", -1),
    # osv-scalibr calls a malformed apk string equal to a valid one with the same parts,
    # but orders two malformed strings by text (line 24, kept: 0.8.21.r2 < 0.8.21r2);
    # both cannot hold in one order (a valid 0.8.21r-ruff would equal both of them).
    ("alpine-versions.txt", 47): ("1-ruff2 = 1--ruff1", -1),
}


def _read(path: Path) -> list[tuple[int, str, str, str]]:
    cases = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "//")):
            continue
        a, op, b = line.split(" ")
        assert op in _OPS, f"{path.name}:{number}: unknown operator in {line!r}"
        cases.append((number, a, op, b))
    return cases


# the files of the fixture set (hackage, nuget, pub, redhat and semver have no generated one)
_GENERATED = ("alpine", "cran", "debian", "maven", "packagist", "pypi", "rubygems")


def _vector_files() -> list[str]:
    names = [f"{prefix}-versions.txt" for prefix in FILES]
    names += [f"{prefix}-versions-generated.txt" for prefix in _GENERATED]
    return sorted(names)


@pytest.mark.shared
@pytest.mark.parametrize("filename", _vector_files())
def test_every_line_holds(filename: str) -> None:
    path = require_shared("versions", "osv-scalibr-semantic", filename)
    ecosystem = FILES[filename.split("-versions")[0]]
    cases = _read(path)
    assert cases, f"{filename} holds no comparisons"
    failures = []
    for number, a, op, b in cases:
        known = KNOWN_INTRANSITIVE.get((filename, number))
        if known is not None:
            line, pinned = known
            assert f"{a} {op} {b}" == line, f"{filename}:{number}: exemption is stale"
            assert compare(ecosystem, a, b) == pinned
            continue
        want = _OPS[op]
        got = compare(ecosystem, a, b)
        back = compare(ecosystem, b, a)
        if got != want or back != -want:
            failures.append(f"{filename}:{number}: {a} {op} {b} (got {got}, reversed {back})")
    assert not failures, f"{len(failures)} of {len(cases)} lines fail:\n" + "\n".join(failures[:40])
