"""Publishing what clause 4.1.7 / 9.5 asks to disclose, from psirt's own records.

* :func:`publish_advisory`: the CSAF 2.0 security advisory of a security issue.
* :func:`release_vex` computes the exploitability statements of one release, the one value
  :func:`publish_vex` writes as a CSAF VEX, CycloneDX VEX or OpenVEX document: every
  vulnerability matched in the release's current components (active findings), with the
  status its security issue gives the release, or a person's confirmation of a supplier's
  not-affected, or the policy's status for what nobody has assessed yet
  (``[publishing] unassessed_findings``); and every security issue that names the release
  without a finding in it (the release that brings a fix, a reported vulnerability).

Each published version is stored (``publications``: bytes, sha256, version, who, when) in the
caller's unit of work, with an audit event; the seal puts the row into the audit chain.
Publishing the same content again (the document without its versions and dates) with the same
status changes nothing and returns the stored version. A final CSAF document must pass every
mandatory test of :mod:`psirt.publish.csaf_validate`; CycloneDX and OpenVEX documents must
conform to their JSON schemas; otherwise nothing is published. An issue under embargo (R1
``embargo_until``, R4 ``embargo_end``), without a disclosure decision, or decided
``no_disclosure`` gets drafts only.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from psirt.domain.csaf import DocumentVersion
from psirt.domain.issue import SecurityIssue, State
from psirt.domain.policy import Policy
from psirt.domain.publication import (
    NOTHING_YET,
    AdvisoryFacts,
    ChangeKind,
    ProductRelease,
    PublishedVersion,
    ReleaseDisclosure,
    ReleaseVex,
    Remediation,
    RemediationCategory,
    StatementSource,
    Tracking,
    VexComponent,
    VexStatement,
    csaf_change,
    justification_of,
    next_csaf_version,
    primary_id,
    release_disclosures,
)
from psirt.domain.publisher import Publisher, UnassessedStatus, slug
from psirt.domain.records import (
    Analysis,
    DisclosureDecision,
    DisclosureKind,
    Duplicate,
    ReleaseAdvisory,
)
from psirt.domain.risk import parse_cvss
from psirt.domain.vex import VexStatus
from psirt.errors import Conflict, InputError, NotFound, UsageError
from psirt.ingest.sbom import parse_sbom
from psirt.publish import csaf as csaf_writer
from psirt.publish import openvex as openvex_writer
from psirt.publish import vex_cyclonedx as cyclonedx_writer
from psirt.services import issue_facts, issues, sboms, scanning, supplier_advisories
from psirt.services.catalog import get_release
from psirt.store import audit
from psirt.store import models as m
from psirt.store.models_publications import PublicationRow


class PublicationKind(StrEnum):
    CSAF_ADVISORY = "csaf_advisory"
    CSAF_VEX = "csaf_vex"
    CYCLONEDX_VEX = "cyclonedx_vex"
    OPENVEX = "openvex"
    ADVISORY_HTML = "advisory_html"  # the customer advisory of a CSAF advisory version
    ADVISORY_PDF = "advisory_pdf"


class AdvisoryFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


class VexFormat(StrEnum):
    CSAF = "csaf"
    CYCLONEDX = "cyclonedx"
    OPENVEX = "openvex"


VEX_KIND = {
    VexFormat.CSAF: PublicationKind.CSAF_VEX,
    VexFormat.CYCLONEDX: PublicationKind.CYCLONEDX_VEX,
    VexFormat.OPENVEX: PublicationKind.OPENVEX,
}


class CsafStatus(StrEnum):
    DRAFT = "draft"
    INTERIM = "interim"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class Published:
    """One stored publication (new, or the stored one when nothing changed)."""

    id: int
    kind: str
    document_id: str
    version: str
    status: str | None
    sha256: str
    content: bytes
    summary: str
    published_by: str
    published_at: dt.datetime
    issue_id: int | None
    release: str | None  # product@version
    unchanged: bool = False
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "document_id": self.document_id,
            "version": self.version,
            "status": self.status,
            "sha256": self.sha256,
            "summary": self.summary,
            "published_by": self.published_by,
            "published_at": self.published_at.isoformat(),
            "issue": self.issue_id,
            "release": self.release,
            "unchanged": self.unchanged,
            "problems": list(self.problems),
        }


def _now(at: dt.datetime | None) -> dt.datetime:
    value = at or dt.datetime.now(dt.UTC)
    if value.tzinfo is None:
        raise InputError("publish", "at", "date-time needs a time zone")
    return value.astimezone(dt.UTC)


def _json(doc: Any) -> bytes:
    """The published bytes: indented UTF-8 JSON, keys sorted (CSAF test 6.2.13), a final
    newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"


def _fingerprint(kind: PublicationKind, doc: dict[str, Any]) -> str:
    """sha256 of the document without what changes with every version (versions, dates, the
    generator): the same content gives the same fingerprint."""
    body = json.loads(json.dumps(doc))
    if kind in (PublicationKind.CSAF_ADVISORY, PublicationKind.CSAF_VEX):
        body["document"].pop("tracking", None)
    elif kind is PublicationKind.CYCLONEDX_VEX:
        body.pop("version", None)
        body["metadata"].pop("timestamp", None)
        body["metadata"].pop("tools", None)
    else:
        for key in ("version", "timestamp", "last_updated", "tooling"):
            body.pop(key, None)
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _history(session: Session, kind: PublicationKind, document_id: str) -> list[PublicationRow]:
    return list(
        session.scalars(
            select(PublicationRow)
            .where(PublicationRow.kind == kind.value, PublicationRow.document_id == document_id)
            .order_by(PublicationRow.seq)
        )
    )


def _release_key(session: Session, release_id: int | None) -> str | None:
    if release_id is None:
        return None
    release = session.get(m.Release, release_id)
    assert release is not None
    return f"{release.product.name}@{release.version}"


def _published(session: Session, row: PublicationRow, *, unchanged: bool) -> Published:
    problems = tuple(str(p) for p in (row.validation or {}).get("problems", ()))
    return Published(row.id, row.kind, row.document_id, row.version, row.status, row.sha256,
                     row.content, row.summary, row.published_by, row.published_at, row.issue_id,
                     _release_key(session, row.release_id), unchanged, problems)  # fmt: skip


def _store(
    session: Session,
    *,
    kind: PublicationKind,
    document_id: str,
    seq: int,
    version: str,
    status: str | None,
    content: bytes,
    fingerprint: str,
    summary: str,
    validation: dict[str, Any],
    actor: str,
    at: dt.datetime,
    issue_id: int | None = None,
    release_id: int | None = None,
) -> Published:
    sha = hashlib.sha256(content).hexdigest()
    row = PublicationRow(
        kind=kind.value,
        document_id=document_id,
        seq=seq,
        version=version,
        status=status,
        issue_id=issue_id,
        release_id=release_id,
        content=content,
        sha256=sha,
        content_digest=fingerprint,
        summary=summary,
        validation=validation,
        published_by=actor,
        published_at=at,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="publication.publish",
        object_type="publication",
        object_id=row.id,
        detail={
            "kind": kind.value,
            "document_id": document_id,
            "version": version,
            "status": status,
            "sha256": sha,
            "issue": issue_id,
            "release": _release_key(session, release_id),
            "summary": summary,
            "valid": validation.get("valid"),
        },
        at=at,
    )
    return _published(session, row, unchanged=False)


def _publisher(policy: Policy, override: Publisher | None) -> Publisher:
    if override is not None:
        if not override.complete:
            raise UsageError("the publisher needs a name and a namespace")
        return override
    return policy.publishing.require_publisher()


# --------------------------------------------------------------------------- CSAF versions


def _released_doc(rows: Sequence[PublicationRow]) -> dict[str, Any] | None:
    released = [r for r in rows if r.status != CsafStatus.DRAFT.value]
    if not released:
        return None
    loaded = json.loads(released[-1].content)
    assert isinstance(loaded, dict)
    return loaded


def _change_summary(old: dict[str, Any] | None, new: dict[str, Any], old_status: str | None,
                    status: str) -> str:  # fmt: skip
    """What changed since the last released version, in words."""
    if old is None:
        return "Initial release." if status != CsafStatus.DRAFT.value else "Draft."
    changed = []
    old_v = old.get("vulnerabilities") or [{}]
    new_v = new.get("vulnerabilities") or [{}]
    for field, words in (("product_status", "product status"), ("remediations", "remediations"),
                         ("scores", "scores"), ("threats", "threats"), ("notes", "notes"),
                         ("flags", "justifications"), ("acknowledgments", "acknowledgments"),
                         ("references", "references")):  # fmt: skip
        if [v.get(field) for v in old_v] != [v.get(field) for v in new_v]:
            changed.append(words)
    if [v.get("cve") for v in old_v] != [v.get("cve") for v in new_v]:
        changed.append("vulnerabilities")
    for part, words in (("product_tree", "products"),):
        if old.get(part) != new.get(part):
            changed.append(words)
    doc_old = {k: v for k, v in old["document"].items() if k != "tracking"}
    doc_new = {k: v for k, v in new["document"].items() if k != "tracking"}
    if doc_old != doc_new:
        changed.append("document information")
    text = ("Updated " + ", ".join(changed) + ".") if changed else ""
    if old_status != status:
        text = f"{text} Status {status}.".strip()
    return text or "Republished."


def _csaf_publish(
    session: Session,
    *,
    kind: PublicationKind,
    tracking_id: str,
    status: CsafStatus,
    build: Callable[[Tracking], dict[str, Any]],
    summary: str | None,
    actor: str,
    at: dt.datetime,
    issue_id: int | None = None,
    release_id: int | None = None,
) -> Published:
    from psirt.publish.csaf_validate import validate_document

    rows = _history(session, kind, tracking_id)
    probe = Tracking(tracking_id, "1.0.0", status.value, at, at, ())
    draft_doc = build(probe)
    fingerprint = _fingerprint(kind, draft_doc)
    if rows and rows[-1].content_digest == fingerprint and rows[-1].status == status.value:
        return _published(session, rows[-1], unchanged=True)
    history = [PublishedVersion(r.version, r.status or "", r.published_at, r.summary)
               for r in rows]  # fmt: skip
    old = _released_doc(rows)
    change = csaf_change(old, draft_doc) if old is not None else ChangeKind.MAJOR
    version, before = next_csaf_version(history, status.value, change)
    old_status = next((r.status for r in reversed(rows) if r.status != "draft"), None)
    text = (summary or "").strip() or _change_summary(old, draft_doc, old_status, status.value)
    number = DocumentVersion.parse(version)
    assert number is not None
    entry = PublishedVersion(number.without_pre(), status.value, at, text)
    revisions = (*before, entry)
    initial = revisions[0].at if before else at
    tracking = Tracking(tracking_id, version, status.value, initial, at, tuple(revisions))
    doc = build(tracking)
    result = validate_document(doc, source=tracking_id)
    problems = [f"{p.test} {p.path}: {p.message}" for p in result.problems]
    if problems and status is CsafStatus.FINAL:
        raise Conflict(
            f"{tracking_id} version {version} fails CSAF validation, so it is not published as "
            f"final: {'; '.join(problems[:5])}"
            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        )
    validation = {
        "validator": "psirt csaf validate",
        "valid": result.valid,
        "tests": len(result.tests),
        "problems": problems,
    }
    return _store(session, kind=kind, document_id=tracking_id, seq=len(rows) + 1,
                  version=version, status=status.value, content=_json(doc),
                  fingerprint=fingerprint, summary=text, validation=validation, actor=actor,
                  at=at, issue_id=issue_id, release_id=release_id)  # fmt: skip


# --------------------------------------------------------------------------- the advisory


def _follow_duplicates(session: Session, row: m.SecurityIssue, policy: Policy) -> tuple[
    m.SecurityIssue, SecurityIssue]:  # fmt: skip
    """The issue, or the master issue of a closed duplicate (followed up to ten links)."""
    issue = issues.load(session, row, policy)
    for _ in range(10):
        if issue.state is not State.CLOSED_DUPLICATE:
            break
        dup = issue.latest(Duplicate)
        if dup is None or not dup.master_issue_id.isdigit():
            break
        master = session.get(m.SecurityIssue, int(dup.master_issue_id))
        if master is None:
            break
        row, issue = master, issues.load(session, master, policy)
    return row, issue


def _subject(session: Session, release: m.Release) -> tuple[str | None, str | None, str | None]:
    """(purl, CPE, serial number) of a release from its current SBOM's subject."""
    doc = sboms.current_sbom(session, release.id)
    if doc is None:
        return None, None, None
    try:
        parsed = parse_sbom(doc.content, source=doc.file_name)
    except InputError:
        return None, None, None
    subject = parsed.subject
    return (subject.purl if subject else None, subject.cpe if subject else None,
            parsed.serial_number)  # fmt: skip


def _find_release(session: Session, key: str) -> m.Release | None:
    product, _, version = key.rpartition("@")
    return session.scalar(
        select(m.Release)
        .join(m.Product, m.Release.product_id == m.Product.id)
        .where(m.Product.name == product, m.Release.version == version)
    )


def _vex_component(c: m.Component) -> VexComponent:
    return VexComponent(
        name=c.name,
        version=c.version or "",
        purl=c.purl,
        cpe=c.cpe,
        bom_ref=c.ref or None,
        supplier=c.supplier,
        type=c.type or "library",
    )


def _purl_component(purl: str) -> VexComponent:
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return VexComponent(name=purl, version="", purl=None)
    name = f"{p.namespace}/{p.name}" if p.namespace else p.name
    return VexComponent(name=name, version=p.version or "", purl=purl)


def _current_by_purl(session: Session, release_id: int, purl: str) -> m.Component | None:
    wanted = purl.split("#", 1)[0].split("?", 1)[0].lower()
    for c in session.scalars(
        select(m.Component).where(sboms.current_components(release_id)).order_by(m.Component.id)
    ):
        if c.purl and c.purl.split("#", 1)[0].split("?", 1)[0].lower() == wanted:
            return c
    return None


def _disclosure_components(
    session: Session, d: ReleaseDisclosure, release: m.Release | None
) -> list[VexComponent]:
    """The components a release's disclosure is about, without linked findings: the fix
    release's (as R10's SBOM evidence lists them), or the affected component's purl."""
    purls = [p for _n, _v, p in d.fixed_components if p] if d.fix_release else []
    if not purls and d.component_purl:
        purls = [d.component_purl]
    out = []
    for purl in purls:
        found = _current_by_purl(session, release.id, purl) if release is not None else None
        out.append(_vex_component(found) if found is not None else _purl_component(purl))
    return out


def advisory_facts(
    session: Session, row: m.SecurityIssue, issue: SecurityIssue, policy: Policy,
    publisher: Publisher,
) -> AdvisoryFacts:  # fmt: skip
    """What the advisory of ``issue`` says, from its records and the stored products."""
    disclosures = release_disclosures(issue)
    ids = issue_facts.alias_group(session, row, issue) or issue.intake.vulnerability_ids
    decision = issue.latest(DisclosureDecision)
    if decision is not None and decision.cve_id:
        vulnerability = decision.cve_id
        aliases = tuple(i for i in ids if i != vulnerability)
    elif ids:
        vulnerability, aliases = primary_id(ids)
    else:
        vulnerability, aliases = f"{publisher.name} issue {row.id}", ()
    linked: dict[str, list[VexComponent]] = {}
    for finding, component, where in session.execute(
        select(m.Finding, m.Component, m.Release)
        .join(m.Component, m.Finding.component_id == m.Component.id)
        .join(m.Release, m.Finding.release_id == m.Release.id)
        .where(m.Finding.issue_id == row.id)
        .order_by(m.Finding.id)
    ):
        key = f"{where.product.name}@{where.version}"
        comp = _vex_component(component)
        if finding.status == "active" and comp.key not in {c.key for c in linked.get(key, [])}:
            linked.setdefault(key, []).append(comp)
    products: dict[str, ProductRelease] = {}
    components: dict[str, tuple[VexComponent, ...]] = {}
    for key, d in disclosures.items():
        release = _find_release(session, key)
        if release is not None:
            purl, cpe, _serial = _subject(session, release)
            vendor = release.product.manufacturer or publisher.name
        else:
            purl = cpe = None
            vendor = publisher.name
        products[key] = ProductRelease(key, d.product, d.version, vendor, purl, cpe)
        found = linked.get(key) or _disclosure_components(session, d, release)
        components[key] = tuple(found)
    summary = issues.summary_of(session, row.id, policy)
    described = {a.id: a for a in scanning.load_advisories(session, [vulnerability, *aliases])}
    description = next(
        (
            (a.details or a.summary).strip()
            for i in (vulnerability, *aliases)
            if (a := described.get(i)) is not None and (a.details or a.summary).strip()
        ),
        "",
    )
    return AdvisoryFacts(
        issue_id=row.id,
        title=row.title,
        summary=issue.intake.summary.strip() or row.title,
        vulnerability=vulnerability,
        aliases=tuple(aliases),
        t0=issue.t0,
        analysis=issue.analysis,
        disclosure=decision,
        intake_tlp=issue.intake.tlp,
        releases=tuple(disclosures.values()),
        products=products,
        components=components,
        kev_listed=summary.kev,
        description=description,
    )


def release_blockers(issue: SecurityIssue, at: dt.datetime) -> list[str]:
    """Why the issue's advisory cannot be released (interim or final) at ``at``."""
    out = []
    embargo = issue.intake.embargo_until
    if embargo is not None and at < embargo:
        out.append(f"the embargo lasts until {embargo.isoformat()} (R1 embargo_until)")
    d = issue.latest(DisclosureDecision)
    if d is None:
        out.append("no disclosure decision is recorded (R4)")
        return out
    if d.decision is DisclosureKind.NO_DISCLOSURE:
        out.append("the disclosure decision (R4) is no_disclosure")
    if d.embargo_end is not None and at < d.embargo_end:
        out.append(f"the disclosure decision (R4) defers disclosure until "
                   f"{d.embargo_end.isoformat()}")  # fmt: skip
    elif d.decision is DisclosureKind.DEFER_UNDER_EMBARGO and d.embargo_end is None:
        out.append("the disclosure decision (R4) defers disclosure under an embargo")
    return out


def _advisory_id(
    session: Session, row: m.SecurityIssue, issue: SecurityIssue, policy: Policy, at: dt.datetime
) -> tuple[str, str | None]:
    """(the tracking id, the id of an advisory of the issue released before under another id).

    The tracking id is R10's advisory_id, else the id the issue's advisory was published
    under, else the policy's pattern. When R10 names another id than an advisory the issue
    already released (interim or final), R10's id is a new document that replaces it."""
    named = [r.advisory_id.strip() for r in issue.all(ReleaseAdvisory) if r.advisory_id.strip()]
    published = list(
        session.scalars(
            select(PublicationRow)
            .where(
                PublicationRow.issue_id == row.id,
                PublicationRow.kind == PublicationKind.CSAF_ADVISORY.value,
            )
            .order_by(PublicationRow.id)
        )
    )
    if named:
        wanted = named[-1]
        released = [p.document_id for p in published if p.status != CsafStatus.DRAFT.value]
        replaced = next((d for d in reversed(released) if d != wanted), None)
        return wanted, replaced
    if published:
        return published[-1].document_id, None
    return policy.publishing.advisory_id.format(year=at.year, issue=row.id), None


def publish_advisory(
    session: Session,
    issue_id: int,
    *,
    status: CsafStatus,
    actor: str,
    policy: Policy,
    summary: str | None = None,
    publisher: Publisher | None = None,
    at: dt.datetime | None = None,
) -> Published:
    """Publish (store) a version of the CSAF security advisory of an issue."""
    when = _now(at)
    who = _publisher(policy, publisher)
    row = issues.get_row(session, issue_id, lock=True)
    issue = issues.load(session, row, policy)
    if status is not CsafStatus.DRAFT:
        blockers = release_blockers(issue, when)
        if blockers:
            raise Conflict(
                f"issue {issue_id}'s advisory cannot be published as {status.value}: "
                + "; ".join(blockers)
                + " (a draft can be)"
            )
    facts = advisory_facts(session, row, issue, policy, who)
    tracking_id, replaced = _advisory_id(session, row, issue, policy, when)
    self_url = policy.publishing.advisory_url_of(tracking_id)
    first = not _history(session, PublicationKind.CSAF_ADVISORY, tracking_id)
    if replaced and first and status is not CsafStatus.DRAFT:
        summary = summary or (
            f"Initial release under the advisory id of the R10 release record; replaces {replaced}."
        )

    def build(tracking: Tracking) -> dict[str, Any]:
        return csaf_writer.advisory(facts, who, tracking, self_url=self_url)

    return _csaf_publish(session, kind=PublicationKind.CSAF_ADVISORY, tracking_id=tracking_id,
                         status=status, build=build, summary=summary, actor=actor, at=when,
                         issue_id=row.id)  # fmt: skip


# --------------------------------------------------------------------------- VEX


def _issue_ids(session: Session, row: m.SecurityIssue, issue: SecurityIssue) -> tuple[
    str, tuple[str, ...]]:  # fmt: skip
    ids = issue_facts.alias_group(session, row, issue) or issue.intake.vulnerability_ids
    decision = issue.latest(DisclosureDecision)
    if decision is not None and decision.cve_id:
        return decision.cve_id, tuple(i for i in ids if i != decision.cve_id)
    if ids:
        return primary_id(ids)
    return f"issue {row.id}", ()


def _from_disclosure(
    d: ReleaseDisclosure,
    *,
    vulnerability: str,
    aliases: Sequence[str],
    component: VexComponent | None,
    row: m.SecurityIssue,
    issue: SecurityIssue,
    findings: Sequence[int] = (),
) -> VexStatement:
    analysis = issue.analysis
    what = "the release that brings the fix" if d.fix_release else d.provenance
    return VexStatement(
        vulnerability=vulnerability,
        aliases=tuple(aliases),
        component=component,
        status=d.status,
        source=StatementSource.ISSUE,
        provenance=f"security issue {row.id} ({issue.state.value}): {what}",
        justification=d.justification,
        impact=d.impact,
        action=d.action,
        responses=d.responses,
        remediations=d.remediations,
        issue_id=row.id,
        findings=tuple(findings),
        cwes=analysis.cwes if isinstance(analysis, Analysis) else (),
        cvss=tuple(v for v in (analysis.cvss_v31, analysis.cvss_v40) if v) if analysis else (),
    )


_UNASSESSED_ACTION = (
    "No remediation is available yet; the manufacturer has not assessed the vulnerability in "
    "this release."
)


def _unassessed(
    status: UnassessedStatus,
    *,
    vulnerability: str,
    aliases: Sequence[str],
    component: VexComponent,
    finding: m.Finding,
    why: str,
    cwes: Sequence[str],
) -> VexStatement:
    vex = VexStatus(status.value)
    if vex is VexStatus.AFFECTED:
        remediation = Remediation(RemediationCategory.NONE_AVAILABLE, _UNASSESSED_ACTION)
    else:
        remediation = NOTHING_YET[vex]
    vector = finding.severity or ""
    return VexStatement(
        vulnerability=vulnerability,
        aliases=tuple(aliases),
        component=component,
        status=vex,
        source=StatementSource.UNASSESSED,
        provenance=f"{vex.value.replace('_', ' ')}: matched by psirt (finding {finding.id}, "
        f"first seen {finding.first_seen.date().isoformat()}); {why}",
        action=_UNASSESSED_ACTION if vex is VexStatus.AFFECTED else None,
        remediations=(remediation,),
        findings=(finding.id,),
        cwes=tuple(cwes),
        cvss=(vector,) if _scorable(vector) else (),
    )


def _scorable(vector: str) -> bool:
    """A CVSS v3 or v4 vector psirt can score (an advisory's severity may be anything)."""
    if not vector.startswith(("CVSS:3.", "CVSS:4.0/")):
        return False
    try:
        parse_cvss(vector, source="advisory", location="severity")
    except InputError:
        return False
    return True


def _supplier(
    view: supplier_advisories.StatementView,
    *,
    vulnerability: str,
    aliases: Sequence[str],
    component: VexComponent,
    finding: m.Finding,
) -> VexStatement:
    a = view.assessment
    when = a.at.date().isoformat() if a.at else "?"
    provenance = (
        f"supplier statement ({view.document} version {view.document_version}: "
        f"{view.supplier_status}), confirmed by {a.by} on {when}: {a.rationale}"
    )
    return VexStatement(
        vulnerability=vulnerability,
        aliases=tuple(aliases),
        component=component,
        status=VexStatus.NOT_AFFECTED,
        source=StatementSource.SUPPLIER,
        provenance=provenance,
        justification=justification_of(view.justification),
        impact=(view.impact or "").strip() or provenance,
        findings=(finding.id,),
    )


def release_vex(session: Session, product: str, version: str, policy: Policy) -> ReleaseVex:
    """Every exploitability statement of a release: the one value the three VEX formats are
    written from."""
    release = get_release(session, product, version)
    key = f"{product}@{version}"
    purl, cpe, serial = _subject(session, release)
    doc = sboms.current_sbom(session, release.id)
    unassessed = policy.publishing.unassessed_findings
    loaded: dict[int, tuple[m.SecurityIssue, SecurityIssue, dict[str, ReleaseDisclosure]]] = {}

    def issue_of(issue_id: int) -> tuple[m.SecurityIssue, SecurityIssue,
                                         dict[str, ReleaseDisclosure]]:  # fmt: skip
        if issue_id not in loaded:
            found = session.get(m.SecurityIssue, issue_id)
            assert found is not None
            row, issue = _follow_duplicates(session, found, policy)
            loaded[issue_id] = (row, issue, release_disclosures(issue))
        return loaded[issue_id]

    confirmed: dict[int, supplier_advisories.StatementView] = {}
    for view in supplier_advisories.release_statements(
        session, product=product, version=version, status=VexStatus.NOT_AFFECTED
    ):
        if view.assessment.state == supplier_advisories.Decision.CONFIRMED.value:
            for fid in view.findings:
                confirmed.setdefault(fid, view)
    statements: list[VexStatement] = []
    covered: set[int] = set()  # issues with a statement from one of their findings
    found = session.execute(
        select(m.Finding, m.Component)
        .join(m.Component, m.Finding.component_id == m.Component.id)
        .where(
            m.Finding.release_id == release.id,
            m.Finding.status == "active",
            sboms.current_components(release.id),
        )
        .order_by(m.Finding.id)
    ).all()
    cwes = {
        a.id: a.cwes
        for a in scanning.load_advisories(session, sorted({f.advisory_id for f, _c in found}))
    }
    for finding, component in found:
        vid, aliases = primary_id([finding.advisory_id, *map(str, finding.aliases or ())])
        comp = _vex_component(component)
        if finding.issue_id is not None:
            row, issue, disclosures = issue_of(finding.issue_id)
            d = disclosures.get(key)
            if d is not None:
                ivid, ialiases = _issue_ids(session, row, issue)
                names = {ivid, *ialiases}
                if vid in names or names & set(aliases):
                    merged = dict.fromkeys([*ialiases, vid, *aliases])
                    vid, aliases = ivid, tuple(a for a in merged if a != ivid)
                statements.append(_from_disclosure(d, vulnerability=vid, aliases=aliases,
                                                   component=comp, row=row, issue=issue,
                                                   findings=(finding.id,)))  # fmt: skip
                covered.add(row.id)
                continue
            why = f"security issue {row.id} does not list this release yet"
        elif finding.id in confirmed:
            statements.append(_supplier(confirmed[finding.id], vulnerability=vid,
                                        aliases=aliases, component=comp,
                                        finding=finding))  # fmt: skip
            continue
        else:
            why = "not yet assessed"
        statements.append(_unassessed(unassessed, vulnerability=vid, aliases=aliases,
                                      component=comp, finding=finding, why=why,
                                      cwes=cwes.get(finding.advisory_id, ())))  # fmt: skip
    for issue_row in session.scalars(select(m.SecurityIssue).order_by(m.SecurityIssue.id)):
        if issue_row.id in covered:
            continue
        row, issue, disclosures = issue_of(issue_row.id)
        if row.id != issue_row.id or row.id in covered:
            continue  # a duplicate: its master speaks for it
        d = disclosures.get(key)
        if d is None:
            continue
        vid, aliases = _issue_ids(session, row, issue)
        targets: list[VexComponent | None] = list(_disclosure_components(session, d, release))
        statements.extend(
            _from_disclosure(d, vulnerability=vid, aliases=aliases, component=target, row=row,
                             issue=issue)
            for target in targets or [None]
        )  # fmt: skip
        covered.add(row.id)
    unique: dict[tuple[str, tuple[str, str, str] | None], VexStatement] = {}
    for st in statements:
        unique.setdefault((st.vulnerability, st.component.key if st.component else None), st)
    ordered = sorted(
        unique.values(),
        key=lambda s: (s.vulnerability, s.component.key if s.component else ("", "", "")),
    )
    return ReleaseVex(
        product=product,
        version=version,
        manufacturer=release.product.manufacturer,
        release_status=release.status,
        product_purl=purl,
        product_cpe=cpe,
        sbom_sha256=doc.sha256 if doc is not None else None,
        sbom_serial=serial,
        statements=tuple(ordered),
    )


@functools.cache
def _openvex_validator() -> Any:
    from jsonschema import Draft202012Validator

    from psirt.publish.csaf_validate import SCHEMAS

    schema = json.loads((SCHEMAS / "openvex_json_schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def openvex_problems(doc: Any) -> list[str]:
    """Errors of an OpenVEX document against the OpenVEX 0.2.0 JSON schema."""
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in sorted(_openvex_validator().iter_errors(doc), key=lambda e: list(map(str, e.path)))
    ]


def cyclonedx_problems(data: bytes) -> list[str]:
    """Errors of a CycloneDX 1.6 document against the official JSON schema."""
    from psirt.ingest.sbom.validate import validate_cyclonedx_json

    return [
        f"{e.pointer_or_line}: {e.message}"
        for e in validate_cyclonedx_json(data, source="vex", spec_version="1.6")
    ]


def vex_document_id(policy: Policy, publisher: Publisher, product: str, version: str,
                    fmt: VexFormat) -> str:  # fmt: skip
    """The identity of a release's VEX document in ``fmt``."""
    name = policy.publishing.vex_id.format(product=slug(product), release=slug(version))
    iri = f"{publisher.namespace.rstrip('/')}/vex/{name}"
    match fmt:
        case VexFormat.CSAF:
            return name
        case VexFormat.CYCLONEDX:
            return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, iri)}"
        case VexFormat.OPENVEX:
            return iri


def publish_vex(
    session: Session,
    product: str,
    version: str,
    fmt: VexFormat,
    *,
    actor: str,
    policy: Policy,
    summary: str | None = None,
    publisher: Publisher | None = None,
    at: dt.datetime | None = None,
) -> Published:
    """Publish (store) a version of a release's VEX document in ``fmt``."""
    when = _now(at)
    who = _publisher(policy, publisher)
    vex = release_vex(session, product, version, policy)
    if not vex.statements:
        raise UsageError(
            f"{product} {version}: no vulnerability is matched in its components and no "
            "security issue names it, so there is no statement to publish"
        )
    release = get_release(session, product, version)
    kind = VEX_KIND[fmt]
    document_id = vex_document_id(policy, who, product, version, fmt)
    if fmt is VexFormat.CSAF:
        self_url = policy.publishing.advisory_url_of(document_id)

        def build(tracking: Tracking) -> dict[str, Any]:
            return csaf_writer.vex(vex, who, tracking, self_url=self_url)

        return _csaf_publish(session, kind=kind, tracking_id=document_id,
                             status=CsafStatus.FINAL, build=build, summary=summary,
                             actor=actor, at=when, release_id=release.id)  # fmt: skip
    rows = _history(session, kind, document_id)
    issued = rows[0].published_at if rows else when
    number = len(rows) + 1

    def write(n: int) -> dict[str, Any]:
        if fmt is VexFormat.CYCLONEDX:
            return cyclonedx_writer.document(vex, who, serial=document_id, version=n,
                                             timestamp=when)  # fmt: skip
        return openvex_writer.document(vex, who, document_id=document_id, version=n,
                                       issued=issued, updated=when)  # fmt: skip

    doc = write(number)
    fingerprint = _fingerprint(kind, doc)
    if rows and rows[-1].content_digest == fingerprint:
        return _published(session, rows[-1], unchanged=True)
    content = _json(doc)
    problems = cyclonedx_problems(content) if fmt is VexFormat.CYCLONEDX else openvex_problems(doc)
    if problems:
        raise Conflict(
            f"{document_id} version {number} does not conform to the {fmt.value} schema, so it "
            f"is not published: {'; '.join(problems[:5])}"
        )
    validation: dict[str, Any] = {
        "validator": "CycloneDX 1.6 JSON schema"
        if fmt is VexFormat.CYCLONEDX
        else "OpenVEX 0.2.0 JSON schema",
        "valid": True,
        "problems": [],
    }
    text = (summary or "").strip() or (
        "Initial version." if not rows else f"{len(vex.statements)} statements."
    )
    return _store(session, kind=kind, document_id=document_id, seq=number, version=str(number),
                  status=None, content=content, fingerprint=fingerprint, summary=text,
                  validation=validation, actor=actor, at=when,
                  release_id=release.id)  # fmt: skip


# --------------------------------------------------------------------------- customer advisory


def publish_customer_advisory(
    session: Session,
    issue_id: int,
    fmt: AdvisoryFormat,
    *,
    actor: str,
    at: dt.datetime | None = None,
) -> Published:
    """The customer advisory (HTML or PDF) of the newest published version of an issue's CSAF
    advisory, in plain words; stored like every publication (the same CSAF version gives the
    same bytes, and no new version)."""
    from psirt.publish.customer_advisory import customer_advisory
    from psirt.publish.render import RenderFormat, render

    when = _now(at)
    row = issues.get_row(session, issue_id, lock=True)
    source = session.scalar(
        select(PublicationRow)
        .where(
            PublicationRow.issue_id == row.id,
            PublicationRow.kind == PublicationKind.CSAF_ADVISORY.value,
        )
        .order_by(PublicationRow.id.desc())
        .limit(1)
    )
    if source is None:
        raise UsageError(
            f"issue {issue_id} has no published CSAF advisory yet: publish it first "
            f"('psirt publish csaf {issue_id}'); the customer advisory says what it says"
        )
    csaf = json.loads(source.content)
    content = render(customer_advisory(csaf), RenderFormat(fmt.value))
    kind = PublicationKind.ADVISORY_HTML if fmt is AdvisoryFormat.HTML else (
        PublicationKind.ADVISORY_PDF)  # fmt: skip
    rows = _history(session, kind, source.document_id)
    fingerprint = hashlib.sha256(content).hexdigest()
    if rows and rows[-1].content_digest == fingerprint:
        return _published(session, rows[-1], unchanged=True)
    summary = f"The customer advisory of CSAF version {source.version} (publication {source.id})."
    validation = {"source": source.id, "source_sha256": source.sha256, "problems": []}
    return _store(session, kind=kind, document_id=source.document_id, seq=len(rows) + 1,
                  version=source.version, status=source.status, content=content,
                  fingerprint=fingerprint, summary=summary, validation=validation, actor=actor,
                  at=when, issue_id=row.id)  # fmt: skip


# --------------------------------------------------------------------------- reading


def list_publications(
    session: Session,
    *,
    issue_id: int | None = None,
    product: str | None = None,
    version: str | None = None,
) -> list[Published]:
    q = select(PublicationRow).order_by(PublicationRow.id)
    if issue_id is not None:
        q = q.where(PublicationRow.issue_id == issue_id)
    if product is not None and version is not None:
        q = q.where(PublicationRow.release_id == get_release(session, product, version).id)
    return [_published(session, row, unchanged=False) for row in session.scalars(q)]


def get_publication(session: Session, publication_id: int) -> Published:
    row = session.get(PublicationRow, publication_id)
    if row is None:
        raise NotFound(f"publication {publication_id} does not exist (see 'psirt publish list')")
    return _published(session, row, unchanged=False)
