"""Reading untrusted JSON with errors that name the file and the place.

Every accessor takes the JSON path of the value it reads (``runs[0].results[3].level``) so
that a wrong type becomes ``InputError(source, path, "expected a string, got number")``
instead of a ``KeyError`` or ``TypeError`` deep inside a parser.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from psirt.errors import InputError
from psirt.ingest._json import type_name

JsonObject = dict[str, Any]

_LONG_FRACTION = re.compile(r"(\.\d{7,})")


def obj(value: Any, source: str, path: str) -> JsonObject:
    if not isinstance(value, dict):
        raise InputError(source, path, f"expected an object, got {type_name(value)}")
    return value


def arr(value: Any, source: str, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(source, path, f"expected an array, got {type_name(value)}")
    return value


def opt_obj(d: JsonObject, key: str, source: str, path: str) -> JsonObject:
    """``d[key]`` as an object; absent or null gives an empty object."""
    value = d.get(key)
    if value is None:
        return {}
    return obj(value, source, f"{path}.{key}" if path else key)


def opt_arr(d: JsonObject, key: str, source: str, path: str) -> list[Any]:
    """``d[key]`` as an array; absent or null gives an empty array."""
    value = d.get(key)
    if value is None:
        return []
    return arr(value, source, f"{path}.{key}" if path else key)


def opt_str(d: JsonObject, key: str, source: str, path: str) -> str | None:
    """``d[key]`` as a string; numbers are accepted and written in decimal (ZAP writes both)."""
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    where = f"{path}.{key}" if path else key
    raise InputError(source, where, f"expected a string, got {type_name(value)}")


def opt_int(d: JsonObject, key: str, source: str, path: str) -> int | None:
    """``d[key]`` as an integer; integral strings (``"42"``) are accepted."""
    value = d.get(key)
    if value is None:
        return None
    where = f"{path}.{key}" if path else key
    if isinstance(value, bool):
        raise InputError(source, where, "expected an integer, got boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    raise InputError(source, where, f"expected an integer, got {type_name(value)} {value!r}")


def opt_float(d: JsonObject, key: str, source: str, path: str) -> float | None:
    """``d[key]`` as a number; numeric strings (``"7.5"``) are accepted."""
    value = d.get(key)
    if value is None:
        return None
    where = f"{path}.{key}" if path else key
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise InputError(source, where, f"expected a number, got {type_name(value)} {value!r}")


def lenient_float(value: Any) -> float | None:
    """A number, or a string holding one; None for anything else (never an error). For
    scores that only refine a severity: a report is not refused over one of them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def str_list(d: JsonObject, key: str, source: str, path: str) -> tuple[str, ...]:
    """``d[key]`` as an array of strings (absent gives an empty tuple)."""
    where = f"{path}.{key}" if path else key
    items = opt_arr(d, key, source, path)
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(source, f"{where}[{i}]", f"expected a string, got {type_name(item)}")
        out.append(item)
    return tuple(out)


def parse_time(text: str | None, source: str, path: str) -> dt.datetime | None:
    """An ISO 8601 timestamp (``Z`` accepted, naive read as UTC); ``None`` stays ``None``."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = _LONG_FRACTION.sub(lambda m: m.group(1)[:7], value)  # ns -> us
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(source, path, f"not an ISO 8601 timestamp: {text!r}") from None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
