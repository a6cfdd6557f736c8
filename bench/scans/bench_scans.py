"""Time parsing and fingerprinting of a 10,000-result SARIF log (and a large ZAP report).

Run: .venv/bin/python bench/scans/bench_scans.py [--results N] [--repeat R]
Prints a table and writes bench/scans/RESULTS.md. The target is well under 1 s for parse +
fingerprint of 10,000 results, so that import with storage fits in 5 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from psirt.domain.scan import CodeLocation
from psirt.ingest.scans import detect, fingerprint, inspect, parse

HERE = Path(__file__).resolve().parent


def build_sarif(n: int) -> bytes:
    """A CodeQL-like log: 50 rules, n results, snippets, half with partialFingerprints."""
    rules = [
        {
            "id": f"cpp/rule-{r}",
            "shortDescription": {"text": f"Rule {r}"},
            "defaultConfiguration": {"level": ("error", "warning", "note")[r % 3]},
            "messageStrings": {"default": {"text": "Value {0} flows to {1}."}},
            "properties": {
                "tags": ["security", f"external/cwe/cwe-{100 + r}"],
                "security-severity": str((r % 10) + 0.5),
            },
        }
        for r in range(50)
    ]
    results = []
    for i in range(n):
        result = {
            "ruleId": f"cpp/rule-{i % 50}",
            "ruleIndex": i % 50,
            "message": {"id": "default", "arguments": [f"v{i}", f"sink{i % 7}"]}
            if i % 2
            else {"text": f"Result {i} of the benchmark."},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": f"src/module{i % 200}/file{i % 37}.c",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {
                            "startLine": i % 3000 + 1,
                            "startColumn": 5,
                            "endColumn": 40,
                            "snippet": {"text": f"    memcpy(buf{i}, src, len);"},
                        },
                    }
                }
            ],
        }
        if i % 2 == 0:
            result["partialFingerprints"] = {"primaryLocationLineHash": f"{i:016x}:1"}
        if i % 97 == 0:
            result["suppressions"] = [{"kind": "inSource"}]
        results.append(result)
    log = {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {"driver": {"name": "CodeQL", "semanticVersion": "2.15.0", "rules": rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(log).encode()


def build_zap(alerts: int, instances: int) -> bytes:
    site = {
        "@name": "https://pump.example",
        "alerts": [
            {
                "pluginid": str(10000 + a),
                "alertRef": str(10000 + a),
                "name": f"Alert {a}",
                "riskcode": str(a % 4),
                "confidence": "2",
                "desc": "<p>Description</p>",
                "cweid": "79",
                "wascid": "8",
                "instances": [
                    {
                        "uri": f"https://pump.example/p{k}?id={k}",
                        "method": "GET",
                        "param": "id",
                        "evidence": "x",
                    }
                    for k in range(instances)
                ],
            }
            for a in range(alerts)
        ],
    }
    return json.dumps({"@version": "2.14.0", "site": [site]}).encode()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return min(runs), statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    sarif = build_sarif(args.results)
    zap = build_zap(100, args.results // 100)
    parsed = parse(sarif, source="bench.sarif")
    assert len(parsed.results) == args.results
    locations = [f.location for f in parsed.results]

    def refingerprint() -> None:
        for f, loc in zip(parsed.results, locations, strict=True):
            fingerprint.compute(
                f.tool,
                f.rule_id,
                loc if isinstance(loc, CodeLocation) else None,
                partial_fingerprints=f.partial_fingerprints,
            )

    rows = [
        ("detect SARIF", lambda: detect(sarif, "bench.sarif")),
        ("parse + fingerprint SARIF", lambda: parse(sarif, source="bench.sarif")),
        ("fingerprint only (recompute)", refingerprint),
        ("inspect SARIF", lambda: inspect(sarif, "bench.sarif")),
        ("parse ZAP JSON (100 alerts)", lambda: parse(zap, source="bench.json")),
    ]
    table = []
    for name, fn in rows:
        best, median = timed(fn, args.repeat)
        table.append((name, best, median))

    header = (
        f"| step ({args.results:,} results, SARIF {len(sarif) / 1e6:.1f} MB) "
        f"| best ms | median ms |"
    )
    lines = [header, "|---|---:|---:|"]
    lines += [f"| {name} | {best * 1e3:.0f} | {median * 1e3:.0f} |" for name, best, median in table]
    print("\n".join(lines))
    cmd = f"python bench/scans/bench_scans.py --results {args.results} --repeat {args.repeat}"
    body = [
        "# Scanner parser benchmark",
        "",
        f"Command: `{cmd}`  ",
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{platform.system()}; best and median of {args.repeat} runs.",
        "",
        "Synthetic CodeQL-like SARIF 2.1.0 log: 50 rules with default levels, CWE tags and "
        "security-severity; results with snippets, half with partialFingerprints, half with "
        "message ids and arguments, every 97th suppressed. ZAP: 100 alerts x "
        f"{args.results // 100} instances.",
        "",
        *lines,
        "",
        "Target: parse + fingerprint of 10,000 SARIF results well under 1 s.",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
