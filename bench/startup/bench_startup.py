"""Start-up time of short psirt commands: whole processes, median of repeated runs.

Run from the repository root:  .venv/bin/python bench/startup/bench_startup.py [--runs N]
Each command line is run N times (default 15) as a whole process, stdout and stderr to
/dev/null, beside ``python -c pass`` (the floor: the interpreter alone) and
``python -c "import typer"`` (what any typer command line costs before it does anything).
The store commands run on a small SQLite store made by the script in a temporary folder
(``psirt init``, one product, the bundled PYSEC-2019-79 advisory; the knowledge-base cache
of ``psirt match`` is written by one untimed run). One extra run per command with
``-X importtime`` says which of the large packages it imports. The 1-minute load average
before and after the timed runs says how busy the machine was; the CPU seconds of each process
(user + system, from ``wait4``) say what the command costs whatever else runs. Writes
RESULTS.md here.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYTHON = sys.executable
PSIRT = str(Path(PYTHON).parent / "psirt")
ASSETS = ROOT / "tests" / "assets" / "cli"
SBOM = str(ASSETS / "gateway.cdx.json")  # CycloneDX 1.5 JSON, 2 components
FEED = str(ASSETS / "PYSEC-2019-79.json")
WATCHED = ("typer", "rich", "sqlalchemy", "alembic", "jsonschema")


def cases() -> list[tuple[str, list[str]]]:
    return [
        ("`python -c pass` (floor)", [PYTHON, "-c", "pass"]),
        ('`python -c "import typer"` (baseline)', [PYTHON, "-c", "import typer"]),
        ("`psirt --version`", [PSIRT, "--version"]),
        ("`psirt --help`", [PSIRT, "--help"]),
        ("`psirt sbom --help`", [PSIRT, "sbom", "--help"]),
        ("`psirt sbom inspect small.json`", [PSIRT, "sbom", "inspect", SBOM, "-f", "json"]),
        ("`psirt sbom validate small.json`", [PSIRT, "sbom", "validate", SBOM]),
        ("`psirt match small.json --advisories feed.json`", [PSIRT, "match", SBOM, "-a", FEED]),
        ("`psirt match small.json` (store, cache current)", [PSIRT, "match", SBOM]),
        ("`psirt product list`", [PSIRT, "product", "list", "-f", "json"]),
        ("`psirt audit verify`", [PSIRT, "audit", "verify"]),
        ("`psirt init` (store current: Alembic loaded)", [PSIRT, "init"]),
    ]


def once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0  # reaped by wait4
    return wall, usage.ru_utime + usage.ru_stime


def imported(argv: list[str], env: dict[str, str]) -> list[str]:
    """Which of the :data:`WATCHED` packages the command line imports."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and CLI
        argv,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name in WATCHED:
                found.add(name)
    return [w for w in WATCHED if w in found]


def store(tmp: Path, env: dict[str, str]) -> None:
    for args in (
        ["init"],
        ["product", "add", "Gateway"],
        ["release", "add", "1.0", "-p", "Gateway"],
        ["sbom", "import", SBOM, "-p", "Gateway", "-r", "1.0"],
        ["feed", "import", FEED],
        ["match", SBOM],  # writes the knowledge-base cache
    ):
        code = subprocess.run(  # noqa: S603 - our own CLI
            [PSIRT, *args], env=env, stdout=subprocess.DEVNULL, check=False
        ).returncode
        assert code in (0, 1), (args, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (15)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="psirt-bench-startup-"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "XDG_DATA_HOME": str(tmp / "data"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "PSIRT_USER": "bench",
    }
    store(tmp, env)
    rows = []
    load_before = os.getloadavg()[0]
    for label, argv in cases():
        once(argv, env)  # warm the file cache and the byte-code
        runs = [once(argv, env) for _ in range(args.runs)]
        walls = [wall for wall, _ in runs]
        cpu = statistics.median(c for _, c in runs)
        rows.append((label, statistics.median(walls), min(walls), cpu, imported(argv, env)))
    load_after = os.getloadavg()[0]
    floor = rows[0][1]
    lines = [
        "## Start-up (bench/startup)",
        "",
        f"Command: `.venv/bin/python bench/startup/bench_startup.py --runs {args.runs}`; "
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"whole processes, median and best of {args.runs} runs each.",
        "",
        "| command line | median s | best s | above the floor s | median CPU s | imports |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, median, best, cpu, mods in rows:
        above = "-" if median is floor else f"{median - floor:.3f}"
        lines.append(
            f"| {label} | {median:.3f} | {best:.3f} | {above} | {cpu:.3f} | "
            f"{', '.join(mods) or '-'} |"
        )
    lines += [
        "",
        f"1-minute load average of the machine before and after the timed runs: "
        f"{load_before:.2f}, {load_after:.2f}.",
        "",
        "Wall-clock seconds include waiting for a core on a busy machine; CPU seconds (user + "
        "system of the process) depend much less on what else runs. "
        '"imports" lists which of typer, rich, SQLAlchemy, Alembic and jsonschema the command '
        "line imports (one run with `-X importtime`). small.json is "
        "`tests/assets/cli/gateway.cdx.json` (CycloneDX 1.5, 2 components), feed.json "
        "`tests/assets/cli/PYSEC-2019-79.json`; the store is SQLite with one release.",
        "",
    ]
    text = "\n".join(lines)
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
