"""Which stored components a supplier statement is about.

A statement's product (:class:`~psirt.domain.vex.ProductRef`) meets a component

* by **purl**: same type, namespace and name (names normalised per ecosystem where psirt
  knows the ecosystem); a versioned purl needs the same version, an unversioned one takes
  the statement's version or range, else every version;
* by **CPE**: same part, vendor and product (case-insensitive); a concrete CPE version needs
  the same version, ANY takes the statement's version or range, else every version;
* by **name** (CSAF product trees only, where the branches name vendor and product): the
  product name equals the component's name (method ``name``) or its CPE's product (method
  ``cpe``, the vendor then compared with the CPE's vendor), both normalised to lower-case
  letters and digits; the vendor, where both sides name one (the component's supplier or CPE
  vendor), agrees (a word of one name, other than words like "inc" or "medical", is a word or
  the initials of the other: "General Electric (GE)" and "GE Healthcare", "Becton, Dickinson
  and Company" and "BD"); the version is the branch's
  ``product_version`` (``2.X`` and ``2.*`` stand for every 2.x version) or lies in its
  ``product_version_range``; a product without either is every version.

Versions compare by the ecosystem's own ordering when the purl names one psirt knows, else by
the generic ordering of :func:`psirt.matching.cpe.compare_versions`. Ranges are ``vers:``
ranges (vers specification) or the comparator lists CSAF documents write (``<= 4.2``,
``>= 1.3.4 | < 1.5.3``); a range psirt cannot read matches nothing and is reported, never
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from psirt.domain.vex import ProductRef
from psirt.errors import InputError, UnknownEcosystem
from psirt.matching.cpe import ANY, NA, compare_versions, parse_cpe
from psirt.versions import compare, ecosystem_from_purl, normalize_name


@dataclass(frozen=True, slots=True)
class ComponentFacts:
    """What matching reads of a stored component."""

    id: int
    release_id: int
    name: str
    version: str
    purl: str | None
    cpe: str | None
    supplier: str | None


class Method:
    PURL = "purl"
    CPE = "cpe"
    NAME = "name"


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


@dataclass(frozen=True, slots=True)
class _Purl:
    key: tuple[str, str, str]  # type, namespace, name (normalised)
    version: str | None
    ecosystem: str | None


def _purl(text: str | None) -> _Purl | None:
    if not text:
        return None
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(text)
    except ValueError:
        return None
    ecosystem: str | None = None
    name = unquote(p.name)
    found = None
    try:
        found = ecosystem_from_purl(text)
    except (ValueError, UnknownEcosystem):
        found = None
    if found is not None:
        ecosystem = found[0]
        try:
            name = normalize_name(ecosystem, found[1])
        except UnknownEcosystem:
            name = found[1]
        return _Purl((p.type.lower(), "", name), p.version or None, ecosystem)
    return _Purl(
        (p.type.lower(), unquote(p.namespace or "").lower(), name.lower()), p.version or None, None
    )


@dataclass(frozen=True, slots=True)
class _Cpe:
    part: str
    vendor: str
    product: str
    version: str | None  # None: ANY or NA


def _cpe(text: str | None) -> _Cpe | None:
    if not text:
        return None
    try:
        c = parse_cpe(text, source="cpe")
    except InputError:
        return None
    if c.vendor in (ANY, NA) or c.product in (ANY, NA):
        return None
    version = c.version if c.version not in (ANY, NA) else None
    return _Cpe(c.part.lower(), c.vendor.lower(), c.product.lower(), version)


# --- versions and ranges -------------------------------------------------------------------

Compare = Callable[[str, str], int]
_CONSTRAINT = re.compile(r"\s*(<=|>=|!=|<|>|=)?\s*(\S+)\s*\Z")


def comparator(ecosystem: str | None) -> Compare:
    if ecosystem is None:
        return compare_versions

    def cmp(a: str, b: str) -> int:
        try:
            return compare(ecosystem, a, b)
        except (UnknownEcosystem, ValueError):
            return compare_versions(a, b)

    return cmp


def _same_version(a: str, b: str, cmp: Compare) -> bool:
    if a == b:
        return True
    wildcard = re.fullmatch(r"(.+?)[.]?[xX*]", b)
    if wildcard and not re.fullmatch(r"[xX*]", b):
        prefix = wildcard.group(1).rstrip(".")
        return a == prefix or a.startswith(prefix + ".")
    try:
        return cmp(a, b) == 0
    except (ValueError, TypeError):
        return False


def parse_range(text: str) -> list[tuple[str, str]] | None:
    """A range as (comparator, version) constraints; ``[("*", "")]`` for every version; None
    when it is neither a ``vers:`` range nor a list of comparator constraints."""
    body = text.strip()
    if body.lower().startswith("vers:"):
        scheme, sep, rest = body[5:].partition("/")
        if not sep or not scheme:
            return None
        body = rest
    if body.strip() == "*":
        return [("*", "")]
    out: list[tuple[str, str]] = []
    for item in body.split("|"):
        m = _CONSTRAINT.match(item)
        if m is None or not re.search(r"\d", m.group(2)):
            return None
        out.append((m.group(1) or "=", unquote(m.group(2))))
    return out or None


def in_range(version: str, constraints: list[tuple[str, str]], cmp: Compare) -> bool:
    """Whether ``version`` lies in the range (the vers specification's algorithm: equalities
    and exclusions first, then the sorted comparators pairwise as intervals)."""
    if constraints == [("*", "")]:
        return True
    for op, v in constraints:
        if op == "=" and cmp(version, v) == 0:
            return True
        if op == "!=" and cmp(version, v) == 0:
            return False
    ranges = sorted(
        ((op, v) for op, v in constraints if op in ("<", "<=", ">", ">=")),
        key=lambda c: _Key(c[1], cmp),
    )

    def ok(op: str, v: str) -> bool:
        c = cmp(version, v)
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]

    if not ranges:
        return not any(op == "=" for op, _v in constraints) and any(
            op == "!=" for op, _v in constraints
        )
    first_op, first_v = ranges[0]
    if first_op in ("<", "<=") and ok(first_op, first_v):
        return True
    for (op, v), (next_op, next_v) in zip(ranges, ranges[1:], strict=False):
        if op in (">", ">=") and next_op in ("<", "<=") and ok(op, v) and ok(next_op, next_v):
            return True
    last_op, last_v = ranges[-1]
    return last_op in (">", ">=") and ok(last_op, last_v)


class _Key:
    __slots__ = ("cmp", "v")

    def __init__(self, v: str, cmp: Compare) -> None:
        self.v, self.cmp = v, cmp

    def __lt__(self, other: _Key) -> bool:
        return self.cmp(self.v, other.v) < 0


def version_fits(ref: ProductRef, version: str, cmp: Compare) -> bool | None:
    """Whether a component version fits the statement's version or range; True when it names
    neither; None when its range cannot be read."""
    if ref.version:
        return bool(version) and _same_version(version, ref.version, cmp)
    if ref.version_range:
        constraints = parse_range(ref.version_range)
        if constraints is None:
            return None
        return bool(version) and in_range(version, constraints, cmp)
    return True


# --- matching ----------------------------------------------------------------------------


# Words that say nothing about which vendor is meant.
_VENDOR_NOISE = frozenset(
    "a ab ag and co company corp corporation de devices device electronics gmbh group health "
    "healthcare inc incorporated international kg limited llc ltd medical nv of plc sa sas "
    "solutions software systems system technologies technology the".split()
)


def _vendor_words(name: str) -> set[str]:
    """The words of a vendor name that identify it, with the initials of its words
    (``Becton, Dickinson and Company`` -> becton, dickinson, bd)."""
    words = [w for w in re.split(r"[^0-9a-z]+", name.lower()) if w and w not in _VENDOR_NOISE]
    out = set(words)
    if len(words) > 1:
        out.add("".join(w[0] for w in words))
    return out


def _vendor_agrees(ref_vendor: str | None, c: ComponentFacts, cpe: _Cpe | None) -> bool:
    """Whether the statement's vendor and the component's supplier (or CPE vendor) name the
    same company: a word of one is a word or the initials of the other. A side that names no
    vendor agrees."""
    if not ref_vendor:
        return True
    theirs = _vendor_words(ref_vendor)
    mine = [_vendor_words(v) for v in (c.supplier, cpe.vendor if cpe else None) if v]
    if not mine or not theirs:
        return True
    return any(theirs & words for words in mine)


class ComponentIndex:
    """The current components of stored releases, indexed for the three ways of matching."""

    def __init__(self, components: Iterable[ComponentFacts]) -> None:
        self.by_purl: dict[tuple[str, str, str], list[tuple[ComponentFacts, _Purl]]] = {}
        self.by_cpe: dict[tuple[str, str], list[tuple[ComponentFacts, _Cpe]]] = {}
        # normalised name -> (component, its CPE, whether the name is the CPE's product)
        self.by_name: dict[str, list[tuple[ComponentFacts, _Cpe | None, bool]]] = {}
        for c in components:
            p = _purl(c.purl)
            if p is not None:
                self.by_purl.setdefault(p.key, []).append((c, p))
            cpe = _cpe(c.cpe)
            if cpe is not None:
                self.by_cpe.setdefault((cpe.vendor, cpe.product), []).append((c, cpe))
                self.by_name.setdefault(_norm(cpe.product), []).append((c, cpe, True))
            if c.name and (cpe is None or _norm(c.name) != _norm(cpe.product)):
                self.by_name.setdefault(_norm(c.name), []).append((c, cpe, False))

    def matches(self, ref: ProductRef, *, by_name: bool) -> Iterator[tuple[ComponentFacts, str]]:
        """The components ``ref`` names, each once, with the way it was matched (purl before
        CPE before name)."""
        seen: set[int] = set()
        for c, method in self._matches(ref, by_name=by_name):
            if c.id not in seen:
                seen.add(c.id)
                yield c, method

    def _matches(self, ref: ProductRef, *, by_name: bool) -> Iterator[tuple[ComponentFacts, str]]:
        p = _purl(ref.purl)
        if p is not None:
            cmp = comparator(p.ecosystem)
            for c, cp in self.by_purl.get(p.key, ()):
                version = cp.version or c.version
                fits = (
                    bool(version) and _same_version(version, p.version, cmp)
                    if p.version
                    else version_fits(ref, version, cmp)
                )
                if fits:
                    yield c, Method.PURL
        cpe = _cpe(ref.cpe)
        if cpe is not None:
            for c, cc in self.by_cpe.get((cpe.vendor, cpe.product), ()):
                if cc.part != cpe.part and ANY not in (cc.part, cpe.part):
                    continue
                version = cc.version or c.version
                cmp = comparator(None)
                fits = (
                    bool(version) and _same_version(version, cpe.version, cmp)
                    if cpe.version
                    else version_fits(ref, version, cmp)
                )
                if fits:
                    yield c, Method.CPE
        if by_name and ref.name:
            for c, named_cpe, via_cpe in self.by_name.get(_norm(ref.name), ()):
                if not _vendor_agrees(ref.vendor, c, named_cpe):
                    continue
                version = c.version or (named_cpe.version if named_cpe else "") or ""
                if version_fits(ref, version, comparator(None)):
                    # the product tree's vendor and product name met the component's CPE
                    yield c, Method.CPE if via_cpe else Method.NAME

    def unreadable_range(self, ref: ProductRef) -> bool:
        return bool(ref.version_range) and parse_range(ref.version_range or "") is None
