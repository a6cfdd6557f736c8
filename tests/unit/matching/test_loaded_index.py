"""An index loaded from plain data builds a package only when a component names it."""

from __future__ import annotations

import marshal

from psirt.domain.sbom import Component
from psirt.matching.index import AdvisoryIndex
from tests.unit.matching.test_plain_and_report import COMPONENTS, RECORDS


def _loaded(built: AdvisoryIndex) -> AdvisoryIndex:
    return AdvisoryIndex.from_plain(marshal.loads(marshal.dumps(built.to_plain())))


def test_packages_are_built_on_first_use() -> None:
    built = AdvisoryIndex(RECORDS)
    loaded = _loaded(built)
    assert (
        loaded.packages()
        == built.packages()
        == {
            ("PyPI", "demo-pkg"),
            ("Maven", "org.demo:lib"),
            ("AlmaLinux", "zlib"),
        }
    )
    assert loaded._tables == {}  # nothing decoded yet
    result = loaded.match([Component("demo", purl="pkg:pypi/Demo_Pkg@1.0.5")])
    assert [v.advisory_id for m in result.matches for v in m.vulnerabilities] == ["CVE-1"]
    assert set(loaded._tables) == {("PyPI", "demo-pkg")}
    assert set(loaded._packed) == {("Maven", "org.demo:lib"), ("AlmaLinux", "zlib")}
    assert loaded.match(COMPONENTS) == built.match(COMPONENTS)
    assert loaded._packed == {}


def test_a_loaded_index_writes_the_same_plain_data() -> None:
    built = AdvisoryIndex(RECORDS)
    loaded = _loaded(built)
    loaded.match([Component("demo", purl="pkg:pypi/demo-pkg@1.0.5")])  # one package built
    plain = loaded.to_plain()  # every package built, Maven's text-keyed table included
    assert sorted(p[:2] for p in plain["packages"]) == sorted(
        p[:2] for p in built.to_plain()["packages"]
    )
    again = AdvisoryIndex.from_plain(marshal.loads(marshal.dumps(plain)))
    assert again.match(COMPONENTS) == loaded.match(COMPONENTS) == built.match(COMPONENTS)
    assert AdvisoryIndex.from_plain(_loaded(built).to_plain()).to_plain() == built.to_plain()


def test_vulnerability_values_are_shared_between_releases() -> None:
    loaded = _loaded(AdvisoryIndex(RECORDS))
    comps = [
        Component("zlib", purl="pkg:rpm/almalinux/zlib@1.2.11-39.el9?distro=almalinux-9"),
        Component("zlib", purl="pkg:rpm/almalinux/zlib@1.2.11-38.el9?distro=almalinux-9"),
    ]
    first, second = loaded.match(comps).matches
    assert first.vulnerabilities[0] is second.vulnerabilities[0]
    assert first.vulnerabilities[0].advisory_id == "ALSA-1"
    assert first.vulnerabilities[0].fixed_versions == ("1:1.2.11-40.el9",)
