"""Fingerprints: built from rule and location, never from free text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from psirt.domain.scan import CodeLocation, PackageLocation, WebLocation
from psirt.ingest.scans import fingerprint, parse
from tests.conftest import ASSETS, require_shared


def _rewrite_text(node: Any) -> Any:
    """Change every free-text field a tool may reword between runs."""
    text_keys = {
        "text",
        "markdown",
        "message",
        "issue_text",
        "desc",
        "description",
        "Description",
        "Title",
        "title",
        "summary",
        "details",
        "solution",
        "otherinfo",
        "reference",
        "Message",
        "Resolution",
    }
    if isinstance(node, dict):
        return {
            k: (f"{v} (reworded)" if k in text_keys and isinstance(v, str) else _rewrite_text(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_text(v) for v in node]
    return node


@pytest.mark.parametrize(
    "parts",
    [
        ("defectdojo", "sarif", "codeQL-output.sarif"),
        ("defectdojo", "sarif", "taint-python-report.sarif"),
        ("sarif", "sarif-tutorials", "3-Beyond-basics", "message-from-metadata.sarif"),
        ("defectdojo", "bandit", "many_vulns.json"),
        ("defectdojo", "semgrep", "many_vulns.json"),
        ("zap-json", "securecodebox", "demo-bodgeit-baseline-scan", "zap-results.json"),
        ("defectdojo", "trivy", "misconfigurations_and_secrets.json"),
        ("defectdojo", "anchore_grype", "many_vulns_with_epss_values.json"),
        ("defectdojo", "osv_scanner", "some_findings.json"),
    ],
    ids=lambda p: "/".join(p),
)
def test_changed_descriptions_keep_fingerprints(parts: tuple[str, ...]) -> None:
    path = require_shared("scanners", *parts)
    original = parse(path.read_bytes(), source=path.name)
    doc = _rewrite_text(json.loads(path.read_bytes()))
    reworded = parse(json.dumps(doc).encode(), source=path.name)
    assert original.results, "the sample must have findings"
    before = [f.fingerprint for f in original.results]
    after = [f.fingerprint for f in reworded.results]
    assert before == after
    # the rewrite did reach the findings, so the test can fail
    assert [f.message for f in original.results] != [f.message for f in reworded.results] or [
        f.title for f in original.results
    ] != [f.title for f in reworded.results]


def test_zap_xml_changed_descriptions_keep_fingerprints() -> None:
    path = require_shared("scanners", "defectdojo", "zap", "juicy2.xml")
    data = path.read_bytes()
    reworded = data.replace(b"<desc>", b"<desc>Reworded. ").replace(b"<name>", b"<name>New ")
    a, b = parse(data, source="a.xml"), parse(reworded, source="b.xml")
    assert [f.fingerprint for f in a.results] == [f.fingerprint for f in b.results]
    assert [f.title for f in a.results] != [f.title for f in b.results]


def test_fingerprints_unique_within_a_report() -> None:
    path = require_shared(
        "scanners",
        "defectdojo",
        "sarif",
        "DefectDojo_django-DefectDojo__2020-12-11_13 42 10__export.sarif",
    )
    result = parse(path.read_bytes(), source=path.name)
    assert len({f.fingerprint for f in result.results}) == len(result.results) == 510


def test_snippet_identity_survives_a_line_shift() -> None:
    a = CodeLocation("src/a.py", start_line=10, snippet="    x = eval(user_input)  \n")
    b = CodeLocation("./src/a.py", start_line=14, snippet="\tx  =  eval(user_input)")
    assert fingerprint.compute("Bandit", "B307", a) == fingerprint.compute("Bandit", "B307", b)
    c = CodeLocation("src/a.py", start_line=10, snippet="exec(user_input)")
    assert fingerprint.compute("Bandit", "B307", a) != fingerprint.compute("Bandit", "B307", c)
    assert fingerprint.compute("Bandit", "B307", a) != fingerprint.compute("Bandit", "B102", a)


def test_region_used_without_snippet() -> None:
    a = CodeLocation("src\\a.c", start_line=3, start_column=1)
    b = CodeLocation("src/a.c", start_line=3, start_column=1)
    c = CodeLocation("src/a.c", start_line=4, start_column=1)
    assert fingerprint.compute("t", "r", a) == fingerprint.compute("t", "r", b)
    assert fingerprint.compute("t", "r", a) != fingerprint.compute("t", "r", c)


def test_url_query_values_are_volatile() -> None:
    a = WebLocation("https://Pump.example:443/api/dose?session=abc&q=1#top", "get", "q")
    b = WebLocation("https://pump.example/api/dose?q=2&session=xyz", "GET", "q")
    c = WebLocation("https://pump.example/api/dose?q=2", "GET", "q")
    d = WebLocation("https://pump.example/api/dose?q=2&session=xyz", "POST", "q")
    fp = [fingerprint.compute("ZAP", "40012", loc) for loc in (a, b, c, d)]
    assert fp[0] == fp[1]
    assert len({fp[1], fp[2], fp[3]}) == 3
    assert fingerprint.normalise_url(a.url) == "https://pump.example/api/dose?q&session"


def test_package_identity_ignores_version_but_not_vulnerability() -> None:
    old = PackageLocation("lodash", "4.17.4", purl="pkg:npm/lodash@4.17.4")
    new = PackageLocation("lodash", "4.17.10", purl="pkg:npm/lodash@4.17.10?x=1")
    f = fingerprint.compute
    assert f("grype", "CVE-1", old, vulnerability_ids=["CVE-1"]) == f(
        "grype", "CVE-1", new, vulnerability_ids=["CVE-1"]
    )
    assert f("grype", "CVE-1", old, vulnerability_ids=["CVE-1"]) != f(
        "grype", "CVE-2", old, vulnerability_ids=["CVE-2"]
    )


def test_sarif_fingerprint_precedence() -> None:
    loc = CodeLocation("a.c", start_line=1)
    moved = CodeLocation("a.c", start_line=99)
    partial = [("primaryLocationLineHash", "abc:1")]
    full = [("stable/v1", "0123")]
    f = fingerprint.compute
    # partial fingerprints beat the region...
    assert f("CodeQL", "r", loc, partial_fingerprints=partial) == f(
        "CodeQL", "r", moved, partial_fingerprints=partial
    )
    # ...but still name the file
    assert f("CodeQL", "r", loc, partial_fingerprints=partial) != f(
        "CodeQL", "r", CodeLocation("b.c", start_line=1), partial_fingerprints=partial
    )
    # full fingerprints beat partial ones
    assert f("CodeQL", "r", loc, fingerprints=full, partial_fingerprints=partial) == f(
        "CodeQL", "r", moved, fingerprints=full, partial_fingerprints=[("x", "y")]
    )


def test_duplicates_get_distinct_fingerprints_in_document_order() -> None:
    data = (ASSETS / "scans" / "pentest" / "many.csv").read_bytes()
    text = data.decode()
    header, first = text.splitlines()[0], text.splitlines()[1]
    doubled = f"{header}\n{first}\n{first}\n".encode()
    a, b = parse(doubled, source="d.csv").results
    assert a.fingerprint != b.fingerprint
    assert (
        a.fingerprint
        == parse(f"{header}\n{first}\n".encode(), source="s.csv").results[0].fingerprint
    )
