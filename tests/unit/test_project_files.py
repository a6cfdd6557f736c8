"""The project's own files say what psirt does and set up only what its tests use."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

from tests.conftest import REPO


def test_ci_installs_a_browser_only_for_browser_tests() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    browser_tests = [
        p
        for p in (REPO / "tests").rglob("*.py")
        if re.search(r"^\s*(from|import) (playwright|selenium)\b", p.read_text(), re.M)
    ]
    installs_browser = bool(re.search(r"chromium|firefox|playwright install", ci))
    assert installs_browser == bool(browser_tests)


def _commands(command: Any, path: str = "psirt") -> Iterator[tuple[str, str]]:
    """Every command of the command line, with its help."""
    yield path, command.help or ""
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


def test_the_description_promises_only_what_psirt_does() -> None:
    import typer.main

    from psirt.cli import main as cli

    description = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "description"
    ]
    root = typer.main.get_command(cli.register_all())
    commands = [(path, text) for path, text in _commands(root) if path != "psirt"]
    assert len(commands) > 50  # the whole tree was walked
    publishing = [path for path, text in commands if re.search(r"\bpublish", f"{path} {text}")]
    assert ("publish" in description.lower()) <= bool(publishing)
    for done in ("SBOM", "IEC 81001-5-1", "audit trail"):
        assert done in description, done
