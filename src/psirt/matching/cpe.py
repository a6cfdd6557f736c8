"""CPE names and NVD applicability statements: does a component's CPE fall under a CVE?

Parsing
    :func:`parse_cpe` reads CPE 2.3 formatted strings (``cpe:2.3:part:vendor:product:version:
    update:edition:language:sw_edition:target_sw:target_hw:other``, backslash escapes such as
    ``\\:`` ``\\.`` ``\\-``, ``*`` = ANY, ``-`` = NA) and CPE 2.2 URIs (``cpe:/a:vendor:product:
    version:update:edition:language``, percent-encoding, the packed ``~ed~sw~tsw~thw~other``
    edition, empty = ANY). Values are kept unescaped and lower-cased, so comparisons are
    case-insensitive as the CPE naming specification requires.

Versions
    :func:`compare_versions` is a generic order for upstream (C/C++) version strings: runs of
    digits compare as numbers, missing trailing numeric parts count as 0 (``7.0`` == ``7.0.0``),
    a letter run directly after a number is a later patch level as in OpenSSL
    (``1.1.1`` < ``1.1.1k`` < ``1.1.1w`` < ``1.1.2``), while the words ``dev``, ``alpha``,
    ``beta``, ``pre``, ``preview``, ``rc`` (and ``a``/``b`` right before a number, as in
    ``2.0b1``) mark pre-releases that sort before the release (``2.9.0rc1`` < ``2.9.0``).

Evaluating configurations
    :func:`component_matches` judges ONE component against NVD configurations (API 2.0 shape:
    a configuration holds nodes joined by ``operator``; a node holds ``cpeMatch`` entries
    joined by its own ``operator``, possibly negated).

    * A component is implicated only through a match with ``vulnerable=true`` in a
      non-negated node that matches the component's own CPE. Matching a non-vulnerable entry
      (the hardware of a firmware CVE, the OS a library runs on) never implicates it.
    * The other parts of an AND configuration or AND node (non-vulnerable "running on/with"
      platform entries, negated nodes) are platform conditions. They are treated as satisfied
      only if ``platform`` is ``None`` - the environment of the component is unknown, and a
      monitoring system must not drop the CVE on a guess - or if one of the CPEs in
      ``platform`` (the rest of the product: OS, hardware, sibling components) or the
      component itself satisfies them (a negated node: none of them matches). Pass the
      product's other CPEs as ``platform`` to have ``firmware AND hardware`` statements
      checked against the hardware that is actually there.
    * An OR configuration (the default) implicates the component when any node does.

False-positive guards applied when a CPE match entry is compared with the component
    1. vendor AND product must both be given on the component and equal the criteria's
       (case-insensitive, exact); a component is never matched on product alone, and an ANY or
       NA vendor/product on either side matches nothing.
    2. part must agree (``a``/``o``/``h``); ANY on either side is accepted.
    3. version: criteria ``-`` (NA) matches only a component version ``-``; a concrete
       criteria version must equal the component's (by :func:`compare_versions`); ``*``
       means any version, then ``versionStart/End Including/Excluding`` apply, and a bounded
       range never matches a component whose version is unknown (ANY/NA).
    4. update (``beta1``, ``rc2``, ``sp1``) is compared exactly: a concrete update in the
       criteria requires the same update on the component (a release ``2.9.0`` does not match
       ``2.9.0:rc0``); a concrete update on the component does not match an NA (``-``)
       update in the criteria. For range bounds the component's update is appended to its
       version (``2.9.0`` + ``rc1`` is compared as ``2.9.0-rc1``).
    5. edition, language, sw_edition, other: must be equal when both sides are concrete.
    6. target_sw / target_hw: must be equal when both are set (``windows`` vs ``linux``,
       ``node.js`` vs ``python``); ANY on either side is accepted.
    Embedded wildcards inside a value (``5.15.*``) are compared literally, not as patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cmp_to_key, lru_cache
from urllib.parse import unquote

from psirt.domain.advisory import CpeConfiguration, CpeMatch, CpeNode
from psirt.errors import InputError

ANY = "*"
NA = "-"

ATTRIBUTES = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)

_PARTS = frozenset({"a", "o", "h", ANY})


@dataclass(frozen=True, slots=True)
class Cpe:
    """A parsed CPE name; each attribute is ``*`` (ANY), ``-`` (NA) or an unescaped value."""

    part: str
    vendor: str
    product: str
    version: str = ANY
    update: str = ANY
    edition: str = ANY
    language: str = ANY
    sw_edition: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY
    other: str = ANY

    def to_fs(self) -> str:
        """The CPE 2.3 formatted string, with the needed backslash escapes."""
        return "cpe:2.3:" + ":".join(_escape(getattr(self, name)) for name in ATTRIBUTES)


def _escape(value: str) -> str:
    if value in (ANY, NA):
        return value
    return re.sub(r"([^A-Za-z0-9_.-])", r"\\\1", value).replace("\\-", "-")


# -- parsing ------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def parse_cpe(text: str, *, source: str = "cpe") -> Cpe:
    """Parse a CPE 2.3 formatted string or a CPE 2.2 URI; raise ``InputError`` otherwise."""
    stripped = text.strip()
    lower = stripped.lower()
    if lower.startswith("cpe:2.3:"):
        return _parse_fs(stripped, source)
    if lower.startswith("cpe:/"):
        return _parse_uri(stripped, source)
    raise InputError(source, None, f"not a CPE name (cpe:2.3:... or cpe:/...): {text!r}")


def _split_fs(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _fs_value(raw: str, name: str, text: str, source: str) -> str:
    if raw == "":
        raise InputError(source, name, f"empty attribute in {text!r}")
    if raw in (ANY, NA):
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            if i + 1 >= len(raw):
                raise InputError(source, name, f"dangling backslash in {text!r}")
            out.append(raw[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out).lower()


def _parse_fs(text: str, source: str) -> Cpe:
    fields = _split_fs(text)
    if len(fields) != 13:
        raise InputError(
            source, None, f"CPE 2.3 name has {len(fields) - 2} attributes, expected 11: {text!r}"
        )
    values = [
        _fs_value(raw, name, text, source) for raw, name in zip(fields[2:], ATTRIBUTES, strict=True)
    ]
    return _checked(Cpe(*values), text, source)


def _uri_value(raw: str, name: str, text: str, source: str) -> str:
    if raw == "":
        return ANY
    if raw == NA:
        return NA
    try:
        value = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise InputError(source, name, f"bad percent-encoding in {text!r}") from None
    return value.lower()


def _parse_uri(text: str, source: str) -> Cpe:
    body = text[5:]
    fields = body.split(":")
    if len(fields) > 7:
        raise InputError(
            source, None, f"CPE 2.2 URI has {len(fields)} components, at most 7: {text!r}"
        )
    fields += [""] * (7 - len(fields))
    values = [
        _uri_value(raw, name, text, source) for raw, name in zip(fields, ATTRIBUTES, strict=False)
    ]
    extra = [ANY] * 4  # sw_edition, target_sw, target_hw, other
    edition_raw = fields[5]
    if edition_raw.startswith("~"):
        packed = edition_raw[1:].split("~")
        if len(packed) != 5:
            raise InputError(source, "edition", f"packed edition needs 5 fields: {text!r}")
        values[5] = _uri_value(packed[0], "edition", text, source)
        extra = [
            _uri_value(p, name, text, source)
            for p, name in zip(packed[1:], ATTRIBUTES[7:], strict=True)
        ]
    return _checked(Cpe(*values, *extra), text, source)


def _checked(cpe: Cpe, text: str, source: str) -> Cpe:
    if cpe.part not in _PARTS:
        raise InputError(source, "part", f"part must be a, o or h: {text!r}")
    return cpe


# -- version order ------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+|[a-z]+")
_PRE_WORDS = {"dev": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3, "rc": 4}
_PRE_LETTERS = {"a": 1, "b": 2}


@lru_cache(maxsize=65536)
def _tokens(version: str) -> tuple[tuple[int, int, str], ...]:
    """(class, number, text): class 0 = pre-release word, 1 = other letters, 2 = number."""
    text = version.strip().lower()
    if text[:1] == "v" and text[1:2].isdigit():
        text = text[1:]
    raw = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
    out: list[tuple[int, int, str]] = []
    for i, (tok, _start) in enumerate(raw):
        if tok.isdigit():
            out.append((2, int(tok), ""))
            continue
        next_is_number = i + 1 < len(raw) and raw[i + 1][0].isdigit()
        if tok in _PRE_WORDS:
            out.append((0, _PRE_WORDS[tok], tok))
        elif tok in _PRE_LETTERS and next_is_number and i > 0:
            out.append((0, _PRE_LETTERS[tok], tok))
        else:
            out.append((1, 0, tok))
    return tuple(out)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, equal to or after ``b`` (see the module docstring)."""
    ta, tb = _tokens(a), _tokens(b)
    for i in range(max(len(ta), len(tb))):
        x = ta[i] if i < len(ta) else None
        y = tb[i] if i < len(tb) else None
        if x is None or y is None:
            present = y if x is None else x
            assert present is not None
            bigger = 1 if x is not None else -1  # the result when the longer side is bigger
            if present[0] == 2:
                if present[1] == 0:
                    continue  # 1.0 == 1.0.0
                return bigger
            if present[0] == 0:
                return -bigger  # a pre-release suffix: 2.9.0rc1 < 2.9.0
            return bigger  # a patch letter: 1.1.1 < 1.1.1a
        if x != y:
            if x[0] != y[0]:
                return -1 if x[0] < y[0] else 1
            if x[1] != y[1]:
                return -1 if x[1] < y[1] else 1
            return -1 if x[2] < y[2] else 1
    return 0


version_sort_key = cmp_to_key(compare_versions)


# -- matching -----------------------------------------------------------------------------


def _concrete(value: str) -> bool:
    return value not in (ANY, NA)


def _loose_equal(a: str, b: str) -> bool:
    """Equal when both concrete; ANY on either side is accepted."""
    if a == ANY or b == ANY:
        return True
    return a == b


def _version_for_range(cpe: Cpe) -> str:
    if _concrete(cpe.update):
        return f"{cpe.version}-{cpe.update}"
    return cpe.version


def _in_range(version: str, m: CpeMatch) -> bool:
    if m.version_start_including and compare_versions(version, m.version_start_including) < 0:
        return False
    if m.version_start_excluding and compare_versions(version, m.version_start_excluding) <= 0:
        return False
    if m.version_end_including and compare_versions(version, m.version_end_including) > 0:
        return False
    return not (m.version_end_excluding and compare_versions(version, m.version_end_excluding) >= 0)


def _has_bounds(m: CpeMatch) -> bool:
    return bool(
        m.version_start_including
        or m.version_start_excluding
        or m.version_end_including
        or m.version_end_excluding
    )


def match_entry(component: Cpe, m: CpeMatch) -> bool:
    """Does one ``cpeMatch`` entry cover the component (ignoring its ``vulnerable`` flag)?"""
    try:
        crit = parse_cpe(m.criteria)
    except InputError:
        return False
    # guard 1: vendor and product, both concrete, both equal
    if not (_concrete(component.vendor) and _concrete(component.product)):
        return False
    if component.vendor != crit.vendor or component.product != crit.product:
        return False
    # guard 2: part
    if not _loose_equal(component.part, crit.part):
        return False
    # guard 4: update compared exactly
    if _concrete(crit.update) and component.update != crit.update:
        return False
    if crit.update == NA and _concrete(component.update):
        return False
    # guards 5 and 6
    for name in ("edition", "language", "sw_edition", "other", "target_sw", "target_hw"):
        if not _loose_equal(getattr(component, name), getattr(crit, name)):
            return False
    # guard 3: version
    if crit.version == NA:
        return component.version == NA
    if crit.version != ANY:
        if not _concrete(component.version):
            return False
        if compare_versions(component.version, crit.version) != 0:
            return False
    if not _has_bounds(m):
        return True
    if not _concrete(component.version):
        return False
    return _in_range(_version_for_range(component), m)


def _node_hits(node: CpeNode, component: Cpe, others: Sequence[Cpe] | None) -> bool:
    """The node implicates the component: a vulnerable entry matches it, and the node's own
    AND conditions hold."""
    if node.negate:
        return False
    hit = [m for m in node.matches if m.vulnerable and match_entry(component, m)]
    if not hit:
        return False
    if node.operator.upper() != "AND":
        return True
    rest = [m for m in node.matches if m not in hit]
    return all(_entry_satisfied(m, component, others) for m in rest)


def _entry_satisfied(m: CpeMatch, component: Cpe, others: Sequence[Cpe] | None) -> bool:
    if others is None:
        return True
    return any(match_entry(c, m) for c in (component, *others))


def _node_satisfied(node: CpeNode, component: Cpe, others: Sequence[Cpe] | None) -> bool:
    """A platform condition node holds in the given environment (unknown = holds)."""
    if others is None:
        return True
    if node.operator.upper() == "AND":
        value = all(_entry_satisfied(m, component, others) for m in node.matches)
    else:
        value = any(_entry_satisfied(m, component, others) for m in node.matches)
    return not value if node.negate else value


def configuration_matches(
    component: Cpe, configuration: CpeConfiguration, others: Sequence[Cpe] | None = None
) -> bool:
    nodes = configuration.nodes
    conjunction = configuration.operator.upper() == "AND"
    for i, node in enumerate(nodes):
        if not _node_hits(node, component, others):
            continue
        if not conjunction or all(
            _node_satisfied(other, component, others) for j, other in enumerate(nodes) if j != i
        ):
            return True
    return False


def component_matches(
    cpe: str,
    configurations: Iterable[CpeConfiguration],
    *,
    platform: Iterable[str] | None = None,
) -> bool:
    """Is the component named by ``cpe`` implicated by any of the configurations?

    ``platform``: CPEs of the component's environment (``None`` = unknown; platform conditions
    are then assumed to hold). Raises ``InputError`` when ``cpe`` is not a CPE name.
    """
    component = parse_cpe(cpe, source="component")
    others = None if platform is None else tuple(parse_cpe(p, source="platform") for p in platform)
    return any(configuration_matches(component, conf, others) for conf in configurations)


def to_cpe23(text: str, *, source: str = "cpe") -> str:
    """Normalise a CPE 2.2 URI or 2.3 string to a CPE 2.3 formatted string."""
    return parse_cpe(text, source=source).to_fs()
