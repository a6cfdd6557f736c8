"""Supplier advisories and VEX documents: bytes in, :class:`SupplierDocument` out.

One module per format, one registry::

    PARSERS[VexFormat.CSAF](data, source="icsma-20-023-01.json") -> SupplierDocument

:func:`detect` sniffs a document once and names its format (``UnknownFormat`` when none
fits): a CSAF 2.0 document (``document.csaf_version``), a CycloneDX BOM with
``vulnerabilities`` (CycloneDX VEX, spec 1.4 and later), an OpenVEX document (``@context``
under ``https://openvex.dev/ns``). :func:`parse` detects and parses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psirt.domain.vex import SupplierDocument, VexFormat
from psirt.errors import InputError, UnknownFormat
from psirt.ingest._json import load_json, strip_bom
from psirt.ingest.vex import csaf, cyclonedx, openvex

Parser = Callable[..., SupplierDocument]  # (data: bytes, *, source: str) -> SupplierDocument

PARSERS: dict[VexFormat, Parser] = {
    VexFormat.CSAF: csaf.parse,
    VexFormat.CYCLONEDX: cyclonedx.parse,
    VexFormat.OPENVEX: openvex.parse,
}

_SNIFFERS: tuple[tuple[VexFormat, Callable[[dict[str, Any]], bool]], ...] = (
    (VexFormat.CSAF, csaf.sniff),
    (VexFormat.CYCLONEDX, cyclonedx.sniff),
    (VexFormat.OPENVEX, openvex.sniff),
)


def detect_json(doc: Any, source: str) -> VexFormat:
    """The format of a decoded document; ``UnknownFormat`` when none fits."""
    if not isinstance(doc, dict):
        raise UnknownFormat(source, None, "not a JSON object")
    for fmt, sniff in _SNIFFERS:
        if sniff(doc):
            return fmt
    if doc.get("bomFormat") == "CycloneDX":
        raise UnknownFormat(
            source,
            "/vulnerabilities",
            "a CycloneDX BOM without vulnerabilities is no VEX (import an SBOM with "
            "'psirt sbom import')",
        )
    raise UnknownFormat(
        source, None, "not a CSAF 2.0 document, a CycloneDX VEX or an OpenVEX document"
    )


def detect(data: bytes, source: str) -> VexFormat:
    body = strip_bom(data).lstrip()
    if not body:
        raise UnknownFormat(source, None, "empty document")
    if body[:1] != b"{":
        raise UnknownFormat(source, None, "not a JSON object (supplier advisories are JSON)")
    return detect_json(load_json(data, source), source)


def parse(data: bytes, *, source: str, format: VexFormat | None = None) -> SupplierDocument:
    """Parse a supplier document, detecting its format unless ``format`` is given."""
    fmt = detect(data, source) if format is None else format
    return PARSERS[fmt](data, source=source)


__all__ = ["PARSERS", "InputError", "Parser", "detect", "detect_json", "parse"]
