"""ecosystem_from_purl reads plain purls without packageurl-python: same answers as with it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psirt import versions
from psirt.versions import _DEFER, _ecosystem_from_parts, _packageurl_parts, _plain_purl_parts
from tests.conftest import require_shared


def reference(purl: str) -> tuple[str, str] | None:
    """ecosystem_from_purl with every purl read by packageurl-python."""
    parts = _packageurl_parts(purl.strip())
    return None if parts is None else _ecosystem_from_parts(*parts)


PLAIN = [
    ("pkg:pypi/Django_Rest@2.2.0", ("PyPI", "django-rest")),
    ("pkg:PyPI/zope.interface@5.0", ("PyPI", "zope.interface")),
    ("pkg:npm/@Angular/Core@12.0.0", ("npm", "@Angular/core")),
    ("pkg:npm/lodash@4.17.20", ("npm", "lodash")),
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", None),
    ("pkg:golang/github.com/BurntSushi/toml@v1.2.0", ("Go", "github.com/BurntSushi/toml")),
    ("pkg:golang/github.com//gin-gonic//gin@v1.7.0", ("Go", "github.com/gin-gonic/gin")),
    ("pkg:composer/Symfony/HTTP-Kernel@5.0.0", ("Packagist", "symfony/http-kernel")),
    ("pkg:pub/Http.Client@0.13.0", ("Pub", "http_client")),
    ("pkg:hackage/foo_bar@1.0", ("Hackage", "foo-bar")),
    ("pkg:nuget/Newtonsoft.Json@12.0.1", ("NuGet", "Newtonsoft.Json")),
    ("pkg:deb/debian/curl@7.74.0-1.3+deb11u1?arch=amd64&distro=debian-11", ("Debian:11", "curl")),
    ("pkg:deb/Debian/curl@7.74.0?DISTRO=bullseye", ("Debian:11", "curl")),
    ("pkg:deb/debian/curl@7.74.0?distro=debian-10&distro=debian-11", ("Debian:11", "curl")),
    ("pkg:deb/debian/curl@7.74.0?distro=&arch=amd64", ("Debian", "curl")),
    ("pkg:apk/Alpine/musl@1.2.4-r1?distro=3.18.4", ("Alpine:v3.18", "musl")),
    ("pkg:rpm/almalinux/openssl@3.0.7-1.el9?arch=x86_64&distro=almalinux-9", None),
    ("pkg:cran/ggplot2", ("CRAN", "ggplot2")),
    ("pkg:pypi/foo@1.0@2.0", ("PyPI", "foo@1.0")),
]
REFUSED = [
    "pkg:pypi/@1.0",
    "pkg:npm/@scope@1.0",
    "pkg:deb/debian/curl@1.0?arch",
    "pkg:deb/debian/curl@1.0?1arch=x",
    "pkg:deb/debian/curl@1.0?ar^ch=x",
    "pkg:generic/openssl@1.1.1",
    "pkg:Python/foo@1",
]


@pytest.mark.parametrize(("purl", "expected"), PLAIN)
def test_plain_purls_skip_packageurl(purl: str, expected: tuple[str, str] | None) -> None:
    assert _plain_purl_parts(purl) is not _DEFER
    assert versions.ecosystem_from_purl(purl) == reference(purl)
    if expected is not None:
        assert versions.ecosystem_from_purl(purl) == expected


@pytest.mark.parametrize("purl", REFUSED)
def test_refused_like_packageurl(purl: str) -> None:
    assert _plain_purl_parts(purl) is None
    assert reference(purl) is None


@pytest.mark.parametrize(
    "purl",
    [
        "pkg:npm/%40angular/core@12.0.0",
        "pkg:rpm/almalinux/openssl@1:3.0.7?distro=almalinux-9",
        "pkg:pypi/django@2.2#sub/path",
        "pkg:pypi/django@2.2 ",
        "pkg:pypi//django@2.2",
        "pkg://pypi/django@2.2",
        "pkg:1pypi/django@2.2",
        "pkg:pypi/dj\u00e4ngo@2.2",
    ],
)
def test_other_spellings_go_to_packageurl(purl: str) -> None:
    assert _plain_purl_parts(purl) is _DEFER
    assert versions.ecosystem_from_purl(purl) == reference(purl)


PIECES = [
    "pkg:", "pkg:", "PKG:", "pypi", "PyPI", "npm", "maven", "golang", "composer", "pub",
    "hackage", "deb", "apk", "rpm", "cran", "swift", "generic", "1x", "/", "/", "//", "@",
    "@", "?", "&", "=", "distro", "DISTRO", "arch", "debian", "alpine", "almalinux",
    "debian-11", "bullseye", "almalinux-9", "3.18", "Foo", "bar_baz", "a.b", "-", "_", ".",
    "1.0", "v2", "%40", "%2F", "%3A", ":", "#", " ", "\t", "[", "]", "\\", "\u00e4", "+",
    "~", "!", "^", "$", "'",
]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_any_text_reads_as_packageurl_reads_it(pieces: list[str]) -> None:
    purl = "".join(pieces)
    assert versions.ecosystem_from_purl(purl) == reference(purl)


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(["pypi", "npm", "golang", "deb", "apk", "rpm", "composer", "pub", "maven"]),
    st.lists(st.text(alphabet="aB_.-~!3/", min_size=1, max_size=6), min_size=1, max_size=4),
    st.text(alphabet="0123456789.-+~@", max_size=8),
    st.lists(
        st.tuples(st.sampled_from(["distro", "Distro", "arch", "x1", "", "2a"]),
                  st.text(alphabet="abdeilnu0123456789.-", max_size=10)),
        max_size=3,
    ),
)  # fmt: skip
def test_structured_purls_read_as_packageurl_reads_them(
    ptype: str, segments: list[str], version: str, qualifiers: list[tuple[str, str]]
) -> None:
    purl = f"pkg:{ptype}/{'/'.join(segments)}"
    if version:
        purl += f"@{version}"
    if qualifiers:
        purl += "?" + "&".join(f"{k}={v}" for k, v in qualifiers)
    assert versions.ecosystem_from_purl(purl) == reference(purl)


def _purls(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["purl"]] if isinstance(value.get("purl"), str) else []
        return found + [p for v in value.values() for p in _purls(v)]
    if isinstance(value, list):
        return [p for v in value for p in _purls(v)]
    return []


def test_real_sbom_purls() -> None:
    folder = require_shared("sbom")
    purls: set[str] = set()
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            purls.update(_purls(json.loads(path.read_bytes())))
        except (ValueError, RecursionError):
            continue
    if not purls:
        pytest.skip("no CycloneDX JSON purls in the shared SBOMs")
    plain = [p for p in purls if _plain_purl_parts(p.strip()) is not _DEFER]
    assert len(plain) > len(purls) // 2
    for purl in sorted(purls):
        assert versions.ecosystem_from_purl(purl) == reference(purl), purl


def test_pattern_is_ascii_only() -> None:
    assert re.fullmatch(versions._PLAIN_PURL, "pkg:pypi/dj\u00e4ngo") is None
