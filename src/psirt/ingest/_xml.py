"""The one XML reader of psirt: defusedxml, and a bound on nesting.

defusedxml refuses entity declarations (billion laughs), external entities and DTD fetches.
The parsed tree is then checked for depth without recursion: walkers of a format recurse
into nested elements (CycloneDX nested components, SPDX XML), so a document nested deeper
than :data:`MAX_DEPTH` elements is refused with :class:`~psirt.errors.LimitExceeded` instead
of exhausting the stack.
"""

from __future__ import annotations

import re
from typing import Final
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _xml_fromstring

from psirt.errors import InputError, LimitExceeded

MAX_DEPTH: Final = 256
_EXPAT_PLACE = re.compile(r": line \d+, column \d+\Z")


def load_xml(data: bytes, source: str) -> Element:
    """Parse XML through defusedxml; errors name the line and (1-based) column."""
    try:
        root: Element = _xml_fromstring(data)
    except ParseError as exc:
        line, column = exc.position  # expat counts columns from 0
        reason = _EXPAT_PLACE.sub("", str(exc))
        raise InputError(
            source, f"line {line}, column {column + 1}", f"invalid XML: {reason}"
        ) from None
    except DefusedXmlException as exc:
        raise InputError(source, None, f"refused XML: {exc!r}") from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        raise InputError(source, "line 1", f"invalid XML: {exc}") from None
    check_depth(root, source)
    return root


def check_depth(root: Element, source: str) -> None:
    """Refuse a tree nested deeper than :data:`MAX_DEPTH` elements."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if len(element):
            if depth >= MAX_DEPTH:
                raise LimitExceeded(
                    source,
                    None,
                    f"XML nested more than {MAX_DEPTH} elements deep (below <{element.tag}>)",
                )
            stack.extend((child, depth + 1) for child in element)
