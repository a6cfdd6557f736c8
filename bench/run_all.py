"""Run every benchmark bench/README.md quotes and print their results tables.

Run from the repository root:

    .venv/bin/python bench/run_all.py           # the full set, the sizes bench/README.md quotes
    .venv/bin/python bench/run_all.py --quick   # every benchmark on small inputs

Each script writes its own results file (bench/<area>/RESULTS.md, and
bench/monitoring/INSERT_RESULTS.md); bench/README.md collects them. ``--quick`` checks that
every benchmark runs (about 3.5 minutes instead of about 14 on 2 shared cores): the results it
prints are of small inputs, and the results files are put back as they were afterwards.
PostgreSQL (``PSIRT_TEST_PG_URL``) is used by bench/monitoring/bench_insert.py when it is
reachable; ../shared/data is needed by all but bench/startup.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# script, arguments of the full run (those bench/README.md quotes), arguments of --quick
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("matching/bench_match.py", [], []),
    (
        "sbom/bench_sbom.py",
        ["--components", "50000", "--reference-size", "5000"],
        ["--components", "5000", "--reference-size", "500", "--runs", "1"],
    ),
    (
        "scans/bench_scans.py",
        ["--results", "10000", "--repeat", "5"],
        ["--results", "1000", "--repeat", "1"],
    ),
    (  # appends to scans/RESULTS.md, so after bench_scans.py
        "scans/bench_import.py",
        ["--results", "10000", "--repeat", "3"],
        ["--results", "1000", "--repeat", "1"],
    ),
    ("e2e/bench_cli.py", [], []),
    (
        "monitoring/bench_monitoring.py",
        [],
        ["--products", "4", "--releases", "40", "--components", "100", "--changed", "100"],
    ),
    ("monitoring/bench_insert.py", ["--rows", "100000"], ["--rows", "5000", "--repeat", "1"]),
    ("startup/bench_startup.py", ["--runs", "15"], ["--runs", "3"]),
]
RESULTS = [
    "matching/RESULTS.md",
    "sbom/RESULTS.md",
    "scans/RESULTS.md",
    "e2e/RESULTS.md",
    "monitoring/RESULTS.md",
    "monitoring/INSERT_RESULTS.md",
    "startup/RESULTS.md",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="every benchmark on small inputs; the results files are kept as they were",
    )
    args = parser.parse_args()
    kept = {name: (HERE / name).read_bytes() for name in RESULTS if (HERE / name).is_file()}
    failed: list[str] = []
    printed: list[str] = []
    try:
        for script, full, quick in BENCHMARKS:
            options = quick if args.quick else full
            print(f"== {script} {' '.join(options)}".rstrip(), flush=True)
            code = subprocess.call([sys.executable, str(HERE / script), *options])  # noqa: S603
            if code != 0:
                failed.append(script)
        printed = [
            (HERE / name).read_text(encoding="utf-8") for name in RESULTS if (HERE / name).is_file()
        ]
    finally:
        if args.quick:
            for name, data in kept.items():
                (HERE / name).write_bytes(data)
    print("\n\n".join(printed))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
