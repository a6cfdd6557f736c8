"""Validation of CSAF 2.0 documents: the JSON schema and every mandatory test (section 6.1).

A document is valid when it conforms to the CSAF 2.0 JSON schema and fails none of the
mandatory tests 6.1.1 to 6.1.33 (with the profile tests 6.1.27.1 to 6.1.27.11), as a "CSAF
basic validator" (section 9.1.14) checks. Everything runs offline: the CSAF schema and the
FIRST CVSS v2.0/v3.0/v3.1 schemas it refers to are shipped in ``schemas/`` and served by a
``referencing`` registry; CWE names (test 6.1.11) come from ``data/cwe-names.json`` (built by
``scripts/build_cwe_names.py`` from MITRE's catalogue, every name an entry has had), the
language subtags (6.1.12) from the IANA registry shipped with ``language-tags``.

Errors of a CVSS object are reported once, by test 6.1.8 (its own schema), not again by the
CSAF schema that includes it. Each problem names its test and the JSON pointer of the value.

The same validator checks what psirt imports and, later, what it publishes.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7

from psirt.domain.csaf import SCHEMA_TEST, CsafProblem, CsafValidation, test_sort_key
from psirt.ingest._json import load_json
from psirt.publish import csaf_tests
from psirt.publish.csaf_tests import Doc, Resources, ptr

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas"
CSAF_SCHEMA_ID = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
_CVSS = {
    "2.0": ("cvss-v2.0.json", "https://www.first.org/cvss/cvss-v2.0.json", DRAFT4),
    "3.0": ("cvss-v3.0.json", "https://www.first.org/cvss/cvss-v3.0.json", DRAFT7),
    "3.1": ("cvss-v3.1.json", "https://www.first.org/cvss/cvss-v3.1.json", DRAFT7),
}

# RFC 3339 date-time and RFC 3986 URI (jsonschema's own checks need packages psirt does not
# install); CSAF uses these two formats.
_DATE_TIME = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)\Z"
)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*\Z")


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(lambda v: not isinstance(v, str) or bool(_DATE_TIME.match(v)))
    checker.checks("uri")(lambda v: not isinstance(v, str) or bool(_URI.match(v)))
    return checker


def _load(name: str) -> Any:
    return load_json((SCHEMAS / name).read_bytes(), str(SCHEMAS / name))


@functools.cache
def _registry() -> Registry[Any]:
    registry: Registry[Any] = Registry()
    for file_name, uri, spec in _CVSS.values():
        resource: Resource[Any] = Resource.from_contents(
            _load(file_name), default_specification=spec
        )
        registry = registry.with_resource(uri, resource)
    return registry


@functools.cache
def _csaf_validator() -> Draft202012Validator:
    schema = _load("csaf_json_schema.json")
    return Draft202012Validator(schema, registry=_registry(), format_checker=_format_checker())


@functools.cache
def _cvss_validator(version: str) -> Any:
    file_name, _uri, spec = _CVSS[version]
    schema = _load(file_name)
    cls = {DRAFT4: "Draft4Validator", DRAFT7: "Draft7Validator"}[spec]
    import jsonschema

    return getattr(jsonschema, cls)(schema, format_checker=_format_checker())


def _pointer(path: Iterable[Any]) -> str:
    return ptr(*path) if path else ""


def cvss_schema_errors(value: Any, version: str) -> list[tuple[str, str]]:
    """Errors of a CVSS object against FIRST's schema of ``version`` (test 6.1.8)."""
    validator = _cvss_validator(version)
    return [(_pointer(e.absolute_path), e.message) for e in _sorted(validator.iter_errors(value))]


def _sorted(errors: Iterable[ValidationError]) -> list[ValidationError]:
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


@functools.cache
def cwe_names() -> dict[str, tuple[str, ...]]:
    table = json.loads((HERE / "data" / "cwe-names.json").read_text(encoding="utf-8"))
    return {cid: tuple(names) for cid, names in table["names"].items()}


# Private-use ranges of the IANA registry (RFC 5646 section 3.4), written as ranges there.
_PRIVATE_LANGUAGE = re.compile(r"q[a-t][a-z]\Z")
_PRIVATE_SCRIPT = re.compile(r"qa(a[a-z]|b[a-x])\Z")
_PRIVATE_REGION = re.compile(r"(aa|q[m-z]|x[a-z]|zz)\Z")


def language_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid, existing BCP 47 language tag, or None (test 6.1.12).

    Every subtag must be registered in the IANA language subtag registry for its position
    (language, extended language, script, region, variant) or lie in a private-use range;
    grandfathered tags and private-use tags (``x-...``) are valid. Deprecated subtags still
    exist and pass (replacing them is the quick fix the specification allows)."""
    from language_tags import tags

    lowered = tag.lower()
    if "grandfathered" in tags.types(lowered) or "redundant" in tags.types(lowered):
        return None
    parts = lowered.split("-")
    if parts[0] == "x":
        return None if len(parts) > 1 else "a private-use tag needs a subtag after 'x'"
    language = parts[0]
    if not (
        (2 <= len(language) <= 3 or 5 <= len(language) <= 8)
        and language.isalpha()
        and (_PRIVATE_LANGUAGE.match(language) or tags.type(language, "language") is not None)
    ):
        return f"{parts[0]!r} is not a registered language subtag"
    i = 1
    while i < len(parts) and i <= 3 and len(parts[i]) == 3 and parts[i].isalpha():
        if tags.type(parts[i], "extlang") is None:
            return f"{parts[i]!r} is not a registered extended language subtag"
        i += 1
    if i < len(parts) and len(parts[i]) == 4 and parts[i].isalpha():
        if not (_PRIVATE_SCRIPT.match(parts[i]) or tags.type(parts[i], "script") is not None):
            return f"{parts[i]!r} is not a registered script subtag"
        i += 1
    if i < len(parts) and (
        (len(parts[i]) == 2 and parts[i].isalpha()) or (len(parts[i]) == 3 and parts[i].isdigit())
    ):
        if not (_PRIVATE_REGION.match(parts[i]) or tags.type(parts[i], "region") is not None):
            return f"{parts[i]!r} is not a registered region subtag"
        i += 1
    while i < len(parts) and len(parts[i]) > 1:
        if tags.type(parts[i], "variant") is None:
            return f"{parts[i]!r} is not a registered variant subtag"
        i += 1
    # extensions ("u-...", "t-...") and private use ("x-...") follow; their syntax is the
    # schema's business and their content is not registered subtag by subtag
    return None


@functools.cache
def _resources() -> Resources:
    return Resources(
        cvss_schema=cvss_schema_errors, cwe_names=cwe_names(), language_problem=language_problem
    )


def mandatory_test_ids() -> tuple[str, ...]:
    return tuple(csaf_tests.mandatory_tests(_resources()))


def _in_cvss(path: tuple[Any, ...]) -> bool:
    return (
        len(path) >= 5
        and path[0] == "vulnerabilities"
        and path[2] == "scores"
        and path[4] in ("cvss_v2", "cvss_v3")
    )


def schema_problems(doc: Any) -> list[CsafProblem]:
    """Errors against the CSAF 2.0 JSON schema, except those inside CVSS objects (6.1.8)."""
    out = []
    for error in _sorted(_csaf_validator().iter_errors(doc)):
        path = tuple(error.absolute_path)
        if _in_cvss(path):
            continue
        out.append(CsafProblem(SCHEMA_TEST, _pointer(path) or "/", error.message))
    return out


def validate_document(
    doc: Any, *, source: str, tests: Iterable[str] | None = None
) -> CsafValidation:
    """Check a decoded document against the schema and the mandatory tests (all, or those
    named in ``tests``)."""
    problems = schema_problems(doc)
    if not isinstance(doc, dict):
        return CsafValidation(source, tuple(problems), ())
    wrapped = Doc(doc)
    available = csaf_tests.mandatory_tests(_resources())
    chosen = tuple(available) if tests is None else tuple(tests)
    for test_id in chosen:
        problems.extend(available[test_id](wrapped))
    problems.sort(key=lambda p: test_sort_key(p.test))
    return CsafValidation(source, tuple(problems), chosen)


def validate_bytes(data: bytes, *, source: str) -> CsafValidation:
    """Decode and validate; a document that is no JSON gets an ``InputError`` naming the line."""
    return validate_document(load_json(data, source), source=source)
