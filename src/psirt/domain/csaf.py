"""CSAF 2.0 (OASIS Common Security Advisory Framework) as domain values.

What psirt reads from a CSAF document (:class:`CsafDocument`: tracking, publisher, the products
of the product tree, each vulnerability's product status, flags, threats and remediations), the
verdict of a validation (:class:`CsafValidation`, one :class:`CsafProblem` per failed check,
named by the test of CSAF 2.0 section 6.1 and the JSON pointer of the value), and the rules of
the specification that both the validator and the importers use: document version numbers
(integer or semantic versioning, section 3.1.11), product status groups (3.2.3.1), VEX
justification codes (3.2.3.5) and the profiles (section 4).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import total_ordering

SCHEMA_TEST = "schema"  # the CSAF JSON schema (section 9.1.14: a basic validator checks it)


@dataclass(frozen=True, slots=True)
class CsafProblem:
    """One failed check: the test (``"6.1.6"``, ``"6.1.27.9"`` or ``"schema"``), the JSON
    pointer of the offending value (``/vulnerabilities/0/product_status/fixed/1``) and what
    is wrong."""

    test: str
    path: str
    message: str


@dataclass(frozen=True, slots=True)
class CsafValidation:
    """The verdict on one document: valid when no schema error and no mandatory test failed."""

    source: str
    problems: tuple[CsafProblem, ...]
    tests: tuple[str, ...]  # the mandatory tests that were run

    @property
    def valid(self) -> bool:
        return not self.problems

    def failed_tests(self) -> tuple[str, ...]:
        return tuple(sorted({p.test for p in self.problems}, key=test_sort_key))


def test_sort_key(test: str) -> tuple[int, ...]:
    """``"schema"`` first, then tests in section order (6.1.9 before 6.1.10)."""
    if test == SCHEMA_TEST:
        return (0,)
    return (1, *(int(part) for part in test.split(".") if part.isdigit()))


# --- profiles (section 4) -----------------------------------------------------------------


class CsafProfile(StrEnum):
    """The ``/document/category`` values of the profiles CSAF 2.0 defines."""

    BASE = "csaf_base"
    SECURITY_INCIDENT_RESPONSE = "csaf_security_incident_response"
    INFORMATIONAL_ADVISORY = "csaf_informational_advisory"
    SECURITY_ADVISORY = "csaf_security_advisory"
    VEX = "csaf_vex"


def profile_of(category: str) -> CsafProfile:
    """The profile a document category selects; any other category is "CSAF Base"."""
    try:
        return CsafProfile(category)
    except ValueError:
        return CsafProfile.BASE


# --- product status (section 3.2.3.9) and VEX justifications (3.2.3.5) ---------------------

PRODUCT_STATUSES = (
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
)
# The contradicting groups of test 6.1.6 ("recommended" belongs to none).
STATUS_GROUPS: dict[str, str] = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "known_not_affected": "not affected",
    "first_fixed": "fixed",
    "fixed": "fixed",
    "under_investigation": "under investigation",
}
VEX_JUSTIFICATIONS = frozenset(
    {
        "component_not_present",
        "inline_mitigations_already_exist",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_not_present",
    }
)


# --- version numbers (section 3.1.11, version_t) --------------------------------------------

_INTEGER = re.compile(r"(0|[1-9][0-9]*)\Z")
_SEMVER = re.compile(
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)


@total_ordering
@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """A ``version_t`` value: integer versioning (``"3"``) or semantic versioning
    (``"1.2.0-rc.1+build"``). Ordered by semantic-versioning precedence (an integer ``n`` as
    ``n.0.0``); build metadata takes no part in the order or in equality."""

    text: str
    integer: bool
    major: int
    minor: int = 0
    patch: int = 0
    pre: tuple[str, ...] = ()
    build: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str) -> DocumentVersion | None:
        """The version, or None when ``text`` is neither an integer nor a semantic version."""
        if _INTEGER.match(text):
            return cls(text, True, int(text))
        m = _SEMVER.match(text)
        if m is None:
            return None
        pre = tuple(m.group("pre").split(".")) if m.group("pre") else ()
        return cls(
            text,
            False,
            int(m.group("major")),
            int(m.group("minor")),
            int(m.group("patch")),
            pre,
            m.group("build") or "",
        )

    @property
    def is_zero(self) -> bool:
        """``0`` or ``0.y.z``: a version before the first release."""
        return self.major == 0

    @property
    def is_prerelease(self) -> bool:
        return bool(self.pre)

    def without_build(self) -> str:
        return self.text.split("+", 1)[0]

    def without_pre(self) -> str:
        return self.without_build().split("-", 1)[0]

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # a pre-release sorts before its release; numeric identifiers before alphanumeric ones
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DocumentVersion):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: DocumentVersion) -> bool:
        return self._key() < other._key()


# --- timestamps (date-time with any precision and offset) -----------------------------------

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z"
)


def instant(text: str) -> tuple[int, Decimal] | None:
    """A date-time as (UTC seconds, fraction of a second), exact at any precision (CSAF
    documents are compared at sub-microsecond precision); None when it is no RFC 3339
    date-time."""
    m = _DATE_TIME.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    zone = m.group(8)
    try:
        tz = (
            dt.UTC
            if zone in ("Z", "z")
            else dt.timezone(
                (-1 if zone[0] == "-" else 1)
                * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            )
        )
        when = dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=tz)
    except ValueError:
        return None
    seconds = int(when.timestamp()) + (second - min(second, 59))
    fraction = Decimal("0" + m.group(7)) if m.group(7) else Decimal(0)
    return seconds, fraction


def parse_datetime(text: str) -> dt.datetime | None:
    """A date-time as an aware datetime (microsecond precision), None when it is none."""
    found = instant(text)
    if found is None:
        return None
    seconds, fraction = found
    return dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(
        microseconds=int(fraction * 1_000_000)
    )


# --- the document psirt reads --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsafProduct:
    """A product of the product tree, with what identifies it.

    ``vendor``, ``product_name``, ``version`` and ``version_range`` come from the branches
    above a branch product (categories ``vendor``, ``product_name``, ``product_version``,
    ``product_version_range``); ``cpe``, ``purl`` and the model numbers from its
    ``product_identification_helper``. A product defined by a relationship carries the
    identification of its ``product_reference`` and names the product it relates to in
    ``relates_to``.
    """

    product_id: str
    name: str
    vendor: str | None = None
    product_family: str | None = None
    product_name: str | None = None
    version: str | None = None
    version_range: str | None = None
    cpe: str | None = None
    purl: str | None = None
    model_numbers: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    relationship: str | None = None  # category of the relationship that defines it
    relates_to: str | None = None  # name of the product it is part of / installed on


@dataclass(frozen=True, slots=True)
class CsafStatement:
    """What a vulnerability item says about one product: its status (a product status
    group name, e.g. ``known_not_affected``), the VEX justification flag, the impact
    statement (a threat of category ``impact``) and the action statements (remediations)
    that apply to it directly or through a product group."""

    product_id: str
    status: str
    justification: str | None = None
    impact: str | None = None
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CsafVulnerability:
    cve: str | None
    ids: tuple[tuple[str, str], ...]  # (system_name, text)
    title: str | None
    statements: tuple[CsafStatement, ...]


@dataclass(frozen=True, slots=True)
class CsafDocument:
    category: str
    csaf_version: str
    title: str
    publisher_name: str
    publisher_namespace: str
    publisher_category: str
    tracking_id: str
    version: str
    status: str
    initial_release_date: dt.datetime | None
    current_release_date: dt.datetime | None
    lang: str | None
    products: tuple[CsafProduct, ...]
    vulnerabilities: tuple[CsafVulnerability, ...]

    @property
    def profile(self) -> CsafProfile:
        return profile_of(self.category)

    def product(self, product_id: str) -> CsafProduct | None:
        return next((p for p in self.products if p.product_id == product_id), None)
