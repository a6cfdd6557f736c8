"""The OSV schema's evaluation of one affected[] entry (psirt.matching.osv.affected)."""

from __future__ import annotations

import pytest

from psirt.domain.advisory import AffectedPackage, RangeEvent, RangeType, VersionRange
from psirt.errors import UnknownEcosystem
from psirt.matching.osv import affected


def pkg(
    *events: tuple[str, str],
    ecosystem: str = "PyPI",
    type_: RangeType = RangeType.ECOSYSTEM,
    versions: tuple[str, ...] = (),
    extra: tuple[VersionRange, ...] = (),
) -> AffectedPackage:
    ranges = (VersionRange(type_, tuple(RangeEvent(k, v) for k, v in events)),) if events else ()
    return AffectedPackage(ecosystem, "demo", ranges=ranges + extra, versions=versions)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", False),
        ("1.0", True),
        ("1.0.0", True),
        ("1.4.9", True),
        ("1.5", False),
        ("2.0", False),
    ],
)
def test_introduced_inclusive_fixed_exclusive(version: str, expected: bool) -> None:
    assert affected(version, pkg(("introduced", "1.0"), ("fixed", "1.5"))) is expected


@pytest.mark.parametrize(
    ("version", "expected"), [("0.0.0.dev0", True), ("2.1.214", True), ("2.1.215", False)]
)
def test_introduced_zero_and_last_affected_inclusive(version: str, expected: bool) -> None:
    assert affected(version, pkg(("introduced", "0"), ("last_affected", "2.1.214"))) is expected


def test_events_are_sorted_before_replay() -> None:
    # the order PYSEC-2019-10 writes them in: the 1.11 branch last
    p = pkg(
        ("introduced", "2.1"),
        ("fixed", "2.1.10"),
        ("introduced", "2.2"),
        ("fixed", "2.2.3"),
        ("introduced", "1.11"),
        ("fixed", "1.11.22"),
    )
    assert affected("1.11.5", p)
    assert not affected("1.11.22", p)
    assert not affected("2.0.1", p)
    assert affected("2.2.2", p)
    assert not affected("2.2.3", p)


def test_open_range_affects_everything_after_introduced() -> None:
    p = pkg(("introduced", "3.0"))
    assert affected("99.0", p)
    assert not affected("2.9", p)


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0.0", True), ("1.9.9", True), ("2.0.0", False), ("3.0.0", False), ("0.5.0", False)],
)
def test_limit_caps_an_open_range(version: str, expected: bool) -> None:
    p = pkg(("introduced", "1.0.0"), ("limit", "2.0.0"), ecosystem="Go", type_=RangeType.SEMVER)
    assert affected(version, p) is expected


def test_star_limit_is_infinity_and_largest_limit_wins() -> None:
    star = pkg(("introduced", "1.0.0"), ("limit", "*"), ecosystem="Go", type_=RangeType.SEMVER)
    assert affected("9.0.0", star)
    two = pkg(
        ("introduced", "1.0.0"),
        ("limit", "1.5.0"),
        ("limit", "3.0.0"),
        ecosystem="Go",
        type_=RangeType.SEMVER,
    )
    assert affected("2.5.0", two)
    assert not affected("3.0.0", two)


def test_introduced_and_fixed_at_the_same_version_is_not_affected() -> None:
    assert not affected("1.0", pkg(("introduced", "1.0"), ("fixed", "1.0")))


def test_ranges_are_or_ed() -> None:
    second = VersionRange(RangeType.ECOSYSTEM, (RangeEvent("introduced", "5.0"),))
    p = pkg(("introduced", "1.0"), ("fixed", "2.0"), extra=(second,))
    assert affected("1.5", p)
    assert affected("5.1", p)
    assert not affected("3.0", p)


def test_versions_list_exact_and_normalised() -> None:
    p = pkg(versions=("2.2", "3.0rc1"))
    assert affected("2.2", p)
    assert affected("2.2.0", p)  # same PEP 440 version
    assert affected("3.0.0-rc.1", p)  # PEP 440 normalisation of 3.0rc1
    assert not affected("2.2.1", p)


def test_git_ranges_match_only_through_versions() -> None:
    git = VersionRange(
        RangeType.GIT,
        (
            RangeEvent("introduced", "0"),
            RangeEvent("fixed", "4df1b6d478020ac51c84467f47e42083f53adbad"),
        ),
        repo="https://github.com/python/cpython",
    )
    only_git = AffectedPackage("PyPI", "demo", ranges=(git,))
    assert not affected("1.0", only_git)
    with_versions = AffectedPackage("PyPI", "demo", ranges=(git,), versions=("1.0",))
    assert affected("1.0", with_versions)
    assert not affected("1.1", with_versions)


def test_semver_range_uses_semver_order_in_any_ecosystem() -> None:
    p = pkg(("introduced", "1.0.0-alpha"), ("fixed", "1.0.0"), type_=RangeType.SEMVER)
    assert affected("1.0.0-beta.2", p)
    assert not affected("1.0.0", p)


def test_rpm_epoch_orders_before_version() -> None:
    p = pkg(("introduced", "0"), ("fixed", "1:3.0.1-43.el9_0"), ecosystem="AlmaLinux:9")
    assert affected("1:3.0.1-42.el9_0", p)
    assert not affected("1:3.0.1-43.el9_0", p)
    assert affected("3.0.7-1.el9", p)  # epoch 0 < epoch 1
    assert not affected("1:3.0.7-1.el9", p)


def test_unknown_ecosystem_is_raised_not_guessed() -> None:
    p = pkg(("introduced", "0"), ("fixed", "1.0"), ecosystem="NoSuchEcosystem")
    with pytest.raises(UnknownEcosystem) as err:
        affected("0.5", p)
    assert err.value.ecosystem == "NoSuchEcosystem"
    listed = pkg(("introduced", "0"), ecosystem="NoSuchEcosystem", versions=("0.5",))
    assert affected("0.5", listed)  # an exact listed version needs no ordering
