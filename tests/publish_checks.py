"""Checks of published documents shared by the publishing tests: the official schemas (from
../shared/data and cyclonedx-python-lib), the BSI CSAF validator when it is installed, and the
statements of a VEX document read back with psirt's own importers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7

from psirt.domain.publication import justification_of
from psirt.domain.vex import VexFormat
from psirt.ingest.sbom.validate import validate_cyclonedx_json
from psirt.ingest.vex import PARSERS
from tests.conftest import REPO, require_shared

VALIDATOR_LIB = "node_modules/@secvisogram/csaf-validator-lib"


def official_csaf_problems(doc: Any) -> list[str]:
    """Errors against the OASIS CSAF 2.0 schema as ../shared/data holds it."""
    root = require_shared("advisories", "csaf", "schema")
    schema = json.loads((root / "json_schema" / "csaf_json_schema.json").read_text())
    registry: Registry[Any] = Registry()
    for name, spec in (("cvss-v2.0.json", DRAFT4), ("cvss-v3.0.json", DRAFT7),
                       ("cvss-v3.1.json", DRAFT7)):  # fmt: skip
        found = list(root.rglob(name))
        assert found, f"{name} is missing under {root}"
        contents = json.loads(found[0].read_text())
        registry = registry.with_resource(
            f"https://www.first.org/cvss/{name}",
            Resource.from_contents(contents, default_specification=spec),
        )
    validator = Draft202012Validator(schema, registry=registry)
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]  # fmt: skip


def official_openvex_problems(doc: Any) -> list[str]:
    path = require_shared("advisories", "openvex", "spec", "openvex_json_schema.json")
    validator = Draft202012Validator(json.loads(path.read_text()))
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]  # fmt: skip


def cyclonedx_problems(data: bytes) -> list[str]:
    """Errors against the CycloneDX 1.6 JSON schema cyclonedx-python-lib ships."""
    return [f"{e.pointer_or_line}: {e.message}"
            for e in validate_cyclonedx_json(data, source="vex", spec_version="1.6")]  # fmt: skip


def validator_lib() -> Path | None:
    """The installed BSI validator library: $PSIRT_CSAF_VALIDATOR_LIB, or
    var/csaf-validator/node_modules/... in the checkout (``make csaf-validator``)."""
    env = os.environ.get("PSIRT_CSAF_VALIDATOR_LIB")
    path = Path(env) if env else REPO / "var" / "csaf-validator" / VALIDATOR_LIB
    return path if (path / "validateStrict.js").is_file() else None


def bsi_validate(*files: Path) -> list[dict[str, Any]]:
    """Run the BSI CSAF validator (strict schema, mandatory, optional and informative tests) on
    ``files``; skip the calling test with the reason when node or the library is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the BSI CSAF validator cannot run")
    lib = validator_lib()
    if lib is None:
        pytest.skip(
            "the BSI CSAF validator library is not installed (make csaf-validator, or set "
            "PSIRT_CSAF_VALIDATOR_LIB)"
        )
    script = REPO / "tests" / "tools" / "csaf_validator.mjs"
    done = subprocess.run(  # noqa: S603 - node, our script, our files
        [node, str(script), str(lib), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


Statements = dict[tuple[str, str], tuple[str, str | None, bool]]


def read_statements(fmt: str, data: bytes) -> Statements:
    """(vulnerability, component purl or CPE) -> (status, justification as CSAF names it,
    whether the statement says what to do or why not), read back with psirt's own importer
    of the format. A statement about a release or component without purl or CPE is keyed
    ``(no package URL)``."""
    document = PARSERS[VexFormat(fmt)](data, source=fmt)
    out: Statements = {}
    for st in document.statements:
        target = st.product.purl or st.product.cpe or "(no package URL)"
        key = (st.vulnerability, target)
        assert key not in out, key
        justification = justification_of(st.justification)
        said = {
            "affected": bool(st.action),
            "not_affected": bool(st.impact or st.justification),
        }.get(st.status.value, True)
        out[key] = (st.status.value, justification.value if justification else None, said)
    return out
