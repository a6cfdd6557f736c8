"""SPDX 2.3 XML (the ``<Document>`` serialisation of the JSON shape, not RDF/XML).

Each JSON property is an element of the same name; arrays are repeated elements. The tree is
turned into the JSON shape and mapped by :mod:`psirt.ingest.sbom._spdx2`.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.errors import InputError
from psirt.ingest._xml import load_xml
from psirt.ingest.sbom import _spdx2
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size, gc_paused

FORMAT = SbomFormat.SPDX
SERIALIZATION = Serialization.XML

ROOT = "Document"
# properties that are arrays in the JSON schema (always lists, even with one element)
_ARRAYS = frozenset(
    {
        "annotations",
        "attributionTexts",
        "checksums",
        "creators",
        "documentDescribes",
        "externalDocumentRefs",
        "externalRefs",
        "fileContributors",
        "fileTypes",
        "files",
        "hasExtractedLicensingInfos",
        "hasFiles",
        "licenseInfoFromFiles",
        "licenseInfoInFiles",
        "licenseInfoInSnippets",
        "packages",
        "packageVerificationCodeExcludedFiles",
        "ranges",
        "relationships",
        "seeAlsos",
        "snippets",
        "crossRefs",
    }
)


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        root = load_xml(data, source)
        if _local(root.tag) != ROOT:
            raise InputError(source, "/", f"root element {root.tag!r} is not an SPDX <Document>")
        return _spdx2.from_document(to_json_shape(root), source=source, serialization=SERIALIZATION)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def to_json_shape(el: Element) -> Any:
    children = list(el)
    if not children:
        return (el.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        key = _local(child.tag)
        value = to_json_shape(child)
        if key in _ARRAYS:
            out.setdefault(key, []).append(value)
        elif key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out
