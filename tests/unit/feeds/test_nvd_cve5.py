"""NVD CVE API 2.0 and CVE JSON 5 parsers: real records from shared data, invalid assets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from psirt.domain.advisory import CpeConfiguration, CpeMatch, CpeNode
from psirt.errors import InputError
from psirt.ingest.feeds import FeedFormat, cve5, nvd
from tests.conftest import ASSETS, require_shared

NVD_ASSETS = ASSETS / "feeds" / "nvd"
CVE5_ASSETS = ASSETS / "feeds" / "cve5"


def _nvd(*parts: str):
    path = require_shared("nvd", *parts)
    return nvd.parse(path.read_bytes(), source=path.name)


def _osvdev(name: str):
    return _nvd("osv.dev-nvdcve-2.0", "test_data", "nvdcve-2.0", name)


@pytest.mark.shared
def test_nvd_page_libwebp() -> None:
    batch = _osvdev("CVE-2023-4863.json")
    assert batch.format is FeedFormat.NVD and batch.problems == ()
    (adv,) = batch.advisories
    assert adv.id == "CVE-2023-4863" and adv.source == "nvd"
    assert adv.published == dt.datetime(2023, 9, 12, 15, 15, 24, 327000, tzinfo=dt.UTC)
    assert adv.modified == dt.datetime(2023, 10, 28, 19, 15, 38, 643000, tzinfo=dt.UTC)
    assert adv.withdrawn is None
    assert adv.details.startswith("Heap buffer overflow in libwebp in Google Chrome")
    assert adv.severity == (("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"),)
    assert (adv.database_severity, adv.cvss_base_score) == ("HIGH", 8.8)
    assert adv.cwes == ("CWE-787",)
    assert "http://www.openwall.com/lists/oss-security/2023/09/21/4" in adv.references
    assert len(adv.configurations) == 6
    assert adv.configurations[0] == CpeConfiguration(
        operator="OR",
        nodes=(
            CpeNode(
                operator="OR",
                negate=False,
                matches=(
                    CpeMatch(
                        criteria="cpe:2.3:a:google:chrome:*:*:*:*:*:*:*:*",
                        version_end_excluding="116.0.5845.187",
                    ),
                ),
            ),
        ),
    )
    libwebp = adv.configurations[-1].nodes[0].matches[0]
    assert libwebp.criteria == "cpe:2.3:a:webmproject:libwebp:*:*:*:*:*:*:*:*"
    assert libwebp.version_end_excluding == "1.3.2"


@pytest.mark.shared
def test_nvd_and_configuration_with_platform_node() -> None:
    (adv,) = _osvdev("CVE-2020-13595.json").advisories
    (conf,) = adv.configurations
    assert conf.operator == "AND"
    app, hw = conf.nodes
    assert app.matches == (
        CpeMatch(
            criteria="cpe:2.3:a:espressif:esp-idf:*:*:*:*:*:*:*:*",
            vulnerable=True,
            version_start_including="4.0.0",
            version_end_including="4.2",
        ),
    )
    assert hw.matches == (
        CpeMatch(criteria="cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*", vulnerable=False),
    )


@pytest.mark.shared
def test_nvd_metric_preference_v31_over_v30_and_v2() -> None:
    (adv,) = _osvdev("CVE-2016-1585.json").advisories
    assert adv.severity == (
        ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P"),
    )
    assert (adv.database_severity, adv.cvss_base_score) == ("CRITICAL", 9.8)


@pytest.mark.shared
def test_nvd_item_form_with_v30_v2_and_v4() -> None:
    (v3,) = _nvd("dependency-track-nvd", "CVE-2017-5638-cvssv3-rating.json").advisories
    assert v3.id == "CVE-2017-5638"
    assert v3.severity == (
        ("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
        ("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C"),
    )
    assert v3.cwes == ("CWE-20",)
    (v4,) = _nvd("dependency-track-nvd", "CVE-2017-5638-cvssv4-rating.json").advisories
    assert v4.severity == (
        ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
    )
    assert (v4.database_severity, v4.cvss_base_score) == ("CRITICAL", 10.0)


@pytest.mark.shared
def test_nvd_multi_record_page() -> None:
    batch = _nvd("osv.dev-nvdcve-2.0", "conversion", "nvd", "testdata", "test.json")
    ids = [a.id for a in batch.advisories]
    assert len(ids) == 13 and batch.problems == ()
    assert ids[:3] == ["CVE-2026-20912", "CVE-2023-22466", "CVE-2026-23522"]
    tokio = batch.advisories[1]
    assert [m.version_start_including for m in tokio.configurations[0].nodes[0].matches] == [
        "1.7.0",
        "1.19.0",
        "1.21.0",
    ]
    awaiting = batch.advisories[2]
    assert awaiting.configurations == ()


@pytest.mark.shared
def test_every_shared_nvd_file_parses() -> None:
    root = require_shared("nvd")
    files = [p for p in sorted(root.rglob("*.json")) if "cve5" not in str(p)]
    assert len(files) >= 30
    for path in files:
        batch = nvd.parse(path.read_bytes(), source=path.name)
        assert batch.problems == (), path
        assert all(a.id.startswith("CVE-") for a in batch.advisories)


def test_nvd_rejected_is_withdrawn() -> None:
    (adv,) = nvd.parse(
        (NVD_ASSETS / "rejected.json").read_bytes(), source="rejected.json"
    ).advisories
    assert adv.id == "CVE-2023-28018"
    assert adv.withdrawn == dt.datetime(2023, 6, 1, 14, 15, 9, 123000, tzinfo=dt.UTC)
    assert adv.severity == () and adv.cvss_base_score is None


def test_nvd_invalid_criteria_is_a_problem() -> None:
    batch = nvd.parse((NVD_ASSETS / "invalid-criteria.json").read_bytes(), source="bad.json")
    assert batch.advisories == ()
    assert [str(p) for p in batch.problems] == [
        "bad.json: CVE-2099-0001: cve.configurations[0].nodes[0].cpeMatch[1].criteria: "
        "CPE 2.3 name has 2 attributes, expected 11: 'cpe:2.3:a:example'"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            (NVD_ASSETS / "invalid-vulnerabilities-not-list.json").read_bytes(),
            "x.json: vulnerabilities: expected an array, got an object",
        ),
        (
            b'{"format": "NVD_CVE"',
            "x.json: line 1, column 21: not valid JSON: unexpected end of data",
        ),
        (b"42", "x.json: expected an NVD CVE API 2.0 response, item or CVE object"),
    ],
)
def test_nvd_unreadable_documents(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        nvd.parse(data, source="x.json")
    assert str(info.value) == message


# -- CVE JSON 5 ---------------------------------------------------------------------------


def _cve5(*parts: str):
    path = require_shared("nvd", "cve5-cvelistV5-subset", "cves", *parts)
    return cve5.parse(path.read_bytes(), source=path.name)


@pytest.mark.shared
def test_cve5_log4shell() -> None:
    batch = _cve5("2021", "44xxx", "CVE-2021-44228.json")
    assert batch.format is FeedFormat.CVE5 and batch.problems == ()
    (adv,) = batch.advisories
    assert adv.id == "CVE-2021-44228" and adv.source == "cve5"
    assert adv.published == dt.datetime(2021, 12, 10, tzinfo=dt.UTC)
    assert adv.summary.startswith("Apache Log4j2")
    assert adv.details.startswith("Apache Log4j2 2.0-beta9 through 2.15.0")
    assert adv.cwes[:2] == ("CWE-502", "CWE-400")
    # the CNA gave no CVSS; the CISA ADP container did
    assert adv.severity == (("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),)
    assert adv.cvss_base_score == 10.0
    assert "https://logging.apache.org/log4j/2.x/security.html" in adv.references
    assert adv.configurations == ()  # no CPEs given
    assert adv.withdrawn is None


@pytest.mark.shared
def test_cve5_cpes_with_semver_range() -> None:
    (adv,) = _cve5("2025", "1xxx", "CVE-2025-1110.json").advisories
    assert adv.configurations == (
        CpeConfiguration(
            operator="OR",
            nodes=(
                CpeNode(
                    operator="OR",
                    negate=False,
                    matches=(
                        CpeMatch(
                            criteria="cpe:2.3:a:gitlab:gitlab:*:*:*:*:*:*:*:*",
                            version_start_including="18.0",
                            version_end_excluding="18.0.1",
                        ),
                    ),
                ),
            ),
        ),
    )
    assert (adv.database_severity, adv.cvss_base_score) == ("LOW", 2.7)


@pytest.mark.shared
def test_cve5_cpe_applicability_and_unaffected_cpes() -> None:
    (kernel,) = _cve5("2025", "21xxx", "CVE-2025-21772.json").advisories
    (conf,) = kernel.configurations
    ends = [m.version_end_excluding for m in conf.nodes[0].matches]
    assert ends[0] == "5.4.291" and ends[-1] == "6.14"
    (xz,) = _cve5("2024", "3xxx", "CVE-2024-3094.json").advisories
    # Red Hat's entries carry CPE 2.2 URIs but status unaffected: nothing to match on
    assert xz.configurations == ()
    assert xz.cwes == ("CWE-506",)


@pytest.mark.shared
def test_every_shared_cve5_record_parses() -> None:
    root = require_shared("nvd", "cve5-cvelistV5-subset")
    files = sorted(root.rglob("CVE-*.json"))
    assert len(files) == 11
    for path in files:
        batch = cve5.parse(path.read_bytes(), source=path.name)
        assert batch.problems == ()
        assert [a.id for a in batch.advisories] == [path.stem]


def test_cve5_hand_made_ranges_changes_and_cpe22() -> None:
    (adv,) = cve5.parse((CVE5_ASSETS / "affected-ranges.json").read_bytes(), source="a").advisories
    assert adv.details == "English text"
    assert adv.cwes == ("CWE-121", "CWE-787")
    assert adv.references == ("https://example.com/advisory", "https://example.org/adp")
    assert adv.severity[0][0] == "CVSS_V4" and adv.severity[1] == (
        "CVSS_V3",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    )
    (conf,) = adv.configurations
    tiny, everything = conf.nodes
    crit = "cpe:2.3:a:example:tinylib:*:*:*:*:*:*:*:*"
    assert tiny.matches == (
        CpeMatch(criteria="cpe:2.3:a:example:tinylib:3.0.0:*:*:*:*:*:*:*"),
        CpeMatch(criteria=crit, version_start_including="1.0", version_end_excluding="1.4.2"),
        CpeMatch(criteria=crit, version_start_including="2.0", version_end_excluding="2.1.1"),
        CpeMatch(criteria=crit, version_start_including="2.2", version_end_including="2.3"),
    )
    assert everything.matches == (
        CpeMatch(criteria="cpe:2.3:o:example:everything:*:*:*:*:*:*:*:*"),
    )


def test_cve5_rejected() -> None:
    (adv,) = cve5.parse((CVE5_ASSETS / "rejected.json").read_bytes(), source="r").advisories
    assert adv.withdrawn == dt.datetime(2023, 6, 1, 14, 0, tzinfo=dt.UTC)
    assert adv.details.startswith("This CVE ID has been rejected")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "invalid-cpe.json",
            "invalid-cpe.json: CVE-2099-0002: containers.cna.affected[0].cpes[0]: "
            "CPE 2.3 name has 2 attributes, expected 11: 'cpe:2.3:a:example'",
        ),
        (
            "invalid-no-metadata.json",
            "invalid-no-metadata.json: cveMetadata: missing required field",
        ),
    ],
)
def test_cve5_invalid_records(name: str, message: str) -> None:
    batch = cve5.parse((CVE5_ASSETS / name).read_bytes(), source=name)
    assert batch.advisories == ()
    assert [str(p) for p in batch.problems] == [message]


def test_cve5_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^x: expected a CVE JSON 5 record, got a string$"):
        cve5.parse(b'"CVE-2024-0001"', source="x")
