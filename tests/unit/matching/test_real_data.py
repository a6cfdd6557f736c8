"""Matching against the public OSV databases in ../shared/data/osv."""

from __future__ import annotations

from pathlib import Path

import pytest

from psirt.domain.advisory import Advisory
from psirt.domain.sbom import Component
from psirt.matching.index import AdvisoryIndex
from tests.conftest import require_shared
from tests.unit.matching.records import read_zip, read_zip_members

pytestmark = pytest.mark.shared


def _zip(name: str) -> Path:
    return require_shared("osv", name)


@pytest.fixture(scope="module")
def pypi_records() -> list[Advisory]:
    packages = ("/django/", "/py/", "/redis/")
    return read_zip_members(
        _zip("pypi-pypa-advisory-database.zip"), lambda n: any(p in n for p in packages)
    )


@pytest.fixture(scope="module")
def pypi(pypi_records: list[Advisory]) -> AdvisoryIndex:
    return AdvisoryIndex(pypi_records)


def _matched_ids(index: AdvisoryIndex, purl: str) -> set[str]:
    """Every id (all aliases) of the groups matched by one purl."""
    return {i for f in index.match([Component("c", purl=purl)]).findings for i in f.aliases}


def test_django_220_matches_every_record_listing_22(
    pypi: AdvisoryIndex, pypi_records: list[Advisory]
) -> None:
    listing = {
        a.id
        for a in pypi_records
        if any(p.name == "django" and "2.2" in p.versions for p in a.affected)
    }
    assert "PYSEC-2019-10" in listing and len(listing) == 28
    matched = {i for i in _matched_ids(pypi, "pkg:pypi/django@2.2.0") if i.startswith("PYSEC-")}
    assert matched == listing
    assert _matched_ids(pypi, "pkg:pypi/Django@2.2") >= listing


def test_django_fixed_version_is_not_affected(pypi: AdvisoryIndex) -> None:
    # PYSEC-2019-10 (CVE-2019-12781): introduced 2.2, fixed 2.2.3; 1.11 branch fixed 1.11.22
    assert "PYSEC-2019-10" in _matched_ids(pypi, "pkg:pypi/django@2.2.2")
    assert "PYSEC-2019-10" not in _matched_ids(pypi, "pkg:pypi/django@2.2.3")
    assert "PYSEC-2019-10" in _matched_ids(pypi, "pkg:pypi/django@1.11.21")
    assert "PYSEC-2019-10" not in _matched_ids(pypi, "pkg:pypi/django@1.11.22")
    finding = next(
        f
        for f in pypi.match([Component("django", purl="pkg:pypi/django@2.2.2")]).findings
        if "PYSEC-2019-10" in f.aliases
    )
    assert finding.advisory_id == "CVE-2019-12781"
    assert finding.aliases == ("CVE-2019-12781", "GHSA-6c7v-2f49-8h26", "PYSEC-2019-10")
    assert finding.fixed_versions == ("1.11.22", "2.1.10", "2.2.3")


def test_py_last_affected_is_inclusive(pypi: AdvisoryIndex) -> None:
    # PYSEC-2022-42969: introduced 0, last_affected 1.11.0; PYSEC-2020-92: fixed 1.10.0
    assert _matched_ids(pypi, "pkg:pypi/py@1.11.0") >= {"PYSEC-2022-42969"}
    assert "PYSEC-2020-92" not in _matched_ids(pypi, "pkg:pypi/py@1.11.0")
    assert "PYSEC-2022-42969" not in _matched_ids(pypi, "pkg:pypi/py@1.11.1")
    assert {"PYSEC-2022-42969", "PYSEC-2020-92"} <= _matched_ids(pypi, "pkg:pypi/py@1.9.0")


def test_withdrawn_pypi_record_never_matches(pypi: AdvisoryIndex) -> None:
    # PYSEC-2023-73 (redis) is withdrawn; it lists every version up to 4.x
    assert "PYSEC-2023-73" in pypi.withdrawn
    for version in ("0.6.0", "2.0.0", "4.5.3"):
        assert "PYSEC-2023-73" not in _matched_ids(pypi, f"pkg:pypi/redis@{version}")


def test_cpython_git_only_records_are_unindexed() -> None:
    records = list(read_zip(_zip("psf-cpython-advisories.zip")))
    index = AdvisoryIndex(records)
    assert len(records) == 132
    assert index.packages() == set()
    assert index.unindexed["PSF-2007-1"] == "affected[0] names no package"
    assert len(index.unindexed) == 132
    result = index.match([Component("cpython", purl="pkg:generic/cpython@2.5.1")])
    assert result.findings == ()


@pytest.fixture(scope="module")
def alma() -> AdvisoryIndex:
    return AdvisoryIndex(read_zip(_zip("almalinux9-osv.zip")))


def test_almalinux_epoch_and_release(alma: AdvisoryIndex) -> None:
    # ALSA-2022:7288 fixes openssl 1:3.0.1-43.el9_0 for AlmaLinux:9 (epoch written inline)
    before = "pkg:rpm/almalinux/openssl@1:3.0.1-42.el9_0?distro=almalinux-9"
    qualifier = "pkg:rpm/almalinux/openssl@3.0.1-42.el9_0?epoch=1&distro=almalinux-9"
    fixed = "pkg:rpm/almalinux/openssl@1:3.0.1-43.el9_0?distro=almalinux-9"
    assert "ALSA-2022:7288" in _matched_ids(alma, before)
    assert "ALSA-2022:7288" in _matched_ids(alma, qualifier)
    assert "ALSA-2022:7288" not in _matched_ids(alma, fixed)
    # without the epoch the version is epoch 0, older than every 1:... fix
    assert "ALSA-2022:7288" in _matched_ids(
        alma, "pkg:rpm/almalinux/openssl@3.0.7-1.el9?distro=almalinux-9"
    )


def test_almalinux_records_of_other_releases_do_not_match(alma: AdvisoryIndex) -> None:
    assert "AlmaLinux" not in alma.unknown_ecosystems  # the RPM ordering is known
    # java-1.8.0-openjdk has records for AlmaLinux:8 (ALSA-2024:0265 ...) and :9
    version = "1:1.8.0.332.b09-1.el8"
    el8 = alma.match(
        [Component("j", purl=f"pkg:rpm/almalinux/java-1.8.0-openjdk@{version}?distro=almalinux-8")]
    ).findings
    el9 = alma.match(
        [Component("j", purl=f"pkg:rpm/almalinux/java-1.8.0-openjdk@{version}?distro=almalinux-9")]
    ).findings
    el8_ids = {f.advisory_id for f in el8}
    el9_ids = {f.advisory_id for f in el9}
    assert {"ALSA-2024:0265", "ALSA-2025:10862"} <= el8_ids
    assert {"ALSA-2022:5709", "ALSA-2022:7007"} <= el9_ids
    assert "ALSA-2022:5709" not in el8_ids  # a record for AlmaLinux:9 only
    # ALSA-2024:0265 names both releases, each with its own fixed version
    fixed = {
        (f.ecosystem, f.fixed_versions) for f in el8 + el9 if f.advisory_id == "ALSA-2024:0265"
    }
    assert fixed == {
        ("AlmaLinux:8", ("1:1.8.0.402.b06-2.el8",)),
        ("AlmaLinux:9", ("1:1.8.0.402.b06-2.el9",)),
    }
    for findings, release in ((el8, "AlmaLinux:8"), (el9, "AlmaLinux:9")):
        for f in findings:
            adv = alma.advisory(f.advisory_id)
            assert adv is not None
            assert any(
                p.ecosystem == release and p.name == "java-1.8.0-openjdk" for p in adv.affected
            )
    assert {f.ecosystem for f in el8} == {"AlmaLinux:8"}


def test_go_withdrawn_and_pseudo_versions() -> None:
    records = read_zip_members(
        _zip("go-vulndb-osv.zip"), lambda n: n.endswith(("GO-2026-6166.json", "GO-2023-1495.json"))
    )
    assert {r.id for r in records} == {"GO-2026-6166", "GO-2023-1495"}
    index = AdvisoryIndex(records)
    assert index.withdrawn == {"GO-2026-6166"}
    assert _matched_ids(index, "pkg:golang/github.com/lib/pq@v1.10.0") == set()
    # GO-2023-1495: introduced 0.0.0-20220524220425-1d687d428aca,
    # fixed 0.1.1-0.20221104162952-702349b0e862 (Go pseudo-versions)
    net = "pkg:golang/golang.org/x/net@"
    assert _matched_ids(index, net + "v0.1.0") == {
        "GO-2023-1495",
        "CVE-2022-41721",
        "GHSA-fxg5-wq6x-vr4w",
    }
    assert _matched_ids(index, net + "v0.1.1-0.20221104162952-702349b0e862") == set()
    assert _matched_ids(index, net + "v0.2.0") == set()
    assert _matched_ids(index, net + "v0.0.0-20220101000000-aaaaaaaaaaaa") == set()
