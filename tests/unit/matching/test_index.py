"""AdvisoryIndex: matching by purl, release scoping, alias groups, updates, the report."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from psirt.domain.advisory import Advisory, AffectedPackage, RangeEvent, RangeType, VersionRange
from psirt.domain.sbom import Component
from psirt.matching.index import AdvisoryIndex, Severity, range_intervals
from psirt.matching.osv import affected, in_range
from psirt.versions import pypi, semver


def record(
    vuln_id: str,
    ecosystem: str,
    name: str,
    *events: tuple[str, str],
    aliases: tuple[str, ...] = (),
    versions: tuple[str, ...] = (),
    withdrawn: bool = False,
    severity: tuple[tuple[str, str], ...] = (),
    database_severity: str | None = None,
) -> Advisory:
    ranges = (
        (VersionRange(RangeType.ECOSYSTEM, tuple(RangeEvent(k, v) for k, v in events)),)
        if events
        else ()
    )
    return Advisory(
        id=vuln_id,
        source="osv",
        aliases=aliases,
        withdrawn=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) if withdrawn else None,
        affected=(AffectedPackage(ecosystem, name, ranges=ranges, versions=versions),),
        severity=severity,
        database_severity=database_severity,
    )


def comp(purl: str, version: str = "") -> Component:
    return Component(name=purl.split("/")[-1].split("@")[0], version=version, purl=purl)


def ids(index: AdvisoryIndex, *components: Component) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in index.match(components).findings:
        found.setdefault(f.purl, []).append(f.advisory_id)
    return found


def test_pypi_name_normalisation_and_version_from_component() -> None:
    index = AdvisoryIndex(
        [record("PYSEC-1", "PyPI", "Foo_Bar", ("introduced", "0"), ("fixed", "2"))]
    )
    assert index.packages() == {("PyPI", "foo-bar")}
    result = index.match([comp("pkg:pypi/foo.bar", "1.0"), comp("pkg:pypi/foo-bar@2.0")])
    assert [(f.purl, f.version, f.advisory_id) for f in result.findings] == [
        ("pkg:pypi/foo.bar", "1.0", "PYSEC-1")
    ]


def test_one_finding_per_alias_group_with_every_id() -> None:
    index = AdvisoryIndex(
        [
            record(
                "PYSEC-1",
                "PyPI",
                "demo",
                ("introduced", "0"),
                ("fixed", "1.5"),
                aliases=("CVE-2020-1",),
            ),
            record(
                "GHSA-aaaa-bbbb-cccc",
                "PyPI",
                "demo",
                ("introduced", "1.0"),
                ("fixed", "1.4"),
                aliases=("CVE-2020-1",),
                database_severity="HIGH",
            ),
            record(
                "PYSEC-2",
                "PyPI",
                "demo",
                ("introduced", "1.2"),
                ("fixed", "1.3"),
                severity=(("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),),
            ),
        ]
    )
    findings = index.match([comp("pkg:pypi/demo@1.2.5")]).findings
    assert [(f.advisory_id, f.aliases, f.fixed_versions) for f in findings] == [
        ("CVE-2020-1", ("CVE-2020-1", "GHSA-aaaa-bbbb-cccc", "PYSEC-1"), ("1.4", "1.5")),
        ("PYSEC-2", ("PYSEC-2",), ("1.3",)),
    ]
    assert findings[0].severity == Severity("DATABASE", "HIGH")
    assert findings[1].severity == Severity(
        "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    )


def test_fixed_versions_sorted_by_the_scheme() -> None:
    index = AdvisoryIndex(
        [
            record(
                "PYSEC-1",
                "PyPI",
                "demo",
                ("introduced", "0"),
                ("fixed", "1.10"),
                ("introduced", "2.0"),
                ("fixed", "2.9"),
                ("introduced", "1.9"),
                ("fixed", "1.9.1"),
            )
        ]
    )
    (finding,) = index.match([comp("pkg:pypi/demo@1.0")]).findings
    assert finding.fixed_versions == ("1.9.1", "1.10", "2.9")


def test_withdrawn_never_matches_and_update_removes() -> None:
    live = record("GO-1", "Go", "github.com/lib/pq", ("introduced", "0"))
    index = AdvisoryIndex(
        [live, record("GO-2", "Go", "github.com/lib/pq", ("introduced", "0"), withdrawn=True)]
    )
    c = comp("pkg:golang/github.com/lib/pq@v1.10.0")
    assert ids(index, c) == {c.purl: ["GO-1"]}
    assert index.withdrawn == {"GO-2"}
    touched = index.update(
        [record("GO-1", "Go", "github.com/lib/pq", ("introduced", "0"), withdrawn=True)]
    )
    assert touched == {("Go", "github.com/lib/pq")}
    assert ids(index, c) == {}
    assert index.packages() == set()


def test_update_replaces_and_reports_touched_packages_only() -> None:
    index = AdvisoryIndex(
        [
            record("PYSEC-1", "PyPI", "a", ("introduced", "0"), ("fixed", "1.0")),
            record("PYSEC-2", "PyPI", "b", ("introduced", "0"), ("fixed", "1.0")),
        ]
    )
    a, b = comp("pkg:pypi/a@1.5"), comp("pkg:pypi/b@0.5")
    assert ids(index, a, b) == {b.purl: ["PYSEC-2"]}
    touched = index.update(
        [
            record(
                "PYSEC-1",
                "PyPI",
                "a",
                ("introduced", "0"),
                ("fixed", "2.0"),
                aliases=("CVE-2021-5",),
            )
        ]
    )
    assert touched == {("PyPI", "a")}
    assert index.key_of(a) in touched and index.key_of(b) not in touched
    assert ids(index, a, b) == {a.purl: ["CVE-2021-5"], b.purl: ["PYSEC-2"]}


def test_distro_release_scoping() -> None:
    index = AdvisoryIndex(
        [
            record(
                "ALSA-9",
                "AlmaLinux:9",
                "openssl",
                ("introduced", "0"),
                ("fixed", "1:3.0.1-43.el9_0"),
            ),
            record(
                "ALSA-8",
                "AlmaLinux:8",
                "openssl",
                ("introduced", "0"),
                ("fixed", "1:1.1.1k-7.el8_6"),
            ),
            record(
                "DSA-11", "Debian:11", "curl", ("introduced", "0"), ("fixed", "7.74.0-1.3+deb11u2")
            ),
        ]
    )
    el9 = comp("pkg:rpm/almalinux/openssl@3.0.1-42.el9_0?arch=x86_64&epoch=1&distro=almalinux-9.2")
    el9_fixed = comp("pkg:rpm/almalinux/openssl@1:3.0.1-43.el9_0?distro=almalinux-9")
    deb11 = comp("pkg:deb/debian/curl@7.74.0-1.3%2Bdeb11u1?distro=debian-11")
    deb12 = comp("pkg:deb/debian/curl@7.74.0-1.3%2Bdeb11u1?distro=debian-12")
    result = index.match([el9, el9_fixed, deb11, deb12])
    assert [(f.purl, f.version, f.ecosystem, f.advisory_id) for f in result.findings] == [
        (el9.purl, "1:3.0.1-42.el9_0", "AlmaLinux:9", "ALSA-9"),
        (deb11.purl, "7.74.0-1.3+deb11u1", "Debian:11", "DSA-11"),
    ]
    no_release = comp("pkg:deb/debian/curl@7.74.0-1.3?arch=amd64")
    result = index.match([no_release])
    assert result.findings == ()
    assert result.skipped == (
        (no_release.purl, "Debian advisories name releases; the purl has no distro qualifier"),
    )


def test_release_less_record_matches_every_release() -> None:
    index = AdvisoryIndex([record("X-1", "Debian", "curl", ("introduced", "0"))])
    c = comp("pkg:deb/debian/curl@7.88.1-10?distro=debian-12")
    assert ids(index, c) == {c.purl: ["X-1"]}


def test_git_only_and_packageless_records() -> None:
    git = VersionRange(
        RangeType.GIT,
        (RangeEvent("introduced", "0"), RangeEvent("fixed", "ab" * 20)),
        repo="https://github.com/python/cpython",
    )
    psf = Advisory(
        id="PSF-2007-1", source="osv", affected=(AffectedPackage("", "", ranges=(git,)),)
    )
    listed = Advisory(
        id="PYSEC-9",
        source="osv",
        affected=(AffectedPackage("PyPI", "demo", ranges=(git,), versions=("1.0",)),),
    )
    index = AdvisoryIndex([psf, listed])
    assert index.unindexed == {"PSF-2007-1": "affected[0] names no package"}
    assert ids(index, comp("pkg:pypi/demo@1.0"), comp("pkg:pypi/demo@1.1")) == {
        "pkg:pypi/demo@1.0": ["PYSEC-9"]
    }


def test_unknown_ecosystem_is_reported() -> None:
    index = AdvisoryIndex(
        [
            record(
                "LX-1", "Linux", "Kernel", ("introduced", "0"), ("fixed", "6.1"), versions=("5.10",)
            )
        ]
    )
    assert index.unknown_ecosystems == {"Linux": frozenset({"LX-1"})}
    # no purl type maps to "Linux": such components are reported as skipped
    result = index.match([comp("pkg:generic/linux@5.10"), Component(name="no-purl")])
    assert result.skipped == (("pkg:generic/linux@5.10", "purl type has no OSV ecosystem"),)
    assert result.without_purl == 1
    assert result.components == 2


# --- the index agrees with the schema's evaluation -------------------------------------

_VERSIONS = [f"{a}.{b}" for a in range(4) for b in range(4)]
_event = st.tuples(
    st.sampled_from(["introduced", "fixed", "last_affected", "limit"]),
    st.sampled_from(["0", *_VERSIONS]),
)


@settings(max_examples=300, deadline=None)
@given(events=st.lists(_event, min_size=1, max_size=6), probe=st.sampled_from(_VERSIONS + ["9.9"]))
def test_intervals_agree_with_the_replay(events: list[tuple[str, str]], probe: str) -> None:
    evs = tuple(RangeEvent(k, v) for k, v in events if not (k != "introduced" and v == "0"))
    key = pypi.sort_key(probe)
    expected = in_range(key, evs, pypi.sort_key)
    query = (1, key, 1)
    got = any(s <= query < e for s, e in range_intervals(evs, pypi.sort_key))
    assert got is expected


@settings(max_examples=150, deadline=None)
@given(
    ranges=st.lists(st.lists(_event, min_size=1, max_size=5), min_size=1, max_size=3),
    listed=st.lists(st.sampled_from(_VERSIONS), max_size=3),
)
def test_index_agrees_with_affected(ranges: list[list[tuple[str, str]]], listed: list[str]) -> None:
    pkg = AffectedPackage(
        "Go",
        "example.com/m",
        ranges=tuple(
            VersionRange(RangeType.SEMVER, tuple(RangeEvent(k, v) for k, v in r)) for r in ranges
        ),
        versions=tuple(listed),
    )
    index = AdvisoryIndex([Advisory(id="GO-1", source="osv", affected=(pkg,))])
    probes = [*_VERSIONS, "9.9", "1.1.0-rc.1"]
    result = index.match([comp(f"pkg:golang/example.com/m@v{v}") for v in probes])
    hit = {f.version for f in result.findings}
    assert hit == {f"v{v}" for v in probes if affected(f"v{v}", pkg)}
    assert semver.sort_key("v1.0") == semver.sort_key("1.0")
