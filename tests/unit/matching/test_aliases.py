"""Alias groups and the primary-id rule."""

from __future__ import annotations

from psirt.domain.advisory import Advisory
from psirt.matching.aliases import alias_groups, primary_id


def adv(vuln_id: str, *aliases: str) -> Advisory:
    return Advisory(id=vuln_id, source="osv", aliases=aliases)


def test_aliases_join_transitively() -> None:
    groups = alias_groups(
        [
            adv("PYSEC-2019-10", "CVE-2019-12781", "GHSA-6c7v-2f49-8h26"),
            adv("GHSA-6c7v-2f49-8h26", "CVE-2019-12781"),
            adv("GO-2022-0001", "GHSA-6c7v-2f49-8h26"),
            adv("RUSTSEC-2020-0001"),
        ]
    )
    group = groups["GO-2022-0001"]
    assert group.ids == (
        "CVE-2019-12781",
        "GHSA-6c7v-2f49-8h26",
        "GO-2022-0001",
        "PYSEC-2019-10",
    )
    assert group.primary == "CVE-2019-12781"
    assert groups["CVE-2019-12781"] is group
    assert groups["RUSTSEC-2020-0001"].ids == ("RUSTSEC-2020-0001",)


def test_related_does_not_join() -> None:
    a = Advisory(id="GHSA-aaaa-bbbb-cccc", source="osv", related=("CVE-2020-1",))
    groups = alias_groups([a, adv("CVE-2020-1")])
    assert groups["GHSA-aaaa-bbbb-cccc"].ids == ("GHSA-aaaa-bbbb-cccc",)


def test_primary_prefers_cve_then_ghsa_then_natural_order() -> None:
    assert primary_id(["PYSEC-2021-1", "GHSA-x", "CVE-2021-1000", "CVE-2021-999"]) == (
        "CVE-2021-999"
    )
    assert primary_id(["PYSEC-2021-1", "GHSA-b", "GHSA-a", "ALSA-2022:7288"]) == "GHSA-a"
    assert primary_id(["RUSTSEC-2020-1", "ALSA-2022:7288", "GO-2022-0001"]) == "ALSA-2022:7288"
    assert primary_id(["PYSEC-2021-10", "PYSEC-2021-9"]) == "PYSEC-2021-9"


def test_primary_does_not_depend_on_input_order() -> None:
    records = [adv("PYSEC-1", "GHSA-z"), adv("GO-1", "GHSA-z", "CVE-2000-1")]
    forward = alias_groups(records)["GO-1"]
    backward = alias_groups(list(reversed(records)))["GO-1"]
    assert forward == backward
    assert forward.primary == "CVE-2000-1"
