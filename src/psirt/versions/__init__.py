"""Version ordering, one module per version scheme, and the OSV ecosystem registry.

Every scheme module (``psirt/versions/<scheme>.py``) exposes ``NAME`` and a pure, cached
``sort_key(version) -> VersionKey``.  Keys of one scheme compare with ``<`` and ``==``;
strings a scheme cannot parse sort after every valid version, consistently among
themselves.  :data:`SCHEMES` maps each OSV base ecosystem to its scheme; ecosystems
known to the OSV schema whose ordering psirt does not implement are listed in
:data:`UNSUPPORTED` and raise :class:`~psirt.errors.UnknownEcosystem`, as does any
other name: an ordering is never guessed.
"""

from __future__ import annotations

import re
from typing import Any, Protocol
from urllib.parse import unquote

from psirt.errors import UnknownEcosystem
from psirt.versions import (
    apk,
    cran,
    dpkg,
    hackage,
    maven,
    nuget,
    packagist,
    pub,
    pypi,
    rpm,
    rubygems,
    semver,
)

VersionKey = tuple[Any, ...]


class Scheme(Protocol):
    """What each scheme module provides at module level."""

    NAME: str

    def sort_key(self, version: str) -> VersionKey: ...


SCHEMES: dict[str, Scheme] = {
    "AlmaLinux": rpm,
    "Alpaquita": apk,
    "Alpine": apk,
    "BellSoft Hardened Containers": apk,
    "Bioconductor": cran,
    "Bitnami": semver,
    "Chainguard": apk,
    "CRAN": cran,
    "crates.io": semver,
    "Debian": dpkg,
    "Echo": dpkg,
    "GHC": hackage,
    "Go": semver,
    "Hackage": hackage,
    "Hex": semver,
    "Mageia": rpm,
    "Maven": maven,
    "MinimOS": apk,
    "npm": semver,
    "NuGet": nuget,
    "openEuler": rpm,
    "openSUSE": rpm,
    "Packagist": packagist,
    "Pub": pub,
    "PyPI": pypi,
    "Red Hat": rpm,
    "Rocky Linux": rpm,
    "RubyGems": rubygems,
    "SUSE": rpm,
    "SwiftURL": semver,
    "Ubuntu": dpkg,
    "VSCode": semver,
    "Wolfi": apk,
}

# Ecosystems named in the OSV schema for which psirt knows no version ordering.
UNSUPPORTED: frozenset[str] = frozenset(
    {
        "Android",
        "Azure Linux",
        "CleanStart",
        "ConanCenter",
        "Docker Hardened Images",
        "FreeBSD",
        "GIT",
        "GitHub Actions",
        "Julia",
        "Kubernetes",
        "Linux",
        "opam",
        "OSS-Fuzz",
        "Photon OS",
        "Root",
        "TuxCare",
    }
)

# Ecosystems whose package names are case-insensitive, so the matching key is lower case.
_CASE_INSENSITIVE = frozenset({"npm", "NuGet", "Packagist", "Hex", "crates.io", "Pub"})
_PEP503 = re.compile(r"[-_.]+")


def base_ecosystem(ecosystem: str) -> str:
    """The ecosystem without its release suffix: ``"Debian:11"`` -> ``"Debian"``."""
    return ecosystem.partition(":")[0].strip()


def canonical_ecosystem(ecosystem: str) -> str:
    """The ecosystem string used as a matching key.

    Ubuntu releases are written with ``:LTS`` and ``:Pro`` variants
    (``Ubuntu:Pro:18.04:LTS``) that osv.dev treats as the plain release
    (``Ubuntu:18.04``); every other ecosystem string is returned unchanged.
    """
    if base_ecosystem(ecosystem) == "Ubuntu":
        parts = [p for p in ecosystem.split(":") if p not in ("LTS", "Pro")]
        return ":".join(parts)
    return ecosystem


def scheme_for(ecosystem: str) -> Scheme:
    """The version scheme of an OSV ecosystem string (suffixes such as ``:11`` allowed)."""
    scheme = SCHEMES.get(base_ecosystem(ecosystem))
    if scheme is None:
        raise UnknownEcosystem(ecosystem)
    return scheme


def sort_key(ecosystem: str, version: str) -> VersionKey:
    """Sort key of ``version`` in ``ecosystem``; raises UnknownEcosystem."""
    return scheme_for(ecosystem).sort_key(version)


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, equal to or after ``b`` in ``ecosystem``."""
    key = scheme_for(ecosystem).sort_key
    ka, kb = key(a), key(b)
    return -1 if ka < kb else (1 if kb < ka else 0)


def normalize_name(ecosystem: str, name: str) -> str:
    """The package-name key used for matching within ``ecosystem``.

    PyPI names follow PEP 503 (lower case, runs of ``-_.`` become ``-``); names in
    ecosystems whose registries ignore case are lower-cased; Maven ``group:artifact``,
    Go module paths and distribution package names are kept as written.
    """
    base = base_ecosystem(ecosystem)
    name = name.strip()
    if base == "PyPI":
        return _PEP503.sub("-", name).lower()
    if base in _CASE_INSENSITIVE:
        return name.lower()
    return name


# --- package URLs ---------------------------------------------------------------------

_SIMPLE_PURL_TYPES = {
    "pypi": "PyPI",
    "cargo": "crates.io",
    "nuget": "NuGet",
    "gem": "RubyGems",
    "pub": "Pub",
    "hex": "Hex",
    "cran": "CRAN",
    "hackage": "Hackage",
    "bitnami": "Bitnami",
    "conan": "ConanCenter",
}

_DEBIAN_CODENAMES = {
    "buzz": "1.1",
    "rex": "1.2",
    "bo": "1.3",
    "hamm": "2.0",
    "slink": "2.1",
    "potato": "2.2",
    "woody": "3.0",
    "sarge": "3.1",
    "etch": "4",
    "lenny": "5",
    "squeeze": "6",
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}

_UBUNTU_CODENAMES = {
    "trusty": "14.04",
    "xenial": "16.04",
    "bionic": "18.04",
    "cosmic": "18.10",
    "disco": "19.04",
    "eoan": "19.10",
    "focal": "20.04",
    "groovy": "20.10",
    "hirsute": "21.04",
    "impish": "21.10",
    "jammy": "22.04",
    "kinetic": "22.10",
    "lunar": "23.04",
    "mantic": "23.10",
    "noble": "24.04",
    "oracular": "24.10",
    "plucky": "25.04",
    "questing": "25.10",
}

_RPM_NAMESPACES = {
    "almalinux": "AlmaLinux",
    "redhat": "Red Hat",
    "rocky": "Rocky Linux",
    "rocky-linux": "Rocky Linux",
    "rockylinux": "Rocky Linux",
    "suse": "SUSE",
    "sles": "SUSE",
    "opensuse": "openSUSE",
    "mageia": "Mageia",
    "openeuler": "openEuler",
}

_APK_NAMESPACES = {"alpine": "Alpine", "wolfi": "Wolfi", "chainguard": "Chainguard"}

_NUMERIC_RELEASE = re.compile(r"^(\d+(?:\.\d+)*)$")


def _distro_release(distro: str, prefixes: tuple[str, ...]) -> str | None:
    """``"debian-11.7"`` -> ``"11.7"``; ``"11"`` -> ``"11"``; anything else -> None."""
    text = distro.strip().lower()
    for prefix in prefixes:
        if text.startswith(prefix + "-"):
            text = text[len(prefix) + 1 :]
            break
    text = text.removeprefix("v")
    return text if _NUMERIC_RELEASE.match(text) else None


def _deb_ecosystem(namespace: str, distro: str | None) -> str | None:
    if namespace == "debian":
        if not distro:
            return "Debian"
        code = distro.strip().lower()
        if code.removeprefix("debian-") in ("sid", "unstable"):
            return "Debian:sid"
        if code.removeprefix("debian-") in _DEBIAN_CODENAMES:
            return "Debian:" + _DEBIAN_CODENAMES[code.removeprefix("debian-")]
        release = _distro_release(code, ("debian",))
        if release is None:
            return "Debian"
        major = release.split(".")[0]
        # Debian releases from 4 on are named by their major number only.
        return "Debian:" + (major if int(major) >= 4 else release)
    if namespace == "ubuntu":
        if not distro:
            return "Ubuntu"
        code = distro.strip().lower().removeprefix("ubuntu-")
        if code in _UBUNTU_CODENAMES:
            return "Ubuntu:" + _UBUNTU_CODENAMES[code]
        release = _distro_release(code, ())
        if release is None:
            return "Ubuntu"
        return "Ubuntu:" + ".".join(release.split(".")[:2])
    return None


def _apk_ecosystem(namespace: str, distro: str | None) -> str | None:
    base = _APK_NAMESPACES.get(namespace)
    if base is None or base != "Alpine" or not distro:
        return base
    release = _distro_release(distro, ("alpine",))
    if release is None:
        return base
    return "Alpine:v" + ".".join(release.split(".")[:2])


def _rpm_ecosystem(namespace: str, distro: str | None) -> str | None:
    base = _RPM_NAMESPACES.get(namespace)
    if base is None or not distro:
        return base
    text = distro.strip()
    low = text.lower()
    if base in ("AlmaLinux", "Rocky Linux", "Mageia"):
        release = _distro_release(low, (namespace, "almalinux", "rocky", "rocky-linux", "mageia"))
        if release is None:
            return base
        if base == "Mageia":
            return f"{base}:{release}"
        return f"{base}:{release.split('.')[0]}"
    if base == "openSUSE":
        for flavour in ("leap-micro", "leap", "tumbleweed"):
            prefix = f"opensuse-{flavour}"
            if low.startswith(prefix):
                rest = low[len(prefix) :].lstrip("-")
                label = "Leap Micro" if flavour == "leap-micro" else flavour.capitalize()
                return f"openSUSE:{label} {rest}" if rest else f"openSUSE:{label}"
        return base
    # Red Hat (needs a CPE), SUSE (a marketing name) and openEuler cannot be derived
    # from a distro qualifier reliably: the base ecosystem is returned.
    return base


# Purl types ecosystem_from_purl maps; every other type has no OSV ecosystem.
_MAPPED_PURL_TYPES = frozenset(
    {*_SIMPLE_PURL_TYPES, "npm", "maven", "golang", "composer", "swift", "deb", "apk", "rpm"}
)
# packageurl-python's per-type normalisation (packageurl.normalize_namespace/_name).
_LOWER_NAMESPACE_TYPES = frozenset(
    {"bitbucket", "github", "pypi", "gitlab", "composer", "luarocks", "qpkg", "alpm", "apk", "hex"}
)
_LOWER_NAME_TYPES = frozenset(
    {"bitbucket", "github", "pypi", "gitlab", "composer", "luarocks", "oci", "npm", "alpm"}
    | {"apk", "bitnami", "hex", "pub"}
)
_PUB_NAME = re.compile(r"[^a-z0-9]")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
# Purl text that packageurl-python takes apart exactly like a plain split: printable ASCII
# without percent-escapes, colons (URL scheme and authority), fragments, brackets or
# backslashes, and no empty segment right after the type.
_PLAIN_PURL = re.compile(r'pkg:[A-Za-z.\-_][!"$&-.0-9;-Z^-~]*/[!"$&-.0-9;-Z^-~][!"$&-9;-Z^-~]*')
_DEFER = object()

# (type, namespace, name, distro qualifier)
_PurlParts = tuple[str, str, str, str | None]


def _plain_purl_parts(purl: str) -> _PurlParts | None | object:
    """The parts of a purl in the common plain spelling, as packageurl-python would
    return them; ``_DEFER`` when the text needs packageurl-python's full parser."""
    if not _PLAIN_PURL.fullmatch(purl):
        return _DEFER
    ptype, _, rest = purl[4:].partition("/")
    ptype = ptype.lower()
    if ptype not in _MAPPED_PURL_TYPES:
        return None
    path, _, query = rest.partition("?")
    namespace = ""
    if ptype == "npm" and path.startswith("@"):
        namespace, _, path = path.partition("/")
    head, sep, _version = path.rpartition("@")
    if not sep:
        head = _version
    parts = [seg for seg in head.split("/") if seg]
    name = ""
    if not namespace and len(parts) > 1:
        name = parts[-1]
        namespace = "/".join(parts[:-1])
    elif len(parts) == 1:
        name = parts[0]
    if not name:
        return None
    if namespace:
        if ptype in _LOWER_NAMESPACE_TYPES:
            namespace = namespace.lower()
        namespace = "/".join(seg for seg in namespace.split("/") if seg)
    if ptype in _LOWER_NAME_TYPES:
        name = name.lower()
    if ptype == "pypi":
        name = name.replace("_", "-")
    elif ptype == "hackage":
        name = name.replace("_", "-")
    elif ptype == "pub":
        name = _PUB_NAME.sub("_", name)
    distro = None
    if query:
        pairs = query.split("&")
        if any("=" not in kv for kv in pairs):
            return None
        for kv in pairs:
            key, _, value = kv.partition("=")
            if not key or not value:
                continue
            if key[0].isdigit() or not _KEY_CHARS.issuperset(key):
                return None
            if key.lower() == "distro":
                distro = value
    return ptype, namespace, name, distro


def _packageurl_parts(purl: str) -> _PurlParts | None:
    """The parts of any purl through packageurl-python (None when it refuses the text)."""
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    qualifiers = p.qualifiers if isinstance(p.qualifiers, dict) else {}
    return p.type.lower(), p.namespace or "", p.name, qualifiers.get("distro")


def ecosystem_from_purl(purl: str) -> tuple[str, str] | None:
    """``(OSV ecosystem, package name as OSV writes it)`` for a package URL.

    Returns None for a string that is not a package URL or for a type without an OSV
    ecosystem.  Distribution purls take the release from the ``distro`` qualifier
    (``pkg:deb/debian/curl?distro=debian-11`` -> ``("Debian:11", "curl")``) and fall
    back to the base ecosystem without it.  Purls are read as packageurl-python reads
    them; the common plain spelling is taken apart without it (same parts, tested).
    """
    text = purl.strip()
    parts = _plain_purl_parts(text)
    if parts is _DEFER:
        parts = _packageurl_parts(text)
    if parts is None:
        return None
    assert isinstance(parts, tuple)
    return _ecosystem_from_parts(*parts)


def _ecosystem_from_parts(
    ptype: str, namespace: str, name: str, distro: str | None
) -> tuple[str, str] | None:
    if ptype in _SIMPLE_PURL_TYPES:
        return _SIMPLE_PURL_TYPES[ptype], name
    if ptype == "npm":
        return "npm", f"{unquote(namespace)}/{name}" if namespace else name
    if ptype == "maven":
        return ("Maven", f"{namespace}:{name}") if namespace else None
    if ptype == "golang":
        return "Go", f"{namespace}/{name}" if namespace else name
    if ptype == "composer":
        return "Packagist", f"{namespace}/{name}" if namespace else name
    if ptype == "swift":
        return "SwiftURL", f"{namespace}/{name}" if namespace else name
    ns = namespace.lower()
    if ptype == "deb":
        ecosystem = _deb_ecosystem(ns, distro)
    elif ptype == "apk":
        ecosystem = _apk_ecosystem(ns, distro)
    elif ptype == "rpm":
        ecosystem = _rpm_ecosystem(ns, distro)
    else:
        ecosystem = None
    return (ecosystem, name) if ecosystem else None


__all__ = [
    "SCHEMES",
    "UNSUPPORTED",
    "Scheme",
    "VersionKey",
    "base_ecosystem",
    "canonical_ecosystem",
    "compare",
    "ecosystem_from_purl",
    "normalize_name",
    "scheme_for",
    "sort_key",
]
