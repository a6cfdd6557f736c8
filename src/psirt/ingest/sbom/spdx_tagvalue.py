"""SPDX 2.x tag-value (``Tag: value`` lines, ``<text>...</text>`` for multi-line values).

The lines are read into the JSON shape (packages, relationships, creationInfo ...) and mapped
by :mod:`psirt.ingest.sbom._spdx2`. Errors name the line. Tags that do not bear on an SBOM
(file and snippet details, annotations, reviews) are read past.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.errors import InputError
from psirt.ingest.sbom import _spdx2
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size, gc_paused
from psirt.ingest.text import decode_utf8

FORMAT = SbomFormat.SPDX
SERIALIZATION = Serialization.TAG_VALUE

_TAG = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)\s*:\s?(.*)\Z", re.DOTALL)
_PACKAGE_FIELDS = {
    "PackageVersion": "versionInfo",
    "PackageSupplier": "supplier",
    "PackageOriginator": "originator",
    "PackageLicenseConcluded": "licenseConcluded",
    "PackageLicenseDeclared": "licenseDeclared",
    "PrimaryPackagePurpose": "primaryPackagePurpose",
    "PackageDownloadLocation": "downloadLocation",
    "PackageFileName": "packageFileName",
}
_DOCUMENT_FIELDS = {
    "SPDXVersion": "spdxVersion",
    "DataLicense": "dataLicense",
    "DocumentName": "name",
    "DocumentNamespace": "documentNamespace",
}


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        doc = to_json_shape(decode_utf8(data, source), source)
        return _spdx2.from_document(doc, source=source, serialization=SERIALIZATION)


def tag_values(text: str, source: str) -> Iterator[tuple[int, str, str]]:
    """(line number, tag, value) of each entry; ``<text>`` values may span lines."""
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        line = lines[n]
        n += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _TAG.match(stripped)
        if m is None:
            raise InputError(source, f"line {n}", f"expected 'Tag: value', got {stripped[:60]!r}")
        tag, value = m.group(1), m.group(2).strip()
        start = n
        if value.startswith("<text>"):
            body = value[len("<text>") :]
            while "</text>" not in body:
                if n >= len(lines):
                    raise InputError(source, f"line {start}", f"{tag}: <text> is never closed")
                body += "\n" + lines[n]
                n += 1
            value = body[: body.index("</text>")]
        yield start, tag, value


def to_json_shape(text: str, source: str) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    info: dict[str, Any] = {}
    packages: list[dict[str, Any]] = []
    relationships: list[dict[str, str]] = []
    # the element that later SPDXID/field tags belong to: document, package, file, other
    current: dict[str, Any] | None = doc
    current_is_package = False
    for line, tag, value in tag_values(text, source):
        if tag in _DOCUMENT_FIELDS:
            doc[_DOCUMENT_FIELDS[tag]] = value
        elif tag == "Creator":
            info.setdefault("creators", []).append(value)
        elif tag == "Created":
            info["created"] = value
        elif tag == "PackageName":
            current = {"name": value}
            packages.append(current)
            current_is_package = True
        elif tag in {"FileName", "SnippetSPDXID", "LicenseID"}:
            current, current_is_package = None, False
        elif tag == "SPDXID":
            if current is not None:
                current["SPDXID"] = value
        elif tag == "Relationship":
            parts = value.split()
            if len(parts) != 3:
                raise InputError(
                    source, f"line {line}", f"Relationship: expected 'A TYPE B', got {value!r}"
                )
            relationships.append(
                {
                    "spdxElementId": parts[0],
                    "relationshipType": parts[1],
                    "relatedSpdxElement": parts[2],
                }
            )
        elif current_is_package and current is not None:
            _package_tag(current, tag, value, line, source)
    doc["creationInfo"] = info
    doc["packages"] = packages
    doc["relationships"] = relationships
    return doc


def _package_tag(pkg: dict[str, Any], tag: str, value: str, line: int, source: str) -> None:
    if tag in _PACKAGE_FIELDS:
        pkg[_PACKAGE_FIELDS[tag]] = value
    elif tag == "PackageChecksum":
        alg, sep, digest = value.partition(":")
        if not sep or not digest.strip():
            raise InputError(
                source, f"line {line}", f"PackageChecksum: expected 'ALG: value', got {value!r}"
            )
        pkg.setdefault("checksums", []).append(
            {"algorithm": alg.strip(), "checksumValue": digest.strip()}
        )
    elif tag == "ExternalRef":
        parts = value.split(None, 2)
        if len(parts) != 3:
            raise InputError(
                source,
                f"line {line}",
                f"ExternalRef: expected 'CATEGORY TYPE LOCATOR', got {value!r}",
            )
        pkg.setdefault("externalRefs", []).append(
            {"referenceCategory": parts[0], "referenceType": parts[1], "referenceLocator": parts[2]}
        )
