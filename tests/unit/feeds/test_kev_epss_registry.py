"""KEV (JSON and CSV), EPSS CSV, the parser registry and format detection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from psirt.domain.advisory import EpssScore, KevEntry
from psirt.errors import InputError, UnknownFormat
from psirt.ingest import feeds
from psirt.ingest.feeds import PARSERS, FeedFormat, detect, epss, kev
from tests.conftest import ASSETS, require_shared

FEEDS = ASSETS / "feeds"


@pytest.mark.shared
def test_kev_json_and_csv_give_the_same_entries() -> None:
    json_batch = kev.parse(
        require_shared("kev", "known_exploited_vulnerabilities.json").read_bytes(),
        source="kev.json",
    )
    csv_batch = kev.parse(
        require_shared("kev", "known_exploited_vulnerabilities.csv").read_bytes(), source="kev.csv"
    )
    assert json_batch.problems == () and csv_batch.problems == ()
    assert len(json_batch.kev) == 1404
    assert json_batch.kev == csv_batch.kev
    first = json_batch.kev[0]
    assert first == KevEntry(
        cve_id="CVE-2025-48384",
        vendor="Git",
        product="Git",
        name="Git Link Following Vulnerability",
        date_added=dt.date(2025, 8, 25),
        due_date=dt.date(2025, 9, 15),
        known_ransomware="Unknown",
        required_action=(
            "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for "
            "cloud services, or discontinue use of the product if mitigations are unavailable."
        ),
    )
    by_id = {e.cve_id: e for e in json_batch.kev}
    assert by_id["CVE-2023-4863"].vendor == "Google"
    assert by_id["CVE-2021-44228"].product == "Log4j2"


def test_kev_invalid_rows_are_reported() -> None:
    batch = kev.parse((FEEDS / "kev" / "invalid-rows.csv").read_bytes(), source="kev.csv")
    assert [e.cve_id for e in batch.kev] == ["CVE-2014-0160"]
    assert batch.kev[0].due_date == dt.date(2022, 5, 25)
    assert [str(p) for p in batch.problems] == [
        "kev.csv: CVE-2021-44228: line 3, dateAdded: not a date (YYYY-MM-DD): '12/10/2021'",
        "kev.csv: line 4, cveID: empty string",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            (FEEDS / "kev" / "invalid-header.csv").read_bytes(),
            "k: line 1: KEV CSV header lacks cveID, vendorProject, vulnerabilityName, dateAdded",
        ),
        (b'{"count": 0}', "k: expected a KEV catalog object with 'vulnerabilities'"),
        (b'{"vulnerabilities": 3}', "k: vulnerabilities: expected an array, got a number"),
    ],
)
def test_kev_unreadable(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        kev.parse(data, source="k")
    assert str(info.value) == message


def test_epss_sample() -> None:
    batch = epss.parse((FEEDS / "epss" / "epss_scores-2024-03-05.csv").read_bytes(), source="e")
    assert batch.format is FeedFormat.EPSS and batch.problems == ()
    assert [s.cve_id for s in batch.epss] == [
        "CVE-2014-0160",
        "CVE-2021-44228",
        "CVE-2023-0286",
        "CVE-2023-4863",
        "CVE-2024-3094",
    ]
    assert batch.epss[1] == EpssScore("CVE-2021-44228", 0.97565, 0.99995, dt.date(2024, 3, 5))


def test_epss_without_comment_line_has_no_date() -> None:
    batch = epss.parse(b"cve,epss,percentile\nCVE-2014-0160,0.97538,0.99982\n", source="e")
    assert batch.epss == (EpssScore("CVE-2014-0160", 0.97538, 0.99982, None),)


def test_epss_invalid_rows() -> None:
    batch = epss.parse((FEEDS / "epss" / "invalid-rows.csv").read_bytes(), source="e.csv")
    assert [s.cve_id for s in batch.epss] == ["CVE-2014-0160"]
    assert [str(p) for p in batch.problems] == [
        "e.csv: CVE-2021-44228: line 4: epss must be between 0 and 1: '1.5'",
        "e.csv: line 5: not a CVE id: 'heartbleed'",
        "e.csv: CVE-2023-4863: line 6: expected 3 cells (cve,epss,percentile), got 2",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            (FEEDS / "epss" / "invalid-header.csv").read_bytes(),
            "e: line 2: expected the header cve,epss,percentile",
        ),
        (
            b"#model_version:v1,score_date:05/03/2024\ncve,epss,percentile\n",
            "e: line 1: score_date: not a date (YYYY-MM-DD): '05/03/2024'",
        ),
        (
            b"\xff\xfe",
            "e: line 1, column 1 (byte offset 0): not UTF-8 text: invalid start byte (byte 0xff)",
        ),
    ],
)
def test_epss_unreadable(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        epss.parse(data, source="e")
    assert str(info.value) == message


# -- registry and detection ---------------------------------------------------------------


def test_every_format_is_registered() -> None:
    assert set(PARSERS) == set(FeedFormat)


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("osv/one.json", FeedFormat.OSV),
        ("osv/one.yaml", FeedFormat.OSV),
        ("osv/many.json", FeedFormat.OSV),
        ("nvd/rejected.json", FeedFormat.NVD),
        ("nvd/invalid-criteria.json", FeedFormat.NVD),
        ("cve5/rejected.json", FeedFormat.CVE5),
        ("kev/invalid-rows.csv", FeedFormat.KEV),
        ("epss/epss_scores-2024-03-05.csv", FeedFormat.EPSS),
    ],
)
def test_detect_assets(relative: str, expected: FeedFormat) -> None:
    path = FEEDS / relative
    assert detect(path.read_bytes(), path.name) is expected
    batch = feeds.parse(path.read_bytes(), source=path.name)
    assert batch.format is expected


@pytest.mark.shared
@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("kev", "known_exploited_vulnerabilities.json"), FeedFormat.KEV),
        (("kev", "known_exploited_vulnerabilities.csv"), FeedFormat.KEV),
        (("nvd", "dependency-track-nvd", "cve.json"), FeedFormat.NVD),
        (
            ("nvd", "osv.dev-nvdcve-2.0", "test_data", "nvdcve-2.0", "CVE-2024-3094.json"),
            FeedFormat.NVD,
        ),
        (
            ("nvd", "cve5-cvelistV5-subset", "cves", "2024", "3xxx", "CVE-2024-3094.json"),
            FeedFormat.CVE5,
        ),
        (("osv", "misc-samples", "osv.dev", "GHSA-838r-hvwh-24h8.json"), FeedFormat.OSV),
    ],
)
def test_detect_shared(parts: tuple[str, ...], expected: FeedFormat) -> None:
    path = require_shared(*parts)
    assert detect(path.read_bytes(), path.name) is expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x: empty document"),
        (
            b'{"bomFormat": "CycloneDX"}',
            "x: JSON is not a known feed format (object with keys bomFormat)",
        ),
        (
            b"{broken",
            "x: line 1, column 2: not valid JSON: unexpected character, expected a string key",
        ),
        (b"a,b,c\n1,2,3\n", "x: not a known feed format"),
        (b"key: [unclosed\n", "x: neither JSON, YAML nor a known CSV feed"),
    ],
)
def test_detect_refuses(data: bytes, message: str) -> None:
    with pytest.raises(UnknownFormat) as info:
        detect(data, "x")
    assert str(info.value) == message


def test_feed_problem_str_without_record_id(tmp_path: Path) -> None:
    problem = feeds.FeedProblem("f.json", None, "", "member inflates beyond 10 bytes")
    assert str(problem) == "f.json: member inflates beyond 10 bytes"
