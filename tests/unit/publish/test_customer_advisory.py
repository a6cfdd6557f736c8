"""The customer advisory of real CSAF security advisories (CISA ICS medical advisories): every
product and every remediation of the CSAF document is in it, in HTML and PDF."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pytest

from psirt.publish.customer_advisory import customer_advisory
from psirt.publish.render import RenderFormat, render
from tests.conftest import require_shared

WORDS = {
    "known_affected": "Affected",
    "fixed": "Fixed",
    "first_fixed": "Fixed",
    "known_not_affected": "Not affected",
    "under_investigation": "Under investigation",
}


def _advisories() -> list[Path]:
    root = require_shared("advisories", "csaf", "cisa-icsma")
    return sorted(root.rglob("*.json"))


def test_every_product_and_remediation_of_real_advisories_is_in_the_customer_advisory() -> None:
    files = _advisories()
    assert len(files) >= 50
    for path in files:
        csaf = json.loads(path.read_text(encoding="utf-8"))
        page = html.unescape(render(customer_advisory(csaf), RenderFormat.HTML).decode("utf-8"))
        tracking = csaf["document"]["tracking"]
        assert f"<td>{tracking['id']}</td>" in page, path.name
        for vuln in csaf["vulnerabilities"]:
            for r in vuln.get("remediations", ()):
                details = " ".join(r["details"].split())
                assert details[:60] in " ".join(page.split()), (path.name, r["category"])
        products = {b["product"]["name"] for b in _leaves(csaf["product_tree"].get("branches", []))}
        for name in products:
            assert html.unescape(name) in page, (path.name, name)
        # the table says the status the CSAF document gives the products
        (table,) = [s.blocks[0] for s in customer_advisory(csaf).sections
                    if s.title == "What is affected"]  # fmt: skip
        statuses = {row[2] for row in table.rows}  # type: ignore[union-attr]
        for vuln in csaf["vulnerabilities"]:
            for group in vuln.get("product_status", {}):
                if group in WORDS:
                    assert any(s.startswith(WORDS[group]) for s in statuses), (path.name, group)


def _leaves(branches: list[dict]) -> list[dict]:
    out = []
    for b in branches:
        if "product" in b:
            out.append(b)
        out += _leaves(b.get("branches", []))
    return out


@pytest.mark.parametrize("index", [0, -1])
def test_a_real_advisory_as_pdf(index: int) -> None:
    from pypdf import PdfReader

    path = _advisories()[index]
    csaf = json.loads(path.read_text(encoding="utf-8"))
    document = customer_advisory(csaf)
    pdf = render(document, RenderFormat.PDF)
    assert pdf == render(document, RenderFormat.PDF)  # the same bytes every time
    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages
    )
    assert "What is affected" in text and "What to do now" in text
    assert csaf["document"]["tracking"]["id"] in text
    assert csaf["document"]["publisher"]["name"] in text
