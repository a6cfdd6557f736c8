"""The one YAML reader of psirt: bounded in time and memory whatever the document holds.

YAML anchors and aliases let a few lines stand for a tree of billions of nodes (the "billion
laughs" or alias bomb), and anything that walks or copies the loaded value then runs for
minutes and fills the memory. Before a document is loaded, its event stream (read by
libyaml when it is installed) is checked once, in constant memory per open node:

* aliases (merge keys ``<<: *a`` included) may repeat at most :data:`MAX_ALIAS_NODES`
  nodes in all, counted as the nodes of the anchored value each alias stands for;
* an alias to an anchor whose value is still open (a recursive structure) is refused;
* nesting may be at most :data:`MAX_DEPTH` levels deep.

A refused document raises :class:`~psirt.errors.LimitExceeded` naming the line and column of the
alias or node where the limit was passed. Anchors, aliases and merge keys within the limits
load as YAML 1.1 defines them; aliased values are shared, not copied.

Two ways of loading are offered:

* ``typed=True``: the YAML 1.1 core types of PyYAML's safe loader (integers, floats,
  booleans, timestamps); no Python objects are ever constructed;
* ``typed=False``: every scalar stays the string it was written as (OSV versions such as
  ``1.10`` or timestamps must not be turned into numbers or dates); merge keys still merge.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import BaseResolver

from psirt.errors import InputError, LimitExceeded
from psirt.ingest.text import decode_utf8, replace_nul

MAX_ALIAS_NODES: Final = 100_000
MAX_DEPTH: Final = 100

# libyaml when present (same results, much faster)
_Parser: Any = getattr(yaml, "CParser", None)
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_EventLoader: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class _MergeResolver(BaseResolver):
    """Resolves nothing but the merge key ``<<`` (every other scalar is a string)."""


_MergeResolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


class _TextConstructor(SafeConstructor):
    """Strings, lists and mappings only (tags are ignored); merge keys are applied."""

    # PyYAML's registries, left empty: every node falls back to str, list or dict
    yaml_constructors: ClassVar[dict[Any, Any]] = {}
    yaml_multi_constructors: ClassVar[dict[Any, Any]] = {}


if _Parser is not None:

    class _TextLoader(_Parser, _TextConstructor, _MergeResolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _TextConstructor.__init__(self)
            _MergeResolver.__init__(self)

else:  # pragma: no cover - PyYAML without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _TextLoader(  # type: ignore[no-redef]
        Reader, Scanner, Parser, Composer, _TextConstructor, _MergeResolver
    ):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _TextConstructor.__init__(self)
            _MergeResolver.__init__(self)


def decode(data: bytes, source: str) -> str:
    """UTF-8 text of ``data`` (a byte order mark is dropped)."""
    return decode_utf8(data, source)


def load_yaml(data: bytes | str, source: str, *, typed: bool) -> Any:
    """The value of a single-document YAML stream, after :func:`check_yaml`."""
    text = decode(data, source) if isinstance(data, bytes) else data
    check_yaml(text, source)
    loader = _SafeLoader if typed else _TextLoader
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - safe or string-only loaders
    except yaml.MarkedYAMLError as exc:
        raise InputError(source, _where(exc), f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(source, None, f"not valid YAML: {exc}") from None
    except (ValueError, OverflowError) as exc:
        # a scalar the safe loader cannot build: an impossible date, an integer too long
        raise InputError(source, None, f"not valid YAML: a value cannot be read: {exc}") from None
    if "\\" in text:  # an escape in a double-quoted scalar may stand for a NUL character
        replace_nul(doc)
    return doc


def check_yaml(text: str, source: str) -> None:
    """Refuse alias bombs, recursive aliases and too deep nesting (see the module doc)."""
    sizes: dict[str, int] = {}  # finished anchors: nodes of their value, aliases expanded
    stack: list[list[Any]] = []  # open collections: [expanded nodes so far, anchor]
    repeated = 0
    try:
        for event in yaml.parse(text, Loader=_EventLoader):
            if isinstance(event, yaml.AliasEvent):
                anchor = event.anchor
                if any(frame[1] == anchor for frame in stack):
                    raise LimitExceeded(
                        source,
                        _mark(event),
                        f"recursive YAML alias *{anchor}: the anchored value contains itself",
                    )
                size = sizes.get(anchor or "", 1)  # an undefined alias: the loader reports it
                repeated += size
                if repeated > MAX_ALIAS_NODES:
                    raise LimitExceeded(
                        source,
                        _mark(event),
                        f"YAML aliases repeat more than {MAX_ALIAS_NODES} nodes "
                        "(an alias bomb); refused",
                    )
                if stack:
                    stack[-1][0] += size
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                if stack:
                    stack[-1][0] += 1
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise LimitExceeded(
                        source, _mark(event), f"YAML nested more than {MAX_DEPTH} levels deep"
                    )
                stack.append([1, event.anchor])
            elif isinstance(event, yaml.CollectionEndEvent):
                size, anchor = stack.pop()
                if anchor is not None:
                    sizes[anchor] = size
                if stack:
                    stack[-1][0] += size
            elif isinstance(event, yaml.DocumentStartEvent):
                sizes.clear()  # anchors are local to their document
    except yaml.MarkedYAMLError as exc:
        raise InputError(source, _where(exc), f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(source, None, f"not valid YAML: {exc}") from None


def _mark(event: Any) -> str | None:
    mark = getattr(event, "start_mark", None)
    return None if mark is None else f"line {mark.line + 1}, column {mark.column + 1}"


def _where(exc: yaml.MarkedYAMLError) -> str | None:
    mark = exc.problem_mark or exc.context_mark
    return None if mark is None else f"line {mark.line + 1}, column {mark.column + 1}"
