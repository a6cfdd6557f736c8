"""Time importing a 10,000-result SARIF log into a SQLite store, and re-importing it unchanged.

Run: .venv/bin/python bench/scans/bench_import.py [--results N] [--repeat R]
Each run uses a fresh SQLite file (WAL, as psirt's default store). "import" is read + parse +
fingerprint + store (evidence, activity record, identities, results, audit) in one transaction;
"re-import" imports the same log again, every finding unchanged (all seen again, none gone).
Prints a table and appends it to bench/scans/RESULTS.md. Budget: 5 s each.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_scans import build_sarif  # same directory

from psirt.ingest.scans import parse
from psirt.services import catalog, scan_imports
from psirt.store.db import Store, migrate

HERE = Path(__file__).resolve().parent
BUDGET_S = 5.0


def _import(store: Store, data: bytes) -> scan_imports.ImportOutcome:
    result = parse(data, source="bench.sarif")
    with store.unit_of_work() as s:
        return scan_imports.import_scan(
            s,
            actor="bench",
            product="Bench",
            version="1.0",
            data=data,
            result=result,
            file_name="bench.sarif",
        )


def one_round(data: bytes, n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        migrate(store.engine)
        with store.unit_of_work() as s:
            catalog.add_product(s, actor="bench", name="Bench")
            catalog.add_release(s, actor="bench", product="Bench", version="1.0")
        start = time.perf_counter()
        first = _import(store, data)
        t_first = time.perf_counter() - start
        start = time.perf_counter()
        second = _import(store, data)
        t_second = time.perf_counter() - start
        store.engine.dispose()
    assert (first.results, first.new) == (n, n), first
    assert (second.results, second.new, second.seen_again, second.gone) == (n, 0, n, 0), second
    return t_first, t_second


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="Do not append to RESULTS.md.")
    args = ap.parse_args()

    data = build_sarif(args.results)
    firsts, seconds = [], []
    for _ in range(args.repeat):
        a, b = one_round(data, args.results)
        firsts.append(a)
        seconds.append(b)
    rows = [
        ("import (parse, fingerprint, store, activity record)", firsts),
        ("re-import, every finding unchanged", seconds),
    ]
    lines = [
        f"| step ({args.results:,} results, SARIF {len(data) / 1e6:.1f} MB, SQLite) "
        "| best s | median s | budget s |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {min(ts):.2f} | {statistics.median(ts):.2f} | {BUDGET_S:.0f} |"
        for name, ts in rows
    ]
    print("\n".join(lines))
    ok = all(min(ts) <= BUDGET_S for _, ts in rows)
    if not args.no_write:
        cmd = f"python bench/scans/bench_import.py --results {args.results} --repeat {args.repeat}"
        body = [
            "",
            "## Import into the store",
            "",
            f"Command: `{cmd}`  ",
            f"Python {platform.python_version()} on {platform.machine()}, "
            f"{platform.system()}; best and median of {args.repeat} runs, each on a fresh "
            "SQLite file. The same synthetic CodeQL-like log as above.",
            "",
            *lines,
            "",
        ]
        with (HERE / "RESULTS.md").open("a") as fh:
            fh.write("\n".join(body))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
