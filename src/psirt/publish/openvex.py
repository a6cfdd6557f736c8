"""A release's exploitability statements as an OpenVEX 0.2.0 document.

Each statement names the vulnerability (the primary id, the others as aliases), the release as
the product (its purl or CPE where the SBOM gives one, else an IRI under the publisher's
namespace) with the component as a subcomponent (purl, CPE), the status with the
justification and impact statement (not affected) or the action statement (affected), and how
the status was determined (``status_notes``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psirt import __version__
from psirt.domain.publication import ReleaseVex, VexComponent
from psirt.domain.publisher import Publisher, component_iri, product_iri
from psirt.domain.vex import VexStatus
from psirt.publish.csaf import stamp

CONTEXT = "https://openvex.dev/ns/v0.2.0"


def _identifiers(purl: str | None, cpe: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if purl:
        out["purl"] = purl
    if cpe:
        out["cpe23" if cpe.startswith("cpe:2.3:") else "cpe22"] = cpe
    return out


def _subcomponent(c: VexComponent, base: str) -> dict[str, Any]:
    identifiers = _identifiers(c.purl, c.cpe)
    out: dict[str, Any] = {"@id": c.purl or c.cpe or component_iri(base, c.name, c.version)}
    if identifiers:
        out["identifiers"] = identifiers
    return out


def document(
    release: ReleaseVex,
    publisher: Publisher,
    *,
    document_id: str,
    version: int,
    issued: dt.datetime,
    updated: dt.datetime,
) -> dict[str, Any]:
    base = product_iri(publisher.namespace, release.product, release.version)
    product: dict[str, Any] = {
        "@id": release.product_purl or release.product_cpe or base,
    }
    identifiers = _identifiers(release.product_purl, release.product_cpe)
    if identifiers:
        product["identifiers"] = identifiers
    statements = []
    for st in release.statements:
        target = dict(product)
        if st.component is not None:
            target["subcomponents"] = [_subcomponent(st.component, base)]
        vulnerability: dict[str, Any] = {"name": st.vulnerability}
        if st.aliases:
            vulnerability["aliases"] = list(st.aliases)
        statement: dict[str, Any] = {
            "vulnerability": vulnerability,
            "products": [target],
            "status": st.status.value,
            "status_notes": st.provenance,
        }
        if st.status is VexStatus.NOT_AFFECTED:
            if st.justification is not None:
                statement["justification"] = st.justification.value
            statement["impact_statement"] = st.impact or st.provenance
        if st.status is VexStatus.AFFECTED:
            statement["action_statement"] = st.action or (
                "No remediation is available yet; the manufacturer has not assessed the "
                "vulnerability in this release."
            )
        statements.append(statement)
    return {
        "@context": CONTEXT,
        "@id": document_id,
        "author": publisher.name,
        "role": "Document Creator",
        "timestamp": stamp(issued),
        "last_updated": stamp(updated),
        "version": version,
        "tooling": f"psirt {__version__}",
        "statements": statements,
    }
