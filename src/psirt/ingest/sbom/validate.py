"""Schema validation of SBOM documents against the official schemas, offline.

- CycloneDX JSON 1.2-1.7: the JSON schemas shipped inside cyclonedx-python-lib
  (``cyclonedx/schema/_res``), checked with jsonschema; the ``spdx``, ``jsf`` and
  ``cryptography-defs`` schemas they refer to are served from the same folder by a
  ``referencing`` registry, so nothing is fetched. Formats are checked (``date-time``,
  ``email``, ``date-time`` and ``uri``; the last two are implemented here, as the optional
  packages jsonschema would use for them are not installed).
- CycloneDX XML 1.0-1.7: the XSDs of the same folder through cyclonedx-python-lib's
  validator, which needs ``lxml``; without lxml :class:`ValidatorUnavailable` is raised
  (psirt does not fall back to a partial check that would call invalid documents valid).
- SPDX 2.x (JSON, YAML, XML, tag-value, RDF/XML): spdx-tools' parser and validator.
- SPDX 3: no validator is available offline; :class:`ValidatorUnavailable`.

``validate`` returns the list of errors, empty when the document is valid; a document that
is no CycloneDX or SPDX document at all (wrong ``bomFormat``, foreign XML namespace, broken
JSON) gets one error saying so. :func:`warnings` gives what psirt's own parser notices beyond
the schema (a ``bom-ref`` used twice, a purl or CPE that is none): the schemas cannot express
these rules, so they are shown beside the verdict without changing it.
"""

from __future__ import annotations

import functools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from psirt.domain.sbom import SbomFormat, Serialization
from psirt.errors import InputError, PsirtError
from psirt.ingest import _yaml
from psirt.ingest._json import load_json
from psirt.ingest._xml import load_xml
from psirt.ingest.sbom import detect, parse_sbom
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size
from psirt.ingest.text import decode_utf8


class ValidatorUnavailable(PsirtError):
    """The schema validator for this kind of document cannot run here (a package is missing)."""


@dataclass(frozen=True, slots=True)
class ValidationError:
    pointer_or_line: str  # JSON pointer ("/components/3/purl"), XML line, or SPDX location
    message: str


def _schema_dir() -> Path:
    import cyclonedx.schema

    return Path(cyclonedx.schema.__file__).parent / "_res"


_CDX_SCHEMA_FILES = {
    "1.2": "bom-1.2.SNAPSHOT.schema.json",
    "1.3": "bom-1.3.SNAPSHOT.schema.json",
    "1.4": "bom-1.4.SNAPSHOT.schema.json",
    "1.5": "bom-1.5.SNAPSHOT.schema.json",
    "1.6": "bom-1.6.SNAPSHOT.schema.json",
    "1.7": "bom-1.7.SNAPSHOT.schema.json",
}
_BASE = "http://cyclonedx.org/schema/"

# RFC 3339 date-time (the JSON Schema "date-time" format)
_DATE_TIME = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)\Z"
)


# RFC 3986 absolute URI: a scheme, ":", then characters allowed in a URI (or %-escapes)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*\Z")


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or _DATE_TIME.match(value) is not None


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.match(value) is not None


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    return checker


@functools.cache
def _cyclonedx_validator(version: str) -> Draft7Validator:
    folder = _schema_dir()
    registry: Registry[Any] = Registry()
    for path in folder.glob("*.schema.json"):
        contents = load_json(path.read_bytes(), str(path))
        resource: Resource[Any] = DRAFT7.create_resource(contents)
        registry = registry.with_resource(_BASE + path.name, resource)
        if isinstance(contents.get("$id"), str) and "bom-" not in path.name:
            registry = registry.with_resource(contents["$id"], resource)
    schema = load_json((folder / _CDX_SCHEMA_FILES[version]).read_bytes(), version)
    # resolve relative refs against the file's own name, where its siblings are registered
    schema = {**schema, "$id": _BASE + _CDX_SCHEMA_FILES[version]}
    return Draft7Validator(schema, registry=registry, format_checker=_format_checker())


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def validate(
    data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[ValidationError]:
    """Errors of ``data`` against its official schema; [] when it is valid."""
    check_size(data, source, max_bytes)
    try:
        fmt, serialization, version = detect(data, source)
    except InputError as exc:  # not recognisable as any SBOM format: that is the verdict
        return [ValidationError(exc.location or "/", exc.reason)]
    if fmt is SbomFormat.CYCLONEDX and serialization is Serialization.JSON:
        return validate_cyclonedx_json(data, source=source, spec_version=version)
    if fmt is SbomFormat.CYCLONEDX and serialization is Serialization.XML:
        return validate_cyclonedx_xml(data, source=source, spec_version=version)
    if fmt is SbomFormat.SPDX and serialization is Serialization.JSON_LD:
        raise ValidatorUnavailable(f"{source}: no offline validator for SPDX 3 JSON-LD")
    return validate_spdx2(data, source=source, serialization=serialization)


def warnings(data: bytes, *, source: str) -> list[str]:
    """What psirt's parser reports about a readable document (``ParsedSbom.problems``);
    nothing when the parser cannot read it (the schema errors say why)."""
    try:
        return list(parse_sbom(data, source=source).problems)
    except InputError:
        return []


def validate_cyclonedx_json(
    data: bytes, *, source: str, spec_version: str
) -> list[ValidationError]:
    if spec_version not in _CDX_SCHEMA_FILES:
        return [ValidationError("/specVersion", f"unsupported CycloneDX version {spec_version!r}")]
    doc = load_json(data, source)
    validator = _cyclonedx_validator(spec_version)
    return [
        ValidationError(_pointer(err.absolute_path), err.message)
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))
    ]


def validate_cyclonedx_xml(data: bytes, *, source: str, spec_version: str) -> list[ValidationError]:
    try:
        import lxml  # noqa: F401
    except ImportError:
        raise ValidatorUnavailable(
            f"{source}: XSD validation of CycloneDX XML needs the 'lxml' package, "
            "which is not installed (cyclonedx-python-lib[xml-validation])"
        ) from None
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.xml import XmlValidator
    from lxml.etree import XMLSyntaxError

    load_xml(data, source)  # refuse entity tricks before lxml sees the document
    try:
        schema_version = SchemaVersion.from_version(spec_version)
    except ValueError:
        return [ValidationError("/bom", f"unsupported CycloneDX version {spec_version!r}")]
    try:
        error = XmlValidator(schema_version).validate_str(_as_utf8_text(data))
    except XMLSyntaxError as exc:  # lxml is stricter than expat on some declarations
        return [ValidationError(f"line {exc.lineno}", f"not well-formed: {exc.msg}")]
    if error is None:
        return []
    return [ValidationError(_xml_location(error.data), str(error.data))]


_DECLARED = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)


def _as_utf8_text(data: bytes) -> str:
    """The document as text declared UTF-8: cyclonedx-python-lib encodes the text it is given
    as UTF-8 before lxml reads it, so a document in another declared encoding is decoded by it
    first (expat has already read it, so the encoding is known)."""
    m = _DECLARED.match(data)
    encoding = m.group(1).decode("ascii") if m else "utf-8"
    text = data.decode(encoding, "replace").removeprefix("\ufeff")
    if m and encoding.lower().replace("_", "-") != "utf-8":
        text = text.replace(encoding, "UTF-8", 1)  # the first occurrence: the declaration
    return text


def _xml_location(entry: Any) -> str:
    line = getattr(entry, "line", None)
    return f"line {line}" if line else "/"


_SPDX_SUFFIX = {
    Serialization.JSON: ".spdx.json",
    Serialization.YAML: ".spdx.yaml",
    Serialization.XML: ".spdx.xml",
    Serialization.TAG_VALUE: ".spdx",
    Serialization.RDF_XML: ".spdx.rdf.xml",
}


def validate_spdx2(
    data: bytes, *, source: str, serialization: Serialization
) -> list[ValidationError]:
    """spdx-tools parse + validate (it reads files by suffix, so a temporary file is used)."""
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    if serialization in {Serialization.XML, Serialization.RDF_XML}:
        load_xml(data, source)  # defusedxml first: spdx-tools' XML readers are not hardened
    if serialization is Serialization.YAML:
        _yaml.check_yaml(_yaml.decode(data, source), source)  # no alias bomb for spdx-tools
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"document{_SPDX_SUFFIX[serialization]}"
        path.write_bytes(data)
        try:
            if serialization is Serialization.TAG_VALUE:
                # spdx-tools' own entry point builds its ply parser with debug output, which
                # writes parser.out into the installed package and leaves the file open
                from spdx_tools.spdx.parser.tagvalue.parser import Parser

                parser = Parser(debug=False, write_tables=False)  # type: ignore[no-untyped-call]
                document = parser.parse(decode_utf8(data, source))  # type: ignore[no-untyped-call]
            else:
                document = parse_file(str(path))
        except SPDXParsingError as exc:
            messages: list[str] = list(getattr(exc, "messages", [str(exc)]))
            return [ValidationError("/", message) for message in messages]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(source, None, f"spdx-tools could not read it: {exc}") from None
    return [
        ValidationError(_spdx_location(msg.context), msg.validation_message)
        for msg in validate_full_spdx_document(document)
    ]


def _spdx_location(context: Any) -> str:
    element = getattr(context, "spdx_id", None) or getattr(context, "parent_id", None)
    return str(element) if element else "/"
