"""psirt's one YAML reader: alias bombs, recursive aliases and deep nesting are refused with the
file and the place, in bounded time and memory; anchors, aliases and merge keys within the
limits load as YAML defines them, in SPDX YAML SBOMs and OSV YAML feeds alike."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from psirt.errors import InputError
from psirt.ingest import feeds
from psirt.ingest.sbom import parse_sbom, spdx_yaml
from psirt.ingest.sbom.validate import validate

SPDX_HEAD = (
    "spdxVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nname: doc\ndataLicense: CC0-1.0\n"
    "documentNamespace: https://example.org/doc\n"
    "creationInfo: {created: '2024-01-01T00:00:00Z', creators: ['Tool: x']}\n"
)


def alias_bomb(levels: int, head: str, tail: str) -> bytes:
    """``levels`` levels of ten aliases each: 10**(levels+1) nodes once expanded."""
    lines = [head.rstrip("\n"), 'l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    lines.append(tail.replace("LAST", f"*l{levels}"))
    return ("\n".join(lines) + "\n").encode()


SPDX_BOMB = alias_bomb(
    6,
    SPDX_HEAD,
    "packages: [{name: p, SPDXID: SPDXRef-p, downloadLocation: NOASSERTION, comment: LAST}]",
)
OSV_BOMB = alias_bomb(6, "id: OSV-2024-1\nmodified: '2024-01-01T00:00:00Z'", "details: LAST")


def bounded(call: Callable[[], Any], *, seconds: float = 5.0, megabytes: float = 64.0) -> Any:
    """Run ``call``; fail when it takes longer or allocates more than allowed."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        return call()
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < seconds, f"took {elapsed:.1f} s"
        assert peak < megabytes * 1024 * 1024, f"peak {peak / 1024 / 1024:.0f} MB"


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("spdx_yaml.parse", lambda: spdx_yaml.parse(SPDX_BOMB, source="bomb.spdx.yaml")),
        ("parse_sbom", lambda: parse_sbom(SPDX_BOMB, source="bomb.spdx.yaml")),
        ("validate", lambda: validate(SPDX_BOMB, source="bomb.spdx.yaml")),
        ("feeds.parse", lambda: feeds.parse(OSV_BOMB, source="bomb.spdx.yaml")),
    ],
)
def test_alias_bomb_is_refused_in_bounded_time_and_memory(
    name: str, read: Callable[[], Any]
) -> None:
    with pytest.raises(InputError) as info:
        bounded(read)
    message = str(info.value)
    assert message.startswith("bomb.spdx.yaml: line "), message
    assert "YAML aliases repeat more than 100000 nodes (an alias bomb); refused" in message


def test_merge_key_bomb_is_refused() -> None:
    from psirt.ingest import _yaml

    lines = ["a0: &a0 {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}"]
    for i in range(1, 8):
        merged = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} {{<<: [{merged}], n{i}: y}}")
    data = "\n".join(lines).encode()
    with pytest.raises(InputError, match=r"m\.yaml: line \d+, column \d+: YAML aliases repeat"):
        bounded(lambda: _yaml.load_yaml(data, "m.yaml", typed=True))
    with pytest.raises(InputError, match="YAML aliases repeat"):
        bounded(lambda: _yaml.load_yaml(data, "m.yaml", typed=False))


def test_recursive_alias_is_refused() -> None:
    from psirt.ingest import _yaml

    data = b"id: X\naffected: &a\n  - package: {name: n, ecosystem: PyPI}\n    again: *a\n"
    with pytest.raises(InputError) as info:
        _yaml.load_yaml(data, "r.yaml", typed=False)
    assert str(info.value) == (
        "r.yaml: line 4, column 12: recursive YAML alias *a: the anchored value contains itself"
    )


def test_deep_nesting_is_refused() -> None:
    from psirt.ingest import _yaml

    depth = _yaml.MAX_DEPTH + 1
    data = ("x: " + "[" * depth + "]" * depth + "\n").encode()
    with pytest.raises(InputError, match=r"d\.yaml: line 1, column \d+: YAML nested more than"):
        _yaml.load_yaml(data, "d.yaml", typed=True)
    inner = _yaml.MAX_DEPTH - 1  # the top-level mapping is one level
    value = _yaml.load_yaml(("x: " + "[" * inner + "]" * inner).encode(), "d.yaml", typed=True)
    levels, node = 0, value["x"]
    while node:
        levels, node = levels + 1, node[0]
    assert levels == inner - 1


def test_anchors_and_merge_keys_within_the_limits_load_as_yaml_defines() -> None:
    data = (
        SPDX_HEAD
        + "supplier_default: &org 'Organization: Meridian Medical'\n"
        + "base: &base {downloadLocation: NOASSERTION, supplier: *org, versionInfo: '1.0'}\n"
        + "packages:\n"
        + "  - {<<: *base, name: a, SPDXID: SPDXRef-a}\n"
        + "  - {<<: *base, name: b, SPDXID: SPDXRef-b, versionInfo: '2.0'}\n"
    ).encode()
    sbom = spdx_yaml.parse(data, source="ok.spdx.yaml")
    assert [(c.name, c.version, c.supplier) for c in sbom.components] == [
        ("a", "1.0", "Meridian Medical"),
        ("b", "2.0", "Meridian Medical"),
    ]


def test_osv_yaml_merge_keys_merge_and_scalars_stay_strings() -> None:
    data = (
        b"id: PSIRT-YAML-1\nmodified: 2024-01-02T03:04:05Z\n"
        b"common: &common {ecosystem: PyPI}\n"
        b"affected:\n"
        b"  - package: {<<: *common, name: demo}\n"
        b"    versions: [1.10, 1.2]\n"
    )
    (advisory,) = feeds.parse(data, source="m.yaml").advisories
    (package,) = advisory.affected
    assert (package.ecosystem, package.name, package.versions) == ("PyPI", "demo", ("1.10", "1.2"))
    assert advisory.modified is not None and advisory.modified.isoformat() == (
        "2024-01-02T03:04:05+00:00"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # an impossible date and an integer longer than Python converts raised ValueError
        (SPDX_HEAD + "packages: [{name: p, SPDXID: SPDXRef-p, x: 2024-02-30}]\n", "value"),
        (SPDX_HEAD + "packages: [{name: p, SPDXID: SPDXRef-p, x: " + "9" * 5000 + "}]\n", "value"),
        (SPDX_HEAD + "packages: !!python/object:os.system {}\n", "could not determine"),
    ],
)
def test_unreadable_scalars_are_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=rf"s\.spdx\.yaml: .*{message}"):
        spdx_yaml.parse(text.encode(), source="s.spdx.yaml")
