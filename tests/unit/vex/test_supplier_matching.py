"""Which components a supplier statement is about: purl, CPE, vendor/product name, versions
and ranges."""

from __future__ import annotations

import pytest

from psirt.domain.vex import ProductRef
from psirt.matching.cpe import compare_versions
from psirt.matching.supplier import ComponentFacts, ComponentIndex, in_range, parse_range

COMPONENTS = [
    ComponentFacts(1, 10, "jinja2", "2.11.2", "pkg:pypi/jinja2@2.11.2", None, None),
    ComponentFacts(2, 10, "Jinja2", "3.1.4", "pkg:pypi/Jinja2@3.1.4", None, None),
    ComponentFacts(
        3, 10, "wolfSSL", "4.8.1", None, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", None
    ),
    ComponentFacts(4, 11, "Alaris PC Unit", "9.19", None, None, "Becton, Dickinson and Company"),
    ComponentFacts(5, 11, "Alaris PC Unit", "9.33", None, None, "BD"),
    ComponentFacts(6, 11, "Alaris PC Unit", "9.19", None, None, "Baxter"),
]
INDEX = ComponentIndex(COMPONENTS)


def _ids(ref: ProductRef, *, by_name: bool = False) -> list[tuple[int, str]]:
    return sorted((c.id, how) for c, how in INDEX.matches(ref, by_name=by_name))


def test_purl_normalised_per_ecosystem_and_versioned() -> None:
    assert _ids(ProductRef("x", purl="pkg:pypi/Jinja2@2.11.2")) == [(1, "purl")]
    assert _ids(ProductRef("x", purl="pkg:pypi/jinja2")) == [(1, "purl"), (2, "purl")]
    assert _ids(ProductRef("x", purl="pkg:pypi/jinja2", version_range="vers:pypi/>=3")) == [
        (2, "purl")
    ]
    assert _ids(ProductRef("x", purl="pkg:npm/jinja2@2.11.2")) == []


def test_cpe_vendor_product_and_version() -> None:
    assert _ids(ProductRef("x", cpe="cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*")) == [
        (3, "cpe")
    ]
    assert _ids(ProductRef("x", cpe="cpe:/a:wolfssl:wolfssl:4.8.1")) == [(3, "cpe")]
    assert _ids(ProductRef("x", cpe="cpe:2.3:a:wolfssl:wolfssl:5.0:*:*:*:*:*:*:*")) == []
    assert _ids(
        ProductRef("x", cpe="cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", version_range="< 5.0")
    ) == [(3, "cpe")]


def test_product_name_with_vendor_agreement() -> None:
    ref = ProductRef(
        "Alaris PC Unit 9.19",
        vendor="Becton, Dickinson and Company",
        name="Alaris PC Unit",
        version="9.19",
    )
    assert _ids(ref) == []  # name matching only for CSAF product trees
    assert _ids(ref, by_name=True) == [(4, "name")]  # not Baxter's, not 9.33
    ranged = ProductRef("x", vendor="BD", name="ALARIS pc-unit", version_range="<= 9.33")
    assert _ids(ranged, by_name=True) == [(4, "name"), (5, "name")]
    wildcard = ProductRef("x", vendor="BD", name="Alaris PC Unit", version="9.X")
    assert _ids(wildcard, by_name=True) == [(4, "name"), (5, "name")]
    unreadable = ProductRef("x", vendor="BD", name="Alaris PC Unit", version_range="<May 2018")
    assert _ids(unreadable, by_name=True) == [] and INDEX.unreadable_range(unreadable)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("vers:generic/>=1.0|<=2.3", ["1.0", "2.3", "1.9.9"], ["0.9", "2.4"]),
        ("vers:all/*", ["0", "99"], []),
        ("<= 4.2", ["4.2", "1"], ["4.3"]),
        (">= 1.3.4 | < 1.5.3", ["1.3.4", "1.5.2"], ["1.5.3", "1.3.3"]),
        ("vers:semver/<1.5.0|>=7.0.0", ["1.4.9", "7.1.0"], ["1.5.0", "6.9"]),
        ("vers:generic/1.0|2.0", ["2.0"], ["1.5"]),
        ("vers:generic/!=1.5", ["1.4"], ["1.5"]),
    ],
)
def test_ranges(text: str, inside: list[str], outside: list[str]) -> None:
    constraints = parse_range(text)
    assert constraints is not None
    assert all(in_range(v, constraints, compare_versions) for v in inside)
    assert not any(in_range(v, constraints, compare_versions) for v in outside)


@pytest.mark.parametrize("text", ["distributed  < april 1, 2018", "<May 2018", "<=N", "vers:"])
def test_unreadable_ranges(text: str) -> None:
    assert parse_range(text) is None
