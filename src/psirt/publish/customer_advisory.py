"""The customer advisory: a published CSAF security advisory in plain words, as a
:class:`~psirt.publish.document.Document` that :func:`psirt.publish.render.render` writes as
HTML or PDF (the templates and the PDF layout of every document psirt writes).

It is built from the stored CSAF document alone, so it says what the CSAF advisory says, in
the same version: what is affected, the risk in plain words, what to do now, the fix and where
to get it, the vulnerability, and whom to contact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from psirt.domain.csaf import parse_datetime
from psirt.publish.document import Bullets, Document, Paragraph, Section, Table

__all__ = ["customer_advisory"]

_STATUS_WORDS = {
    "draft": "Draft: not for distribution",
    "interim": "Interim: the content may still change",
    "final": "Final",
}
_CATEGORY_WORDS = {
    "vendor_fix": "Update",
    "workaround": "Workaround",
    "mitigation": "Mitigation",
    "none_available": "No fix yet",
    "no_fix_planned": "No fix planned",
}
_ORDER = tuple(_CATEGORY_WORDS)


@dataclass
class _Release:
    """A product of the product tree with what the advisory says about it."""

    product_id: str
    name: str  # the full product name
    product: str
    version: str
    vendor: str
    components: list[str] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        if self.groups & {"first_fixed", "fixed"}:
            word = "Fixed"
        elif self.groups & {"known_affected", "first_affected", "last_affected"}:
            word = "Affected"
        elif "known_not_affected" in self.groups:
            word = "Not affected"
        elif "under_investigation" in self.groups:
            word = "Under investigation"
        else:
            word = "Not stated"
        return word + (" (recommended version)" if "recommended" in self.groups else "")


def _releases(csaf: Mapping[str, Any]) -> dict[str, _Release]:
    """Every product version of the branches; components attached through relationships."""
    out: dict[str, _Release] = {}
    tree = csaf.get("product_tree") or {}

    def walk(branches: Sequence[Mapping[str, Any]], context: dict[str, str]) -> None:
        for b in branches:
            here = {**context, b.get("category", ""): str(b.get("name", ""))}
            product = b.get("product")
            if isinstance(product, Mapping):
                pid = str(product.get("product_id"))
                version = here.get("product_version") or here.get("product_version_range", "")
                name = str(product.get("name", ""))
                out[pid] = _Release(pid, name, here.get("product_name", "") or name, version,
                                    here.get("vendor", ""))  # fmt: skip
            walk(b.get("branches") or (), here)

    walk(tree.get("branches") or (), {})
    for p in tree.get("full_product_names") or ():
        pid = str(p.get("product_id"))
        out.setdefault(pid, _Release(pid, str(p.get("name", "")), str(p.get("name", "")), "", ""))
    components = {
        str(r["full_product_name"]["product_id"]): r
        for r in tree.get("relationships") or ()
        if isinstance(r, Mapping)
    }
    for rel in components.values():
        target = out.get(str(rel.get("relates_to_product_reference")))
        part = out.get(str(rel.get("product_reference")))
        if target is not None and part is not None:
            target.components.append(part.label)
    # a component's own product version is no release of the advisory
    for rel in components.values():
        out.pop(str(rel.get("product_reference")), None)
    return out


def _products(item: Mapping[str, Any], groups: Mapping[str, list[str]]) -> list[str]:
    """The product ids an item names directly and through its product groups."""
    ids = [str(p) for p in item.get("product_ids") or ()]
    ids += [p for g in item.get("group_ids") or () for p in groups.get(str(g), ())]
    return list(dict.fromkeys(ids))


def _date(text: str | None) -> str:
    when = parse_datetime(text) if text else None
    return when.date().isoformat() if when else "-"


def _note(notes: Sequence[Mapping[str, Any]], category: str, title: str | None = None) -> str:
    for n in notes:
        if n.get("category") == category and (title is None or n.get("title") == title):
            return str(n.get("text", "")).strip()
    return ""


def _score(vuln: Mapping[str, Any]) -> str:
    for s in vuln.get("scores") or ():
        cvss = s.get("cvss_v3")
        if isinstance(cvss, Mapping):
            severity = str(cvss.get("baseSeverity", "")).lower()
            return (
                f"CVSS v{cvss.get('version')} base score {cvss.get('baseScore')} ({severity}), "
                f"{cvss.get('vectorString')}"
            )
    return ""


def customer_advisory(csaf: Mapping[str, Any]) -> Document:
    """The customer advisory of a CSAF security advisory (a decoded document)."""
    doc = csaf["document"]
    tracking = doc["tracking"]
    publisher = doc.get("publisher") or {}
    vulns: list[Mapping[str, Any]] = list(csaf.get("vulnerabilities") or [])
    releases = _releases(csaf)
    groups = {
        str(g.get("group_id")): [str(p) for p in g.get("product_ids") or ()]
        for g in (csaf.get("product_tree") or {}).get("product_groups") or ()
    }
    remedies: dict[str, list[Mapping[str, Any]]] = {}
    for vuln in vulns:
        for group, pids in (vuln.get("product_status") or {}).items():
            for pid in pids:
                if pid in releases:
                    releases[pid].groups.add(group)
        for r in vuln.get("remediations") or ():
            for pid in _products(r, groups):
                if pid in releases:
                    remedies.setdefault(pid, []).append(r)
    ids = [i for v in vulns for i in ([v["cve"]] if v.get("cve") else [])]
    ids += [str(i.get("text")) for v in vulns for i in v.get("ids") or ()]
    severity = next((s for s in (_score(v) for v in vulns) if s), "")
    distribution = doc.get("distribution") or {}
    tlp = (distribution.get("tlp") or {}).get("label")
    properties: list[tuple[str, str]] = [
        ("Advisory", str(tracking["id"])),
        ("Version", str(tracking["version"])),
        ("Status", _STATUS_WORDS.get(str(tracking["status"]), str(tracking["status"]))),
        ("First published", _date(tracking.get("initial_release_date"))),
        ("This version", _date(tracking.get("current_release_date"))),
        ("Vulnerability", ", ".join(ids) or "-"),
    ]
    if severity:
        properties.append(("Severity", severity))
    if tlp:
        text = distribution.get("text")
        properties.append(("Distribution", f"TLP:{tlp}" + (f". {text}" if text else "")))
    properties.append(("Publisher", str(publisher.get("name", ""))))

    notes = list(doc.get("notes") or [])
    sections: list[Section] = []
    summary = _note(notes, "summary")
    if summary:
        sections.append(Section("1", "Summary", (Paragraph(summary),)))
    rows = tuple(
        (r.product, r.version, r.status, ", ".join(r.components) or "-")
        for r in releases.values()
    )  # fmt: skip
    sections.append(Section(str(len(sections) + 1), "What is affected", (
        Table(("Product", "Version", "Status", "Component"), rows, (3, 1, 2, 3)),
    )))  # fmt: skip

    risk: list[Paragraph] = []
    safety = _note(notes, "general", "Safety impact")
    if safety:
        risk.append(Paragraph(safety))
    for vuln in vulns:
        vnotes = list(vuln.get("notes") or [])
        description = _note(vnotes, "description")
        if description:
            risk.append(Paragraph(description))
        cause = _note(vnotes, "details", "Cause")
        if cause:
            risk.append(Paragraph(f"Cause: {cause}"))
        risk += [
            Paragraph(str(t.get("details", "")))
            for t in vuln.get("threats") or ()
            if t.get("category") == "exploit_status"
        ]
        score = _score(vuln)
        if score:
            risk.append(Paragraph(f"Severity: {score}."))
        v4 = _note(vnotes, "other", "CVSS v4.0")
        if v4:
            risk.append(Paragraph(f"CVSS v4.0: {v4}."))
    sections.append(Section(str(len(sections) + 1), "The risk in plain words", tuple(risk)))

    todo: list[str] = []
    for pid, release in releases.items():
        found = sorted(remedies.get(pid, []), key=lambda r: _ORDER.index(r["category"]))
        todo += [
            f"{release.label}: {_CATEGORY_WORDS[r['category']]}: {r['details']}" for r in found
        ]
        if not found and release.status.startswith("Fixed"):
            best = " and is the recommended version" if "recommended" in release.groups else ""
            todo.append(f"{release.label}: no action needed; it has the fix{best}.")
        elif not found and release.status.startswith("Not affected"):
            todo.append(f"{release.label}: no action needed; it is not affected.")
    sections.append(Section(str(len(sections) + 1), "What to do now", (
        Bullets(tuple(todo)) if todo else Paragraph("No action is needed."),
    )))  # fmt: skip

    fixes: list[tuple[str, str, str, str]] = []
    for vuln in vulns:
        for r in vuln.get("remediations") or ():
            if r.get("category") != "vendor_fix":
                continue
            covered = ", ".join(releases[p].label for p in _products(r, groups)
                                if p in releases)  # fmt: skip
            fixes.append((covered, str(r["details"]), _date(r.get("date")),
                          str(r.get("url") or "see the update text")))  # fmt: skip
    fixed_in = [r.label for r in releases.values() if r.groups & {"first_fixed", "fixed"}]
    fix_blocks: list[Paragraph | Table] = []
    if fixes:
        fix_blocks.append(Table(("For", "Update", "Released", "Where to get it"), tuple(fixes),
                                (2, 4, 1, 3)))  # fmt: skip
    if fixed_in:
        fix_blocks.append(Paragraph("Versions with the fix: " + ", ".join(fixed_in) + "."))
    if not fix_blocks:
        planned = [
            str(r["details"])
            for v in vulns
            for r in v.get("remediations") or ()
            if r.get("category") in ("none_available", "no_fix_planned")
        ]
        fix_blocks.append(Paragraph(" ".join(dict.fromkeys(planned)) or "No fix is needed."))
    sections.append(Section(str(len(sections) + 1), "The fix and where to get it",
                            tuple(fix_blocks)))  # fmt: skip

    facts: list[str] = []
    for vuln in vulns:
        if vuln.get("cve"):
            facts.append(f"CVE: {vuln['cve']}")
        facts += [f"{i.get('system_name')}: {i.get('text')}" for i in vuln.get("ids") or ()]
        cwe = vuln.get("cwe")
        if isinstance(cwe, Mapping):
            facts.append(f"Weakness: {cwe.get('id')} {cwe.get('name')}")
        if vuln.get("discovery_date"):
            facts.append(f"Known to the manufacturer since {_date(vuln['discovery_date'])}")
        facts += [f"{r.get('summary')}: {r.get('url')}" for r in vuln.get("references") or ()]
        for ack in vuln.get("acknowledgments") or ():
            names = ", ".join(ack.get("names") or ())
            facts.append(f"Acknowledgment: {names}" + (f", {ack['summary']}"
                                                        if ack.get("summary") else ""))  # fmt: skip
    sections.append(Section(str(len(sections) + 1), "The vulnerability", (Bullets(tuple(facts)),)))

    reach = publisher.get("contact_details") or publisher.get("namespace", "")
    contact = [Paragraph(f"{publisher.get('name', '')}: {reach}")]
    if publisher.get("issuing_authority"):
        contact.append(Paragraph(str(publisher["issuing_authority"])))
    self_url = next((r.get("url") for r in doc.get("references") or ()
                     if r.get("category") == "self"), None)  # fmt: skip
    machine = (f"This advisory is also published as the CSAF 2.0 document {tracking['id']} "
               f"version {tracking['version']}")  # fmt: skip
    contact.append(Paragraph(machine + (f": {self_url}." if self_url else ".")))
    sections.append(Section(str(len(sections) + 1), "Contact", tuple(contact)))

    history = Table(
        ("Version", "Date", "Summary"),
        tuple(
            (str(r.get("number")), _date(r.get("date")), str(r.get("summary")))
            for r in tracking.get("revision_history") or ()
        ),  # fmt: skip
        (1, 1, 4),
    )
    status = str(tracking["status"])
    return Document(
        title=f"Security advisory: {doc.get('title', '')}",
        document_id=str(tracking["id"]),
        version=f"version {tracking['version']}",
        status=_STATUS_WORDS.get(status, status),
        organisation=str(publisher.get("name", "")),
        properties=tuple(properties),
        approvals=None,
        history=history,
        sections=tuple(sections),
        created=parse_datetime(str(tracking.get("current_release_date", ""))),
        notice="Draft: not for distribution" if status == "draft" else "",
    )
