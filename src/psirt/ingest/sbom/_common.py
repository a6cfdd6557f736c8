"""Helpers shared by the SBOM parsers: size limit, JSON/XML loading, typed field access.

Field access helpers take the place of a schema check in the hot loop: each one looks at
one value, returns it when its type is right and raises :class:`InputError` naming the
JSON path otherwise. Paths are only formatted when something is wrong.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from psirt.domain.sbom import Hash, ItemClass
from psirt.errors import InputError
from psirt.ingest._json import type_name
from psirt.ingest.limits import InputKind, SizeLimit, resolve_default

# the built-in SBOM limit (parsers read no settings; the file readers resolve the configured one)
DEFAULT_MAX_BYTES: Final = resolve_default(InputKind.SBOM)

JsonObject = dict[str, Any]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large document is decoded and mapped.

    Decoding and mapping create millions of acyclic objects; with the collector running,
    each generation-2 pass walks all of them again, which doubled the parse time of a
    50,000-component SBOM. Reference counting still frees everything; the collector is
    switched back on (if it was on) when the block ends, also on errors.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_size(data: bytes, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    SizeLimit(InputKind.SBOM, max_bytes).check(data, source)


def require_object(value: Any, source: str, path: str) -> JsonObject:
    if type(value) is not dict:
        raise InputError(source, path or None, f"expected an object, got {type_name(value)}")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def opt_str(obj: Mapping[str, Any], key: str, source: str, path: str) -> str | None:
    """``obj[key]`` when it is a string, None when absent or null."""
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise InputError(source, _join(path, key), f"expected a string, got {type_name(value)}")


def opt_list(obj: Mapping[str, Any], key: str, source: str, path: str) -> list[Any]:
    """``obj[key]`` when it is an array, [] when absent or null."""
    value = obj.get(key)
    if value is None:
        return []
    if type(value) is list:
        return value
    raise InputError(source, _join(path, key), f"expected an array, got {type_name(value)}")


def opt_obj(obj: Mapping[str, Any], key: str, source: str, path: str) -> JsonObject | None:
    value = obj.get(key)
    if value is None or type(value) is dict:
        return value
    raise InputError(source, _join(path, key), f"expected an object, got {type_name(value)}")


def item_obj(value: Any, source: str, path: str) -> JsonObject:
    if type(value) is dict:
        return value
    raise InputError(source, path, f"expected an object, got {type_name(value)}")


def item_str(value: Any, source: str, path: str) -> str:
    if type(value) is str:
        return value
    raise InputError(source, path, f"expected a string, got {type_name(value)}")


# --- identifiers ---------------------------------------------------------------------------

# scheme "pkg", a type ([a-zA-Z.+-][a-zA-Z0-9.+-]*), "/", then a name (not empty); no spaces.
# A cheap shape check run on every component; full parsing is left to the matcher.
_PURL = re.compile(r"pkg:/*[A-Za-z.+-][A-Za-z0-9.+-]*/+[^/@?#\s]")


def purl_problem(purl: str) -> str | None:
    """Why ``purl`` is not a package URL, or None when it looks like one."""
    if _PURL.match(purl) is None or " " in purl:
        return "not a package URL"
    return None


def cpe_problem(cpe: str) -> str | None:
    if cpe.startswith(("cpe:2.3:", "cpe:/")):
        return None
    return "not a CPE name"


# --- hashes --------------------------------------------------------------------------------

_SHA = re.compile(r"SHA-?(1|224|256|384|512)\Z")
_SHA3 = re.compile(r"SHA3-?(224|256|384|512)\Z")
_BLAKE2 = re.compile(r"BLAKE2B-?(256|384|512)\Z")


def normalise_algorithm(name: str) -> str:
    """Upper-case hash algorithm name with a dash before the size: SHA256 -> SHA-256."""
    upper = name.strip().upper().replace("_", "-")
    if m := _SHA.match(upper):
        return f"SHA-{m.group(1)}"
    if m := _SHA3.match(upper):
        return f"SHA3-{m.group(1)}"
    if m := _BLAKE2.match(upper):
        return f"BLAKE2B-{m.group(1)}"
    return upper


_ALGORITHMS: dict[str, str] = {}


def make_hash(algorithm: str, value: str) -> Hash:
    name = _ALGORITHMS.get(algorithm)
    if name is None:
        name = _ALGORITHMS[algorithm] = normalise_algorithm(algorithm)
    return Hash(name, value.strip().lower())


# --- dates ---------------------------------------------------------------------------------


def parse_datetime(value: str) -> dt.datetime | None:
    """ISO 8601 date-time (``Z`` accepted), or None when it is not one."""
    text = value.strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_date(value: str) -> dt.date | None:
    text = value.strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


# --- level of support (FDA premarket guidance, IEC 81001-5-1 item classes) -----------------

# Property names are compared after lower-casing and dropping everything but letters and
# digits, and after cutting a namespace prefix ending with ":" (so "psirt:item_class",
# "acme:supportLevel" and "Level of Support" are all recognised).
ITEM_CLASS_PROPERTY_NAMES: Final = frozenset(
    {"itemclass", "softwareitemclass", "supportlevel", "levelofsupport"}
)
SUPPORT_END_PROPERTY_NAMES: Final = frozenset(
    {
        "endofsupport",
        "endofsupportdate",
        "supportend",
        "supportenddate",
        "endoflife",
        "endoflifedate",
        "eol",
        "eoldate",
    }
)
_ITEM_CLASS_VALUES: Final = {member.value: member for member in ItemClass}
_NON_ALNUM = re.compile(r"[^a-z0-9]")


def property_key(name: str) -> str:
    return _NON_ALNUM.sub("", name.rsplit(":", 1)[-1].lower())


def support_from_properties(
    properties: tuple[tuple[str, str], ...],
) -> tuple[ItemClass | None, dt.date | None]:
    """Item class and end-of-support date named by a component's properties.

    Only values that are an item class ("maintained", "supported", "required", any case) or
    an ISO date are taken; free text such as "Actively maintained" or "Unknown" stays in
    the properties (quality reports show it) and is not mapped by guesswork.
    """
    item_class: ItemClass | None = None
    support_end: dt.date | None = None
    for name, value in properties:
        key = property_key(name)
        if key in ITEM_CLASS_PROPERTY_NAMES:
            item_class = _ITEM_CLASS_VALUES.get(value.strip().lower(), item_class)
        elif key in SUPPORT_END_PROPERTY_NAMES:
            support_end = parse_date(value) or support_end
    return item_class, support_end


def duplicate_refs(refs: list[tuple[str, str]], field: str) -> list[str]:
    """A problem for every ``(ref, where)`` whose ref an earlier entry already uses.

    CycloneDX requires every ``bom-ref`` to be unique within the BOM: the dependency graph
    and vulnerability statements name components by it, so a duplicate makes them ambiguous.
    """
    first: dict[str, str] = {}
    out: list[str] = []
    for ref, where in refs:
        earlier = first.get(ref)
        if earlier is None:
            first[ref] = where
        else:
            out.append(f"{where}{field}: duplicate {ref!r}, already used by {earlier}")
    return out


def unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
