"""Property tests: every scheme's sort key is a total order over strings of its shape."""

from __future__ import annotations

from types import ModuleType

from hypothesis import given, settings
from hypothesis import strategies as st

from psirt.versions import (
    apk,
    cran,
    dpkg,
    hackage,
    maven,
    nuget,
    packagist,
    pub,
    pypi,
    rpm,
    rubygems,
    semver,
)

_num = st.integers(min_value=0, max_value=12).map(str) | st.sampled_from(["0", "00", "01", "10"])
_word = st.sampled_from(
    ["a", "b", "rc", "alpha", "beta", "dev", "pre", "post", "p", "pl", "sp", "ga", "final",
     "snapshot", "milestone", "cr", "RC", "git", "svn", "cvs", "hg", "m", "r", "x", "Foo", "#"]
)  # fmt: skip
_sep = st.sampled_from([".", "-", "_", "+", "~", "^", ":", ""])
_token = _num | _word

# Strings built from the characters that matter to version schemes, many of them valid.
_generic = st.builds(
    lambda first, rest: first + "".join(s + t for s, t in rest),
    _num,
    st.lists(st.tuples(_sep, _token), max_size=5),
)
_semverish = st.builds(
    lambda v, core, pre, build: v + ".".join(core) + pre + build,
    st.sampled_from(["", "v"]),
    st.lists(_num, min_size=1, max_size=4),
    st.sampled_from(["", "-"]).flatmap(
        lambda d: st.lists(_token, max_size=3).map(lambda p: d + ".".join(p) if d and p else "")
    ),
    st.sampled_from(["", "+build", "+1", "+a.2"]),
)
_pep440 = st.builds(
    lambda e, rel, pre, post, dev, local: e + ".".join(rel) + pre + post + dev + local,
    st.sampled_from(["", "1!"]),
    st.lists(_num, min_size=1, max_size=4),
    st.sampled_from(["", "a1", "b2", "rc1", "c", "alpha", "-preview3"]),
    st.sampled_from(["", ".post1", "-2", "r", ".rev3"]),
    st.sampled_from(["", ".dev0", ".dev3", "dev"]),
    st.sampled_from(["", "+local", "+ubuntu.1", "+1.a"]),
)
_strings = _generic | _semverish | st.text(alphabet="0123456789.-~^_:+abrpv", max_size=10)

SCHEMES: list[tuple[ModuleType, st.SearchStrategy[str]]] = [
    (pypi, _pep440 | _strings),
    (semver, _semverish | _strings),
    (nuget, _semverish | _strings),
    (pub, _semverish | _strings),
    (maven, _generic | _strings),
    (rubygems, _generic | _strings),
    (packagist, _generic | _strings),
    (dpkg, _generic | _strings),
    (apk, _generic | _strings),
    (rpm, _generic | _strings),
    (cran, _generic | _strings),
    (hackage, _generic | _strings),
]


def _cmp(module: ModuleType, a: str, b: str) -> int:
    ka, kb = module.sort_key(a), module.sort_key(b)
    lt, gt, eq = ka < kb, kb < ka, ka == kb
    assert lt + gt + eq == 1, f"{module.NAME}: {a!r} vs {b!r} is not exactly one of <, =, >"
    if eq:
        assert hash(ka) == hash(kb), f"{module.NAME}: equal keys hash apart: {a!r} {b!r}"
    return -1 if lt else (1 if gt else 0)


def _check(module: ModuleType, a: str, b: str, c: str) -> None:
    ab, bc, ac = _cmp(module, a, b), _cmp(module, b, c), _cmp(module, a, c)
    assert _cmp(module, b, a) == -ab, f"{module.NAME}: not antisymmetric on {a!r}, {b!r}"
    assert _cmp(module, a, a) == 0
    if ab <= 0 and bc <= 0:
        assert ac <= 0, f"{module.NAME}: {a!r} <= {b!r} <= {c!r} but {a!r} > {c!r}"
    if ab == 0 and bc == 0:
        assert ac == 0, f"{module.NAME}: equality not transitive on {a!r}, {b!r}, {c!r}"
    if ab >= 0 and bc >= 0:
        assert ac >= 0, f"{module.NAME}: {a!r} >= {b!r} >= {c!r} but {a!r} < {c!r}"


def _make(module: ModuleType, strategy: st.SearchStrategy[str]):  # type: ignore[no-untyped-def]
    @settings(max_examples=250, deadline=None)
    @given(strategy, strategy, strategy)
    def test(a: str, b: str, c: str) -> None:
        _check(module, a, b, c)

    test.__name__ = f"test_total_order_{module.NAME}"
    return test


for _module, _strategy in SCHEMES:
    globals()[f"test_total_order_{_module.NAME}"] = _make(_module, _strategy)


@settings(max_examples=300, deadline=None)
@given(st.lists(_generic | _semverish, min_size=2, max_size=12))
def test_sorting_by_key_is_stable_under_permutation(versions: list[str]) -> None:
    for module, _ in SCHEMES:
        once = sorted(versions, key=module.sort_key)
        twice = sorted(versions[1:] + versions[:1], key=module.sort_key)
        assert [module.sort_key(v) for v in once] == [module.sort_key(v) for v in twice]
        for left, right in zip(once, once[1:], strict=False):
            assert _cmp(module, left, right) <= 0
