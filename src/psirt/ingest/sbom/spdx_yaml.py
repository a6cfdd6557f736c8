"""SPDX 2.2/2.3 YAML: the JSON shape written as YAML (mapping in ``_spdx2``)."""

from __future__ import annotations

from typing import Any

import yaml

from psirt.domain.sbom import ParsedSbom, SbomFormat, Serialization
from psirt.errors import InputError
from psirt.ingest.sbom import _spdx2
from psirt.ingest.sbom._common import DEFAULT_MAX_BYTES, check_size, gc_paused

FORMAT = SbomFormat.SPDX
SERIALIZATION = Serialization.YAML

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(data: bytes, source: str) -> Any:
    try:
        return yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(source, where, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(source, None, f"invalid YAML: {exc}") from None


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
