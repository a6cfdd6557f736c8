"""SPDX 2.2/2.3 YAML: the JSON shape written as YAML (mapping in ``_spdx2``)."""

from __future__ import annotations

from typing import Any

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.ingest import _yaml
from psirt.ingest.sbom import _spdx2
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size, gc_paused

FORMAT = SbomFormat.SPDX
SERIALIZATION = Serialization.YAML


def load_yaml(data: bytes, source: str) -> Any:
    """The document through psirt's bounded YAML reader (alias bombs are refused)."""
    return _yaml.load_yaml(data, source, typed=True)


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSbom:
    check_size(data, source, max_bytes)
    with gc_paused():
        return from_document(_stringify_dates(load_yaml(data, source)), source=source)


def from_document(doc: Any, *, source: str) -> ParsedSbom:
    return _spdx2.from_document(doc, source=source, serialization=SERIALIZATION)


def _stringify_dates(value: Any) -> Any:
    """YAML reads unquoted timestamps as datetime; the JSON shape has strings."""
    import datetime as dt

    if isinstance(value, dict):
        return {k: _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
