"""bench/run_all.py runs every benchmark, with the arguments bench/README.md quotes."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path
from types import ModuleType

from tests.conftest import REPO

BENCH = REPO / "bench"


def _run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_all", BENCH / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_script_is_run() -> None:
    scripts = {str(p.relative_to(BENCH)) for p in BENCH.glob("*/bench_*.py")}
    assert scripts == {script for script, _, _ in _run_all().BENCHMARKS}


def test_the_full_run_uses_the_commands_the_readme_quotes() -> None:
    quoted = {
        (m.group(1), tuple(shlex.split(m.group(2))))
        for m in re.finditer(
            r"[Cc]ommand: `(?:\.venv/bin/)?python bench/(\S+\.py)([^`]*)`",
            (BENCH / "README.md").read_text(encoding="utf-8"),
        )
    }
    run = {(script, tuple(full)) for script, full, _ in _run_all().BENCHMARKS}
    assert quoted == run


def test_every_results_file_is_collected() -> None:
    files = {str(p.relative_to(BENCH)) for p in BENCH.glob("*/*RESULTS.md")}
    assert files <= set(_run_all().RESULTS)
    assert all((BENCH / Path(name).parent).is_dir() for name in _run_all().RESULTS)
