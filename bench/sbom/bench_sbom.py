"""SBOM parsing speed: psirt against cyclonedx-python-lib and spdx-tools.

Run: ``.venv/bin/python bench/sbom/bench_sbom.py [--components 50000]``. Builds a CycloneDX
1.6 JSON SBOM and an SPDX 2.3 JSON SBOM with N components each (every component with purl,
CPE, hashes, license, supplier; a dependency chain), times each parser (best of a few runs,
in-process), prints a markdown table and writes bench/sbom/RESULTS.md.

cyclonedx-python-lib ``Bom.from_json`` is timed on a smaller document (``--reference-size``,
default 5,000) when it is too slow for 50,000; the table says which size each row used.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from psirt.ingest.sbom import cyclonedx_json, parse_sbom, spdx_json
from psirt.ingest.sbom._common import gc_paused

HERE = Path(__file__).resolve().parent


def build_cyclonedx(n: int) -> bytes:
    components = []
    for i in range(n):
        name = f"lib{i}"
        components.append(
            {
                "type": "library",
                "bom-ref": f"pkg:pypi/{name}@1.{i % 100}.{i % 7}",
                "group": "",
                "name": name,
                "version": f"1.{i % 100}.{i % 7}",
                "supplier": {"name": f"Vendor {i % 50}"},
                "purl": f"pkg:pypi/{name}@1.{i % 100}.{i % 7}",
                "cpe": f"cpe:2.3:a:vendor{i % 50}:{name}:1.{i % 100}.{i % 7}:*:*:*:*:*:*:*",
                "hashes": [{"alg": "SHA-256", "content": f"{i:064x}"}],
                "licenses": [{"license": {"id": "MIT"}}],
            }
        )
    dependencies = [
        {"ref": components[i]["bom-ref"], "dependsOn": [components[i + 1]["bom-ref"]]}
        for i in range(n - 1)
    ]
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2024-05-01T10:00:00Z",
            "component": {"type": "firmware", "bom-ref": "device", "name": "device"},
        },
        "components": components,
        "dependencies": dependencies,
    }
    return orjson.dumps(doc)


def build_cyclonedx_lean(n: int) -> bytes:
    """The shape package-manager tools emit: type, bom-ref, name, version, purl per component
    (about 150 bytes each; orjson reads 50,000 of them in under a tenth of a second)."""
    components = []
    for i in range(n):
        name, version = f"lib{i}", f"1.{i % 100}.{i % 7}"
        purl = f"pkg:pypi/{name}@{version}"
        components.append(
            {"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl}
        )
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": "2024-05-01T10:00:00Z"},
        "components": components,
        "dependencies": [{"ref": c["bom-ref"], "dependsOn": []} for c in components],
    }
    return orjson.dumps(doc)


def build_spdx(n: int) -> bytes:
    packages = [
        {
            "SPDXID": f"SPDXRef-Package-{i}",
            "name": f"lib{i}",
            "versionInfo": f"1.{i % 100}.{i % 7}",
            "supplier": f"Organization: Vendor {i % 50}",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "MIT",
            "licenseDeclared": "MIT",
            "copyrightText": "NOASSERTION",
            "checksums": [{"algorithm": "SHA256", "checksumValue": f"{i:064x}"}],
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:pypi/lib{i}@1.{i % 100}.{i % 7}",
                },
                {
                    "referenceCategory": "SECURITY",
                    "referenceType": "cpe23Type",
                    "referenceLocator": f"cpe:2.3:a:v:lib{i}:1.{i % 100}.{i % 7}:*:*:*:*:*:*:*",
                },
            ],
        }
        for i in range(n)
    ]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Package-0",
        }
    ] + [
        {
            "spdxElementId": f"SPDXRef-Package-{i}",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": f"SPDXRef-Package-{i + 1}",
        }
        for i in range(n - 1)
    ]
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "bench",
        "documentNamespace": "https://example.com/spdx/bench",
        "creationInfo": {"created": "2024-05-01T10:00:00Z", "creators": ["Tool: bench-1.0"]},
        "packages": packages,
        "relationships": relationships,
    }
    return orjson.dumps(doc)


def best_of(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _no_gc(fn: Callable[[bytes], object], data: bytes) -> object:
    with gc_paused():
        return fn(data)


def cyclonedx_lib_from_json(data: bytes) -> object:
    from cyclonedx.model.bom import Bom

    return Bom.from_json(json.loads(data))  # type: ignore[attr-defined]


def spdx_tools_parse(data: bytes) -> object:
    from spdx_tools.spdx.parser.parse_anything import parse_file

    with tempfile.NamedTemporaryFile(suffix=".spdx.json") as tmp:
        tmp.write(data)
        tmp.flush()
        return parse_file(tmp.name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=50_000)
    parser.add_argument("--reference-size", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n, ref_n, runs = args.components, args.reference_size, args.runs

    cdx, spdx = build_cyclonedx(n), build_spdx(n)
    cdx_small, spdx_small = build_cyclonedx(ref_n), build_spdx(ref_n)
    assert len(parse_sbom(cdx, source="bench.cdx.json").components) == n
    assert len(parse_sbom(spdx, source="bench.spdx.json").components) == n

    rows: list[tuple[str, int, float, str]] = []
    t_orjson = best_of(lambda: _no_gc(orjson.loads, cdx), runs)
    rows.append(
        ("orjson.loads only (CycloneDX bytes, no mapping, GC paused as in psirt)", n, t_orjson, "")
    )
    t_cdx = best_of(lambda: cyclonedx_json.parse(cdx, source="b"), runs)
    rows.append(("psirt cyclonedx_json.parse, rich CycloneDX (every field filled)", n, t_cdx,
                 "target <= 0.5 s"))  # fmt: skip
    lean = build_cyclonedx_lean(n)
    t_orjson_lean = best_of(lambda: _no_gc(orjson.loads, lean), runs)
    rows.append(("orjson.loads only, lean CycloneDX (type, ref, name, version, purl)", n,
                 t_orjson_lean, f"{len(lean) / 1e6:.1f} MB"))  # fmt: skip
    t_lean = best_of(lambda: cyclonedx_json.parse(lean, source="b"), runs)
    rows.append(("psirt cyclonedx_json.parse, lean CycloneDX", n, t_lean, "target <= 0.5 s"))
    t_cdx_auto = best_of(lambda: parse_sbom(cdx, source="b"), runs)
    rows.append(("psirt parse_sbom (detect + parse), CycloneDX", n, t_cdx_auto, ""))
    t_spdx = best_of(lambda: spdx_json.parse(spdx, source="b"), runs)
    rows.append(("psirt spdx_json.parse", n, t_spdx, "target <= 1 s"))
    t_spdx_auto = best_of(lambda: parse_sbom(spdx, source="b"), runs)
    rows.append(("psirt parse_sbom (detect + parse), SPDX", n, t_spdx_auto, ""))

    t_cdx_small = best_of(lambda: cyclonedx_json.parse(cdx_small, source="b"), runs)
    rows.append(("psirt cyclonedx_json.parse", ref_n, t_cdx_small, ""))
    t_lib = best_of(lambda: cyclonedx_lib_from_json(cdx_small), 1)
    ratio_cdx = t_lib / t_cdx_small
    rows.append(
        (
            "cyclonedx-python-lib Bom.from_json (json.loads included)",
            ref_n,
            t_lib,
            f"{ratio_cdx:.0f}x psirt at the same size",
        )
    )
    t_spdx_small = best_of(lambda: spdx_json.parse(spdx_small, source="b"), runs)
    rows.append(("psirt spdx_json.parse", ref_n, t_spdx_small, ""))
    t_tools_small = best_of(lambda: spdx_tools_parse(spdx_small), 1)
    rows.append(
        (
            "spdx-tools parse_file (JSON)",
            ref_n,
            t_tools_small,
            f"{t_tools_small / t_spdx_small:.0f}x psirt at the same size",
        )
    )
    t_tools = best_of(lambda: spdx_tools_parse(spdx), 1)
    rows.append(("spdx-tools parse_file (JSON)", n, t_tools, f"{t_tools / t_spdx:.0f}x psirt"))

    lines = [
        "# SBOM parsing benchmark",
        "",
        f"Command: `.venv/bin/python bench/sbom/bench_sbom.py --components {n} "
        f"--reference-size {ref_n}`; Python {platform.python_version()} on "
        f"{platform.machine()}, best of {runs} runs (reference libraries: 1 run).",
        f"Document sizes: CycloneDX {len(cdx) / 1e6:.1f} MB, SPDX {len(spdx) / 1e6:.1f} MB "
        f"for {n} components.",
        "",
        "| what | components | seconds | note |",
        "|---|---:|---:|---|",
        *[f"| {what} | {count} | {secs:.3f} | {note} |" for what, count, secs, note in rows],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (HERE / "RESULTS.md").write_text(text)


if __name__ == "__main__":
    main()
