"""OSV parser: hand-made assets (one, many, invalid-<why>) and every record of the shared zips."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from psirt.domain.advisory import RangeEvent, RangeType
from psirt.errors import InputError
from psirt.ingest import limits
from psirt.ingest.feeds import FeedFormat, osv
from tests.conftest import ASSETS, require_shared

OSV = ASSETS / "feeds" / "osv"


def _parse(name: str):
    path = OSV / name
    return osv.parse(path.read_bytes(), source=name)


def test_one_record_all_fields() -> None:
    batch = _parse("one.json")
    assert batch.format is FeedFormat.OSV
    assert batch.problems == ()
    (adv,) = batch.advisories
    assert adv.id == "PSIRT-TEST-0001"
    assert adv.source == "osv"
    assert adv.modified == dt.datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    assert adv.published == dt.datetime(2024, 2, 28, 8, 30, tzinfo=dt.UTC)
    assert adv.withdrawn is None
    assert adv.aliases == ("CVE-2023-0286",)
    assert adv.related == ("GHSA-x4qr-2fvf-3mr5",)
    assert adv.severity == (("CVSS_V3", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H"),)
    assert adv.database_severity == "HIGH"
    assert adv.references == ("https://www.openssl.org/news/secadv/20230207.txt",)
    (pkg,) = adv.affected
    assert (pkg.ecosystem, pkg.name, pkg.purl) == ("PyPI", "cryptography", "pkg:pypi/cryptography")
    assert pkg.versions == ("38.0.0", "38.0.4", "39.0.0")
    assert pkg.severity == adv.severity
    eco, git = pkg.ranges
    assert eco.type is RangeType.ECOSYSTEM and eco.repo is None
    assert eco.events == (RangeEvent("introduced", "0"), RangeEvent("fixed", "39.0.1"))
    assert git.type is RangeType.GIT
    assert git.repo == "https://github.com/pyca/cryptography"
    assert git.events[1] == RangeEvent("limit", "9e3b2a5d0f1c2b3a4d5e6f708192a3b4c5d6e7f8")


def test_yaml_keeps_versions_and_timestamps_as_written() -> None:
    (adv,) = _parse("one.yaml").advisories
    assert adv.modified == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert adv.published == dt.datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=dt.UTC)
    (pkg,) = adv.affected
    # "1.10" must not become the float 1.1
    assert pkg.ranges[0].events == (RangeEvent("introduced", "0"), RangeEvent("fixed", "1.10"))
    assert pkg.versions == ("1.0", "1.9")


def test_list_with_one_bad_record_keeps_the_others() -> None:
    batch = _parse("many.json")
    assert [a.id for a in batch.advisories] == ["PSIRT-TEST-0001", "PSIRT-TEST-0002"]
    second = batch.advisories[1]
    assert second.withdrawn == dt.datetime(2024, 3, 5, 8, 0, tzinfo=dt.UTC)
    assert second.affected[0].ranges[0].events[-1] == RangeEvent("last_affected", "1.20.3")
    (problem,) = batch.problems
    assert (problem.record_id, problem.location) == (
        "PSIRT-TEST-0003",
        "[2].affected[0].ranges[1].events[2]",
    )
    assert str(problem) == (
        "many.json: PSIRT-TEST-0003: [2].affected[0].ranges[1].events[2]: "
        "event has no introduced/fixed/last_affected/limit"
    )


INVALID_RECORDS = [
    ("invalid-missing-id.json", "invalid-missing-id.json: id: missing required field"),
    (
        "invalid-event-no-kind.json",
        "invalid-event-no-kind.json: PSIRT-TEST-0002: affected[0].ranges[1].events[2]: "
        "event has no introduced/fixed/last_affected/limit",
    ),
    (
        "invalid-event-two-kinds.json",
        "invalid-event-two-kinds.json: PSIRT-TEST-0002: affected[0].ranges[0].events[0]: "
        "event has more than one kind: introduced, fixed",
    ),
    (
        "invalid-no-introduced.json",
        "invalid-no-introduced.json: PSIRT-TEST-0002: affected[0].ranges[0].events: "
        "range has no introduced event",
    ),
    (
        "invalid-git-without-repo.json",
        "invalid-git-without-repo.json: PSIRT-TEST-0002: affected[0].ranges[0].repo: "
        "GIT range without repo",
    ),
    (
        "invalid-range-type.json",
        "invalid-range-type.json: PSIRT-TEST-0002: affected[0].ranges[0].type: "
        "unknown range type 'PEP440' (expected ECOSYSTEM, SEMVER or GIT)",
    ),
    (
        "invalid-fixed-and-last-affected.json",
        "invalid-fixed-and-last-affected.json: PSIRT-TEST-0002: affected[0].ranges[0].events: "
        "fixed and last_affected are mutually exclusive",
    ),
    (
        "invalid-limit-outside-git.json",
        "invalid-limit-outside-git.json: PSIRT-TEST-0002: affected[0].ranges[0].events: "
        "limit events are only allowed in GIT ranges",
    ),
    (
        "invalid-empty-events.json",
        "invalid-empty-events.json: PSIRT-TEST-0002: affected[0].ranges[0].events: "
        "range has no events",
    ),
    (
        "invalid-event-not-string.json",
        "invalid-event-not-string.json: PSIRT-TEST-0002: "
        "affected[0].ranges[0].events[0].introduced: expected a string, got a number",
    ),
    (
        "invalid-package-without-name.json",
        "invalid-package-without-name.json: PSIRT-TEST-0002: affected[0].package.name: "
        "missing required field",
    ),
    (
        "invalid-timestamp.json",
        "invalid-timestamp.json: PSIRT-TEST-0002: modified: "
        "not a valid timestamp: '2024-13-01T00:00:00Z' (month must be in 1..12)",
    ),
    (
        "invalid-aliases-not-list.json",
        "invalid-aliases-not-list.json: PSIRT-TEST-0002: aliases: expected an array, got a string",
    ),
]


@pytest.mark.parametrize(("name", "message"), INVALID_RECORDS)
def test_invalid_record_is_a_problem_not_an_exception(name: str, message: str) -> None:
    batch = _parse(name)
    assert batch.advisories == ()
    assert [str(p) for p in batch.problems] == [message]


INVALID_DOCUMENTS = [
    (
        "invalid-not-json.json",
        "invalid-not-json.json: line 2, column 19: not valid JSON: "
        "unexpected character, expected ',' or '}'",
    ),
    (
        "invalid-not-yaml.yaml",
        "invalid-not-yaml.yaml: line 4, column 1: not valid YAML: found unexpected end of stream",
    ),
    (
        "invalid-scalar.json",
        "invalid-scalar.json: expected an OSV record or a list of them, got a string",
    ),
]


@pytest.mark.parametrize(("name", "message"), INVALID_DOCUMENTS)
def test_unreadable_document_raises_input_error(name: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        _parse(name)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
        ("2024-01-02T03:04:05.1Z", dt.datetime(2024, 1, 2, 3, 4, 5, 100000, tzinfo=dt.UTC)),
        (
            "2024-01-02T03:04:05.123456789Z",
            dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
        ),
        ("2024-01-02T03:04:05+02:00", dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=dt.UTC)),
        ("2023-09-12T15:15:24.327", dt.datetime(2023, 9, 12, 15, 15, 24, 327000, tzinfo=dt.UTC)),
    ],
)
def test_timestamps(text: str, expected: dt.datetime) -> None:
    from psirt.ingest.feeds._common import parse_timestamp

    assert parse_timestamp(text, "modified") == expected


# -- real data ----------------------------------------------------------------------------

ZIPS = [
    "pypi-pypa-advisory-database.zip",
    "go-vulndb-osv.zip",
    "psf-cpython-advisories.zip",
    "cran-rconsortium-advisories.zip",
    "almalinux9-osv.zip",
]


@pytest.mark.shared
@pytest.mark.parametrize("name", ZIPS)
def test_every_record_of_every_shared_zip_parses_or_is_reported(name: str) -> None:
    path = require_shared("osv", name)
    with zipfile.ZipFile(path) as zf:
        members = sorted(n for n in zf.namelist() if n.lower().endswith((".json", ".yaml", ".yml")))
    batches = list(osv.read_path(path))
    assert [b.source.split("!", 1)[1] for b in batches] == members
    advisories = [a for b in batches for a in b.advisories]
    problems = [p for b in batches for p in b.problems]
    print(f"{name}: {len(members)} files, {len(advisories)} advisories, {len(problems)} problems")
    for problem in problems:
        print(f"  {problem}")
        assert problem.reason
    # every file gave at least a record or a reported reason
    assert all(b.advisories or b.problems for b in batches)
    # each file of these repositories holds one record, named after its id
    for batch in batches:
        for adv in batch.advisories:
            assert batch.source.rsplit("/", 1)[1].startswith(adv.id)


@pytest.mark.shared
def test_pypi_record_contents() -> None:
    path = require_shared("osv", "pypi-pypa-advisory-database.zip")
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith("/PYSEC-2021-335.yaml"))
        data = zf.read(name)
    (adv,) = osv.parse(data, source=name).advisories
    assert adv.id == "PYSEC-2021-335"
    assert adv.affected[0].ecosystem == "PyPI"
    assert adv.affected[0].name.lower() == "accesscontrol"
    eco = [r for r in adv.affected[0].ranges if r.type is RangeType.ECOSYSTEM]
    assert eco and eco[0].events[0].kind == "introduced"
    assert all(isinstance(v, str) for v in adv.affected[0].versions)


@pytest.mark.shared
def test_go_and_psf_records() -> None:
    go = require_shared("osv", "go-vulndb-osv.zip")
    with zipfile.ZipFile(go) as zf:
        (adv,) = osv.parse(zf.read("data/osv/GO-2020-0001.json"), source="GO-2020-0001").advisories
    assert adv.id == "GO-2020-0001"
    assert adv.affected[0].ecosystem == "Go"
    assert adv.affected[0].name == "github.com/gin-gonic/gin"
    assert adv.affected[0].ranges[0].type is RangeType.SEMVER
    assert adv.affected[0].ranges[0].events[-1] == RangeEvent("fixed", "1.6.0")

    psf = require_shared("osv", "psf-cpython-advisories.zip")
    with zipfile.ZipFile(psf) as zf:
        data = zf.read("advisories/python/PSF-2007-1.json")
    (adv,) = osv.parse(data, source="PSF-2007-1.json").advisories
    assert adv.id == "PSF-2007-1"
    rng = adv.affected[0].ranges[0]
    assert rng.type is RangeType.GIT
    assert rng.repo == "https://github.com/python/cpython"
    assert adv.affected[0].ecosystem == "" and adv.affected[0].name == ""


@pytest.mark.shared
def test_misc_samples_directory_walk() -> None:
    root = require_shared("osv", "misc-samples")
    batches = list(osv.read_path(root))
    ids = sorted(a.id for b in batches for a in b.advisories)
    assert ids == [
        "DSA-3029-1",
        "DSA-5474-1",
        "GHSA-77rv-6vfw-x4gc",
        "GHSA-838r-hvwh-24h8",
        "UBUNTU-CVE-2025-38094",
    ]
    dsa = next(a for b in batches for a in b.advisories if a.id == "DSA-3029-1")
    assert dsa.aliases == ("CVE-2014-3616",)
    assert dsa.affected[0].ecosystem == "Debian:7"
    assert dsa.affected[0].ranges[0].events == (
        RangeEvent("introduced", "0"),
        RangeEvent("fixed", "1.2.1-2.2+wheezy3"),
    )


# -- archives -----------------------------------------------------------------------------


def _zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "all.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def test_zip_nested_paths_bad_members_and_other_files(tmp_path: Path) -> None:
    one = (OSV / "one.json").read_bytes()
    path = _zip(
        tmp_path,
        {
            "README.md": b"# not a record",
            "vulns/pkg/deep/PSIRT-TEST-0001.json": one,
            "vulns/broken.json": b"{nope",
            "vulns/pkg/PSIRT-TEST-0006.yaml": (OSV / "one.yaml").read_bytes(),
        },
    )
    batches = list(osv.read_path(path))
    assert [b.source for b in batches] == [
        f"{path}!vulns/broken.json",
        f"{path}!vulns/pkg/PSIRT-TEST-0006.yaml",
        f"{path}!vulns/pkg/deep/PSIRT-TEST-0001.json",
    ]
    (problem,) = batches[0].problems
    assert problem.location == "line 1, column 2"
    assert problem.reason.startswith("not valid JSON")
    assert [a.id for a in batches[1].advisories] == ["PSIRT-TEST-0006"]
    assert [a.id for a in batches[2].advisories] == ["PSIRT-TEST-0001"]


@pytest.mark.parametrize("name", ["../escape.json", "/abs.json", "C:/win.json", "a/../../b.json"])
def test_zip_with_unsafe_member_name_is_refused(tmp_path: Path, name: str) -> None:
    path = _zip(tmp_path, {name: b"{}"})
    with pytest.raises(InputError, match="unsafe member name in archive"):
        list(osv.read_path(path))


def test_zip_member_count_and_size_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = (OSV / "one.json").read_bytes()
    path = _zip(tmp_path, {f"v/{i}.json": one for i in range(5)})
    monkeypatch.setattr(osv, "MAX_MEMBERS", 4)
    with pytest.raises(InputError) as info:
        list(osv.read_path(path))
    assert str(info.value) == f"{path}: archive has 5 members (limit 4)"
    monkeypatch.setattr(osv, "MAX_MEMBERS", 100)

    def sized(member: int, total: int) -> osv.FeedLimits:
        return osv.FeedLimits(
            limits.resolve(limits.InputKind.FEED),
            limits.SizeLimit(limits.InputKind.ARCHIVE_MEMBER, member),
            limits.SizeLimit(limits.InputKind.ARCHIVE, total),
        )

    with pytest.raises(InputError) as info:
        list(osv.read_path(path, sized(10**6, len(one) * 5 - 1)))
    assert str(info.value) == (
        f"{path}: the archive inflates to {len(one) * 5:,} bytes, more than the inflated "
        f"archive limit of {len(one) * 5 - 1:,} bytes; raise it with PSIRT_MAX_ARCHIVE_MB "
        "(a number of MB)"
    )
    with pytest.raises(InputError) as info:
        list(osv.read_path(path, sized(len(one) - 1, 10**9)))
    assert str(info.value).startswith(
        f"{path}: v/0.json: the member is {len(one):,} bytes, more than the archive "
        f"member limit of {len(one) - 1:,} bytes"
    )


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    path.write_bytes(b"PK but not really")
    with pytest.raises(InputError, match="not a readable zip archive"):
        list(osv.read_path(path))


def test_single_file_and_directory(tmp_path: Path) -> None:
    (adv,) = next(osv.read_path(OSV / "one.json")).advisories
    assert adv.id == "PSIRT-TEST-0001"
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.yml").write_bytes((OSV / "one.yaml").read_bytes())
    (tmp_path / "a" / "notes.txt").write_text("ignored")
    batches = list(osv.read_path(tmp_path))
    assert [a.id for b in batches for a in b.advisories] == ["PSIRT-TEST-0006"]
