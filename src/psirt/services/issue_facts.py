"""What psirt computes for an issue's records from the store, instead of taking a person's word.

* R9 ``rescan``: the release R9's ``software_version`` names, its newest stored SBOM, the last
  ``sbom_scan`` of it, and the active findings of its current components (those of that SBOM)
  that still match the issue's vulnerability (any id of its alias group, or a CVE an advisory
  names as related).
* R10 ``sbom``: the fixed release's newest stored SBOM (document id, sha256) and how it lists
  the issue's component: the entries of the same package, and whether the affected version is
  still listed.

A version is ``PRODUCT@VERSION`` or a version of one of the products of the issue's release
matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from psirt.domain.activity import ActivityType
from psirt.domain.issue import SecurityIssue
from psirt.domain.records import ComponentRef, FindingRef, RescanResult, SbomEvidence
from psirt.domain.sbom import Component
from psirt.errors import UsageError
from psirt.ingest.sbom.diff import component_key
from psirt.services import sboms
from psirt.store import models as m
from psirt.store.models_activities import Activity

CHUNK = 900


def _products(issue: SecurityIssue) -> list[str]:
    return list(dict.fromkeys(key.rpartition("@")[0] for key in issue.release_matrix()))


def resolve_release(
    session: Session, issue: SecurityIssue, version: str
) -> tuple[str, m.Release | None]:
    """(product@version, the stored release or None) for a record's version text."""
    text = version.strip()
    product, at, ver = text.rpartition("@")
    products = _products(issue)
    if at and product:
        candidates = [product]
    else:
        candidates, ver = products, text
    found = [
        (name, release)
        for name in candidates
        for release in session.scalars(
            select(m.Release)
            .join(m.Product, m.Release.product_id == m.Product.id)
            .where(m.Product.name == name, m.Release.version == ver)
        )
    ]
    if len(found) > 1:
        names = ", ".join(f"{name}@{ver}" for name, _ in found)
        raise UsageError(f"{text!r} names a release of several products ({names}); "
                         "write PRODUCT@VERSION")  # fmt: skip
    if found:
        name, release = found[0]
        return f"{name}@{ver}", release
    if len(candidates) == 1:
        return f"{candidates[0]}@{ver}", None
    return text, None


def alias_group(session: Session, row: m.SecurityIssue, issue: SecurityIssue) -> tuple[str, ...]:
    """The issue's vulnerability ids: the intake's, its linked findings' and the aliases the
    stored advisories of those ids give (CVE ids first)."""
    ids = set(issue.intake.vulnerability_ids)
    for advisory_id, aliases in session.execute(
        select(m.Finding.advisory_id, m.Finding.aliases).where(m.Finding.issue_id == row.id)
    ):
        ids.add(advisory_id)
        ids.update(str(a) for a in aliases or ())
    known = sorted(ids)
    for start in range(0, len(known), CHUNK):
        for aliases in session.scalars(
            select(m.Advisory.aliases).where(m.Advisory.id.in_(known[start : start + CHUNK]))
        ):
            ids.update(str(a) for a in aliases or ())
    cves = sorted(i for i in ids if i.startswith("CVE-"))
    return tuple(cves + sorted(i for i in ids if not i.startswith("CVE-")))


def rescan(
    session: Session, row: m.SecurityIssue, issue: SecurityIssue, version: str
) -> RescanResult:
    """R9's re-scan: the fixed release's stored findings checked for the issue's vulnerability."""
    key, release = resolve_release(session, issue, version)
    ids = alias_group(session, row, issue)
    if release is None:
        return RescanResult(key, False, ids)
    doc = sboms.current_sbom(session, release.id)
    if doc is None:
        return RescanResult(key, True, ids)
    scan = session.scalar(
        select(Activity)
        .where(Activity.release_id == release.id, Activity.type == ActivityType.SBOM_SCAN.value)
        .order_by(Activity.started.desc(), Activity.id.desc())
        .limit(1)
    )
    wanted = set(ids)
    checked = 0
    found: list[FindingRef] = []
    rows = session.execute(
        select(m.Finding, m.Component)
        .join(m.Component, m.Finding.component_id == m.Component.id)
        .where(
            m.Finding.release_id == release.id,
            m.Finding.status == "active",
            sboms.current_components(release.id),
        )
        .order_by(m.Finding.id)
    )
    for finding, component in rows:
        checked += 1
        names = {finding.advisory_id, *map(str, finding.aliases or ()),
                 *map(str, finding.related or ())}  # fmt: skip
        if names & wanted:
            found.append(FindingRef(finding.id, finding.advisory_id, component.name,
                                    component.version, component.purl or ""))  # fmt: skip
    return RescanResult(
        release=key,
        release_stored=True,
        vulnerability_ids=ids,
        sbom_document_id=doc.id,
        sbom_sha256=doc.sha256,
        sbom_imported_at=doc.imported_at,
        scan_activity_id=scan.id if scan is not None else None,
        scanned_at=(scan.ended or scan.started) if scan is not None else None,
        scan_tool=f"{scan.tool or ''} {scan.tool_version or ''}".strip() if scan else "",
        findings_checked=checked,
        found=tuple(found),
    )


def _package(purl: str) -> str:
    return component_key(Component(name="", purl=purl))


def _exact(purl: str) -> str:
    return purl.split("#", 1)[0].split("?", 1)[0].lower()


def affected_purls(session: Session, row: m.SecurityIssue, issue: SecurityIssue) -> list[str]:
    """Package URLs of the issue's components: named in intake and analyses, or linked findings'."""
    purls = list(issue.component_purls())
    purls.extend(
        p
        for p in session.scalars(
            select(m.Component.purl)
            .join(m.Finding, m.Finding.component_id == m.Component.id)
            .where(m.Finding.issue_id == row.id)
        )
        if p
    )
    return list(dict.fromkeys(purls))


def sbom_evidence(
    session: Session, row: m.SecurityIssue, issue: SecurityIssue, version: str
) -> SbomEvidence:
    """R10's SBOM evidence of the fixed release."""
    key, release = resolve_release(session, issue, version)
    if release is None:
        return SbomEvidence(key, False)
    doc = sboms.current_sbom(session, release.id)
    if doc is None:
        return SbomEvidence(key, True)
    purls: Sequence[str] = affected_purls(session, row, issue)
    packages = sorted({_package(p) for p in purls if p.startswith("pkg:")})
    affected = {_exact(p) for p in purls}
    components: list[ComponentRef] = []
    if packages:
        lowered = func.lower(m.Component.purl)
        rows = session.execute(
            select(m.Component.name, m.Component.version, m.Component.purl)
            .where(
                sboms.current_components(release.id),
                or_(
                    *(
                        or_(lowered == p, lowered.startswith(f"{p}@", autoescape=True))
                        for p in packages
                    )
                ),
            )  # fmt: skip
            .order_by(m.Component.id)
        )
        components = [ComponentRef(name, version or "", purl or "") for name, version, purl in rows]
    return SbomEvidence(
        release=key,
        release_stored=True,
        document_id=doc.id,
        sha256=doc.sha256,
        imported_at=doc.imported_at,
        components=tuple(components),
        still_listed=tuple(c for c in components if c.purl and _exact(c.purl) in affected),
    )
