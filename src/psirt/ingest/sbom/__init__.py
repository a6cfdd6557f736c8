"""SBOM parsers: one module per format and serialisation, one registry, one sniffer.

    >>> sbom = parse_sbom(data, source="bom.json")

:data:`PARSERS` maps every (format, serialisation) pair to its module's ``parse``;
:func:`detect` looks at the document once and says which pair (and spec version) it is, or
raises :class:`~psirt.errors.UnknownFormat`. JSON documents are decoded once: the decoded
value is handed to the format's ``from_document``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.errors import UnknownFormat
from psirt.ingest import limits
from psirt.ingest._json import load_json
from psirt.ingest.sbom import (
    _spdx2,
    cyclonedx_json,
    cyclonedx_xml,
    spdx3_jsonld,
    spdx_json,
    spdx_rdf,
    spdx_tagvalue,
    spdx_xml,
    spdx_yaml,
)
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size, gc_paused

__all__ = [
    "DEFAULT_MAX_BYTES",
    "PARSERS",
    "Detection",
    "Parser",
    "detect",
    "parse_sbom",
    "read_sbom_file",
]


class Parser(Protocol):
    def __call__(
        self, data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> ParsedSbom: ...


PARSERS: Final[dict[tuple[SbomFormat, Serialization], Parser]] = {
    (SbomFormat.CYCLONEDX, Serialization.JSON): cyclonedx_json.parse,
    (SbomFormat.CYCLONEDX, Serialization.XML): cyclonedx_xml.parse,
    (SbomFormat.SPDX, Serialization.JSON): spdx_json.parse,
    (SbomFormat.SPDX, Serialization.YAML): spdx_yaml.parse,
    (SbomFormat.SPDX, Serialization.TAG_VALUE): spdx_tagvalue.parse,
    (SbomFormat.SPDX, Serialization.XML): spdx_xml.parse,
    (SbomFormat.SPDX, Serialization.RDF_XML): spdx_rdf.parse,
    (SbomFormat.SPDX, Serialization.JSON_LD): spdx3_jsonld.parse,
}

# decoded-JSON entry points, so that parse_sbom decodes a JSON document only once
_FROM_JSON: Final[dict[tuple[SbomFormat, Serialization], Callable[..., ParsedSbom]]] = {
    (SbomFormat.CYCLONEDX, Serialization.JSON): cyclonedx_json.from_document,
    (SbomFormat.SPDX, Serialization.JSON): spdx_json.from_document,
    (SbomFormat.SPDX, Serialization.JSON_LD): spdx3_jsonld.from_document,
}


@dataclass(frozen=True, slots=True)
class Detection:
    format: SbomFormat
    serialization: Serialization
    spec_version: str


_PROLOG = re.compile(
    rb"\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*", re.DOTALL
)
_START_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)([^>]*)>", re.DOTALL)
_XMLNS = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")
_CDX_NS = re.compile(r"http://cyclonedx\.org/schema/bom/(\d+\.\d+)\Z")
_TAG_VALUE = re.compile(rb"^\s*SPDXVersion\s*:\s*(SPDX-\S+)", re.MULTILINE)
_YAML_VERSION = re.compile(rb"""^spdxVersion\s*:\s*["']?(SPDX-[\w.]+)""", re.MULTILINE)
_SPDX_XML_VERSION = re.compile(rb"<spdxVersion>\s*(SPDX-[\w.]+)\s*</spdxVersion>")
_RDF_SPEC_VERSION = re.compile(rb"<spdx:specVersion>\s*(SPDX-[\w.]+)\s*<")
_SNIFF_BYTES = 64 * 1024


def detect(data: bytes, source: str) -> tuple[SbomFormat, Serialization, str]:
    """(format, serialisation, spec version) of ``data``; UnknownFormat when none fits."""
    found, _ = _sniff(data, source)
    return found.format, found.serialization, found.spec_version


def parse_sbom(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    """Detect the format of ``data`` and parse it with the registered parser."""
    check_size(data, source, max_bytes)
    with gc_paused():
        found, decoded = _sniff(data, source)
        key = (found.format, found.serialization)
        if decoded is not None:
            return _FROM_JSON[key](decoded, source=source)
    return PARSERS[key](data, source=source, max_bytes=max_bytes)


def read_sbom_file(
    path: Path, *, limit: limits.SizeLimit | None = None
) -> tuple[bytes, ParsedSbom]:
    """The bytes of an SBOM file and its parsed form; the size is checked before reading
    (``limit``: the configured SBOM limit unless given, see :mod:`psirt.ingest.limits`)."""
    limit = limit or limits.resolve(limits.InputKind.SBOM)
    data = limits.read_file(path, limit)
    return data, parse_sbom(data, source=str(path), max_bytes=limit.max_bytes)


def _sniff(data: bytes, source: str) -> tuple[Detection, Any]:
    head = data[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return _sniff_json(data, source)
    if head.startswith(b"<"):
        return _sniff_xml(head, source), None
    if m := _TAG_VALUE.search(head):
        return Detection(SbomFormat.SPDX, Serialization.TAG_VALUE, _version(m.group(1))), None
    if m := _YAML_VERSION.search(head):
        return Detection(SbomFormat.SPDX, Serialization.YAML, _version(m.group(1))), None
    raise UnknownFormat(source, None, "not a CycloneDX or SPDX document (unrecognised content)")


def _version(raw: bytes) -> str:
    return raw.decode("ascii", "replace").removeprefix("SPDX-")


def _sniff_json(data: bytes, source: str) -> tuple[Detection, Any]:
    doc = load_json(data, source)
    if cyclonedx_json.is_cyclonedx(doc):
        version = doc.get("specVersion")
        return (
            Detection(SbomFormat.CYCLONEDX, Serialization.JSON, str(version or "")),
            doc,
        )
    if _spdx2.is_spdx2(doc):
        version = str(doc["spdxVersion"]).removeprefix("SPDX-")
        return Detection(SbomFormat.SPDX, Serialization.JSON, version), doc
    if spdx3_jsonld.is_spdx3(doc):
        version = spdx3_jsonld.spec_version_of(doc)
        return Detection(SbomFormat.SPDX, Serialization.JSON_LD, version), doc
    raise UnknownFormat(
        source,
        None,
        "JSON document is neither CycloneDX (bomFormat), SPDX 2 (spdxVersion) "
        "nor SPDX 3 (@context)",
    )


def _sniff_xml(head: bytes, source: str) -> Detection:
    prolog = _PROLOG.match(head)
    m = _START_TAG.match(head, prolog.end() if prolog else 0)
    if m is None:
        raise UnknownFormat(source, None, "XML document without a root element")
    name = m.group(1)
    prefix, _, local = name.rpartition(b":")
    namespaces = {
        (p or b"").decode("ascii", "replace"): uri.decode("utf-8", "replace")
        for p, uri in _XMLNS.findall(m.group(2))
    }
    ns = namespaces.get(prefix.decode("ascii", "replace"), "")
    if local == b"bom" and (cdx := _CDX_NS.match(ns)):
        return Detection(SbomFormat.CYCLONEDX, Serialization.XML, cdx.group(1))
    if local == b"RDF" and ns == "http://www.w3.org/1999/02/22-rdf-syntax-ns#":
        if "http://spdx.org/rdf/terms#" in namespaces.values() or b"spdx.org/rdf/terms" in head:
            v = _RDF_SPEC_VERSION.search(head)
            return Detection(
                SbomFormat.SPDX, Serialization.RDF_XML, _version(v.group(1)) if v else "2"
            )
    if local == b"Document" and (v := _SPDX_XML_VERSION.search(head)):
        return Detection(SbomFormat.SPDX, Serialization.XML, _version(v.group(1)))
    raise UnknownFormat(
        source,
        None,
        f"XML root element {name.decode('utf-8', 'replace')!r} (namespace {ns!r}) "
        "is not a CycloneDX bom, SPDX RDF/XML or SPDX XML document",
    )
