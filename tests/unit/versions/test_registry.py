"""Ecosystem registry, name normalisation and package-URL mapping."""

from __future__ import annotations

import json

import pytest

from psirt.errors import UnknownEcosystem
from psirt.versions import (
    SCHEMES,
    UNSUPPORTED,
    apk,
    base_ecosystem,
    canonical_ecosystem,
    compare,
    cran,
    dpkg,
    ecosystem_from_purl,
    hackage,
    maven,
    normalize_name,
    pypi,
    rpm,
    scheme_for,
    semver,
    sort_key,
)
from tests.conftest import require_shared


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Debian:11", dpkg),
        ("Ubuntu:22.04:LTS", dpkg),
        ("Ubuntu:Pro:18.04:LTS", dpkg),
        ("Alpine:v3.18", apk),
        ("AlmaLinux:9", rpm),
        ("Red Hat:rhel_aus:8.4::appstream", rpm),
        ("Rocky Linux:8", rpm),
        ("SUSE:Linux Enterprise Server 15 SP5", rpm),
        ("openSUSE:Leap 15.5", rpm),
        ("Mageia:9", rpm),
        ("Maven", maven),
        ("Maven:https://maven.google.com", maven),
        ("PyPI", pypi),
        ("Go", semver),
        ("npm", semver),
        ("crates.io", semver),
        ("Hex", semver),
        ("Bitnami", semver),
        ("SwiftURL", semver),
        ("CRAN", cran),
        ("Bioconductor", cran),
        ("Hackage", hackage),
        ("GHC", hackage),
    ],
)
def test_scheme_for_suffixed_ecosystems(ecosystem: str, scheme: object) -> None:
    assert scheme_for(ecosystem) is scheme


@pytest.mark.parametrize("ecosystem", ["Linux", "Android", "GIT", "pypi", "", "Nonsense:1"])
def test_unknown_ecosystem_raises(ecosystem: str) -> None:
    with pytest.raises(UnknownEcosystem) as info:
        scheme_for(ecosystem)
    assert info.value.ecosystem == ecosystem
    with pytest.raises(UnknownEcosystem):
        compare(ecosystem, "1", "2")


def test_every_schema_ecosystem_has_a_scheme_or_is_listed_unsupported() -> None:
    path = require_shared("osv", "schema", "ecosystems.json")
    names = set(json.loads(path.read_text(encoding="utf-8")))
    assert {"PyPI", "Debian", "Maven"} <= names
    missing = sorted(n for n in names if n not in SCHEMES and n not in UNSUPPORTED)
    assert not missing, f"ecosystems with neither a scheme nor an UNSUPPORTED entry: {missing}"
    assert not set(SCHEMES) & UNSUPPORTED
    for name in names & UNSUPPORTED:
        with pytest.raises(UnknownEcosystem):
            sort_key(name, "1.0")


def test_every_scheme_is_a_module_with_name_and_key() -> None:
    names = {scheme.NAME for scheme in SCHEMES.values()}
    assert names == {
        "apk", "cran", "dpkg", "hackage", "maven", "nuget", "packagist", "pub", "pep440",
        "rpm", "rubygems", "semver",
    }  # fmt: skip


def test_base_and_canonical_ecosystem() -> None:
    assert base_ecosystem("Debian:11") == "Debian"
    assert base_ecosystem("Red Hat:rhel_aus:8.4::appstream") == "Red Hat"
    assert base_ecosystem("PyPI") == "PyPI"
    assert canonical_ecosystem("Ubuntu:Pro:18.04:LTS") == "Ubuntu:18.04"
    assert canonical_ecosystem("Ubuntu:22.04:LTS") == "Ubuntu:22.04"
    assert canonical_ecosystem("Debian:11") == "Debian:11"


# --- the peer bugs psirt must not have ------------------------------------------------


def test_versions_are_not_ordered_as_strings() -> None:
    versions = ["1.10.0", "1.9.0", "1.2.0", "10.0", "2.0"]
    ordered = sorted(versions, key=lambda v: sort_key("PyPI", v))
    assert ordered == ["1.2.0", "1.9.0", "1.10.0", "2.0", "10.0"]
    assert versions == ["1.10.0", "1.9.0", "1.2.0", "10.0", "2.0"]  # input untouched


def test_pep440_prerelease_sorts_before_release() -> None:
    assert compare("PyPI", "5.1b7", "5.1") == -1
    assert compare("PyPI", "5.1", "5.1b7") == 1
    assert compare("PyPI", "5.1rc1", "5.1.0") == -1


def test_pep440_trailing_zero_is_equal() -> None:
    assert compare("PyPI", "2.2.0", "2.2") == 0
    assert sort_key("PyPI", "2.2.0") == sort_key("PyPI", "2.2")
    assert hash(sort_key("PyPI", "2.2.0")) == hash(sort_key("PyPI", "2.2"))


def test_invalid_versions_sort_after_valid_ones() -> None:
    assert compare("npm", "not-a-version", "999.0.0") == 1
    assert compare("Go", "vX", "v1.2.3") == 1
    assert compare("Debian:12", "x:1.0", "99:1.0") == 1
    assert compare("CRAN", "1.0a", "99.0") == 1
    assert compare("NuGet", "abc", "1.0.0") == 1
    assert compare("npm", "bogus-a", "bogus-b") == -1


def test_distribution_orderings() -> None:
    assert compare("Debian:11", "1.0~rc1-1", "1.0-1") == -1
    assert compare("Debian:11", "1:0.9", "2.0") == 1
    assert compare("Ubuntu:22.04:LTS", "2.4.52-1ubuntu4.3", "2.4.52-1ubuntu4.10") == -1
    assert compare("AlmaLinux:9", "1.0~rc1", "1.0") == -1
    assert compare("AlmaLinux:9", "1.0^git1", "1.0") == 1
    assert compare("AlmaLinux:9", "1.0^git1", "1.0.1") == -1
    assert compare("AlmaLinux:9", "1:1.0-1.el9", "2.0-1.el9") == 1
    assert compare("Alpine:v3.18", "1.2.3_rc1-r0", "1.2.3-r0") == -1
    assert compare("Alpine:v3.18", "1.2.3-r10", "1.2.3-r9") == 1
    assert compare("Maven", "1.0-SNAPSHOT", "1.0") == -1
    assert compare("Maven", "1.0.RELEASE", "1.0") == 0
    assert compare("Go", "v0.0.0-20210101000000-abcdef123456", "v0.1.0") == -1


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ecosystem", "name", "key"),
    [
        ("PyPI", "Django", "django"),
        ("PyPI", "zope.interface", "zope-interface"),
        ("PyPI", "Foo__Bar-.baz", "foo-bar-baz"),
        ("npm", "@Scope/Pkg", "@scope/pkg"),
        ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
        ("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel"),
        ("Hex", "Plug", "plug"),
        ("crates.io", "Serde", "serde"),
        ("Maven", "org.Apache.logging:log4j-Core", "org.Apache.logging:log4j-Core"),
        ("Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
        ("Debian:11", "libxml2", "libxml2"),
        ("RubyGems", "ActiveSupport", "ActiveSupport"),
    ],
)
def test_normalize_name(ecosystem: str, name: str, key: str) -> None:
    assert normalize_name(ecosystem, name) == key


# --- package URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:pypi/django@2.2.0", ("PyPI", "django")),
        ("pkg:npm/%40angular/core@12.0.0", ("npm", "@angular/core")),
        ("pkg:npm/lodash@4.17.20", ("npm", "lodash")),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ("Maven", "org.apache.logging.log4j:log4j-core"),
        ),
        ("pkg:golang/github.com/gin-gonic/gin@v1.7.0", ("Go", "github.com/gin-gonic/gin")),
        ("pkg:golang/stdlib@1.20", ("Go", "stdlib")),
        ("pkg:cargo/serde@1.0.0", ("crates.io", "serde")),
        ("pkg:nuget/Newtonsoft.Json@12.0.1", ("NuGet", "Newtonsoft.Json")),
        ("pkg:gem/rails@6.0.0", ("RubyGems", "rails")),
        ("pkg:composer/symfony/http-kernel@5.0.0", ("Packagist", "symfony/http-kernel")),
        ("pkg:pub/http@0.13.0", ("Pub", "http")),
        ("pkg:hex/plug@1.0.0", ("Hex", "plug")),
        ("pkg:cran/ggplot2@3.3.0", ("CRAN", "ggplot2")),
        ("pkg:hackage/aeson@2.0.0.0", ("Hackage", "aeson")),
        ("pkg:swift/github.com/apple/swift-nio@2.0.0", ("SwiftURL", "github.com/apple/swift-nio")),
        ("pkg:bitnami/wordpress@6.0.0", ("Bitnami", "wordpress")),
        ("pkg:deb/debian/curl@7.74.0-1.3?distro=debian-11", ("Debian:11", "curl")),
        ("pkg:deb/debian/curl@7.74.0-1.3?distro=bullseye", ("Debian:11", "curl")),
        ("pkg:deb/debian/curl@7.74.0-1.3?distro=debian-11.7&arch=amd64", ("Debian:11", "curl")),
        ("pkg:deb/debian/curl@7.74.0-1.3", ("Debian", "curl")),
        ("pkg:deb/ubuntu/openssl@3.0.2?distro=ubuntu-22.04", ("Ubuntu:22.04", "openssl")),
        ("pkg:deb/ubuntu/openssl@3.0.2?distro=jammy", ("Ubuntu:22.04", "openssl")),
        ("pkg:deb/ubuntu/openssl@3.0.2", ("Ubuntu", "openssl")),
        ("pkg:apk/alpine/musl@1.2.4-r1?distro=alpine-3.18", ("Alpine:v3.18", "musl")),
        ("pkg:apk/alpine/musl@1.2.4-r1?distro=3.18.4", ("Alpine:v3.18", "musl")),
        ("pkg:apk/alpine/musl@1.2.4-r1", ("Alpine", "musl")),
        ("pkg:rpm/almalinux/openssl@3.0.7?distro=almalinux-9", ("AlmaLinux:9", "openssl")),
        ("pkg:rpm/almalinux/openssl@3.0.7?distro=almalinux-9.2", ("AlmaLinux:9", "openssl")),
        ("pkg:rpm/rocky-linux/openssl@3.0.7?distro=rocky-8", ("Rocky Linux:8", "openssl")),
        ("pkg:rpm/rocky/openssl@3.0.7?distro=rocky-8", ("Rocky Linux:8", "openssl")),
        ("pkg:rpm/mageia/openssl@3.0.7?distro=mageia-9", ("Mageia:9", "openssl")),
        ("pkg:rpm/opensuse/curl@8.0?distro=opensuse-leap-15.5", ("openSUSE:Leap 15.5", "curl")),
        ("pkg:rpm/opensuse/curl@8.0?distro=opensuse-tumbleweed", ("openSUSE:Tumbleweed", "curl")),
        ("pkg:rpm/suse/curl@8.0?distro=sles-15.5", ("SUSE", "curl")),
        ("pkg:rpm/redhat/openssl@3.0.7?distro=rhel-9", ("Red Hat", "openssl")),
        ("pkg:rpm/almalinux/openssl@3.0.7", ("AlmaLinux", "openssl")),
    ],
)
def test_ecosystem_from_purl(purl: str, expected: tuple[str, str]) -> None:
    assert ecosystem_from_purl(purl) == expected


@pytest.mark.parametrize(
    "purl",
    [
        "pkg:generic/openssl@1.1.1",
        "pkg:rpm/fedora/curl@8.0",
        "pkg:deb/kali/curl@8.0",
        "pkg:maven/log4j@1.0",
        "not a purl",
        "",
    ],
)
def test_ecosystem_from_purl_unknown(purl: str) -> None:
    assert ecosystem_from_purl(purl) is None
