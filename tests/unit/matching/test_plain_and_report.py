"""The index and knowledge base as plain data (the cache format) and the one-pass JSON report."""

from __future__ import annotations

import marshal

import orjson
import pytest

from psirt.domain.advisory import (
    Advisory,
    AffectedPackage,
    RangeEvent,
    RangeType,
    VersionRange,
)
from psirt.domain.sbom import Component
from psirt.ingest.feeds.osv import read_zip
from psirt.matching.index import AdvisoryIndex
from psirt.matching.knowledge import KnowledgeBase
from psirt.services.findings import match_findings, match_report
from tests.conftest import require_shared


def _adv(
    vuln_id: str,
    ecosystem: str,
    name: str,
    events: list[tuple[str, str]],
    *,
    aliases: tuple[str, ...] = (),
    related: tuple[str, ...] = (),
    versions: tuple[str, ...] = (),
) -> Advisory:
    rng = VersionRange(RangeType.ECOSYSTEM, tuple(RangeEvent(k, v) for k, v in events))
    return Advisory(
        id=vuln_id,
        source="osv",
        aliases=aliases,
        related=related,
        affected=(AffectedPackage(ecosystem, name, ranges=(rng,), versions=versions),),
    )


RECORDS = [
    _adv("GHSA-1", "PyPI", "Demo_Pkg", [("introduced", "0"), ("fixed", "1.2")], aliases=("CVE-1",)),
    _adv(
        "PYSEC-1", "PyPI", "demo-pkg", [("introduced", "1.0"), ("fixed", "1.1")], aliases=("CVE-1",)
    ),
    _adv(
        "GHSA-2",
        "Maven",
        "org.demo:lib",
        [("introduced", "2.0-beta"), ("last_affected", "2.3")],
        related=("CVE-9",),
    ),
    _adv("ALSA-1", "AlmaLinux:9", "zlib", [("introduced", "0"), ("fixed", "1:1.2.11-40.el9")]),
]

COMPONENTS = [
    Component("demo-pkg", purl="pkg:pypi/demo-pkg@1.0.5"),
    Component("demo-pkg", purl="pkg:pypi/demo-pkg@1.0.5"),
    Component("demo", purl="pkg:pypi/demo.pkg@1.3"),
    Component("lib", purl="pkg:maven/org.demo/lib@2.1"),
    Component("lib", purl="pkg:maven/org.demo/lib@2.4"),
    Component("zlib", purl="pkg:rpm/almalinux/zlib@1.2.11-39.el9?distro=almalinux-9&epoch=1"),
    Component("zlib", purl="pkg:rpm/almalinux/zlib@1.2.11-39.el9?distro=almalinux-8&epoch=1"),
    Component("nopurl"),
]


def test_plain_round_trip_matches_like_the_built_index() -> None:
    built = AdvisoryIndex(RECORDS)
    loaded = AdvisoryIndex.from_plain(marshal.loads(marshal.dumps(built.to_plain())))
    expected = built.match(COMPONENTS)
    assert loaded.match(COMPONENTS) == expected
    assert [(f.purl, f.advisory_id, f.aliases, f.fixed_versions) for f in expected.findings] == [
        ("pkg:pypi/demo-pkg@1.0.5", "CVE-1", ("CVE-1", "GHSA-1", "PYSEC-1"), ("1.1", "1.2")),
        ("pkg:pypi/demo-pkg@1.0.5", "CVE-1", ("CVE-1", "GHSA-1", "PYSEC-1"), ("1.1", "1.2")),
        ("pkg:maven/org.demo/lib@2.1", "GHSA-2", ("GHSA-2",), ()),
        (
            "pkg:rpm/almalinux/zlib@1.2.11-39.el9?distro=almalinux-9&epoch=1",
            "ALSA-1",
            ("ALSA-1",),
            ("1:1.2.11-40.el9",),
        ),
    ]
    assert [m.position for m in expected.matches] == [0, 1, 3, 5]
    assert loaded.group("PYSEC-1") == built.group("PYSEC-1")
    assert loaded.related(("GHSA-2",)) == ("CVE-9",) == built.related(("GHSA-2",))
    assert len(loaded) == len(built) == 4
    assert loaded.advisory("GHSA-1") is None
    with pytest.raises(RuntimeError):
        loaded.update(RECORDS[:1])


def test_withdrawn_and_unknown_ecosystems_survive_plain_data() -> None:
    withdrawn = Advisory(
        id="GHSA-W",
        source="osv",
        withdrawn=RECORDS[0].modified or __import__("datetime").datetime(2024, 1, 1),
        affected=RECORDS[0].affected,
    )
    odd = _adv("X-1", "Kubernetes", "kubelet", [("introduced", "0")], versions=("1.0",))
    built = AdvisoryIndex([*RECORDS, withdrawn, odd])
    loaded = AdvisoryIndex.from_plain(built.to_plain())
    assert loaded.withdrawn == frozenset({"GHSA-W"})
    assert loaded.unknown_ecosystems == built.unknown_ecosystems == {"Kubernetes": {"X-1"}}


def test_plain_data_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        AdvisoryIndex.from_plain({"format": 0})
    with pytest.raises(ValueError, match="format"):
        KnowledgeBase.from_plain({"format": 99})


def _reference_json(kb: KnowledgeBase, components: list[Component]) -> bytes:
    value = {"components": len(components), "findings": match_findings(kb, kb.match(components))}
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


def test_report_is_the_json_of_match_findings_byte_for_byte() -> None:
    kb = KnowledgeBase.build(RECORDS, kev={"CVE-1"}, epss={"CVE-9": 0.5, "CVE-1": 0.25})
    comps = [*COMPONENTS, Component("zz", version="1.0", purl="pkg:pypi/demo-pkg")]
    report = match_report(kb, comps)
    assert report.json == _reference_json(kb, comps)
    rows = orjson.loads(report.json)["findings"]
    assert report.findings == len(rows) == 5
    assert [r["purl"] for r in rows][:2] == ["pkg:maven/org.demo/lib@2.1", "pkg:pypi/demo-pkg"]
    pypi = next(r for r in rows if r["advisory_id"] == "CVE-1")
    assert pypi["kev"] is True and pypi["epss"] == 0.25
    maven = next(r for r in rows if r["advisory_id"] == "GHSA-2")
    assert maven["kev"] is False and maven["epss"] == 0.5  # through the related CVE
    empty = match_report(kb, [Component("x", purl="pkg:pypi/other@1")])
    assert empty.json == _reference_json(kb, [Component("x", purl="pkg:pypi/other@1")])
    assert empty.findings == 0


def test_knowledge_base_plain_round_trip_reports_the_same() -> None:
    kb = KnowledgeBase.build(RECORDS, kev={"CVE-1"}, epss={"CVE-9": 0.5, "CVE-404": 0.9})
    loaded = KnowledgeBase.from_plain(marshal.loads(marshal.dumps(kb.to_plain())))
    assert match_report(loaded, COMPONENTS).json == match_report(kb, COMPONENTS).json
    assert "CVE-404" not in loaded.epss  # scores of ids the knowledge base never reports


def test_real_data_round_trip_and_report() -> None:
    records = read_zip(require_shared("osv", "pypi-pypa-advisory-database.zip"))
    advisories = [a for batch in records for a in batch.advisories]
    kb = KnowledgeBase.build(advisories)
    loaded = KnowledgeBase.from_plain(marshal.loads(marshal.dumps(kb.to_plain())))
    comps = [
        Component("django", purl="pkg:pypi/django@2.2"),
        Component("django", purl="pkg:pypi/Django@2.2.0"),
        Component("jinja2", purl="pkg:pypi/jinja2@2.10"),
        Component("requests", purl="pkg:pypi/requests@2.31.0"),
    ]
    assert (
        match_report(loaded, comps).json
        == match_report(kb, comps).json
        == _reference_json(kb, comps)
    )
    ids = {r["advisory_id"] for r in orjson.loads(match_report(kb, comps).json)["findings"]}
    assert "CVE-2019-12308" in ids  # django 2.2 (PYSEC-2019-79 / GHSA-6c7v-2f49-8h26)
