"""CPE names, the generic version order and NVD configuration evaluation with its guards."""

from __future__ import annotations

from functools import cache

import pytest

from psirt.domain.advisory import Advisory, CpeConfiguration, CpeMatch, CpeNode
from psirt.errors import InputError
from psirt.ingest.feeds import nvd
from psirt.matching.cpe import (
    Cpe,
    compare_versions,
    component_matches,
    parse_cpe,
    to_cpe23,
    version_sort_key,
)
from tests.conftest import require_shared

# -- parsing ------------------------------------------------------------------------------


def test_parse_cpe23_with_escapes() -> None:
    cpe = parse_cpe(r"cpe:2.3:a:Vendor\:Inc:prod\.uct:1.0\-beta:*:-:en:*:*:*:*")
    assert cpe == Cpe(
        part="a",
        vendor="vendor:inc",
        product="prod.uct",
        version="1.0-beta",
        update="*",
        edition="-",
        language="en",
    )
    assert cpe.to_fs() == r"cpe:2.3:a:vendor\:inc:prod.uct:1.0-beta:*:-:en:*:*:*:*"


def test_parse_cpe22_uri_with_packed_edition_and_percent_encoding() -> None:
    cpe = parse_cpe("cpe:/a:foo%21:bar:1.0:beta:~~pro~windows~x64~")
    assert (cpe.vendor, cpe.product, cpe.version, cpe.update) == ("foo!", "bar", "1.0", "beta")
    assert (cpe.edition, cpe.sw_edition, cpe.target_sw, cpe.target_hw, cpe.other) == (
        "*",
        "pro",
        "windows",
        "x64",
        "*",
    )
    assert to_cpe23("cpe:/o:redhat:enterprise_linux:10") == (
        "cpe:2.3:o:redhat:enterprise_linux:10:*:*:*:*:*:*:*"
    )
    assert parse_cpe("cpe:/h:intel:e810:-").version == "-"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "cpe:2.3:a:openssl",
            "cpe: CPE 2.3 name has 2 attributes, expected 11: 'cpe:2.3:a:openssl'",
        ),
        (
            "cpe:2.3:x:openssl:openssl:1.1.1:*:*:*:*:*:*:*",
            "cpe: part: part must be a, o or h: 'cpe:2.3:x:openssl:openssl:1.1.1:*:*:*:*:*:*:*'",
        ),
        (
            "cpe:2.3:a::openssl:1.1.1:*:*:*:*:*:*:*",
            "cpe: vendor: empty attribute in 'cpe:2.3:a::openssl:1.1.1:*:*:*:*:*:*:*'",
        ),
        ("pkg:pypi/requests", "cpe: not a CPE name (cpe:2.3:... or cpe:/...): 'pkg:pypi/requests'"),
        (
            "cpe:/a:a:b:c:d:e:f:g",
            "cpe: CPE 2.2 URI has 8 components, at most 7: 'cpe:/a:a:b:c:d:e:f:g'",
        ),
    ],
)
def test_parse_cpe_rejects(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_cpe(text)
    assert str(info.value) == message


# -- version order ------------------------------------------------------------------------

ORDERED = [
    "0.9.8",
    "0.9.8a",
    "0.9.8zh",
    "1.0.2",
    "1.1.0",
    "1.1.1",
    "1.1.1a",
    "1.1.1k",
    "1.1.1w",
    "2.5",
    "2.5.1",
    "2.9.0-rc0",
    "2.9.0rc1",
    "2.9.0",
    "3.0.0-alpha1",
    "3.0.0-beta2",
    "3.0.0",
    "3.0.2",
    "3.0.10",
    "7.9.8",
    "7.61.0",
    "10.2.0",
]


def test_generic_order_is_the_expected_one() -> None:
    shuffled = ORDERED[1::2] + ORDERED[0::2]
    assert sorted(shuffled, key=version_sort_key) == ORDERED
    for low, high in zip(ORDERED, ORDERED[1:], strict=False):
        assert compare_versions(low, high) == -1, (low, high)
        assert compare_versions(high, low) == 1, (low, high)


@pytest.mark.parametrize(("a", "b"), [("7.0", "7.0.0"), ("v1.2", "1.2"), ("1.1.1K", "1.1.1k")])
def test_equal_versions(a: str, b: str) -> None:
    assert compare_versions(a, b) == 0


# -- configuration evaluation on real NVD records -----------------------------------------


@cache
def _advisory(name: str, folder: str = "osv.dev") -> Advisory:
    if folder == "conversion":  # one page of many CVEs: pick the record by id
        path = require_shared(
            "nvd", "osv.dev-nvdcve-2.0", "conversion", "nvd", "testdata", "test.json"
        )
        advisories = nvd.parse(path.read_bytes(), source=path.name).advisories
        return next(a for a in advisories if a.id == name)
    if folder == "osv.dev":
        path = require_shared("nvd", "osv.dev-nvdcve-2.0", "test_data", "nvdcve-2.0", name)
    else:
        path = require_shared("nvd", "dependency-track-nvd", name)
    (adv,) = nvd.parse(path.read_bytes(), source=name).advisories
    return adv


def _hits(cpe: str, name: str, folder: str = "osv.dev", **kw: object) -> bool:
    return component_matches(cpe, _advisory(name, folder).configurations, **kw)  # type: ignore[arg-type]


pytestmark = pytest.mark.shared


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:2.3:a:webmproject:libwebp:1.3.1:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:webmproject:libwebp:1.3.2:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:WebMProject:LibWebP:1.2.4:*:*:*:*:*:*:*", True),  # case-insensitive
        # guard 1: vendor and product both required and exact
        ("cpe:2.3:a:google:libwebp:1.3.1:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:*:libwebp:1.3.1:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:webmproject:*:1.3.1:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:webmproject:libwebp2:1.3.1:*:*:*:*:*:*:*", False),
        # guard 2: part must agree
        ("cpe:2.3:o:webmproject:libwebp:1.3.1:*:*:*:*:*:*:*", False),
        ("cpe:2.3:*:webmproject:libwebp:1.3.1:*:*:*:*:*:*:*", True),
        # guard 3: an unknown version never satisfies a bounded range
        ("cpe:2.3:a:webmproject:libwebp:*:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:webmproject:libwebp:-:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:google:chrome:116.0.5845.186:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:google:chrome:116.0.5845.187:*:*:*:*:*:*:*", False),
    ],
)
def test_libwebp_cve_2023_4863(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "CVE-2023-4863.json") is expected


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:2.3:a:tensorflow:tensorflow:2.9.0:rc1:*:*:*:*:*:*", False),  # wrong vendor
        ("cpe:2.3:a:google:tensorflow:2.9.0:rc1:*:*:*:*:*:*", True),
        # guard 4: update compared exactly; the 2.9.0 release is not 2.9.0:rc0..rc2
        ("cpe:2.3:a:google:tensorflow:2.9.0:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:google:tensorflow:2.9.0:-:*:*:*:*:*:*", False),
        ("cpe:2.3:a:google:tensorflow:2.9.0:rc3:*:*:*:*:*:*", False),
        ("cpe:2.3:a:google:tensorflow:2.7.1:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:google:tensorflow:2.8.1:*:*:*:*:*:*:*", False),
        # an update on the component takes part in range checks: 2.8.0-rc1 < 2.8.0
        ("cpe:2.3:a:google:tensorflow:2.8.0:rc1:*:*:*:*:*:*", False),
        ("cpe:2.3:a:google:tensorflow:2.7.0:rc1:*:*:*:*:*:*", False),
        ("cpe:2.3:a:google:tensorflow:2.7.1:rc1:*:*:*:*:*:*", True),
    ],
)
def test_update_guard_tensorflow_cve_2022_29194(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "CVE-2022-29194.json") is expected


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:2.3:a:open62541:open62541:1.3:rc2-ef:*:*:*:*:*:*", True),
        ("cpe:2.3:a:open62541:open62541:1.3:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:open62541:open62541:1.2.4:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:open62541:open62541:1.2.5:*:*:*:*:*:*:*", False),
    ],
)
def test_update_guard_open62541_cve_2022_25761(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "CVE-2022-25761.json") is expected


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        # guard 6: target_sw consistent when both are set
        ("cpe:2.3:a:salesforce:mobile_software_development_kit:4.9:*:*:*:*:windows:*:*", True),
        ("cpe:2.3:a:salesforce:mobile_software_development_kit:4.9:*:*:*:*:android:*:*", False),
        ("cpe:2.3:a:salesforce:mobile_software_development_kit:4.9:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:salesforce:mobile_software_development_kit:5.0.0:*:*:*:*:windows:*:*", False),
    ],
)
def test_target_sw_guard_cve_2016_15012(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "CVE-2016-15012", "conversion") is expected


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:2.3:o:xen:xen:4.16.0:*:*:*:*:*:x86:*", True),
        ("cpe:2.3:o:xen:xen:4.16.0:*:*:*:*:*:arm64:*", False),  # target_hw
        ("cpe:2.3:a:xen:xen:4.16.0:*:*:*:*:*:x86:*", False),  # part
    ],
)
def test_target_hw_and_part_guards_cve_2022_33745(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "CVE-2022-33745.json") is expected


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        # guard 5: sw_edition compared when both sides give one
        ("cpe:2.3:a:gitlab:gitlab:14.4.4:*:*:*:community:*:*:*", True),
        ("cpe:2.3:a:gitlab:gitlab:14.4.4:*:*:*:enterprise:*:*:*", True),
        ("cpe:2.3:a:gitlab:gitlab:14.4.4:*:*:*:ultimate:*:*:*", False),
        ("cpe:2.3:a:gitlab:gitlab:14.5.3:*:*:*:community:*:*:*", False),
        ("cpe:2.3:a:gitlab:gitlab:14.6.0:*:*:*:*:*:*:*", True),
    ],
)
def test_edition_guard_gitlab_cve_2022_0090(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "CVE-2022-0090.json") is expected


FIRMWARE = "cpe:2.3:o:intel:ethernet_controller_e810_firmware:1.4.10:*:*:*:*:linux:*:*"
HARDWARE = "cpe:2.3:h:intel:ethernet_controller_e810:-:*:*:*:*:*:*:*"


@pytest.mark.parametrize(
    ("cpe", "platform", "expected"),
    [
        (FIRMWARE, None, True),  # environment unknown: the platform condition is assumed
        (FIRMWARE, [HARDWARE], True),
        (FIRMWARE, ["cpe:2.3:h:intel:ethernet_controller_e820:-:*:*:*:*:*:*:*"], False),
        (FIRMWARE, [], False),
        (FIRMWARE.replace("1.4.10", "1.4.11"), None, False),
        (FIRMWARE.replace(":linux:", ":windows:"), None, False),
        # the hardware is only a platform condition, never the vulnerable component
        (HARDWARE, None, False),
        (HARDWARE, [FIRMWARE], False),
    ],
)
def test_and_configuration_firmware_on_hardware_cve_2021_0002(
    cpe: str, platform: list[str] | None, expected: bool
) -> None:
    assert (
        _hits(
            cpe,
            "CVE-2021-0002-duplicate-exact-version-matches.json",
            "dependency-track",
            platform=platform,
        )
        is expected
    )


def test_and_configuration_application_on_hardware_cve_2020_13595() -> None:
    idf = "cpe:2.3:a:espressif:esp-idf:4.2:*:*:*:*:*:*:*"
    esp32 = "cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*"
    assert _hits(idf, "CVE-2020-13595.json") is True
    assert _hits(idf, "CVE-2020-13595.json", platform=[esp32]) is True
    assert (
        _hits(idf, "CVE-2020-13595.json", platform=["cpe:2.3:h:nordic:nrf52:-:*:*:*:*:*:*:*"])
        is False
    )
    assert _hits(idf.replace("4.2", "4.2.1"), "CVE-2020-13595.json") is False
    assert _hits(idf.replace("4.2", "3.3"), "CVE-2020-13595.json") is False


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", True),  # NA matches NA
        ("cpe:2.3:o:linux:linux_kernel:2.2.13:*:*:*:*:*:*:*", True),
        ("cpe:2.3:o:linux:linux_kernel:2.2.14:*:*:*:*:*:*:*", False),
        ("cpe:2.3:o:linux:linux_kernel:2.3.0:*:*:*:*:*:*:*", False),  # start excluding
        ("cpe:2.3:o:linux:linux_kernel:2.3.17:*:*:*:*:*:*:*", True),
        ("cpe:2.3:o:linux:linux_kernel:2.3.18:*:*:*:*:*:*:*", False),
        ("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", False),  # unknown version
    ],
)
def test_version_bounds_and_na_cve_1999_1341(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "cve-vuln.json", "dependency-track") is expected


def test_all_versions_vulnerable_cve_2022_31022() -> None:
    name = "CVE-2022-31022-all-versions-vulnerable.json"
    assert _hits("cpe:2.3:a:couchbase:bleve:2.3.2:*:*:*:*:*:*:*", name, "dependency-track")
    assert _hits("cpe:2.3:a:couchbase:bleve:*:*:*:*:*:*:*:*", name, "dependency-track")
    assert not _hits("cpe:2.3:a:blevesearch:bleve:2.3.2:*:*:*:*:*:*:*", name, "dependency-track")


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:2.3:a:tukaani:xz:5.6.0:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:tukaani:xz:5.6:*:*:*:*:*:*:*", True),  # 5.6 == 5.6.0
        ("cpe:2.3:a:tukaani:xz:5.6.2:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:tukaani:xz:5.4.6:*:*:*:*:*:*:*", False),
    ],
)
def test_exact_versions_xz_cve_2024_3094(cpe: str, expected: bool) -> None:
    assert _hits(cpe, "CVE-2024-3094.json") is expected


def test_c_upstream_versions_against_real_ranges() -> None:
    # curl: numeric, not lexical (7.9.8 < 7.61.1)
    dt_curl = require_shared(
        "nvd", "osv.dev-nvdcve-2.0", "conversion", "nvd", "testdata", "test.json"
    )
    curl = next(
        a
        for a in nvd.parse(dt_curl.read_bytes(), source="t").advisories
        if a.id == "CVE-2018-14618"
    )
    assert component_matches("cpe:2.3:a:haxx:libcurl:7.9.8:*:*:*:*:*:*:*", curl.configurations)
    assert component_matches("cpe:2.3:a:haxx:libcurl:7.61.0:*:*:*:*:*:*:*", curl.configurations)
    assert not component_matches("cpe:2.3:a:haxx:libcurl:7.61.1:*:*:*:*:*:*:*", curl.configurations)
    # samba 4.3.0 <= v < 4.14.14, 4.15.0 <= v < 4.15.9
    assert _hits("cpe:2.3:a:samba:samba:4.14.13:*:*:*:*:*:*:*", "CVE-2022-32746.json")
    assert not _hits("cpe:2.3:a:samba:samba:4.14.14:*:*:*:*:*:*:*", "CVE-2022-32746.json")
    assert not _hits("cpe:2.3:a:samba:samba:4.2.14:*:*:*:*:*:*:*", "CVE-2022-32746.json")
    assert _hits("cpe:2.3:a:samba:samba:4.15.8:*:*:*:*:*:*:*", "CVE-2022-32746.json")
    # busybox < 1.32.0
    assert _hits("cpe:2.3:a:busybox:busybox:1.31.1:*:*:*:*:*:*:*", "CVE-2018-1000500.json")
    assert not _hits("cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*", "CVE-2018-1000500.json")


# -- hand-built configurations: OpenSSL letters, negate, AND nodes ------------------------

OPENSSL = (
    CpeConfiguration(
        operator="OR",
        nodes=(
            CpeNode(
                operator="OR",
                negate=False,
                matches=(
                    CpeMatch(
                        criteria="cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
                        version_start_including="1.1.1",
                        version_end_excluding="1.1.1w",
                    ),
                    CpeMatch(
                        criteria="cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
                        version_start_including="3.0.0",
                        version_end_excluding="3.0.11",
                    ),
                ),
            ),
        ),
    ),
)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.1.1", True),
        ("1.1.1k", True),
        ("1.1.1v", True),
        ("1.1.1w", False),
        ("1.1.0l", False),
        ("3.0.2", True),
        ("3.0.10", True),
        ("3.0.11", False),
        ("3.1.0", False),
    ],
)
def test_openssl_letter_versions(version: str, expected: bool) -> None:
    cpe = f"cpe:2.3:a:openssl:openssl:{version}:*:*:*:*:*:*:*"
    assert component_matches(cpe, OPENSSL) is expected


def test_negated_platform_node() -> None:
    lib = CpeMatch(criteria="cpe:2.3:a:acme:lib:*:*:*:*:*:*:*:*", version_end_excluding="2.0")
    not_windows = CpeMatch(criteria="cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*", vulnerable=False)
    conf = (
        CpeConfiguration(
            operator="AND",
            nodes=(
                CpeNode(operator="OR", negate=False, matches=(lib,)),
                CpeNode(operator="OR", negate=True, matches=(not_windows,)),
            ),
        ),
    )
    cpe = "cpe:2.3:a:acme:lib:1.5:*:*:*:*:*:*:*"
    linux = "cpe:2.3:o:linux:linux_kernel:6.1:*:*:*:*:*:*:*"
    windows = "cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*"
    assert component_matches(cpe, conf) is True
    assert component_matches(cpe, conf, platform=[linux]) is True
    assert component_matches(cpe, conf, platform=[windows]) is False
    # a negated node never implicates the component by itself
    only_negated = (CpeConfiguration("OR", (CpeNode("OR", True, (lib,)),)),)
    assert component_matches(cpe, only_negated) is False


def test_and_node_within_one_node() -> None:
    app = CpeMatch(criteria="cpe:2.3:a:acme:agent:1.0:*:*:*:*:*:*:*")
    os_ = CpeMatch(criteria="cpe:2.3:o:acme:rtos:*:*:*:*:*:*:*:*", vulnerable=False)
    conf = (CpeConfiguration("OR", (CpeNode("AND", False, (app, os_)),)),)
    cpe = "cpe:2.3:a:acme:agent:1.0:*:*:*:*:*:*:*"
    assert component_matches(cpe, conf) is True
    assert component_matches(cpe, conf, platform=["cpe:2.3:o:acme:rtos:3.1:*:*:*:*:*:*:*"])
    assert not component_matches(cpe, conf, platform=["cpe:2.3:o:other:rtos:3.1:*:*:*:*:*:*:*"])


def test_component_must_be_a_cpe() -> None:
    with pytest.raises(InputError, match=r"^component: not a CPE name"):
        component_matches("pkg:generic/openssl@3.0.2", OPENSSL)
