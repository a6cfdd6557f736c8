"""End-to-end benchmark of issue 3's targets: ``psirt feed import`` and ``psirt match``.

Run from the repository root:  .venv/bin/python bench/e2e/bench_cli.py
Imports every OSV zip of ../shared/data/osv into a fresh SQLite store (whole process, timed),
then runs ``psirt match SBOM --format json`` 5 times per SBOM (whole process; stdout to
/dev/null; the knowledge-base cache is written by one untimed run first) with
PSIRT_TIMINGS=1 for the phase split, and times the naive baseline of
bench/matching/bench_match.py on the same SBOM in the same run. Writes RESULTS.md here.

"Matching + report" is the ``match`` phase (matching, encoding the findings) plus the
``write`` phase (joining the encoded findings into the report text and writing it).
The 1-minute load average before and after the timed runs says how busy the machine was.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT.parent / "shared" / "data" / "osv"
PSIRT = str(ROOT / ".venv" / "bin" / "psirt")
sys.path.insert(0, str(HERE.parent / "matching"))

import bench_match  # noqa: E402
import sbom_gen  # noqa: E402

RUNS = 5
BASELINE_SAMPLE = 300


def run(args: list[str], env: dict[str, str]) -> tuple[float, int, str, int]:
    """(wall seconds, max RSS in KiB, stderr, exit code) of one whole psirt process."""
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own CLI
        [PSIRT, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss, err, os.waitstatus_to_exitcode(status)


def phases(stderr: str) -> dict[str, float]:
    for line in stderr.splitlines():
        if line.startswith("timings: "):
            return {k: float(v) for k, v in (p.split("=") for p in line[9:].split())}
    return {}


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="psirt-bench-"))
    env = {
        **os.environ,
        "PSIRT_DATABASE_URL": f"sqlite:///{tmp / 'kb.db'}",
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "PSIRT_USER": "bench",
    }
    assert run(["init"], env)[3] == 0
    zips = [str(p) for p in sorted(DATA.glob("*.zip"))]
    imp_s, imp_rss, _, code = run(["feed", "import", *zips, "--format", "json"], env)
    assert code == 0

    advisories = bench_match.load()
    pool = sbom_gen.candidates(advisories)
    lines = [
        "## End to end (issue 3 targets)",
        "",
        f"Command: `.venv/bin/python bench/e2e/bench_cli.py`; {len(zips)} OSV zips, "
        f"{len(advisories)} records; Python {sys.version.split()[0]}, {os.cpu_count()} cores.",
        "",
        "| target | measured | target | baseline (same run) | ratio |",
        "|---|---:|---:|---:|---:|",
        f"| `psirt feed import` all OSV zips, fresh SQLite store (1 run, whole process) "
        f"| {imp_s:.2f} s (max RSS {imp_rss / 1024:.0f} MiB) | <= 20 s | - | - |",
    ]
    split_lines = []
    loads = [_load()]
    for n in (50_000, 5_000):
        path = tmp / f"sbom-{n}.cdx.json"
        sbom_gen.write(str(path), sbom_gen.cyclonedx(pool, n, seed=n))
        args = ["match", str(path), "--format", "json"]
        run(args, env)  # writes the knowledge-base cache
        env_t = {**env, "PSIRT_TIMINGS": "1"}
        results = [run(args, env_t) for _ in range(RUNS)]
        assert all(r[3] == 1 for r in results)  # findings -> exit 1
        wall = statistics.median(r[0] for r in results)
        rss = max(r[1] for r in results)
        split = [phases(r[2]) for r in results]
        match_s = statistics.median(p.get("match", 0.0) + p.get("write", 0.0) for p in split)
        loads.append(_load())
        comps = bench_match.components_of(path)
        sample = comps[:BASELINE_SAMPLE]
        t0 = time.perf_counter()
        bench_match.naive_match(sample, advisories)
        base = (time.perf_counter() - t0) * n / len(sample)
        target = "<= 1.0 s" if n == 50_000 else "<= 0.4 s"
        lines.append(
            f"| `psirt match` {n:,} components, median of {RUNS} whole-process runs "
            f"| {wall:.3f} s | {target} | {base:,.1f} s | {base / wall:,.0f}x (>= 50x) |"
        )
        lines.append(
            f"| ... of which matching + report (match + write phases, in process) "
            f"| {match_s:.3f} s | {'<= 0.4 s' if n == 50_000 else '-'} | {base:,.1f} s "
            f"| {base / match_s:,.0f}x |"
        )
        lines.append(
            f"| ... peak memory (max RSS of the process) | {rss / 1024:.0f} MiB "
            f"| {'<= 500 MB' if n == 50_000 else '-'} | - | - |"
        )
        split_lines.append(
            f"- {n:,} components, median phase seconds: "
            + ", ".join(
                f"{k} {statistics.median(p.get(k, 0.0) for p in split):.3f}"
                for k in ("sbom", "knowledge_base", "match", "write")
            )
        )
    lines += [
        "",
        *split_lines,
        "",
        "1-minute load average of the machine (2 cores, shared) before the first timed run "
        "and after each SBOM's runs: " + ", ".join(loads) + ".",
        "",
        "The baseline is bench/matching's naive per-component loop (packageurl-python + "
        f"packaging / a plain comparator), timed on {BASELINE_SAMPLE} components in this run "
        "and extrapolated linearly. Phases come from `PSIRT_TIMINGS=1` (stderr); the rest "
        "of the wall time is interpreter start-up and imports.",
    ]
    text = "\n".join(lines) + "\n"
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
