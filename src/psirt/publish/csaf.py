"""CSAF 2.0 documents written from psirt's records: the security advisory of an issue
(profile ``csaf_security_advisory``) and the VEX of a release (profile ``csaf_vex``).

Both are plain dicts in the order of the specification; :mod:`psirt.publish.csaf_validate`
checks them before they are stored. The product tree names each release (vendor, product
name, product version, with the purl and CPE of the release when its SBOM gives them) and each
component a statement is about (with its purl and CPE), and a ``default_component_of``
relationship for the component in the release; statuses name the release and the component
in it. docs/publishing.md maps every field to the record it comes from.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psirt import __version__
from psirt.domain.publication import (
    AdvisoryFacts,
    ProductRelease,
    ReleaseVex,
    Remediation,
    Tracking,
    VexComponent,
    VexStatement,
)
from psirt.domain.publisher import Publisher, component_iri, product_iri, slug
from psirt.domain.records import Audience, DisclosureKind
from psirt.domain.risk import RiskControlStatus, parse_cvss
from psirt.domain.vex import VexStatus
from psirt.publish.csaf_tests import purl_problem
from psirt.publish.csaf_validate import SCHEMAS, cwe_names

CSAF_VERSION = "2.0"
STATUS_GROUP: dict[VexStatus, str] = {
    VexStatus.AFFECTED: "known_affected",
    VexStatus.NOT_AFFECTED: "known_not_affected",
    VexStatus.FIXED: "fixed",
    VexStatus.UNDER_INVESTIGATION: "under_investigation",
}
# Product status groups in the order of the specification (section 3.2.3.9).
_GROUP_ORDER = ("first_affected", "first_fixed", "fixed", "known_affected", "known_not_affected",
                "last_affected", "recommended", "under_investigation")  # fmt: skip


@functools.cache
def _cpe_pattern() -> re.Pattern[str]:
    schema = json.loads((SCHEMAS / "csaf_json_schema.json").read_text(encoding="utf-8"))
    helper = schema["$defs"]["full_product_name_t"]["properties"]["product_identification_helper"]
    return re.compile(helper["properties"]["cpe"]["pattern"])


def _helper(purl: str | None, cpe: str | None) -> dict[str, str]:
    """The identification helper of a product: its purl and CPE where they are valid."""
    out: dict[str, str] = {}
    if cpe and _cpe_pattern().match(cpe):
        out["cpe"] = cpe
    if purl and purl_problem(purl) is None:
        out["purl"] = purl
    return out


def _generic(namespace: str, uri: str) -> dict[str, Any]:
    """An identification helper naming a product by an IRI under the publisher's namespace."""
    return {"x_generic_uris": [{"namespace": namespace, "uri": uri}]}


def stamp(value: dt.datetime) -> str:
    """A date-time in UTC as CSAF, CycloneDX and OpenVEX write it (``...Z``)."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class _Tree:
    """The product tree being built: unique product ids, branches by vendor and product."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.ids: set[str] = set()
        self.vendors: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.loose: dict[str, list[dict[str, Any]]] = {}  # components without a supplier
        self.relationships: list[dict[str, Any]] = []
        self.release_ids: dict[str, str] = {}
        self.component_ids: dict[tuple[str, str, str], str] = {}
        self.relation_ids: dict[tuple[tuple[str, str, str], str], str] = {}

    def _unique(self, base: str) -> str:
        pid, n = base, 1
        while pid in self.ids:
            n += 1
            pid = f"{base}-{n}"
        self.ids.add(pid)
        return pid

    def release(self, p: ProductRelease) -> str:
        found = self.release_ids.get(p.key)
        if found is not None:
            return found
        pid = self._unique(f"{slug(p.product)}-{slug(p.version)}")
        product: dict[str, Any] = {"name": f"{p.product} {p.version}", "product_id": pid}
        iri = product_iri(self.namespace, p.product, p.version)
        product["product_identification_helper"] = _helper(p.purl, p.cpe) or _generic(
            self.namespace, iri
        )
        versions = self.vendors.setdefault(p.vendor, {}).setdefault(p.product, [])
        versions.append({"category": "product_version", "name": p.version, "product": product})
        self.release_ids[p.key] = pid
        return pid

    def component(self, c: VexComponent, release_key: str) -> str:
        """The id of ``c`` as a component of the release (a relationship product)."""
        cid = self.component_ids.get(c.key)
        if cid is None:
            cid = self._unique(f"component-{slug(c.name)}-{slug(c.version or 'unversioned')}")
            product: dict[str, Any] = {"name": c.label, "product_id": cid}
            product["product_identification_helper"] = self._component_helper(c, None)
            branch = {
                "category": "product_version",
                "name": c.version or "unversioned",
                "product": product,
            }
            if c.supplier:
                self.vendors.setdefault(c.supplier, {}).setdefault(c.name, []).append(branch)
            else:
                self.loose.setdefault(c.name, []).append(branch)
            self.component_ids[c.key] = cid
        release_id = self.release_ids[release_key]
        rid = self.relation_ids.get((c.key, release_key))
        if rid is None:
            rid = self._unique(f"{cid}-in-{release_id}")
            name, _, version = release_key.rpartition("@")
            self.relationships.append(
                {
                    "category": "default_component_of",
                    "full_product_name": {
                        "name": f"{c.label} in {name} {version}",
                        "product_id": rid,
                        "product_identification_helper": self._component_helper(c, release_key),
                    },
                    "product_reference": cid,
                    "relates_to_product_reference": release_id,
                }
            )
            self.relation_ids[(c.key, release_key)] = rid
        return rid

    def _component_helper(self, c: VexComponent, release_key: str | None) -> dict[str, Any]:
        """The component's purl and CPE, else an IRI (of the component in the release)."""
        if release_key is None:
            base = self.namespace.rstrip("/")
        else:
            product, _, version = release_key.rpartition("@")
            base = product_iri(self.namespace, product, version)
        return _helper(c.purl, c.cpe) or _generic(
            self.namespace, component_iri(base, c.name, c.version)
        )

    def as_dict(self) -> dict[str, Any]:
        def names(products: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
            return [
                {"category": "product_name", "name": name, "branches": versions}
                for name, versions in products.items()
            ]

        branches = [
            {"category": "vendor", "name": vendor, "branches": names(products)}
            for vendor, products in self.vendors.items()
        ]
        branches += names(self.loose)
        tree: dict[str, Any] = {"branches": branches}
        if self.relationships:
            tree["relationships"] = self.relationships
        return tree


def _publisher(p: Publisher) -> dict[str, Any]:
    out: dict[str, Any] = {"category": p.category.value, "name": p.name, "namespace": p.namespace}
    if p.contact_details:
        out["contact_details"] = p.contact_details
    if p.issuing_authority:
        out["issuing_authority"] = p.issuing_authority
    return out


def _tracking(t: Tracking) -> dict[str, Any]:
    return {
        "current_release_date": stamp(t.current_release),
        "generator": {
            "date": stamp(t.current_release),
            "engine": {"name": "psirt", "version": __version__},
        },
        "id": t.id,
        "initial_release_date": stamp(t.initial_release),
        "revision_history": [
            {"date": stamp(r.at), "number": r.version, "summary": r.summary} for r in t.revisions
        ],
        "status": t.status,
        "version": t.version,
    }


def _reference(vid: str) -> dict[str, str] | None:
    """Where a vulnerability id is described: the CVE record, GitHub advisories, OSV."""
    if vid.upper().startswith("CVE-"):
        url = f"https://www.cve.org/CVERecord?id={vid}"
    elif vid.startswith("GHSA-"):
        url = f"https://github.com/advisories/{vid}"
    elif re.fullmatch(r"[A-Z][A-Za-z]*-[\w.-]+", vid):
        url = f"https://osv.dev/vulnerability/{vid}"
    else:
        return None
    return {"category": "external", "summary": vid, "url": url}


def _ids(vulnerability: str, aliases: Sequence[str]) -> tuple[str | None, list[dict[str, str]]]:
    """(the ``cve`` field, the ``ids`` list): other ids by their prefix (``GHSA``, ``PYSEC``)."""
    cve = vulnerability if vulnerability.upper().startswith("CVE-") else None
    ids = [
        {"system_name": a.split("-", 1)[0] if "-" in a else "other", "text": a}
        for a in ([vulnerability] if cve is None else []) + list(aliases)
    ]
    return cve, ids


def _cwe(cwes: Sequence[str]) -> tuple[dict[str, str] | None, list[str]]:
    """The first CWE of the catalogue as the ``cwe`` object; the others (and unknown ones)."""
    names = cwe_names()
    chosen: dict[str, str] | None = None
    rest: list[str] = []
    for cwe in cwes:
        number = cwe.upper().removeprefix("CWE-")
        known = names.get(number)
        if chosen is None and known:
            chosen = {"id": f"CWE-{number}", "name": known[0]}
        else:
            rest.append(f"CWE-{number}" + (f" ({known[0]})" if known else ""))
    return chosen, rest


def _remediations(
    entries: Iterable[tuple[Remediation, str]],
) -> list[dict[str, Any]]:
    """One CSAF remediation per distinct remediation, naming every product it applies to."""
    grouped: dict[tuple[str, str, str | None, str | None], list[str]] = {}
    for r, pid in entries:
        key = (r.category.value, r.details, stamp(r.date) if r.date else None, r.url)
        grouped.setdefault(key, [])
        if pid not in grouped[key]:
            grouped[key].append(pid)
    out = []
    for (category, details, date, url), pids in grouped.items():
        item: dict[str, Any] = {"category": category, "details": details}
        if date:
            item["date"] = date
        item["product_ids"] = pids
        if url:
            item["url"] = url
        out.append(item)
    return out


def _status(groups: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {g: list(dict.fromkeys(groups[g])) for g in _GROUP_ORDER if groups.get(g)}


_TLP: dict[DisclosureKind, str] = {
    DisclosureKind.DISCLOSE_PUBLIC_ADVISORY: "WHITE",
    DisclosureKind.DISCLOSE_TARGETED_CUSTOMERS: "AMBER",
    DisclosureKind.DISCLOSE_REGULATOR_ONLY: "RED",
    DisclosureKind.NO_DISCLOSURE: "RED",
    DisclosureKind.DEFER_UNDER_EMBARGO: "RED",
}
_AUDIENCE = {
    Audience.USERS: "users of the products",
    Audience.REGULATORS: "regulators",
    Audience.ISAO: "information sharing and analysis organisations",
    Audience.CVE_CNA: "the CVE numbering authority",
    Audience.COORDINATOR: "the coordinator",
    Audience.REPORTER: "the reporter",
}


def _distribution(facts: AdvisoryFacts) -> dict[str, Any]:
    """TLP from the disclosure decision (R4); before one, the intake's TLP, else AMBER."""
    d = facts.disclosure
    if d is not None:
        label = _TLP[d.decision]
        text = "Shared with " + ", ".join(_AUDIENCE[a] for a in d.audiences) + "." if (
            d.audiences and d.decision is not DisclosureKind.DISCLOSE_PUBLIC_ADVISORY
        ) else None  # fmt: skip
    else:
        tlp = (facts.intake_tlp or "").upper().removeprefix("TLP:")
        label = {"CLEAR": "WHITE"}.get(tlp, tlp) if tlp in ("CLEAR", "WHITE", "GREEN", "AMBER",
                                                              "RED") else "AMBER"  # fmt: skip
        text = "Not yet released: no disclosure decision is recorded."
    out: dict[str, Any] = {}
    if text:
        out["text"] = text
    out["tlp"] = {"label": label}
    return out


_HARM = {
    "negligible": "negligible",
    "minor": "minor",
    "serious": "serious",
    "critical": "critical",
    "catastrophic": "catastrophic",
}


def safety_impact(facts: AdvisoryFacts) -> str:
    """The safety impact in plain words, from the analysis (R3)."""
    a = facts.analysis
    if a is None:
        return "The manufacturer is analysing the safety impact of the vulnerability."
    parts = []
    if a.safety_effectiveness_impact.strip():
        parts.append(
            "Effect on safety and essential performance: "
            f"{a.safety_effectiveness_impact.strip().rstrip('.')}."
        )
    if a.hazardous_situation.strip():
        parts.append(f"Hazardous situation: {a.hazardous_situation.strip().rstrip('.')}.")
    if a.confidentiality_only:
        parts.append("The vulnerability affects the confidentiality of data only.")
    elif a.harm_severity is not None:
        parts.append(f"Severity of the possible harm: {_HARM[a.harm_severity.value]}.")
    if a.multi_patient_harm_possible:
        parts.append("More than one patient could be harmed.")
    status = a.effective_status
    if status is RiskControlStatus.UNCONTROLLED:
        parts.append(
            "The manufacturer evaluated the risk as not sufficiently controlled: apply the "
            "remediation for your release as soon as possible."
        )
    elif status is RiskControlStatus.CONTROLLED:
        parts.append("The manufacturer evaluated the risk of harm as sufficiently controlled.")
    return " ".join(parts) or "The manufacturer found no effect on safety."


def exploitation(facts: AdvisoryFacts) -> str | None:
    a = facts.analysis
    parts = []
    if facts.kev_listed or (a is not None and a.kev_listed):
        parts.append("Listed in the CISA Known Exploited Vulnerabilities catalogue.")
    if a is not None:
        parts.append(
            {
                "active": "Active exploitation is known.",
                "public_poc": "A proof of concept is public.",
                "none": "No exploitation is known to the manufacturer.",
            }[a.exploitation.value]
        )
    return " ".join(parts) or None


def _cvss_v3(vector: str) -> dict[str, Any]:
    score = parse_cvss(vector, source="cvss", location="vector")
    return {
        "baseScore": score.base_score,
        "baseSeverity": score.base_severity.upper(),
        "vectorString": score.vector,
        "version": score.version,
    }


def _scores(facts: AdvisoryFacts, products: list[str]) -> list[dict[str, Any]]:
    a = facts.analysis
    if a is None or a.cvss_v31 is None or not products:
        return []
    return [{"cvss_v3": _cvss_v3(a.cvss_v31), "products": products}]


def _v4_note(vector: str | None) -> dict[str, str] | None:
    if vector is None:
        return None
    score = parse_cvss(vector, source="R3_analysis", location="cvss_v40")
    return {
        "category": "other",
        "text": f"{score.vector} (base score {score.base_score}, {score.base_severity.lower()})",
        "title": "CVSS v4.0",
    }


def advisory(
    facts: AdvisoryFacts, publisher: Publisher, tracking: Tracking, *, self_url: str | None
) -> dict[str, Any]:
    """The CSAF security advisory of one issue."""
    tree = _Tree(publisher.namespace)
    for key in facts.products:
        tree.release(facts.products[key])
    groups: dict[str, list[str]] = {}
    flags: dict[str, list[str]] = {}
    remediations: list[tuple[Remediation, str]] = []
    impacts: dict[str, list[str]] = {}
    affected: list[str] = []
    fix_keys = [d.key for d in facts.releases if d.fix_release]
    for d in facts.releases:
        pids = [tree.release_ids[d.key]]
        pids += [tree.component(c, d.key) for c in facts.components.get(d.key, ())]
        groups.setdefault(STATUS_GROUP[d.status], []).extend(pids)
        if d.fix_release:
            product = d.product
            same = [k for k in fix_keys if k.rpartition("@")[0] == product]
            if d.key == _first(same, facts):
                groups.setdefault("first_fixed", []).extend(pids)
            if d.key == _last(same, facts):
                groups.setdefault("recommended", []).extend(pids)
        if d.status is VexStatus.AFFECTED:
            affected.extend(pids)
        if d.status is VexStatus.NOT_AFFECTED:
            if d.justification is not None:
                flags.setdefault(d.justification.value, []).extend(pids)
            if d.impact:
                impacts.setdefault(d.impact, []).extend(pids)
        remediations.extend((r, pid) for r in d.remediations for pid in pids)
    cve, ids = _ids(facts.vulnerability, facts.aliases)
    cwe, other_cwes = _cwe(facts.analysis.cwes if facts.analysis else ())
    vuln: dict[str, Any] = {}
    if facts.disclosure is not None and facts.disclosure.reporter_credit.strip():
        vuln["acknowledgments"] = [
            {
                "names": [facts.disclosure.reporter_credit.strip()],
                "summary": "reporting the vulnerability",
            }
        ]
    if cve:
        vuln["cve"] = cve
    if cwe:
        vuln["cwe"] = cwe
    vuln["discovery_date"] = stamp(facts.t0)
    if flags:
        vuln["flags"] = [{"label": label, "product_ids": pids} for label, pids in flags.items()]
    if ids:
        vuln["ids"] = ids
    notes = [
        {
            "category": "description",
            "text": facts.description or facts.summary,
            "title": "Description",
        }
    ]
    if facts.analysis is not None and facts.analysis.root_cause.strip():
        notes.append(
            {"category": "details", "text": facts.analysis.root_cause.strip(), "title": "Cause"}
        )
    v4 = _v4_note(facts.analysis.cvss_v40 if facts.analysis else None)
    if v4:
        notes.append(v4)
    if other_cwes:
        notes.append({"category": "other", "text": ", ".join(other_cwes), "title": "Other CWEs"})
    vuln["notes"] = notes
    vuln["product_status"] = _status(groups)
    references = [r for r in (_reference(i) for i in (facts.vulnerability, *facts.aliases)) if r]
    if references:
        vuln["references"] = references
    if remediations:
        vuln["remediations"] = _remediations(remediations)
    scores = _scores(facts, affected)
    if scores:
        vuln["scores"] = scores
    threats: list[dict[str, Any]] = []
    if affected:
        threats.append({"category": "impact", "details": safety_impact(facts),
                        "product_ids": affected})  # fmt: skip
    threats += [
        {"category": "impact", "details": text, "product_ids": pids}
        for text, pids in impacts.items()
    ]
    exploited = exploitation(facts)
    if exploited:
        threats.append({"category": "exploit_status", "details": exploited})
    if threats:
        vuln["threats"] = threats
    vuln["title"] = facts.title
    document: dict[str, Any] = {
        "category": "csaf_security_advisory",
        "csaf_version": CSAF_VERSION,
        "distribution": _distribution(facts),
        "lang": publisher.lang,
        "notes": [
            {"category": "summary", "text": facts.summary, "title": "Summary"},
            {"category": "general", "text": safety_impact(facts), "title": "Safety impact"},
        ],
        "publisher": _publisher(publisher),
    }
    if self_url:
        document["references"] = [{"category": "self", "summary": "This advisory", "url": self_url}]
    document["title"] = facts.title
    document["tracking"] = _tracking(tracking)
    return {"document": document, "product_tree": tree.as_dict(), "vulnerabilities": [vuln]}


def _order(keys: Sequence[str], facts: AdvisoryFacts) -> list[str]:
    """Fix releases in the order their R10 records were made (the disclosure order)."""
    order = {d.key: i for i, d in enumerate(facts.releases)}
    return sorted(keys, key=lambda k: order.get(k, 0))


def _first(keys: Sequence[str], facts: AdvisoryFacts) -> str | None:
    ordered = _order(keys, facts)
    return ordered[0] if ordered else None


def _last(keys: Sequence[str], facts: AdvisoryFacts) -> str | None:
    ordered = _order(keys, facts)
    return ordered[-1] if ordered else None


# --------------------------------------------------------------------------- VEX


def _vex_target(tree: _Tree, vex: ReleaseVex, st: VexStatement) -> str:
    if st.component is None:
        return tree.release_ids[vex.key]
    return tree.component(st.component, vex.key)


def vex(
    release: ReleaseVex, publisher: Publisher, tracking: Tracking, *, self_url: str | None
) -> dict[str, Any]:
    """The CSAF VEX of one release: one vulnerability per vulnerability id, a product status,
    justification flag, impact statement or remediation per statement."""
    tree = _Tree(publisher.namespace)
    tree.release(
        ProductRelease(
            release.key,
            release.product,
            release.version,
            release.manufacturer or publisher.name,
            release.product_purl,
            release.product_cpe,
        )
    )
    by_vuln: dict[str, list[VexStatement]] = {}
    for st in release.statements:
        by_vuln.setdefault(st.vulnerability, []).append(st)
    vulnerabilities = []
    for vid, statements in by_vuln.items():
        aliases = list(dict.fromkeys(a for st in statements for a in st.aliases))
        groups: dict[str, list[str]] = {}
        flags: dict[str, list[str]] = {}
        impacts: dict[str, list[str]] = {}
        remediations: list[tuple[Remediation, str]] = []
        provenance: list[str] = []
        scored: dict[str, list[str]] = {}
        for st in statements:
            pid = _vex_target(tree, release, st)
            groups.setdefault(STATUS_GROUP[st.status], []).append(pid)
            where = st.component.label if st.component else release.key
            provenance.append(f"{where}: {st.provenance}")
            if st.status is VexStatus.NOT_AFFECTED:
                if st.justification is not None:
                    flags.setdefault(st.justification.value, []).append(pid)
                impacts.setdefault(st.impact or st.provenance, []).append(pid)
            if st.status in (VexStatus.AFFECTED, VexStatus.UNDER_INVESTIGATION):
                remediations.extend((r, pid) for r in st.remediations)
            vector = next((v for v in st.cvss if v.startswith("CVSS:3.")), None)
            if st.status is VexStatus.AFFECTED and vector is not None:
                scored.setdefault(vector, []).append(pid)
        cve, ids = _ids(vid, aliases)
        vuln: dict[str, Any] = {}
        if cve:
            vuln["cve"] = cve
        cwe, _rest = _cwe(next((st.cwes for st in statements if st.cwes), ()))
        if cwe:
            vuln["cwe"] = cwe
        if flags:
            vuln["flags"] = [{"label": k, "product_ids": v} for k, v in flags.items()]
        if ids:
            vuln["ids"] = ids
        vuln["notes"] = [
            {
                "category": "description",
                "text": f"The exploitability of {vid} in {release.product} {release.version}.",
                "title": "Statement",
            },
            {
                "category": "details",
                "text": "\n".join(provenance),
                "title": "How it was determined",
            },
        ]
        vuln["product_status"] = _status(groups)
        references = [r for r in (_reference(i) for i in (vid, *aliases)) if r]
        if references:
            vuln["references"] = references
        if remediations:
            vuln["remediations"] = _remediations(remediations)
        if scored:
            vuln["scores"] = [
                {"cvss_v3": _cvss_v3(vector), "products": pids} for vector, pids in scored.items()
            ]
        if impacts:
            vuln["threats"] = [
                {"category": "impact", "details": text, "product_ids": pids}
                for text, pids in impacts.items()
            ]
        vulnerabilities.append(vuln)
    document: dict[str, Any] = {
        "category": "csaf_vex",
        "csaf_version": CSAF_VERSION,
        "distribution": {"tlp": {"label": "WHITE"}},
        "lang": publisher.lang,
        "notes": [
            {
                "category": "summary",
                "text": (
                    f"The exploitability of every vulnerability matched in the components of "
                    f"{release.product} {release.version}, and of every security issue of the "
                    "release, as the manufacturer's records state it on the date of this "
                    "document."
                ),
                "title": "Summary",
            }
        ],
        "publisher": _publisher(publisher),
    }
    if self_url:
        document["references"] = [{"category": "self", "summary": "This VEX", "url": self_url}]
    document["title"] = f"VEX: {release.product} {release.version}"
    document["tracking"] = _tracking(tracking)
    return {
        "document": document,
        "product_tree": tree.as_dict(),
        "vulnerabilities": vulnerabilities,
    }
