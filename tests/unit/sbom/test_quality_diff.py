"""NTIA/FDA quality rows and score; SBOM diff."""

from __future__ import annotations

import datetime as dt

import pytest

from psirt.domain.sbom import (
    Component,
    Dependency,
    ItemClass,
    ParsedSbom,
    SbomFormat,
    Serialization,
)
from psirt.ingest.sbom import parse_sbom
from psirt.ingest.sbom.diff import compare_versions, component_key, diff
from psirt.ingest.sbom.quality import assess
from tests.conftest import require_shared


def _sbom(*components: Component, deps: tuple[Dependency, ...] = (), **kw: object) -> ParsedSbom:
    return ParsedSbom(
        format=SbomFormat.CYCLONEDX,
        spec_version="1.6",
        serialization=Serialization.JSON,
        components=components,
        dependencies=deps,
        **kw,  # type: ignore[arg-type]
    )


def test_quality_rows_and_score_formula() -> None:
    full = Component(
        name="zlib",
        version="1.3.1",
        ref="z",
        purl="pkg:generic/zlib@1.3.1",
        supplier="zlib",
        item_class=ItemClass.SUPPORTED,
        support_end=dt.date(2030, 1, 1),
    )
    bare = Component(name="blob", ref="b")
    sbom = _sbom(
        full,
        bare,
        deps=(Dependency("z", ()),),
        authors=("Acme",),
        timestamp=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
    )
    report = assess(sbom)
    z, b = report.components
    assert z.missing == ()
    assert (z.level_of_support, z.end_of_support) == ("supported", "2030-01-01")
    assert b.missing == (
        "supplier",
        "version",
        "unique_identifier",
        "dependency",
        "level_of_support",
        "end_of_support",
    )
    # (7 + 1 + 2) / (7 * 2 + 2); NTIA only: (5 + 1 + 2) / (5 * 2 + 2)
    assert report.score == round(100 * 10 / 16, 1)
    assert report.ntia_score == round(100 * 8 / 12, 1)
    assert report.missing_by_field()["supplier"] == 1


def test_quality_of_the_medical_device_sbom() -> None:
    path = require_shared("sbom", "medical", "sbom-completeness", "narrow.sbom.json")
    report = assess(parse_sbom(path.read_bytes(), source=path.name))
    assert len(report.components) == 55
    assert report.author and report.timestamp
    wolfssl = next(r for r in report.components if r.name == "WolfSSL")
    assert wolfssl.level_of_support == "Actively maintained"
    assert wolfssl.end_of_support == "Open source"
    assert wolfssl.unique_identifier and wolfssl.version_present
    assert 0 < report.score < 100


def test_empty_sbom_scores_on_document_elements() -> None:
    assert assess(_sbom()).score == 0.0
    assert assess(_sbom(authors=("a",))).score == 50.0


@pytest.mark.parametrize(
    ("purl", "a", "b", "expected"),
    [
        ("pkg:pypi/django@1.0", "1.9", "1.10", -1),
        ("pkg:pypi/django@1.0", "2.0rc1", "2.0", -1),
        ("pkg:generic/blob@1", "1.10", "1.9", 1),
        (None, "1.2.3", "1.2.3", 0),
        ("pkg:unknown-eco/x@1", "2", "10", -1),
    ],
)
def test_compare_versions(purl: str | None, a: str, b: str, expected: int) -> None:
    assert compare_versions(purl, a, b) == expected


def test_component_key_drops_version_qualifiers_and_subpath() -> None:
    c = Component(name="x", purl="pkg:maven/org.acme/x@1.0?type=jar#sub")
    assert component_key(c) == "pkg:maven/org.acme/x"
    assert component_key(Component(name="X", group="G", type="firmware")) == "firmware:g/x"


def test_diff() -> None:
    def c(name: str, version: str, **kw: object) -> Component:
        return Component(name=name, version=version, purl=f"pkg:pypi/{name}@{version}", **kw)  # type: ignore[arg-type]

    a = _sbom(
        c("requests", "2.9.0"),
        c("urllib3", "2.0.0"),
        c("six", "1.16.0"),
        c("idna", "3.4"),
        Component(name="fw", version="1"),
    )
    b = _sbom(
        c("requests", "2.10.0"),
        c("urllib3", "1.26.0"),
        c("certifi", "2024.2.2"),
        c("idna", "3.4", cpe="cpe:2.3:a:idna:idna:3.4:*:*:*:*:*:*:*"),
        Component(name="fw", version="1"),
    )
    d = diff(a, b)
    assert [(u.before.version, u.after.version) for u in d.upgraded] == [("2.9.0", "2.10.0")]
    assert [(u.before.version, u.after.version) for u in d.downgraded] == [("2.0.0", "1.26.0")]
    assert [x.name for x in d.added] == ["certifi"]
    assert [x.name for x in d.removed] == ["six"]
    assert [x.key for x in d.changed] == ["pkg:pypi/idna"]
    assert d.unchanged == 1
    assert diff(a, a).is_empty


def test_diff_of_laravel_1_2_and_1_4_is_empty_on_versions() -> None:
    base = ("sbom", "cyclonedx", "bom-examples", "SBOM", "laravel-7.12.0")
    old = parse_sbom(require_shared(*base, "bom.1.2.json").read_bytes(), source="1.2")
    new = parse_sbom(require_shared(*base, "bom.1.4.json").read_bytes(), source="1.4")
    d = diff(old, new)
    assert not (d.added or d.removed or d.upgraded or d.downgraded)
    assert d.unchanged + len(d.changed) == 62
