"""psirt csaf validate | advisories import|list|statements|confirm|reject|apply"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from psirt.cli.output import OutputFormat, emit, emit_json, err

FORMAT = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json")
csaf_app = typer.Typer(help="CSAF 2.0 documents.", no_args_is_help=True)


def _validate_file(path: Path) -> dict[str, Any]:
    from psirt.errors import InputError
    from psirt.publish.csaf_validate import validate_bytes

    if not path.is_file():
        return {
            "file": str(path),
            "valid": False,
            "tests": [],
            "errors": [{"test": "input", "path": "", "message": "no such file"}],
        }
    try:
        result = validate_bytes(path.read_bytes(), source=str(path))
    except InputError as exc:
        return {
            "file": str(path),
            "valid": False,
            "tests": [],
            "errors": [{"test": "input", "path": exc.location or "", "message": exc.reason}],
        }
    return {
        "file": str(path),
        "valid": result.valid,
        "tests": list(result.tests),
        "errors": [{"test": p.test, "path": p.path, "message": p.message} for p in result.problems],
    }


@csaf_app.command("validate")
def csaf_validate(
    files: list[Path] = typer.Argument(..., help="CSAF 2.0 JSON documents."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Check CSAF 2.0 documents against the JSON schema and every mandatory test (6.1.1 to
    6.1.33, with the profile tests 6.1.27.1 to 6.1.27.11), offline.

    Exit 0 when every document is valid, 2 when one is not; each error names its test
    ("schema" for the JSON schema) and the JSON pointer of the value."""
    results = [_validate_file(path) for path in files]
    valid = all(r["valid"] for r in results)
    if fmt is OutputFormat.JSON:
        emit_json({"valid": valid, "documents": results})
    else:
        rows = [{"file": r["file"], **e} for r in results if not r["valid"] for e in r["errors"]]
        if rows:
            emit(
                fmt,
                rows,
                [("file", "File"), ("test", "Test"), ("path", "JSON path"), ("message", "Problem")],
            )
        for r in results:
            if r["valid"]:
                typer.echo(f"{r['file']}: valid ({len(r['tests'])} mandatory tests passed)")
            else:
                failed = sorted({e["test"] for e in r["errors"]})
                err(
                    f"{r['file']}: invalid ({len(r['errors'])} errors; failed: {', '.join(failed)})"
                )
    if not valid:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.add_typer(csaf_app, name="csaf")
