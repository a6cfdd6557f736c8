"""An index loaded from plain data matches like the built one and can be written again."""

from __future__ import annotations

import marshal

from psirt.domain.sbom import Component
from psirt.matching.index import AdvisoryIndex
from tests.unit.matching.test_plain_and_report import COMPONENTS, RECORDS


def _loaded(built: AdvisoryIndex) -> AdvisoryIndex:
    return AdvisoryIndex.from_plain(marshal.loads(marshal.dumps(built.to_plain())))


def test_a_loaded_index_writes_the_same_plain_data() -> None:
    built = AdvisoryIndex(RECORDS)
    loaded = _loaded(built)
    assert loaded.packages() == built.packages() == {
        ("PyPI", "demo-pkg"),
        ("Maven", "org.demo:lib"),  # sort keys marshal cannot write: kept as strings
        ("AlmaLinux", "zlib"),
    }  # fmt: skip
    assert loaded.match(COMPONENTS) == built.match(COMPONENTS)
    assert loaded.to_plain() == built.to_plain()
    again = _loaded(loaded)
    assert again.match(COMPONENTS) == built.match(COMPONENTS)


def test_vulnerability_values_are_shared_between_components() -> None:
    loaded = _loaded(AdvisoryIndex(RECORDS))
    comps = [
        Component("zlib", purl="pkg:rpm/almalinux/zlib@1.2.11-39.el9?distro=almalinux-9"),
        Component("zlib", purl="pkg:rpm/almalinux/zlib@1.2.11-38.el9?distro=almalinux-9"),
    ]
    first, second = loaded.match(comps).matches
    assert first.vulnerabilities[0] is second.vulnerabilities[0]
    assert first.vulnerabilities[0].advisory_id == "ALSA-1"
    assert first.vulnerabilities[0].fixed_versions == ("1:1.2.11-40.el9",)
