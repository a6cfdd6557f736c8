"""Reading helpers shared by the supplier-document parsers."""

from __future__ import annotations

from typing import Any

from psirt.errors import InputError
from psirt.ingest._json import type_name


def pointer(*parts: str | int) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def obj(value: Any, source: str, *path: str | int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(
            source, pointer(*path) or "/", f"expected an object, got {type_name(value)}"
        )
    return value


def arr(value: Any, source: str, *path: str | int, required: bool = False) -> list[Any]:
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise InputError(source, pointer(*path), f"expected an array, got {type_name(value)}")
    return value


def text(value: Any, source: str, *path: str | int, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(
            source, pointer(*path), f"expected a non-empty string, got {type_name(value)}"
        )
    return value
