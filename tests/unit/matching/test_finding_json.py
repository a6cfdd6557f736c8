"""One finding shape for psirt match (rows, streamed report, table) with one KEV rule: the
alias group and the CVEs its advisories list as related, the listed ids named."""

from __future__ import annotations

import orjson

from psirt.domain.advisory import Advisory, AffectedPackage, RangeEvent, RangeType, VersionRange
from psirt.domain.sbom import Component
from psirt.matching.knowledge import KnowledgeBase, kev_listed
from psirt.services.findings import finding_json, for_table, match_findings, match_report


def _adv(
    vuln_id: str,
    ecosystem: str,
    name: str,
    *events: tuple[str, str],
    aliases: tuple[str, ...] = (),
    related: tuple[str, ...] = (),
) -> Advisory:
    rng = VersionRange(RangeType.ECOSYSTEM, tuple(RangeEvent(k, v) for k, v in events))
    return Advisory(
        id=vuln_id,
        source="osv",
        aliases=aliases,
        related=related,
        affected=(AffectedPackage(ecosystem, name, ranges=(rng,)),),
        severity=(("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),)
        if vuln_id == "PYSEC-1"
        else (),
    )


RECORDS = [
    _adv("PYSEC-1", "PyPI", "b", ("introduced", "0"), aliases=("CVE-2021-44228",)),
    _adv("GHSA-1", "PyPI", "b", ("introduced", "0"), aliases=("CVE-2021-44228",)),
    _adv("PYSEC-2", "PyPI", "b", ("introduced", "0")),
    _adv("PYSEC-3", "PyPI", "a", ("introduced", "0"), ("fixed", "3.0")),
    # a distro advisory: the CVEs it fixes are "related", not aliases
    _adv("ALSA-2023:5453", "AlmaLinux:9", "glibc", ("introduced", "0"), ("fixed", "2.34-60.el9"),
         related=("CVE-2023-4527", "CVE-2023-4911")),
]  # fmt: skip
COMPONENTS = [
    Component("b", purl="pkg:pypi/b@1"),
    Component("a", purl="pkg:pypi/a@2"),
    Component("glibc", purl="pkg:rpm/almalinux/glibc@2.34-28.el9_0?distro=almalinux-9"),
    Component("x"),
]
KEV = {"CVE-2021-44228", "CVE-2023-4911"}
EPSS = {"CVE-2021-44228": 0.9, "GHSA-1": 0.95, "CVE-2023-4527": 0.02}


def test_match_rows_shape_kev_ids_epss_and_order() -> None:
    kb = KnowledgeBase.build(RECORDS, kev=KEV, epss=EPSS)
    rows = match_findings(kb, kb.match(COMPONENTS))
    assert rows == [
        {
            "purl": "pkg:pypi/a@2", "name": "a", "version": "2", "ecosystem": "PyPI",
            "advisory_id": "PYSEC-3", "aliases": ["PYSEC-3"], "fixed_versions": ["3.0"],
            "severity": None, "kev": False, "kev_ids": [], "epss": None,
        },
        {
            "purl": "pkg:pypi/b@1", "name": "b", "version": "1", "ecosystem": "PyPI",
            "advisory_id": "CVE-2021-44228",
            "aliases": ["CVE-2021-44228", "GHSA-1", "PYSEC-1"], "fixed_versions": [],
            "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "kev": True, "kev_ids": ["CVE-2021-44228"], "epss": 0.95,
        },
        {
            "purl": "pkg:pypi/b@1", "name": "b", "version": "1", "ecosystem": "PyPI",
            "advisory_id": "PYSEC-2", "aliases": ["PYSEC-2"], "fixed_versions": [],
            "severity": None, "kev": False, "kev_ids": [], "epss": None,
        },
        {
            "purl": "pkg:rpm/almalinux/glibc@2.34-28.el9_0?distro=almalinux-9", "name": "glibc",
            "version": "2.34-28.el9_0", "ecosystem": "AlmaLinux:9",
            "advisory_id": "ALSA-2023:5453", "aliases": ["ALSA-2023:5453"],
            "fixed_versions": ["2.34-60.el9"], "severity": None,
            "kev": True, "kev_ids": ["CVE-2023-4911"], "epss": 0.02,
        },
    ]  # fmt: skip
    report = orjson.loads(match_report(kb, COMPONENTS).json)
    assert report == {"components": 4, "findings": rows}
    table = for_table(rows)
    assert [(r["advisory_id"], r["severity"], r["kev_ids"]) for r in table] == [
        ("PYSEC-3", None, []),
        ("CVE-2021-44228", "9.8 CRITICAL", ["CVE-2021-44228"]),
        ("PYSEC-2", None, []),
        ("ALSA-2023:5453", None, ["CVE-2023-4911"]),
    ]


def test_one_kev_rule_for_stored_and_matched_findings() -> None:
    kb = KnowledgeBase.build(RECORDS, kev=KEV, epss=EPSS)
    (glibc,) = [cf.finding for cf in kb.match(COMPONENTS).findings if cf.finding.name == "glibc"]
    assert kb.related_ids(glibc) == ("CVE-2023-4527", "CVE-2023-4911")
    assert kb.kev_ids(kb.finding_ids(glibc)) == ("CVE-2023-4911",)
    assert kb.is_kev(kb.finding_ids(glibc))
    # a stored finding keeps advisory id, aliases and related ids: the same answer
    stored = finding_json(
        advisory_id="ALSA-2023:5453", aliases=["ALSA-2023:5453"],
        related=["CVE-2023-4527", "CVE-2023-4911"], fixed_versions=["2.34-60.el9"],
        severity=None, kev=KEV, epss=EPSS,
    )  # fmt: skip
    assert (stored["kev"], stored["kev_ids"], stored["epss"]) == (True, ["CVE-2023-4911"], 0.02)
    assert kev_listed(("A", "CVE-2", "B", "CVE-2", "CVE-1"), {"CVE-1", "CVE-2"}) == (
        "CVE-2",
        "CVE-1",
    )
    assert kev_listed(("A",), set()) == ()
