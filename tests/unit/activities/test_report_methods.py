"""What a report can be evidence of: methods per format and tool, and the refusals."""

from __future__ import annotations

import json

import pytest

from psirt.domain.activity import ActivityType
from psirt.ingest.scans import parse
from tests.conftest import ASSETS

SAST, DAST, SCA, PENTEST = (
    ActivityType.SAST,
    ActivityType.DAST,
    ActivityType.SBOM_SCAN,
    ActivityType.PENETRATION_TEST,
)
BANDIT = b'{"results": [], "metrics": {}, "generated_at": "2024-01-01T00:00:00Z", "errors": []}'
ZAP = b'{"@version": "2.14.0", "@programName": "ZAP", "site": []}'


def sarif(*tools: str | None) -> bytes:
    runs = [{"tool": {"driver": {"name": t} if t else {}}, "results": []} for t in tools]
    return json.dumps({"version": "2.1.0", "runs": runs}).encode()


@pytest.mark.parametrize(
    ("data", "methods"),
    [
        (BANDIT, (SAST,)),
        (ZAP, (DAST,)),
        ((ASSETS / "scans" / "pentest" / "many.json").read_bytes(), (PENTEST,)),
        ((ASSETS / "scans" / "semgrep" / "findings-api.json").read_bytes(), (SCA,)),
        ((ASSETS / "scans" / "semgrep" / "supply-chain-and-code.json").read_bytes(), (SAST, SCA)),
        (b'{"results": [], "errors": []}', (SAST, SCA)),  # an empty Semgrep run: either
        (b'{"SchemaVersion": 2, "Results": []}', (SCA, SAST)),
        (b'{"matches": [], "descriptor": {"name": "grype"}}', (SCA,)),
        (sarif("CodeQL"), (SAST,)),
        (sarif("Trivy"), (SCA, SAST)),
        (sarif("ZAP by Checkmarx"), (DAST,)),
        (sarif("Snyk Open Source"), (SCA,)),
        (sarif("SnykCode"), (SAST,)),
        (sarif("CodeQL", "Grype"), (SAST, SCA)),
        (sarif("In-house analyser"), None),
        (sarif(None), None),
    ],
)
def test_methods_by_format_tool_and_findings(
    data: bytes, methods: tuple[ActivityType, ...] | None
) -> None:
    from psirt.domain import report_methods

    result = parse(data, source="r")
    assert report_methods.methods(result) == methods
    assert report_methods.default_type(result) == (methods[0] if methods else SAST)


@pytest.mark.parametrize(
    ("data", "claimed", "problem"),
    [
        (
            BANDIT,
            PENTEST,
            "a bandit report of 'Bandit' with 0 results cannot be evidence of "
            "penetration_test: it stands for sast",
        ),
        (
            ZAP,
            SAST,
            "a zap-json report of 'ZAP' with 0 results cannot be evidence of sast: "
            "it stands for dast",
        ),
        (sarif(), DAST, "a SARIF log without runs is no evidence of any test"),
        (sarif(), SAST, "a SARIF log without runs is no evidence of any test"),
        (
            sarif("In-house analyser"),
            DAST,
            "'In-house analyser' is not a tool known to perform dast (a SARIF log of an "
            "unknown tool stands for sast only)",
        ),
        (sarif("In-house analyser"), SAST, None),
        (sarif("Trivy"), SCA, None),
        (sarif("CodeQL", "OWASP ZAP"), DAST, None),
    ],
)
def test_evidence_problem(data: bytes, claimed: ActivityType, problem: str | None) -> None:
    from psirt.domain import report_methods

    assert report_methods.evidence_problem(parse(data, source="r"), claimed) == problem
