"""The mandatory tests of CSAF 2.0 (section 6.1), one function per test.

Each test takes the decoded document (:class:`Doc`, which indexes the product tree once) and
yields a :class:`~psirt.domain.csaf.CsafProblem` for every value that fails it, named by the
JSON pointer of that value. The tests read the document defensively: a document that fails
the JSON schema is still tested (a value of the wrong type is skipped here; the schema check
reports it), so that every problem is reported at once.

The CVSS schemas of test 6.1.8 and the data of tests 6.1.11 (CWE names) and 6.1.12 (the
IANA language subtag registry) are read by :mod:`psirt.publish.csaf_validate`, which passes
them in through :class:`Resources`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from psirt.domain.csaf import (
    STATUS_GROUPS,
    VEX_JUSTIFICATIONS,
    CsafProblem,
    CsafProfile,
    DocumentVersion,
    instant,
)

Json = Any


class SchemaCheck(Protocol):
    def __call__(self, value: Json, version: str) -> list[tuple[str, str]]:
        """Errors of a CVSS object against the schema of ``version`` as (pointer, message)."""
        ...


@dataclass(frozen=True, slots=True)
class Resources:
    """What some tests need besides the document."""

    cvss_schema: SchemaCheck  # 6.1.8
    cwe_names: Mapping[str, tuple[str, ...]]  # 6.1.11: "79" -> every name CWE-79 has had
    language_problem: Callable[[str], str | None]  # 6.1.12: why a tag is invalid, or None


def ptr(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) of ``parts``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _obj(value: Json) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Json) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Json) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value: Json, *path: str | int) -> Iterator[tuple[str, str]]:
    """(pointer, value) of each string item of an array."""
    for i, item in enumerate(_list(value)):
        if isinstance(item, str):
            yield ptr(*path, i), item


class Doc:
    """A decoded CSAF document with its product tree indexed."""

    def __init__(self, doc: Json) -> None:
        self.raw = _obj(doc)
        self.document = _obj(self.raw.get("document"))
        self.tree = _obj(self.raw.get("product_tree"))
        self.vulnerabilities = _list(self.raw.get("vulnerabilities"))
        self.tracking = _obj(self.document.get("tracking"))
        # full product name elements: (pointer of the element, element)
        self.full_product_names: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
        self.branch_nodes: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
        self._walk(_list(self.tree.get("branches")), ("product_tree", "branches"))
        for i, fpn in enumerate(_list(self.tree.get("full_product_names"))):
            if isinstance(fpn, dict):
                self.full_product_names.append((("product_tree", "full_product_names", i), fpn))
        for i, rel in enumerate(_list(self.tree.get("relationships"))):
            fpn = _obj(rel).get("full_product_name")
            if isinstance(fpn, dict):
                path = ("product_tree", "relationships", i, "full_product_name")
                self.full_product_names.append((path, fpn))
        self.product_ids = {
            pid for _p, fpn in self.full_product_names if (pid := _str(fpn.get("product_id")))
        }
        self.groups: dict[str, set[str]] = {}
        for group in _list(self.tree.get("product_groups")):
            gid = _str(_obj(group).get("group_id"))
            if gid is not None:
                members = {pid for _p, pid in _strings(_obj(group).get("product_ids"))}
                self.groups.setdefault(gid, set()).update(members)

    def _walk(self, branches: list[Any], path: tuple[str | int, ...]) -> None:
        for i, branch in enumerate(branches):
            if not isinstance(branch, dict):
                continue
            here = (*path, i)
            self.branch_nodes.append((here, branch))
            product = branch.get("product")
            if isinstance(product, dict):
                self.full_product_names.append(((*here, "product"), product))
            self._walk(_list(branch.get("branches")), (*here, "branches"))

    @property
    def category(self) -> str:
        return _str(self.document.get("category")) or ""

    def expand(self, item: Mapping[str, Any]) -> set[str]:
        """The product ids an item names through ``product_ids`` and ``group_ids``."""
        out = {pid for _p, pid in _strings(item.get("product_ids"))}
        for _p, gid in _strings(item.get("group_ids")):
            out |= self.groups.get(gid, set())
        return out


Problems = Iterator[CsafProblem]


# --- 6.1.1 to 6.1.5: product and group ids -----------------------------------------------

_PRODUCT_REF_LISTS = {
    "remediations": "product_ids",
    "scores": "products",
    "threats": "product_ids",
    "flags": "product_ids",
}
_GROUP_REF_LISTS = ("remediations", "threats", "flags")


def _product_references(d: Doc) -> Iterator[tuple[str, str]]:
    """(pointer, product id) of every reference to a product (types product_id_t outside a
    full product name, and products_t)."""
    for g, group in enumerate(_list(d.tree.get("product_groups"))):
        yield from _strings(
            _obj(group).get("product_ids"), "product_tree", "product_groups", g, "product_ids"
        )
    for r, rel in enumerate(_list(d.tree.get("relationships"))):
        for key in ("product_reference", "relates_to_product_reference"):
            value = _str(_obj(rel).get(key))
            if value is not None:
                yield ptr("product_tree", "relationships", r, key), value
    for v, vuln in enumerate(d.vulnerabilities):
        vuln = _obj(vuln)
        status = _obj(vuln.get("product_status"))
        for name in sorted(status):
            yield from _strings(status[name], "vulnerabilities", v, "product_status", name)
        for section, key in _PRODUCT_REF_LISTS.items():
            for i, item in enumerate(_list(vuln.get(section))):
                yield from _strings(_obj(item).get(key), "vulnerabilities", v, section, i, key)


def test_6_1_1(d: Doc) -> Problems:
    for path, pid in _product_references(d):
        if pid not in d.product_ids:
            yield CsafProblem(
                "6.1.1", path, f"product id {pid!r} is not defined in the product tree"
            )


def test_6_1_2(d: Doc) -> Problems:
    seen: dict[str, str] = {}
    for path, fpn in d.full_product_names:
        pid = _str(fpn.get("product_id"))
        if pid is None:
            continue
        here = ptr(*path, "product_id")
        if pid in seen:
            yield CsafProblem(
                "6.1.2", here, f"product id {pid!r} is defined again (first at {seen[pid]})"
            )
        else:
            seen[pid] = here


def test_6_1_3(d: Doc) -> Problems:
    edges: dict[str, set[str]] = defaultdict(set)
    defined: list[tuple[str, str]] = []
    for r, rel in enumerate(_list(d.tree.get("relationships"))):
        rel = _obj(rel)
        pid = _str(_obj(rel.get("full_product_name")).get("product_id"))
        if pid is None:
            continue
        defined.append(
            (ptr("product_tree", "relationships", r, "full_product_name", "product_id"), pid)
        )
        for key in ("product_reference", "relates_to_product_reference"):
            target = _str(rel.get(key))
            if target is not None:
                edges[pid].add(target)
    for path, pid in defined:
        stack, seen = list(edges.get(pid, ())), set()
        while stack:
            node = stack.pop()
            if node == pid:
                yield CsafProblem(
                    "6.1.3",
                    path,
                    f"product id {pid!r} is defined in terms of itself (circular relationship)",
                )
                break
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))


def test_6_1_4(d: Doc) -> Problems:
    for v, vuln in enumerate(d.vulnerabilities):
        for section in _GROUP_REF_LISTS:
            for i, item in enumerate(_list(_obj(vuln).get(section))):
                for path, gid in _strings(
                    _obj(item).get("group_ids"), "vulnerabilities", v, section, i, "group_ids"
                ):
                    if gid not in d.groups:
                        yield CsafProblem(
                            "6.1.4",
                            path,
                            f"product group id {gid!r} is not defined in the product tree",
                        )


def test_6_1_5(d: Doc) -> Problems:
    seen: dict[str, str] = {}
    for g, group in enumerate(_list(d.tree.get("product_groups"))):
        gid = _str(_obj(group).get("group_id"))
        if gid is None:
            continue
        here = ptr("product_tree", "product_groups", g, "group_id")
        if gid in seen:
            yield CsafProblem(
                "6.1.5", here, f"product group id {gid!r} is defined again (first at {seen[gid]})"
            )
        else:
            seen[gid] = here


# --- 6.1.6 to 6.1.10: product status and scores -------------------------------------------


def test_6_1_6(d: Doc) -> Problems:
    for v, vuln in enumerate(d.vulnerabilities):
        status = _obj(_obj(vuln).get("product_status"))
        first: dict[str, tuple[str, str]] = {}  # product id -> (group, list name)
        for name in sorted(status, key=lambda n: (n not in STATUS_GROUPS, n)):
            group = STATUS_GROUPS.get(name)
            if group is None:
                continue
            for path, pid in _strings(status[name], "vulnerabilities", v, "product_status", name):
                seen = first.get(pid)
                if seen is None:
                    first[pid] = (group, name)
                elif seen[0] != group:
                    yield CsafProblem(
                        "6.1.6",
                        path,
                        f"product {pid!r} is {group} ({name}) and "
                        f"{seen[0]} ({seen[1]}) in the same vulnerability",
                    )


def _score_versions(score: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(key, CVSS version) of the scores a score item holds."""
    if isinstance(score.get("cvss_v2"), dict):
        yield "cvss_v2", str(score["cvss_v2"].get("version", "2.0"))
    if isinstance(score.get("cvss_v3"), dict):
        v3 = score["cvss_v3"]
        version = _str(v3.get("version"))
        if version is None:
            vector = _str(v3.get("vectorString")) or ""
            version = vector[5:8] if vector.startswith("CVSS:") else "3"
        yield "cvss_v3", version


def test_6_1_7(d: Doc) -> Problems:
    for v, vuln in enumerate(d.vulnerabilities):
        seen: dict[tuple[str, str], int] = {}
        for s, score in enumerate(_list(_obj(vuln).get("scores"))):
            score = _obj(score)
            for _key, version in _score_versions(score):
                for path, pid in _strings(
                    score.get("products"), "vulnerabilities", v, "scores", s, "products"
                ):
                    if (pid, version) in seen and seen[(pid, version)] != s:
                        yield CsafProblem(
                            "6.1.7",
                            path,
                            f"product {pid!r} has a second CVSS v{version} score "
                            f"(the first is in scores[{seen[(pid, version)]}])",
                        )
                    seen.setdefault((pid, version), s)


def _cvss_objects(d: Doc) -> Iterator[tuple[tuple[str | int, ...], str, dict[str, Any]]]:
    for v, vuln in enumerate(d.vulnerabilities):
        for s, score in enumerate(_list(_obj(vuln).get("scores"))):
            for key in ("cvss_v2", "cvss_v3"):
                value = _obj(score).get(key)
                if isinstance(value, dict):
                    yield ("vulnerabilities", v, "scores", s, key), key, value


def cvss_schema_version(key: str, value: Mapping[str, Any]) -> str | None:
    """The CVSS schema a cvss_v2/cvss_v3 object must follow: by its ``version``, else by the
    prefix of its vector; None when neither names a version CSAF 2.0 allows there."""
    if key == "cvss_v2":
        return "2.0"
    version = _str(value.get("version"))
    if version in ("3.0", "3.1"):
        return version
    vector = _str(value.get("vectorString")) or ""
    if version is None and vector[:9] in ("CVSS:3.0/", "CVSS:3.1/"):
        return vector[5:8]
    return None


def make_test_6_1_8(resources: Resources) -> Callable[[Doc], Problems]:
    def test_6_1_8(d: Doc) -> Problems:
        for path, key, value in _cvss_objects(d):
            version = cvss_schema_version(key, value)
            if version is None:
                yield CsafProblem(
                    "6.1.8",
                    ptr(*path, "version"),
                    f"{value.get('version')!r} is not a CVSS version allowed in {key} (3.0 or 3.1)",
                )
                continue
            for where, message in resources.cvss_schema(value, version):
                yield CsafProblem(
                    "6.1.8", ptr(*path) + where, f"not valid CVSS v{version}: {message}"
                )

    return test_6_1_8


_V3_METRICS = {
    "AV": (
        "attackVector",
        {"N": "NETWORK", "A": "ADJACENT_NETWORK", "L": "LOCAL", "P": "PHYSICAL"},
    ),
    "AC": ("attackComplexity", {"L": "LOW", "H": "HIGH"}),
    "PR": ("privilegesRequired", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
    "UI": ("userInteraction", {"N": "NONE", "R": "REQUIRED"}),
    "S": ("scope", {"U": "UNCHANGED", "C": "CHANGED"}),
    "C": ("confidentialityImpact", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
    "I": ("integrityImpact", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
    "A": ("availabilityImpact", {"N": "NONE", "L": "LOW", "H": "HIGH"}),
    "E": (
        "exploitCodeMaturity",
        {
            "X": "NOT_DEFINED",
            "U": "UNPROVEN",
            "P": "PROOF_OF_CONCEPT",
            "F": "FUNCTIONAL",
            "H": "HIGH",
        },
    ),
    "RL": (
        "remediationLevel",
        {
            "X": "NOT_DEFINED",
            "O": "OFFICIAL_FIX",
            "T": "TEMPORARY_FIX",
            "W": "WORKAROUND",
            "U": "UNAVAILABLE",
        },
    ),
    "RC": (
        "reportConfidence",
        {"X": "NOT_DEFINED", "U": "UNKNOWN", "R": "REASONABLE", "C": "CONFIRMED"},
    ),
    "CR": (
        "confidentialityRequirement",
        {"X": "NOT_DEFINED", "L": "LOW", "M": "MEDIUM", "H": "HIGH"},
    ),
    "IR": ("integrityRequirement", {"X": "NOT_DEFINED", "L": "LOW", "M": "MEDIUM", "H": "HIGH"}),
    "AR": ("availabilityRequirement", {"X": "NOT_DEFINED", "L": "LOW", "M": "MEDIUM", "H": "HIGH"}),
    "MAV": (
        "modifiedAttackVector",
        {
            "X": "NOT_DEFINED",
            "N": "NETWORK",
            "A": "ADJACENT_NETWORK",
            "L": "LOCAL",
            "P": "PHYSICAL",
        },
    ),
    "MAC": ("modifiedAttackComplexity", {"X": "NOT_DEFINED", "L": "LOW", "H": "HIGH"}),
    "MPR": (
        "modifiedPrivilegesRequired",
        {"X": "NOT_DEFINED", "N": "NONE", "L": "LOW", "H": "HIGH"},
    ),
    "MUI": ("modifiedUserInteraction", {"X": "NOT_DEFINED", "N": "NONE", "R": "REQUIRED"}),
    "MS": ("modifiedScope", {"X": "NOT_DEFINED", "U": "UNCHANGED", "C": "CHANGED"}),
    "MC": (
        "modifiedConfidentialityImpact",
        {"X": "NOT_DEFINED", "N": "NONE", "L": "LOW", "H": "HIGH"},
    ),
    "MI": ("modifiedIntegrityImpact", {"X": "NOT_DEFINED", "N": "NONE", "L": "LOW", "H": "HIGH"}),
    "MA": (
        "modifiedAvailabilityImpact",
        {"X": "NOT_DEFINED", "N": "NONE", "L": "LOW", "H": "HIGH"},
    ),
}
_V2_METRICS = {
    "AV": ("accessVector", {"N": "NETWORK", "A": "ADJACENT_NETWORK", "L": "LOCAL"}),
    "AC": ("accessComplexity", {"H": "HIGH", "M": "MEDIUM", "L": "LOW"}),
    "Au": ("authentication", {"M": "MULTIPLE", "S": "SINGLE", "N": "NONE"}),
    "C": ("confidentialityImpact", {"N": "NONE", "P": "PARTIAL", "C": "COMPLETE"}),
    "I": ("integrityImpact", {"N": "NONE", "P": "PARTIAL", "C": "COMPLETE"}),
    "A": ("availabilityImpact", {"N": "NONE", "P": "PARTIAL", "C": "COMPLETE"}),
    "E": (
        "exploitability",
        {
            "U": "UNPROVEN",
            "POC": "PROOF_OF_CONCEPT",
            "F": "FUNCTIONAL",
            "H": "HIGH",
            "ND": "NOT_DEFINED",
        },
    ),
    "RL": (
        "remediationLevel",
        {
            "OF": "OFFICIAL_FIX",
            "TF": "TEMPORARY_FIX",
            "W": "WORKAROUND",
            "U": "UNAVAILABLE",
            "ND": "NOT_DEFINED",
        },
    ),
    "RC": (
        "reportConfidence",
        {"UC": "UNCONFIRMED", "UR": "UNCORROBORATED", "C": "CONFIRMED", "ND": "NOT_DEFINED"},
    ),
    "CDP": (
        "collateralDamagePotential",
        {
            "N": "NONE",
            "L": "LOW",
            "LM": "LOW_MEDIUM",
            "MH": "MEDIUM_HIGH",
            "H": "HIGH",
            "ND": "NOT_DEFINED",
        },
    ),
    "TD": (
        "targetDistribution",
        {"N": "NONE", "L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": "NOT_DEFINED"},
    ),
    "CR": (
        "confidentialityRequirement",
        {"L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": "NOT_DEFINED"},
    ),
    "IR": ("integrityRequirement", {"L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": "NOT_DEFINED"}),
    "AR": (
        "availabilityRequirement",
        {"L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": "NOT_DEFINED"},
    ),
}


def _vector_metrics(key: str, vector: str) -> dict[str, str] | None:
    """The metrics of a CVSS vector (``AV`` -> ``N``); None when it is not one."""
    parts = vector.split("/")
    if key == "cvss_v3":
        if not parts or not parts[0].startswith("CVSS:3"):
            return None
        parts = parts[1:]
    elif parts and parts[0].startswith("("):  # "(AV:N/...)" as some CVSS v2 vectors are written
        return None
    out: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition(":")
        if not sep:
            return None
        out[name] = value
    return out


def test_6_1_10(d: Doc) -> Problems:
    for path, key, value in _cvss_objects(d):
        vector = _str(value.get("vectorString"))
        metrics = _vector_metrics(key, vector) if vector else None
        if metrics is None:
            continue
        table = _V3_METRICS if key == "cvss_v3" else _V2_METRICS
        # A metric the vector leaves out is not contradicted by a property that gives it
        # (the OASIS test documents of 6.2.19 do that): only metrics of the vector count.
        for abbrev, letter in metrics.items():
            prop, values = table.get(abbrev, ("", {}))
            given = value.get(prop) if prop else None
            if given is not None and given != values.get(letter):
                yield CsafProblem(
                    "6.1.10",
                    ptr(*path, prop),
                    f"{prop} is {given!r} but the vector says "
                    f"{abbrev}:{letter} ({values.get(letter)})",
                )


def test_6_1_9(d: Doc) -> Problems:
    from cvss import CVSS2, CVSS3
    from cvss.exceptions import CVSSError

    for path, key, value in _cvss_objects(d):
        vector = _str(value.get("vectorString"))
        if vector is None:
            continue
        try:
            if key == "cvss_v3":
                c3 = CVSS3(vector)
                scores: tuple[Any, ...] = c3.scores()
                severities: tuple[str, ...] = c3.severities()
                names = ("base", "temporal", "environmental")
            else:
                scores = CVSS2(vector).scores()
                severities = ()
                names = ("base", "temporal", "environmental")
        except (CVSSError, ValueError, KeyError, IndexError):
            continue  # not a computable vector: 6.1.8 reports it
        for i, name in enumerate(names):
            given = value.get(f"{name}Score")
            if isinstance(given, int | float) and not isinstance(given, bool):
                expected = Decimal(str(scores[i]))
                if Decimal(str(given)) != expected:
                    yield CsafProblem(
                        "6.1.9",
                        ptr(*path, f"{name}Score"),
                        f"{name}Score is {given} but {vector} computes to {expected}",
                    )
            if severities:
                sev = value.get(f"{name}Severity")
                if isinstance(sev, str) and sev != severities[i].upper():
                    yield CsafProblem(
                        "6.1.9",
                        ptr(*path, f"{name}Severity"),
                        f"{name}Severity is {sev!r} but {vector} "
                        f"computes to {severities[i].upper()!r}",
                    )


# --- 6.1.11 to 6.1.13: CWE, language, purl --------------------------------------------------


def make_test_6_1_11(resources: Resources) -> Callable[[Doc], Problems]:
    def test_6_1_11(d: Doc) -> Problems:
        for v, vuln in enumerate(d.vulnerabilities):
            cwe = _obj(vuln).get("cwe")
            if not isinstance(cwe, dict):
                continue
            cid, name = _str(cwe.get("id")), _str(cwe.get("name"))
            if cid is None:
                continue
            names = resources.cwe_names.get(cid.removeprefix("CWE-"))
            if names is None:
                yield CsafProblem(
                    "6.1.11",
                    ptr("vulnerabilities", v, "cwe", "id"),
                    f"{cid} does not exist in the CWE catalogue",
                )
            elif name is not None and name not in names:
                yield CsafProblem(
                    "6.1.11",
                    ptr("vulnerabilities", v, "cwe", "name"),
                    f"{cid} is named {names[0]!r}, not {name!r}",
                )

    return test_6_1_11


def make_test_6_1_12(resources: Resources) -> Callable[[Doc], Problems]:
    def test_6_1_12(d: Doc) -> Problems:
        for key in ("lang", "source_lang"):
            tag = _str(d.document.get(key))
            if tag is not None and (why := resources.language_problem(tag)) is not None:
                yield CsafProblem(
                    "6.1.12", ptr("document", key), f"{tag!r} is not a valid language tag: {why}"
                )

    return test_6_1_12


_PURL_TYPE = re.compile(r"[A-Za-z.+-][A-Za-z0-9.+-]*\Z")
_PURL_QUALIFIER_KEY = re.compile(r"[A-Za-z.\-_][A-Za-z0-9.\-_]*\Z")


def purl_problem(purl: str) -> str | None:
    """Why ``purl`` is not a valid package URL (purl specification), or None."""
    from packageurl import PackageURL

    if not purl.startswith("pkg:"):
        return "it does not start with the scheme 'pkg:'"
    try:
        PackageURL.from_string(purl)
    except ValueError as exc:
        return str(exc)
    body = purl[4:].lstrip("/").split("#", 1)[0]
    body, _, qualifiers = body.partition("?")
    ptype = body.split("/", 1)[0]
    if not _PURL_TYPE.match(ptype):
        return f"the type {ptype!r} has characters a purl type may not have"
    for pair in filter(None, qualifiers.split("&")):
        key, sep, value = pair.partition("=")
        if not sep or not value:
            return f"the qualifier {pair!r} has no value"
        if not _PURL_QUALIFIER_KEY.match(key):
            return f"the qualifier key {key!r} has characters a qualifier key may not have"
    return None


def test_6_1_13(d: Doc) -> Problems:
    for path, fpn in d.full_product_names:
        purl = _str(_obj(fpn.get("product_identification_helper")).get("purl"))
        if purl is not None and (why := purl_problem(purl)) is not None:
            yield CsafProblem(
                "6.1.13",
                ptr(*path, "product_identification_helper", "purl"),
                f"{purl!r} is not a valid purl: {why}",
            )


# --- 6.1.14 to 6.1.22, 6.1.30: tracking and revision history --------------------------------


@dataclass(frozen=True, slots=True)
class _Revision:
    index: int
    when: tuple[int, Decimal] | None
    number: str
    version: DocumentVersion | None


def _revisions(d: Doc) -> list[_Revision]:
    out = []
    for i, item in enumerate(_list(d.tracking.get("revision_history"))):
        item = _obj(item)
        number = _str(item.get("number"))
        date = _str(item.get("date"))
        if number is None:
            continue
        out.append(
            _Revision(i, instant(date) if date else None, number, DocumentVersion.parse(number))
        )
    return out


def _sorted_by_date(revisions: list[_Revision]) -> list[_Revision] | None:
    """The revision history sorted ascending by date (items of the same date by number); None
    when a date or number cannot be read (the schema reports it)."""
    if any(r.when is None or r.version is None for r in revisions):
        return None
    return sorted(revisions, key=lambda r: (r.when, r.version))


def _history_path(r: _Revision, *rest: str) -> str:
    return ptr("document", "tracking", "revision_history", r.index, *rest)


def test_6_1_14(d: Doc) -> Problems:
    ordered = _sorted_by_date(_revisions(d))
    if not ordered:
        return
    for before, after in zip(ordered, ordered[1:], strict=False):
        assert before.version is not None and after.version is not None
        if after.version < before.version:
            yield CsafProblem(
                "6.1.14",
                _history_path(after, "number"),
                f"revision {after.number!r} is dated after revision "
                f"{before.number!r} but has a lower number",
            )


def _tracking_version(d: Doc) -> DocumentVersion | None:
    text = _str(d.tracking.get("version"))
    return DocumentVersion.parse(text) if text else None


def test_6_1_15(d: Doc) -> Problems:
    if _str(
        _obj(d.document.get("publisher")).get("category")
    ) == "translator" and not d.document.get("source_lang"):
        yield CsafProblem(
            "6.1.15",
            ptr("document", "source_lang"),
            "the publisher is a translator but the document has no source_lang",
        )


def test_6_1_16(d: Doc) -> Problems:
    version = _tracking_version(d)
    ordered = _sorted_by_date(_revisions(d))
    if version is None or not ordered:
        return
    last = ordered[-1]
    assert last.version is not None
    draft = d.tracking.get("status") == "draft"
    mine = version.without_pre() if draft else version.without_build()
    theirs = last.version.without_pre() if draft else last.version.without_build()
    if mine != theirs:
        yield CsafProblem(
            "6.1.16",
            ptr("document", "tracking", "version"),
            f"the document version is {version.text!r} but the newest revision is {last.number!r}",
        )


def test_6_1_17(d: Doc) -> Problems:
    version = _tracking_version(d)
    status = d.tracking.get("status")
    if version is not None and status != "draft" and (version.is_zero or version.is_prerelease):
        yield CsafProblem(
            "6.1.17",
            ptr("document", "tracking", "status"),
            f"the document version is {version.text!r}, so "
            f"the status must be 'draft', not {status!r}",
        )


def test_6_1_18(d: Doc) -> Problems:
    status = d.tracking.get("status")
    if status not in ("final", "interim"):
        return
    for r in _revisions(d):
        if r.version is not None and r.version.is_zero:
            yield CsafProblem(
                "6.1.18",
                _history_path(r, "number"),
                f"the document is {status} but its revision "
                f"history has the pre-release number {r.number!r}",
            )


def test_6_1_19(d: Doc) -> Problems:
    for r in _revisions(d):
        if r.version is not None and r.version.is_prerelease:
            yield CsafProblem(
                "6.1.19",
                _history_path(r, "number"),
                f"revision number {r.number!r} has a pre-release part",
            )


def test_6_1_20(d: Doc) -> Problems:
    version = _tracking_version(d)
    status = d.tracking.get("status")
    if version is not None and status in ("final", "interim") and version.is_prerelease:
        yield CsafProblem(
            "6.1.20",
            ptr("document", "tracking", "version"),
            f"the document is {status} but its version {version.text!r} has a pre-release part",
        )


def test_6_1_21(d: Doc) -> Problems:
    ordered = _sorted_by_date(_revisions(d))
    if not ordered:
        return
    first = ordered[0]
    assert first.version is not None
    if first.version.major not in (0, 1):
        what = "number" if first.version.integer else "major version"
        yield CsafProblem(
            "6.1.21",
            _history_path(first, "number"),
            f"the first revision has {what} {first.version.major}; it must be 0 or 1",
        )
    for before, after in zip(ordered, ordered[1:], strict=False):
        assert before.version is not None and after.version is not None
        if after.version.major > before.version.major + 1:
            missing = ", ".join(
                str(n) for n in range(before.version.major + 1, after.version.major)
            )
            yield CsafProblem(
                "6.1.21",
                _history_path(after, "number"),
                f"the revision history lacks version(s) {missing} before {after.number!r}",
            )


def test_6_1_22(d: Doc) -> Problems:
    seen: dict[DocumentVersion | str, int] = {}
    for r in _revisions(d):
        key: DocumentVersion | str = r.version if r.version is not None else r.number
        if key in seen:
            yield CsafProblem(
                "6.1.22",
                _history_path(r, "number"),
                f"revision number {r.number!r} appears again "
                f"(first in revision_history[{seen[key]}])",
            )
        else:
            seen[key] = r.index


def test_6_1_30(d: Doc) -> Problems:
    values: list[tuple[str, DocumentVersion]] = []
    version = _tracking_version(d)
    if version is not None:
        values.append((ptr("document", "tracking", "version"), version))
    values += [
        (_history_path(r, "number"), r.version) for r in _revisions(d) if r.version is not None
    ]
    kinds = {v.integer for _p, v in values}
    if len(kinds) < 2:
        return
    first_kind = values[0][1].integer
    for path, v in values:
        if v.integer != first_kind:
            yield CsafProblem(
                "6.1.30",
                path,
                f"{v.text!r} uses {'integer' if v.integer else 'semantic'} versioning, "
                f"{values[0][1].text!r} the other",
            )


# --- 6.1.23 to 6.1.26 -------------------------------------------------------------------------


def test_6_1_23(d: Doc) -> Problems:
    seen: dict[str, int] = {}
    for v, vuln in enumerate(d.vulnerabilities):
        cve = _str(_obj(vuln).get("cve"))
        if cve is None:
            continue
        if cve in seen:
            yield CsafProblem(
                "6.1.23",
                ptr("vulnerabilities", v, "cve"),
                f"{cve} is already the CVE of vulnerabilities[{seen[cve]}]",
            )
        else:
            seen[cve] = v


def test_6_1_24(d: Doc) -> Problems:
    for v, vuln in enumerate(d.vulnerabilities):
        seen: dict[tuple[str, object], int] = {}
        for i, item in enumerate(_list(_obj(vuln).get("involvements"))):
            item = _obj(item)
            party, date = _str(item.get("party")), _str(item.get("date"))
            if party is None:
                continue
            when: object = (instant(date) or date) if date is not None else None
            key = (party, when)
            if key in seen:
                yield CsafProblem(
                    "6.1.24",
                    ptr("vulnerabilities", v, "involvements", i),
                    f"party {party!r} has a second involvement at "
                    f"the same date (involvements[{seen[key]}])",
                )
            else:
                seen[key] = i


def test_6_1_25(d: Doc) -> Problems:
    for path, fpn in d.full_product_names:
        hashes = _obj(fpn.get("product_identification_helper")).get("hashes")
        for h, item in enumerate(_list(hashes)):
            seen: set[str] = set()
            for f, fh in enumerate(_list(_obj(item).get("file_hashes"))):
                algorithm = _str(_obj(fh).get("algorithm"))
                if algorithm is None:
                    continue
                if algorithm in seen:
                    where = ptr(
                        *path,
                        "product_identification_helper",
                        "hashes",
                        h,
                        "file_hashes",
                        f,
                        "algorithm",
                    )
                    yield CsafProblem(
                        "6.1.25",
                        where,
                        f"the hash algorithm {algorithm!r} is used twice for the same file",
                    )
                seen.add(algorithm)


_OTHER_PROFILES = {
    profile.value: profile for profile in CsafProfile if profile is not CsafProfile.BASE
}


def _squash(text: str) -> str:
    return re.sub(r"[\s_-]", "", text).lower()


_PROHIBITED = {
    _squash(name)
    for profile in _OTHER_PROFILES
    for name in (profile, profile.removeprefix("csaf_"))
} | {
    _squash(n)
    for n in ("Security incident response", "Informational Advisory", "Security Advisory", "VEX")
}


def test_6_1_26(d: Doc) -> Problems:
    category = d.category
    if not category or category in _OTHER_PROFILES or category == CsafProfile.BASE:
        return
    path = ptr("document", "category")
    if category.lower().startswith("csaf_"):
        yield CsafProblem("6.1.26", path, f"{category!r} starts with the reserved prefix 'csaf_'")
    elif _squash(category) in _PROHIBITED:
        yield CsafProblem(
            "6.1.26",
            path,
            f"{category!r} is the name of a CSAF profile; use the profile's own category value",
        )


# --- 6.1.27: profile tests ----------------------------------------------------------------


def _in(d: Doc, *profiles: CsafProfile) -> bool:
    return d.category in {p.value for p in profiles}


def test_6_1_27_1(d: Doc) -> Problems:
    if not _in(d, CsafProfile.INFORMATIONAL_ADVISORY, CsafProfile.SECURITY_INCIDENT_RESPONSE):
        return
    notes = _list(d.document.get("notes"))
    if not any(
        _obj(n).get("category") in ("description", "details", "general", "summary") for n in notes
    ):
        yield CsafProblem(
            "6.1.27.1",
            ptr("document", "notes"),
            "no document note of category description, details, general or summary",
        )


def test_6_1_27_2(d: Doc) -> Problems:
    if not _in(d, CsafProfile.INFORMATIONAL_ADVISORY, CsafProfile.SECURITY_INCIDENT_RESPONSE):
        return
    if not any(_obj(r).get("category") == "external" for r in _list(d.document.get("references"))):
        yield CsafProblem(
            "6.1.27.2", ptr("document", "references"), "no document reference of category external"
        )


def test_6_1_27_3(d: Doc) -> Problems:
    if _in(d, CsafProfile.INFORMATIONAL_ADVISORY) and "vulnerabilities" in d.raw:
        yield CsafProblem(
            "6.1.27.3",
            ptr("vulnerabilities"),
            "an informational advisory must not have vulnerabilities",
        )


def test_6_1_27_4(d: Doc) -> Problems:
    if _in(d, CsafProfile.SECURITY_ADVISORY, CsafProfile.VEX) and "product_tree" not in d.raw:
        yield CsafProblem(
            "6.1.27.4", ptr("product_tree"), f"a {d.category} document must have a product tree"
        )


def test_6_1_27_5(d: Doc) -> Problems:
    if not _in(d, CsafProfile.SECURITY_ADVISORY, CsafProfile.VEX):
        return
    for v, vuln in enumerate(d.vulnerabilities):
        if "notes" not in _obj(vuln):
            yield CsafProblem(
                "6.1.27.5", ptr("vulnerabilities", v, "notes"), "the vulnerability has no notes"
            )


def test_6_1_27_6(d: Doc) -> Problems:
    if not _in(d, CsafProfile.SECURITY_ADVISORY):
        return
    for v, vuln in enumerate(d.vulnerabilities):
        if "product_status" not in _obj(vuln):
            yield CsafProblem(
                "6.1.27.6",
                ptr("vulnerabilities", v, "product_status"),
                "the vulnerability has no product status",
            )


def test_6_1_27_7(d: Doc) -> Problems:
    if not _in(d, CsafProfile.VEX):
        return
    for v, vuln in enumerate(d.vulnerabilities):
        status = _obj(_obj(vuln).get("product_status"))
        if not any(
            k in status
            for k in ("fixed", "known_affected", "known_not_affected", "under_investigation")
        ):
            yield CsafProblem(
                "6.1.27.7",
                ptr("vulnerabilities", v, "product_status"),
                "none of fixed, known_affected, known_not_affected or under_investigation is given",
            )


def test_6_1_27_8(d: Doc) -> Problems:
    if not _in(d, CsafProfile.VEX):
        return
    for v, vuln in enumerate(d.vulnerabilities):
        if "cve" not in _obj(vuln) and "ids" not in _obj(vuln):
            yield CsafProblem(
                "6.1.27.8", ptr("vulnerabilities", v), "the vulnerability has neither cve nor ids"
            )


def test_6_1_27_9(d: Doc) -> Problems:
    if not _in(d, CsafProfile.VEX):
        return
    for v, vuln in enumerate(d.vulnerabilities):
        vuln = _obj(vuln)
        covered: set[str] = set()
        for flag in _list(vuln.get("flags")):
            covered |= d.expand(_obj(flag))
        for threat in _list(vuln.get("threats")):
            if _obj(threat).get("category") == "impact":
                covered |= d.expand(_obj(threat))
        status = _obj(vuln.get("product_status"))
        for path, pid in _strings(
            status.get("known_not_affected"),
            "vulnerabilities",
            v,
            "product_status",
            "known_not_affected",
        ):
            if pid not in covered:
                yield CsafProblem(
                    "6.1.27.9",
                    path,
                    "no impact statement (flag or impact threat) "
                    f"for the not-affected product {pid!r}",
                )


def test_6_1_27_10(d: Doc) -> Problems:
    if not _in(d, CsafProfile.VEX):
        return
    for v, vuln in enumerate(d.vulnerabilities):
        vuln = _obj(vuln)
        covered: set[str] = set()
        for remediation in _list(vuln.get("remediations")):
            covered |= d.expand(_obj(remediation))
        status = _obj(vuln.get("product_status"))
        for path, pid in _strings(
            status.get("known_affected"), "vulnerabilities", v, "product_status", "known_affected"
        ):
            if pid not in covered:
                yield CsafProblem(
                    "6.1.27.10",
                    path,
                    f"no action statement (remediation) for the affected product {pid!r}",
                )


def test_6_1_27_11(d: Doc) -> Problems:
    if _in(d, CsafProfile.SECURITY_ADVISORY, CsafProfile.VEX) and "vulnerabilities" not in d.raw:
        yield CsafProblem(
            "6.1.27.11",
            ptr("vulnerabilities"),
            f"a {d.category} document must have vulnerabilities",
        )


# --- 6.1.28 to 6.1.33 -------------------------------------------------------------------------


def test_6_1_28(d: Doc) -> Problems:
    lang, source = _str(d.document.get("lang")), _str(d.document.get("source_lang"))
    if lang is not None and source is not None and lang.lower() == source.lower():
        yield CsafProblem(
            "6.1.28",
            ptr("document", "source_lang"),
            f"the source language and the document language are both {lang!r}",
        )


def test_6_1_29(d: Doc) -> Problems:
    for v, vuln in enumerate(d.vulnerabilities):
        for i, rem in enumerate(_list(_obj(vuln).get("remediations"))):
            if isinstance(rem, dict) and "product_ids" not in rem and "group_ids" not in rem:
                yield CsafProblem(
                    "6.1.29",
                    ptr("vulnerabilities", v, "remediations", i),
                    "the remediation names no product_ids or group_ids",
                )


# The strings of test 6.1.31: the operators anywhere, the words as words of their own (a
# version named "after-eight" is no range).
_RANGE_OPERATORS = ("<", ">")
_RANGE_WORDS = frozenset({"after", "all", "before", "earlier", "later", "prior", "versions"})


def test_6_1_31(d: Doc) -> Problems:
    for path, branch in d.branch_nodes:
        name = _str(branch.get("name"))
        if branch.get("category") == "product_version" and name is not None:
            lowered = name.lower()
            found = [o for o in _RANGE_OPERATORS if o in lowered]
            found += [w for w in lowered.split() if w in _RANGE_WORDS]
            if found:
                yield CsafProblem(
                    "6.1.31",
                    ptr(*path, "name"),
                    f"product_version {name!r} looks like a version "
                    f"range ({found[0]!r}); use product_version_range",
                )


def test_6_1_32(d: Doc) -> Problems:
    for v, vuln in enumerate(d.vulnerabilities):
        for i, flag in enumerate(_list(_obj(vuln).get("flags"))):
            if isinstance(flag, dict) and "product_ids" not in flag and "group_ids" not in flag:
                yield CsafProblem(
                    "6.1.32",
                    ptr("vulnerabilities", v, "flags", i),
                    "the flag names no product_ids or group_ids",
                )


def test_6_1_33(d: Doc) -> Problems:
    for v, vuln in enumerate(d.vulnerabilities):
        first: dict[str, int] = {}
        for i, flag in enumerate(_list(_obj(vuln).get("flags"))):
            flag = _obj(flag)
            if flag.get("label") not in VEX_JUSTIFICATIONS:
                continue
            for pid in sorted(d.expand(flag)):
                if pid in first:
                    yield CsafProblem(
                        "6.1.33",
                        ptr("vulnerabilities", v, "flags", i),
                        f"product {pid!r} has a second VEX justification "
                        f"flag (the first is flags[{first[pid]}])",
                    )
                else:
                    first[pid] = i


Test = Callable[[Doc], Iterable[CsafProblem]]


def mandatory_tests(resources: Resources) -> dict[str, Test]:
    """Every mandatory test of CSAF 2.0 section 6.1, by number, in section order."""
    return {
        "6.1.1": test_6_1_1,
        "6.1.2": test_6_1_2,
        "6.1.3": test_6_1_3,
        "6.1.4": test_6_1_4,
        "6.1.5": test_6_1_5,
        "6.1.6": test_6_1_6,
        "6.1.7": test_6_1_7,
        "6.1.8": make_test_6_1_8(resources),
        "6.1.9": test_6_1_9,
        "6.1.10": test_6_1_10,
        "6.1.11": make_test_6_1_11(resources),
        "6.1.12": make_test_6_1_12(resources),
        "6.1.13": test_6_1_13,
        "6.1.14": test_6_1_14,
        "6.1.15": test_6_1_15,
        "6.1.16": test_6_1_16,
        "6.1.17": test_6_1_17,
        "6.1.18": test_6_1_18,
        "6.1.19": test_6_1_19,
        "6.1.20": test_6_1_20,
        "6.1.21": test_6_1_21,
        "6.1.22": test_6_1_22,
        "6.1.23": test_6_1_23,
        "6.1.24": test_6_1_24,
        "6.1.25": test_6_1_25,
        "6.1.26": test_6_1_26,
        "6.1.27.1": test_6_1_27_1,
        "6.1.27.2": test_6_1_27_2,
        "6.1.27.3": test_6_1_27_3,
        "6.1.27.4": test_6_1_27_4,
        "6.1.27.5": test_6_1_27_5,
        "6.1.27.6": test_6_1_27_6,
        "6.1.27.7": test_6_1_27_7,
        "6.1.27.8": test_6_1_27_8,
        "6.1.27.9": test_6_1_27_9,
        "6.1.27.10": test_6_1_27_10,
        "6.1.27.11": test_6_1_27_11,
        "6.1.28": test_6_1_28,
        "6.1.29": test_6_1_29,
        "6.1.30": test_6_1_30,
        "6.1.31": test_6_1_31,
        "6.1.32": test_6_1_32,
        "6.1.33": test_6_1_33,
    }
