"""SPDX 2.2/2.3 JSON (mapping in :mod:`psirt.ingest.sbom._spdx2`)."""

from __future__ import annotations

from typing import Any

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.ingest._json import load_json
from psirt.ingest.sbom import _spdx2
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size, gc_paused

FORMAT = SbomFormat.SPDX
SERIALIZATION = Serialization.JSON


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        return from_document(load_json(data, source), source=source)


def from_document(doc: Any, *, source: str) -> ParsedSbom:
    return _spdx2.from_document(doc, source=source, serialization=SERIALIZATION)
