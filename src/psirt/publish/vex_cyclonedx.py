"""A release's exploitability statements as a CycloneDX 1.6 VEX document.

The release is ``metadata.component``; the components the statements are about are listed
with the ``bom-ref``, purl and CPE of the release's current SBOM (the SBOM's sha256 and serial
number are ``metadata.properties``), and each statement is one vulnerability with its
``analysis`` (state, justification, response, detail), the action statement of an affected
component as ``recommendation`` (workarounds and mitigations also as ``workaround``) and one
``affects`` entry. How each status was determined is the vulnerability's
``psirt:provenance`` property.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psirt import __version__
from psirt.domain.publication import (
    CYCLONEDX_STATE,
    TO_CYCLONEDX_JUSTIFICATION,
    ReleaseVex,
    RemediationCategory,
    VexComponent,
    VexStatement,
)
from psirt.domain.publisher import Publisher
from psirt.domain.risk import parse_cvss
from psirt.domain.vex import VexStatus
from psirt.publish.csaf import stamp

SPEC_VERSION = "1.6"


def _source(vid: str) -> dict[str, str] | None:
    if vid.upper().startswith("CVE-"):
        return {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{vid}"}
    if vid.startswith("GHSA-"):
        return {"name": "GitHub Advisories", "url": f"https://github.com/advisories/{vid}"}
    if "-" in vid:
        return {"name": "OSV", "url": f"https://osv.dev/vulnerability/{vid}"}
    return None


class _Refs:
    """Unique bom-refs: the SBOM's own where it gives one, else the purl, else a new one."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.by_key: dict[tuple[str, str, str], str] = {}

    def take(self, *candidates: str | None) -> str:
        for c in candidates:
            if c and c not in self.used:
                self.used.add(c)
                return c
        n = len(self.used) + 1
        while f"component-{n}" in self.used:
            n += 1
        self.used.add(f"component-{n}")
        return f"component-{n}"

    def component(self, c: VexComponent) -> str:
        found = self.by_key.get(c.key)
        if found is None:
            found = self.by_key[c.key] = self.take(c.bom_ref, c.purl)
        return found


def _component(c: VexComponent, ref: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": c.type or "library", "bom-ref": ref}
    if c.supplier:
        out["supplier"] = {"name": c.supplier}
    out["name"] = c.name
    if c.version:
        out["version"] = c.version
    if c.cpe:
        out["cpe"] = c.cpe
    if c.purl:
        out["purl"] = c.purl
    return out


_METHOD = {"3.0": "CVSSv3", "3.1": "CVSSv31", "4.0": "CVSSv4"}


def _rating(vector: str) -> dict[str, Any]:
    score = parse_cvss(vector, source="cvss", location="vector")
    return {
        "score": score.base_score,
        "severity": score.base_severity.lower(),
        "method": _METHOD[score.version],
        "vector": score.vector,
    }


def _analysis(st: VexStatement) -> dict[str, Any]:
    out: dict[str, Any] = {"state": CYCLONEDX_STATE[st.status]}
    if st.status is VexStatus.NOT_AFFECTED and st.justification is not None:
        out["justification"] = TO_CYCLONEDX_JUSTIFICATION[st.justification]
    if st.status is VexStatus.AFFECTED and st.responses:
        out["response"] = list(st.responses)
    detail = {
        VexStatus.NOT_AFFECTED: " ".join(
            x for x in (
                f"{st.justification.value}:" if st.justification is not None else None,
                st.impact or st.provenance,
            ) if x
        ),
        VexStatus.AFFECTED: st.action or st.provenance,
        VexStatus.FIXED: st.action or st.provenance,
        VexStatus.UNDER_INVESTIGATION: st.provenance,
    }[st.status]  # fmt: skip
    if detail:
        out["detail"] = detail
    return out


def document(
    release: ReleaseVex,
    publisher: Publisher,
    *,
    serial: str,
    version: int,
    timestamp: dt.datetime,
) -> dict[str, Any]:
    refs = _Refs()
    product_ref = refs.take(release.key, f"release:{release.key}")
    subject: dict[str, Any] = {"type": "application", "bom-ref": product_ref}
    subject["name"] = release.product
    subject["version"] = release.version
    if release.product_cpe:
        subject["cpe"] = release.product_cpe
    if release.product_purl:
        subject["purl"] = release.product_purl
    properties = [{"name": "psirt:release:status", "value": release.release_status}]
    if release.sbom_sha256:
        properties.append({"name": "psirt:sbom:sha256", "value": release.sbom_sha256})
    if release.sbom_serial:
        properties.append({"name": "psirt:sbom:serialNumber", "value": release.sbom_serial})
    metadata: dict[str, Any] = {
        "timestamp": stamp(timestamp),
        "tools": {"components": [{"type": "application", "name": "psirt", "version": __version__}]},
        "component": subject,
        "manufacturer": {"name": release.manufacturer or publisher.name},
        "supplier": {"name": publisher.name, "url": [publisher.namespace]},
        "properties": properties,
    }
    components: list[dict[str, Any]] = []
    vulnerabilities: list[dict[str, Any]] = []
    for st in release.statements:
        if st.component is None:
            target = product_ref
        else:
            known = st.component.key in refs.by_key
            target = refs.component(st.component)
            if not known:
                components.append(_component(st.component, target))
        vuln: dict[str, Any] = {"bom-ref": refs.take(f"{st.vulnerability}:{target}")}
        vuln["id"] = st.vulnerability
        source = _source(st.vulnerability)
        if source:
            vuln["source"] = source
        references = []
        for alias in st.aliases:
            ref: dict[str, Any] = {"id": alias}
            alias_source = _source(alias)
            ref["source"] = alias_source or {"name": "other"}
            references.append(ref)
        if references:
            vuln["references"] = references
        ratings = [_rating(v) for v in st.cvss]
        if ratings:
            vuln["ratings"] = ratings
        cwes = [int(c.upper().removeprefix("CWE-")) for c in st.cwes
                if c.upper().removeprefix("CWE-").isdigit()]  # fmt: skip
        if cwes:
            vuln["cwes"] = cwes
        others = [r.details for r in st.remediations
                  if r.category in (RemediationCategory.WORKAROUND,
                                    RemediationCategory.MITIGATION)]  # fmt: skip
        if st.status is VexStatus.AFFECTED and st.action:
            vuln["recommendation"] = st.action
        if st.status is VexStatus.AFFECTED and others:
            vuln["workaround"] = " ".join(others)
        vuln["analysis"] = _analysis(st)
        vuln["affects"] = [{"ref": target}]
        vuln["properties"] = [{"name": "psirt:provenance", "value": st.provenance}]
        vulnerabilities.append(vuln)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": serial,
        "version": version,
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    }
