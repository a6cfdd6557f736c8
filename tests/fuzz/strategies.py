"""Input strategies for fuzzing psirt's parsers, built from the structure of real documents.

Seeds are real documents: ``tests/assets``, the demo data and, when it is there,
``../shared/data`` (small files only). From a seed a strategy draws:

* byte mutations (flip, insert, delete, duplicate, truncate, splice with another seed);
* tree mutations of JSON and YAML documents: a node replaced by a value of another type (huge
  and non-finite numbers, long strings, strings with NUL, control characters and markup,
  deep nesting, empty containers), keys removed, list items duplicated;
* element mutations of XML documents: text, attributes, removed and duplicated elements;
* line mutations of line-based formats (CSV, tag-value): lines dropped, duplicated, cells
  changed.

Budget: ``budget(n)`` gives the CI settings (``n`` examples, derandomized, a deadline per
example); ``PSIRT_FUZZ_EXAMPLES=50000`` runs a campaign with that many examples per test,
random seeds and no deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import orjson
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from psirt.demo import data_dir
from tests.conftest import ASSETS, SHARED_DATA

MAX_SEED_BYTES = 128 * 1024
CAMPAIGN = int(os.environ.get("PSIRT_FUZZ_EXAMPLES", "0") or 0)


def budget(examples: int) -> settings:
    """CI: ``examples`` derandomized examples, each within the deadline; a campaign when
    ``PSIRT_FUZZ_EXAMPLES`` is set."""
    health = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    if CAMPAIGN:
        return settings(
            max_examples=CAMPAIGN, deadline=None, suppress_health_check=health, database=None
        )
    return settings(
        max_examples=examples,
        deadline=dt.timedelta(seconds=5),
        derandomize=True,
        database=None,
        suppress_health_check=health,
        print_blob=True,
    )


# --- seeds -----------------------------------------------------------------------------------


def _files(root: Path, patterns: Iterable[str]) -> list[Path]:
    if not root.exists():
        return []
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(p for p in found if p.stat().st_size <= MAX_SEED_BYTES)


def seeds(*groups: tuple[Path, Iterable[str]]) -> list[tuple[str, bytes]]:
    """(name, bytes) of every small file matching the groups' patterns."""
    out: list[tuple[str, bytes]] = []
    for root, patterns in groups:
        out.extend((p.name, p.read_bytes()) for p in _files(root, patterns))
    return out


DEMO = data_dir()

SBOM_SEEDS = seeds(
    (ASSETS / "sbom", ["*"]),
    (ASSETS / "cli", ["*.cdx.json"]),
    (DEMO / "sbom", ["*.json"]),
    (ASSETS / "fuzz", ["*.xml", "*.yaml", "*.spdx3.json", "*.spdx.json"]),
    (SHARED_DATA / "sbom" / "spdx" / "spdx-spec-examples-2.3", ["*"]),
    (SHARED_DATA / "sbom" / "spdx" / "spdx-examples" / "software", ["*/spdx3.0/*.json"]),
    (SHARED_DATA / "sbom" / "spdx" / "spdx-examples" / "software", ["*/spdx2.*/*.spdx"]),
    (SHARED_DATA / "sbom" / "cyclonedx" / "bom-examples" / "SBOM", ["**/*.xml", "**/*.json"]),
)

SCAN_SEEDS = seeds(
    (ASSETS / "scans", ["*/*"]),
    (ASSETS / "fuzz", ["trivy.json", "grype.json", "osv-scanner.json"]),
    (DEMO / "scans", ["*"]),
    (
        SHARED_DATA / "scanners" / "defectdojo",
        [
            "bandit/*",
            "semgrep/*",
            "sarif/*",
            "zap/*",
            "trivy/*",
            "anchore_grype/*",
            "osv_scanner/*",
        ],
    ),
    (SHARED_DATA / "scanners" / "zap-json", ["**/*.json", "**/*.xml"]),
    (SHARED_DATA / "scanners" / "sarif", ["**/*.sarif"]),
)

FEED_SEEDS = seeds(
    (ASSETS / "feeds", ["*/*"]),
    (ASSETS / "cli", ["PYSEC-*.json"]),
    (DEMO / "feeds", ["*.json", "nvd/*"]),
    (SHARED_DATA / "nvd", ["**/*.json"]),
    (SHARED_DATA / "osv" / "misc-samples", ["**/*.json"]),
)


def of_kind(pool: list[tuple[str, bytes]], *suffixes: str) -> list[tuple[str, bytes]]:
    return [(n, d) for n, d in pool if n.lower().endswith(suffixes)]


# --- values ----------------------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\x1b[2J",
        "\r",
        "\u202e",
        "[bold red]x[/]",
        "pkg:",
        "pkg:pypi/",
        "pkg:pypi/x@",
        "cpe:2.3:",
        "cpe:2.3:a:*:*:*:*:*:*:*:*:*:*",
        "CVE-",
        "CWE-",
        "CWE-99999999999999999999",
        "GHSA-",
        "2024-02-30T25:61:61Z",
        "0000-00-00",
        "9999-12-31T23:59:59.9999999999+99:99",
        "NaN",
        "-Infinity",
        "1e999",
        "9" * 5000,
        "x" * 10_000,
        "\ud800",
        "../../etc/passwd",
        "SPDXRef-",
        "NOASSERTION",
        "&a;",
        "<![CDATA[x]]>",
    ]
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    HOSTILE_TEXT,
)


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON trees whose object keys come from the format's vocabulary (and a few others)."""
    key = st.sampled_from(keys) if keys else st.text(max_size=8)
    return st.recursive(
        SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(key, children, max_size=5)
        ),
        max_leaves=12,
    )


def vocabulary(doc: Any, out: set[str] | None = None) -> set[str]:
    """Every object key of a decoded JSON/YAML document."""
    found = set() if out is None else out
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.update(k for k in node if isinstance(k, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _paths(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every node below the root."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                out.append((node, k))
                stack.append(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                out.append((node, i))
                stack.append(v)
    return out


@st.composite
def mutated_tree(draw: st.DrawFn, doc: Any, keys: list[str], deepest: int = 400) -> Any:
    """A copy of ``doc`` with up to four nodes replaced, removed, duplicated or nested."""
    tree = json.loads(json.dumps(doc, default=str))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(tree)
        if not paths:
            return draw(json_values(keys))
        container, key = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "remove", "duplicate", "nest"]))
        if action == "replace":
            container[key] = draw(json_values(keys))
        elif action == "remove":
            del container[key]
        elif action == "duplicate" and isinstance(container, list):
            container.insert(key, container[key])
        elif action == "nest":
            depth = draw(st.sampled_from([2, 30, deepest]))
            value: Any = container[key]
            for _ in range(depth):
                value = [value]
            container[key] = value
    return tree


# --- byte and line mutations ----------------------------------------------------------------


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes, others: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup", "truncate", "splice"]))
        pos = draw(st.integers(0, len(out))) if out else 0
        if op == "flip" and out:
            i = min(pos, len(out) - 1)
            out[i] = draw(st.integers(0, 255))
        elif op == "insert":
            out[pos:pos] = draw(
                st.one_of(
                    st.binary(max_size=8),
                    st.sampled_from(
                        [b"\x00", b"\xff", b"\xc3", b"&", b"<!ENTITY", b"]]>", b"*a", b"&a "]
                    ),
                )
            )
        elif op == "delete" and out:
            end = draw(st.integers(pos, min(len(out), pos + 64)))
            del out[pos:end]
        elif op == "dup" and out:
            end = draw(st.integers(pos, min(len(out), pos + 256)))
            out[pos:pos] = out[pos:end]
        elif op == "truncate":
            del out[pos:]
        elif op == "splice" and others:
            other = draw(st.sampled_from(others))
            cut = draw(st.integers(0, len(other)))
            out = out[:pos] + other[cut:]
    return bytes(out)


@st.composite
def mutated_lines(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "cell", "quote", "swap"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "cell":
            cells = lines[i].split(b",")
            j = draw(st.integers(0, len(cells)))
            cells.insert(j, draw(HOSTILE_TEXT).encode("utf-8", "surrogatepass"))
            lines[i] = b",".join(cells)
        elif op == "quote":
            lines[i] = b'"' + lines[i]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


# --- XML -------------------------------------------------------------------------------------


@st.composite
def mutated_xml(draw: st.DrawFn, data: bytes) -> bytes:
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - our own seed documents
    except ElementTree.ParseError:
        return data
    for _ in range(draw(st.integers(1, 4))):
        elements = list(root.iter())
        el = draw(st.sampled_from(elements))
        op = draw(st.sampled_from(["text", "attr", "remove", "dup", "nest"]))
        text = draw(HOSTILE_TEXT).replace("\x00", "").replace("\ud800", "")
        text = "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)
        if op == "text":
            el.text = text
        elif op == "attr" and el.attrib:
            name = draw(st.sampled_from(sorted(el.attrib)))
            el.set(name, text)
        elif op in ("remove", "dup") and len(el):
            child = draw(st.sampled_from(list(el)))
            if op == "remove":
                el.remove(child)
            else:
                el.append(child)
        elif op == "nest":
            inner = el
            for _ in range(draw(st.sampled_from([2, 30, 300]))):
                inner = ElementTree.SubElement(inner, el.tag)
    out = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    if draw(st.integers(0, 9)) == 0:  # deeper than any recursive walker may go
        cut = out.rfind(b"</")
        if cut > 0:
            depth = draw(st.sampled_from([1100, 20_000]))
            out = out[:cut] + b"<x>" * depth + b"</x>" * depth + out[cut:]
    return out


def _deep_json(data: bytes, draw: st.DrawFn) -> bytes:
    """The document with one value wrapped in arrays deeper than any parser nests."""
    depth = draw(st.sampled_from([200, 1100, 100_000]))
    cut = data.find(b":")
    if cut < 0:
        return b"[" * depth + data + b"]" * depth
    end = data.find(b",", cut)
    end = end if end > 0 else len(data) - 1
    return data[: cut + 1] + b"[" * depth + data[cut + 1 : end] + b"]" * depth + data[end:]


# --- per seed --------------------------------------------------------------------------------


def _decoded(name: str, data: bytes) -> tuple[str, Any]:
    lower = name.lower()
    try:
        if lower.endswith((".yaml", ".yml")):
            return "yaml", yaml.safe_load(data)
        return "json", orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except (orjson.JSONDecodeError, yaml.YAMLError, ValueError):
        return "", None


def keys_of(pool: list[tuple[str, bytes]]) -> list[str]:
    """Every object key of the seeds that decode as JSON or YAML."""
    return sorted({k for n, d in pool for k in vocabulary(_decoded(n, d)[1])})


def structured(pool: list[tuple[str, bytes]]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(name, document) drawn from ``pool`` and mutated by its structure or its bytes."""
    if not pool:
        raise ValueError("no seeds")
    others = [d for _, d in pool]
    keys = keys_of(pool)

    @st.composite
    def draw_one(draw: st.DrawFn) -> tuple[str, bytes]:
        name, data = draw(st.sampled_from(pool))
        kind, doc = _decoded(name, data)
        choices: list[Callable[[], bytes]] = [lambda: draw(mutated_bytes(data, others))]
        if kind == "json":
            choices.append(lambda: json.dumps(draw(mutated_tree(doc, keys))).encode())
            choices.append(lambda: _deep_json(json.dumps(doc).encode(), draw))
        elif kind == "yaml":
            choices.append(lambda: yaml.safe_dump(draw(mutated_tree(doc, keys, 120))).encode())
        if data.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
            choices.append(lambda: draw(mutated_xml(data)))
        if not data.lstrip().startswith((b"{", b"[", b"<")):
            choices.append(lambda: draw(mutated_lines(data)))
        pick = draw(st.integers(0, len(choices) - 1))
        return name, choices[pick]()

    return draw_one()
