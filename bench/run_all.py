"""Run every benchmark and print their results tables.

Run from the repository root:  .venv/bin/python bench/run_all.py
Each script writes its own RESULTS.md (bench/<area>/RESULTS.md); bench/README.md collects them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["matching/bench_match.py"],
    ["sbom/bench_sbom.py", "--components", "50000", "--reference-size", "5000"],
    ["scans/bench_scans.py", "--results", "10000", "--repeat", "5"],
    ["e2e/bench_cli.py"],
]


def main() -> int:
    failed = 0
    for script, *args in SCRIPTS:
        print(f"== {script}", flush=True)
        code = subprocess.call([sys.executable, str(HERE / script), *args])  # noqa: S603
        failed += code != 0
    for script, *_ in SCRIPTS:
        print((HERE / script).parent.joinpath("RESULTS.md").read_text(encoding="utf-8"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
