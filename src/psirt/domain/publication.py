"""What psirt discloses, as domain values: the status and remediations of each release of a
security issue, and the exploitability statements of a release (VEX). Who publishes is
:mod:`psirt.domain.publisher`.

* :func:`release_disclosures`: each release of an issue with the status a customer reads
  (affected, not affected, fixed, under investigation), whether it is the release that brings
  the fix, and its remediations (vendor fix, workaround from an updated intended environment
  of use, mitigation, none available yet, no fix planned), computed from the issue's records
  (release matrix, R5 resolutions, R10 releases, R15 acceptances, R8 customer notices).
* :class:`VexStatement` and :class:`ReleaseVex`: the statements of one release, the one value
  the CSAF VEX, CycloneDX VEX and OpenVEX documents are written from.
* Document versions: :func:`next_csaf_version` (semantic versioning with the rules of CSAF 2.0
  section 3.1.11 and tests 6.1.14 to 6.1.22).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from psirt.domain.csaf import DocumentVersion
from psirt.domain.issue import SecurityIssue
from psirt.domain.records import (
    AffectedRelease,
    Analysis,
    CustomerNotice,
    DisclosureDecision,
    NotAffected,
    ReleaseAdvisory,
    ReleaseStatus,
    ResolutionApproach,
    ResolutionDecision,
    RiskAcceptance,
    VexJustification,
)
from psirt.domain.vex import VexStatus

# --------------------------------------------------------------------------- remediations


class RemediationCategory(StrEnum):
    """CSAF 2.0 remediation categories (section 3.2.3.12)."""

    VENDOR_FIX = "vendor_fix"
    WORKAROUND = "workaround"
    MITIGATION = "mitigation"
    NONE_AVAILABLE = "none_available"
    NO_FIX_PLANNED = "no_fix_planned"


# CycloneDX ``analysis.response`` of each remediation category.
CYCLONEDX_RESPONSE: dict[RemediationCategory, str | None] = {
    RemediationCategory.VENDOR_FIX: "update",
    RemediationCategory.WORKAROUND: "workaround_available",
    RemediationCategory.MITIGATION: "workaround_available",
    RemediationCategory.NONE_AVAILABLE: None,
    RemediationCategory.NO_FIX_PLANNED: "will_not_fix",
}


@dataclass(frozen=True, slots=True)
class Remediation:
    category: RemediationCategory
    details: str
    date: dt.datetime | None = None
    url: str | None = None
    fixed_release: str | None = None  # product@version of the release with the fix


@dataclass(frozen=True, slots=True)
class ReleaseDisclosure:
    """One release of an issue as a customer reads it.

    ``status`` is the release's exploitability: a release resolved by a fix release is still
    ``affected`` (with a vendor fix), the release with the fix is ``fixed`` and ``fix_release``.
    """

    key: str  # product@version
    product: str
    version: str
    status: VexStatus
    fix_release: bool = False
    remediations: tuple[Remediation, ...] = ()
    justification: VexJustification | None = None
    impact: str | None = None  # not affected: why
    component_purl: str | None = None
    fixed_components: tuple[tuple[str, str, str], ...] = ()  # fix release: (name, version, purl)
    provenance: str = ""

    @property
    def action(self) -> str | None:
        """The remediations as one action statement."""
        if not self.remediations:
            return None
        return " ".join(r.details for r in self.remediations)

    @property
    def responses(self) -> tuple[str, ...]:
        found = (CYCLONEDX_RESPONSE[r.category] for r in self.remediations)
        return tuple(dict.fromkeys(r for r in found if r))


def _split(key: str) -> tuple[str, str]:
    product, _, version = key.rpartition("@")
    return product, version


def fix_release_key(issue: SecurityIssue, release: ReleaseAdvisory) -> str:
    """``product@version`` of the release an R10 brings the fix in (records from before psirt
    resolved it name only the version: the product of the releases it fixes, or the issue's)."""
    fixed = SecurityIssue.fixed_release(release)
    if "@" in fixed:
        return fixed
    products = {a.product for a in release.release_statuses if a.status is ReleaseStatus.FIXED}
    if len(products) != 1:
        products = {_split(k)[0] for k in issue.release_matrix()}
    return f"{products.pop()}@{fixed}" if len(products) == 1 else fixed


def _component_purls(issue: SecurityIssue) -> dict[str, str]:
    """product@release -> the affected component's purl, as the newest record names it."""
    out: dict[str, str] = {}
    entries: list[AffectedRelease] = list(issue.intake.affected)
    for analysis in issue.all(Analysis):
        entries.extend(analysis.affected or ())
    for entry in entries:
        if entry.component_purl:
            out[entry.key] = entry.component_purl
    return out


def _date(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).date().isoformat()


def _vendor_fix(key: str, fix_key: str, release: ReleaseAdvisory) -> Remediation:
    product, version = _split(fix_key)
    text = f"Update {product} to version {version}, released {_date(release.released_at)}."
    if release.integrity.strip():
        text += f" Verify the update: {release.integrity.strip()}."
    where = release.update_location.strip()
    url = where if re.match(r"https?://\S+\Z", where) else None
    if where:
        text += f" The update is available from {where}."
    if release.compatibility_statement.strip():
        text += f" {release.compatibility_statement.strip()}"
    return Remediation(RemediationCategory.VENDOR_FIX, _sentence(text), release.released_at,
                       url, fix_key)  # fmt: skip


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _planned_fix(r5: ResolutionDecision) -> Remediation:
    text = "A software update that fixes the vulnerability is in preparation"
    plan = [p for p in r5.version_plan if p.strip()]
    if plan:
        text += f" ({'; '.join(plan)})"
    if r5.target_date is not None:
        text += f"; it is planned for {r5.target_date.isoformat()}"
    return Remediation(RemediationCategory.NONE_AVAILABLE, _sentence(text))


def _environment(product: str, version: str, r5: ResolutionDecision) -> Remediation:
    doc = " ".join(x for x in (r5.environment_document, r5.environment_document_version) if x)
    requirements = "; ".join(r.strip().rstrip(".") for r in r5.environment_requirements)
    text = f"Operate {product} {version} in the updated intended environment of use"
    text += f" ({doc})" if doc else ""
    text += f": {requirements}."
    if r5.labelling_update_ref.strip():
        text += f" Updated labelling: {r5.labelling_update_ref.strip()}."
    return Remediation(RemediationCategory.WORKAROUND, _sentence(text))


def _acceptance(key: str, issue: SecurityIssue) -> list[Remediation]:
    found = [r for r in issue.all(RiskAcceptance) if not r.releases or key in r.releases]
    text = "No fix is planned for this release; the manufacturer evaluated the residual risk"
    if not found:
        return [Remediation(RemediationCategory.NO_FIX_PLANNED, _sentence(text))]
    r15 = found[-1]
    out = [
        Remediation(
            RemediationCategory.NO_FIX_PLANNED,
            _sentence(f"{text}: {r15.residual_risk_statement.strip().rstrip('.')}"),
        )
    ]
    if r15.compensating_controls:
        controls = "; ".join(c.strip().rstrip(".") for c in r15.compensating_controls)
        more = f" See {r15.user_information_ref.strip()}." if r15.user_information_ref else ""
        out.append(Remediation(RemediationCategory.MITIGATION, _sentence(f"{controls}.{more}")))
    return out


def _notice_controls(key: str, issue: SecurityIssue) -> Remediation | None:
    notices = [n for n in issue.all(CustomerNotice) if n.covers(key) and n.compensating_controls]
    if not notices:
        return None
    controls = "; ".join(c.strip().rstrip(".") for c in notices[-1].compensating_controls)
    return Remediation(RemediationCategory.MITIGATION, _sentence(f"Until then: {controls}"))


NOTHING_YET = {
    VexStatus.AFFECTED: Remediation(
        RemediationCategory.NONE_AVAILABLE,
        "No remediation is available yet; the manufacturer is deciding how to resolve the "
        "vulnerability.",
    ),
    VexStatus.UNDER_INVESTIGATION: Remediation(
        RemediationCategory.NONE_AVAILABLE,
        "No remediation is available yet; the manufacturer is investigating whether the release "
        "is affected.",
    ),
}
_APPROACH_WORDS = {
    ResolutionApproach.FIX: "a fix",
    ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE: "an update of the intended environment of use",
    ResolutionApproach.INTERIM_ENVIRONMENT_THEN_FIX: (
        "an update of the intended environment of use until a fix"
    ),
    ResolutionApproach.ACCEPT_RESIDUAL_RISK: "accepting the residual risk",
}


def _provenance(
    status: VexStatus, key: str, r5: ResolutionDecision | None, fixes: Mapping[str, object]
) -> str:
    word = status.value.replace("_", " ")
    if key in fixes:
        return f"{word}; fixed by a later release (R10)"
    if r5 is None:
        return f"{word} (release matrix); no resolution decided yet"
    return f"{word}; resolution decided: {_APPROACH_WORDS[r5.approach]} (R5)"


_FIX = frozenset({ResolutionApproach.FIX, ResolutionApproach.INTERIM_ENVIRONMENT_THEN_FIX})
_ENV = frozenset(
    {ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE, ResolutionApproach.INTERIM_ENVIRONMENT_THEN_FIX}
)


def release_disclosures(issue: SecurityIssue) -> dict[str, ReleaseDisclosure]:
    """product@release -> what the issue's records say about it, in release-matrix order and
    then the fix releases."""
    matrix = issue.release_matrix()
    resolutions = issue.resolutions()
    purls = _component_purls(issue)
    fixes: dict[str, ReleaseAdvisory] = {}  # a release resolved by a fix -> the R10 fixing it
    fix_releases: dict[str, ReleaseAdvisory] = {}  # the release with the fix -> its R10
    for r10 in issue.all(ReleaseAdvisory):
        fix_key = fix_release_key(issue, r10)
        fix_releases[fix_key] = r10
        for a in r10.release_statuses:
            if a.status is ReleaseStatus.FIXED and a.key != fix_key:
                fixes[a.key] = r10
    not_affected = issue.all(NotAffected)
    out: dict[str, ReleaseDisclosure] = {}
    for key in [*matrix, *(k for k in fix_releases if k not in matrix)]:
        product, version = _split(key)
        status = matrix.get(key)
        base = ReleaseDisclosure(key, product, version, VexStatus.AFFECTED,
                                 component_purl=purls.get(key))  # fmt: skip
        if key in fix_releases and status in (None, ReleaseStatus.FIXED):
            r10 = fix_releases[key]
            comps = tuple((c.name, c.version, c.purl) for c in r10.sbom.components) if (
                r10.sbom is not None and r10.sbom.release == key) else ()  # fmt: skip
            out[key] = dataclasses.replace(
                base, status=VexStatus.FIXED, fix_release=True, fixed_components=comps,
                provenance=f"fixed: the release that brings the fix (R10 of "
                f"{_date(r10.released_at)})",
            )  # fmt: skip
            continue
        if status is ReleaseStatus.NOT_AFFECTED:
            covering = [r for r in not_affected if not r.releases or key in r.releases]
            rec = covering[-1] if covering else None
            out[key] = dataclasses.replace(
                base,
                status=VexStatus.NOT_AFFECTED,
                justification=rec.justification if rec else None,
                impact=rec.impact_statement.strip() if rec else None,
                provenance=(
                    f"not affected: {rec.justification.value} (not_affected record approved by "
                    f"{rec.approver})"
                    if rec
                    else "not affected (release matrix)"
                ),
            )
            continue
        if status is ReleaseStatus.FIXED and key not in fixes:
            out[key] = dataclasses.replace(base, status=VexStatus.FIXED,
                                           provenance="fixed (release matrix)")  # fmt: skip
            continue
        remediations: list[Remediation] = []
        r5 = resolutions.get(key)
        if key in fixes:
            r10 = fixes[key]
            remediations.append(_vendor_fix(key, fix_release_key(issue, r10), r10))
        elif r5 is not None and r5.approach in _FIX:
            remediations.append(_planned_fix(r5))
        if r5 is not None and r5.approach in _ENV:
            remediations.append(_environment(product, version, r5))
        if r5 is not None and r5.approach is ResolutionApproach.ACCEPT_RESIDUAL_RISK:
            remediations.extend(_acceptance(key, issue))
        if key not in fixes and (r5 is None or r5.approach not in _ENV):
            controls = _notice_controls(key, issue)
            if controls is not None:
                remediations.append(controls)
        vex = (
            VexStatus.UNDER_INVESTIGATION
            if status is ReleaseStatus.UNDER_INVESTIGATION and key not in fixes
            else VexStatus.AFFECTED
        )
        if not remediations:
            remediations.append(NOTHING_YET[vex])
        out[key] = dataclasses.replace(base, status=vex, remediations=tuple(remediations),
                                       provenance=_provenance(vex, key, r5, fixes))  # fmt: skip
    return out


# --------------------------------------------------------------------------- VEX statements


# CycloneDX ``analysis.justification`` for each CSAF / OpenVEX justification, and back.
TO_CYCLONEDX_JUSTIFICATION: dict[VexJustification, str] = {
    VexJustification.COMPONENT_NOT_PRESENT: "code_not_present",
    VexJustification.VULNERABLE_CODE_NOT_PRESENT: "code_not_present",
    VexJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH: "code_not_reachable",
    VexJustification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY: "requires_environment",
    VexJustification.INLINE_MITIGATIONS_ALREADY_EXIST: "protected_by_mitigating_control",
}
FROM_CYCLONEDX_JUSTIFICATION: dict[str, VexJustification] = {
    "code_not_present": VexJustification.VULNERABLE_CODE_NOT_PRESENT,
    "code_not_reachable": VexJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
    "requires_configuration": VexJustification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    "requires_dependency": VexJustification.COMPONENT_NOT_PRESENT,
    "requires_environment": VexJustification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    "protected_by_compiler": VexJustification.INLINE_MITIGATIONS_ALREADY_EXIST,
    "protected_at_runtime": VexJustification.INLINE_MITIGATIONS_ALREADY_EXIST,
    "protected_at_perimeter": VexJustification.INLINE_MITIGATIONS_ALREADY_EXIST,
    "protected_by_mitigating_control": VexJustification.INLINE_MITIGATIONS_ALREADY_EXIST,
}
CYCLONEDX_STATE: dict[VexStatus, str] = {
    VexStatus.AFFECTED: "exploitable",
    VexStatus.NOT_AFFECTED: "not_affected",
    VexStatus.FIXED: "resolved",
    VexStatus.UNDER_INVESTIGATION: "in_triage",
}


def justification_of(word: str | None) -> VexJustification | None:
    """A CSAF / OpenVEX justification, or a CycloneDX one mapped to it; None otherwise."""
    if not word:
        return None
    try:
        return VexJustification(word)
    except ValueError:
        return FROM_CYCLONEDX_JUSTIFICATION.get(word)


class StatementSource(StrEnum):
    ISSUE = "issue"  # the records of a security issue
    SUPPLIER = "supplier"  # a supplier's not-affected confirmed by a person
    UNASSESSED = "unassessed"  # a matched vulnerability nobody has assessed yet


@dataclass(frozen=True, slots=True)
class VexComponent:
    """A component of the release a statement is about, as the release's SBOM lists it."""

    name: str
    version: str
    purl: str | None = None
    cpe: str | None = None
    bom_ref: str | None = None
    supplier: str | None = None
    type: str = "library"  # CycloneDX component type

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.version, (self.purl or "").lower())


@dataclass(frozen=True, slots=True)
class VexStatement:
    """One (vulnerability, component of the release) statement. ``component`` None: about the
    release as a whole (no component of it is known to the records)."""

    vulnerability: str  # the primary id (a CVE when one is known)
    aliases: tuple[str, ...]  # every other id of the vulnerability
    component: VexComponent | None
    status: VexStatus
    source: StatementSource
    provenance: str  # how the status was determined, in words
    justification: VexJustification | None = None
    impact: str | None = None
    action: str | None = None
    responses: tuple[str, ...] = ()  # CycloneDX analysis.response
    remediations: tuple[Remediation, ...] = ()
    issue_id: int | None = None
    findings: tuple[int, ...] = ()
    cwes: tuple[str, ...] = ()
    cvss: tuple[str, ...] = ()  # CVSS vectors: the analysis's, or the matched advisory's

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.vulnerability, *self.aliases)


@dataclass(frozen=True, slots=True)
class ReleaseVex:
    """Every exploitability statement of one release."""

    product: str
    version: str
    manufacturer: str
    release_status: str
    product_purl: str | None
    product_cpe: str | None
    sbom_sha256: str | None
    sbom_serial: str | None
    statements: tuple[VexStatement, ...]

    @property
    def key(self) -> str:
        return f"{self.product}@{self.version}"


def primary_id(ids: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """(the id a statement is named by, the others): the first CVE, else the first id."""
    unique = list(dict.fromkeys(i for i in ids if i))
    cves = sorted(i for i in unique if i.upper().startswith("CVE-"))
    first = cves[0] if cves else unique[0]
    return first, tuple(i for i in unique if i != first)


# --------------------------------------------------------------------------- versions


class ChangeKind(StrEnum):
    """How a new CSAF document differs from the last released one (section 3.1.11.2)."""

    MAJOR = "major"  # product status, scores or the vulnerabilities changed
    MINOR = "minor"  # other content, or the status


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    """A stored publication of one document, as the version rules need it."""

    version: str
    status: str  # draft | interim | final
    at: dt.datetime
    summary: str


def next_csaf_version(
    history: Sequence[PublishedVersion], status: str, change: ChangeKind
) -> tuple[str, list[PublishedVersion]]:
    """The version of a new publication and the revisions its revision history lists.

    Drafts before the first release are 0.1.0, 0.2.0, ...; the first interim or final
    version is 1.0.0 (and its history leaves the drafts out, test 6.1.18); later releases
    raise the major version for a ``MAJOR`` change and the minor version otherwise. A draft
    after a release carries the version it prepares with a pre-release part
    (``1.1.0-draft.2``) and lists that version last in its history (tests 6.1.16, 6.1.19)."""
    released = [h for h in history if h.status != "draft"]
    if not released:
        if status == "draft":
            n = sum(1 for h in history if h.status == "draft") + 1
            return f"0.{n}.0", list(history)
        return "1.0.0", []
    last = DocumentVersion.parse(released[-1].version)
    assert last is not None and not last.integer
    if change is ChangeKind.MAJOR:
        target = f"{last.major + 1}.0.0"
    else:
        target = f"{last.major}.{last.minor + 1}.0"
    if status == "draft":
        since = [h for h in history if h.status == "draft" and h.at > released[-1].at]
        return f"{target}-draft.{len(since) + 1}", list(released)
    return target, list(released)


def csaf_change(old: Mapping[str, object], new: Mapping[str, object]) -> ChangeKind:
    """MAJOR when the vulnerabilities' ids, product status or scores differ, else MINOR."""

    def essence(doc: Mapping[str, object]) -> list[object]:
        vulns = doc.get("vulnerabilities")
        return [
            [v.get("cve"), v.get("ids"), v.get("product_status"), v.get("scores")]
            for v in (vulns if isinstance(vulns, list) else ())
            if isinstance(v, dict)
        ]

    return ChangeKind.MAJOR if essence(old) != essence(new) else ChangeKind.MINOR


@dataclass(frozen=True, slots=True)
class Tracking:
    """What identifies one version of a CSAF document (``document.tracking``)."""

    id: str
    version: str
    status: str
    initial_release: dt.datetime
    current_release: dt.datetime
    revisions: tuple[PublishedVersion, ...]  # the revision history, this version last


# --------------------------------------------------------------------------- advisory facts


@dataclass(frozen=True, slots=True)
class ProductRelease:
    """A release as a product tree names it."""

    key: str  # product@version
    product: str
    version: str
    vendor: str
    purl: str | None = None
    cpe: str | None = None


@dataclass(frozen=True, slots=True)
class AdvisoryFacts:
    """Everything a security advisory of one issue says, gathered from its records and the
    stored products: the CSAF document and the customer advisory are written from it."""

    issue_id: int
    title: str
    summary: str
    vulnerability: str  # the primary id (CVE when known)
    aliases: tuple[str, ...]
    t0: dt.datetime
    analysis: Analysis | None
    disclosure: DisclosureDecision | None
    intake_tlp: str | None
    releases: tuple[ReleaseDisclosure, ...]
    products: Mapping[str, ProductRelease]  # product@version -> the release
    components: Mapping[str, tuple[VexComponent, ...]]  # product@version -> affected component
    kev_listed: bool
    description: str = ""  # the vulnerability as the stored advisories describe it
