"""Versions of the Security Issue Resolution Procedure: issue, sign, list, render.

The procedure is written from the active policy and the store's products and test plans
(:func:`psirt.publish.procedure.procedure_body`). ``issue`` stores a new version when that text or
the policy differs from the newest version (numbered 1, 2, 3 ...; the policy goes into the audit
chain as object type ``policy`` if it is not there yet); ``sign`` appends a signature over a
version's content digest, checked against the ``[approvals.procedure]`` rule the version was
issued under and the active policy's ``[people]``. Both append an audit event (object type
``procedure``) in the caller's transaction; the tables are sealed in the chain. ``document``
builds what the renderers print: a stored version exactly as issued, with its signatures, or a
draft of the next version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from psirt.domain.policy import ApprovalKind, ApprovalRule, Policy
from psirt.domain.procedure import (
    approval_rule_from_dict,
    approval_rule_to_dict,
    body_digest,
    content_digest,
    missing_approvals,
    policy_changes,
)
from psirt.domain.records import Role, Signature, SignatureMeaning
from psirt.errors import Conflict, InputError, IntegrityError, NotFound, UsageError
from psirt.publish.document import Document
from psirt.publish.procedure import (
    PlanFact,
    ProcedureFacts,
    ProductFact,
    VersionView,
    procedure_body,
    procedure_document,
)
from psirt.services import activities, policy_store
from psirt.services.issues import Signer
from psirt.store import audit
from psirt.store import models as m
from psirt.store.models_procedure import ProcedureSignatureRow, ProcedureVersionRow

OBJECT_TYPE = "procedure"


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """An issued version with its signatures and what its approval still needs."""

    id: int
    version: int
    document_id: str
    policy_digest: str
    body: Mapping[str, Any]
    body_digest: str
    content_digest: str
    approval: ApprovalRule
    changes: tuple[str, ...]
    note: str
    issued_by: str
    issued_at: dt.datetime
    signatures: tuple[Signature, ...]
    missing: tuple[str, ...]
    approved_at: dt.datetime | None
    superseded_by: int | None

    @property
    def approved(self) -> bool:
        return not self.missing

    @property
    def status(self) -> str:
        if self.superseded_by is not None:
            was = "was approved" if self.approved else "was not approved"
            return f"Superseded by version {self.superseded_by} ({was})"
        if self.approved:
            return "Approved, in force"
        return "Issued, awaiting " + "; ".join(self.missing)

    def view(self) -> VersionView:
        return VersionView(self.version, self.issued_by, self.issued_at, self.policy_digest,
                           self.content_digest, self.changes, self.note)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "document_id": self.document_id,
            "status": self.status,
            "approved": self.approved,
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "missing": list(self.missing),
            "superseded_by": self.superseded_by,
            "issued_by": self.issued_by,
            "issued_at": self.issued_at.isoformat(),
            "policy_digest": self.policy_digest,
            "body_digest": self.body_digest,
            "content_digest": self.content_digest,
            "approval": approval_rule_to_dict(self.approval),
            "changes": list(self.changes),
            "note": self.note,
            "signatures": [s.to_dict() for s in self.signatures],
        }


def _now(at: dt.datetime | None) -> dt.datetime:
    value = at or dt.datetime.now(dt.UTC)
    if value.tzinfo is None:
        raise InputError("procedure", "at", "date-time needs a time zone")
    return value.astimezone(dt.UTC)


# --------------------------------------------------------------------------- reading


def facts(session: Session) -> ProcedureFacts:
    """The products in scope and the test plans in force, in name order."""
    products = session.scalars(select(m.Product).order_by(m.Product.name)).all()
    plans = []
    for product in products:
        current = activities.current_plan(session, product.name)
        if current is not None:
            plans.append(PlanFact(product.name, current[0].requirements))
    return ProcedureFacts(tuple(ProductFact(p.name, p.description) for p in products), tuple(plans))


def draft_body(session: Session, policy: Policy) -> dict[str, Any]:
    return procedure_body(policy, facts(session))


def _signature(row: ProcedureSignatureRow, where: str) -> Signature:
    try:
        return Signature(row.signer, Role(row.role), SignatureMeaning(row.meaning), row.signed_at,
                         row.content_digest)  # fmt: skip
    except (ValueError, InputError) as exc:
        raise IntegrityError(f"{where}: stored signature {row.id} does not decode: {exc}") from None


def _approved_at(
    rule: ApprovalRule, signatures: Sequence[Signature], *, author: str, digest: str
) -> dt.datetime | None:
    """When the last signature the rule needed was given (None: not approved)."""
    ordered = sorted(signatures, key=lambda s: s.signed_at)
    for i, sig in enumerate(ordered):
        if not missing_approvals(rule, ordered[: i + 1], author=author, digest=digest):
            return sig.signed_at
    return None


def _stored(
    row: ProcedureVersionRow, sig_rows: Sequence[ProcedureSignatureRow], newest: int
) -> StoredVersion:
    where = f"procedure_versions {row.id} (version {row.version})"
    if body_digest(row.body) != row.body_digest:
        raise IntegrityError(f"{where}: the stored text does not match its digest")
    expected = content_digest(version=row.version, issued_on=row.issued_at.date(),
                              policy_digest=row.policy_digest, body=row.body_digest)  # fmt: skip
    if expected != row.content_digest:
        raise IntegrityError(f"{where}: the content digest does not match the version")
    try:
        rule = approval_rule_from_dict(row.approval, source=where)
    except InputError as exc:
        raise IntegrityError(str(exc)) from None
    sigs = tuple(_signature(s, where) for s in sig_rows)
    missing = missing_approvals(rule, sigs, author=row.issued_by, digest=row.content_digest)
    return StoredVersion(
        id=row.id,
        version=row.version,
        document_id=row.document_id,
        policy_digest=row.policy_digest,
        body=row.body,
        body_digest=row.body_digest,
        content_digest=row.content_digest,
        approval=rule,
        changes=tuple(str(c) for c in row.changes),
        note=row.note,
        issued_by=row.issued_by,
        issued_at=row.issued_at,
        signatures=sigs,
        missing=tuple(missing),
        approved_at=_approved_at(rule, sigs, author=row.issued_by, digest=row.content_digest),
        superseded_by=row.version + 1 if row.version < newest else None,
    )


def versions(session: Session) -> list[StoredVersion]:
    """Every issued version, oldest first."""
    rows = session.scalars(select(ProcedureVersionRow).order_by(ProcedureVersionRow.version)).all()
    if not rows:
        return []
    sigs: dict[int, list[ProcedureSignatureRow]] = {}
    for sig in session.scalars(select(ProcedureSignatureRow).order_by(ProcedureSignatureRow.id)):
        sigs.setdefault(sig.version_id, []).append(sig)
    newest = rows[-1].version
    return [_stored(r, sigs.get(r.id, []), newest) for r in rows]


def get_version(session: Session, version: int | None = None) -> StoredVersion:
    """Version ``version`` (default: the newest)."""
    found = versions(session)
    if not found:
        raise NotFound("no version of the procedure has been issued (psirt procedure issue)")
    if version is None:
        return found[-1]
    for v in found:
        if v.version == version:
            return v
    raise NotFound(f"no procedure version {version}; versions 1 to {found[-1].version} exist")


# --------------------------------------------------------------------------- writing


def _section_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    def by_number(body: Mapping[str, Any]) -> dict[str, Any]:
        sections = body.get("sections")
        return {str(s.get("number")): s for s in sections} if isinstance(sections, list) else {}

    before, after = by_number(old), by_number(new)
    out = []
    for number, section in after.items():
        title = section.get("title", "")
        if number not in before:
            out.append(f"section {number} {title} added")
        elif before[number] != section:
            out.append(f"section {number} {title} changed")
    out += [f"section {n} {s.get('title', '')} removed" for n, s in before.items()
            if n not in after]  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    version: StoredVersion
    issued: bool  # False: the newest version already is this text under this policy


def issue(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    note: str = "",
    at: dt.datetime | None = None,
) -> IssueOutcome:
    """Issue the procedure written from ``policy`` as a new version, unless the newest version
    has the same text and policy."""
    body = draft_body(session, policy)
    digest = body_digest(body)
    newest = session.scalar(
        select(ProcedureVersionRow).order_by(ProcedureVersionRow.version.desc()).limit(1)
    )
    if (
        newest is not None
        and newest.body_digest == digest
        and newest.policy_digest == policy.digest
    ):
        return IssueOutcome(get_version(session, newest.version), issued=False)
    when = _now(at)
    if newest is not None and when < newest.issued_at:
        raise Conflict(f"{when.isoformat()} is before version {newest.version} was issued")
    number = (newest.version if newest is not None else 0) + 1
    changes: list[str] = []
    if newest is not None:
        old_policy = policy_store.recorded_document(session, newest.policy_digest)
        changes = policy_changes(old_policy, policy_store.plain_document(policy))
        changes += _section_changes(newest.body, body)
    policy_store.record_policy(session, policy, actor=actor)
    rule = policy.approvals[ApprovalKind.PROCEDURE]
    row = ProcedureVersionRow(
        version=number,
        document_id=policy.procedure.document_id,
        policy_digest=policy.digest,
        body=body,
        body_digest=digest,
        content_digest=content_digest(
            version=number, issued_on=when.date(), policy_digest=policy.digest, body=digest
        ),  # fmt: skip
        approval=approval_rule_to_dict(rule),
        changes=changes,
        note=note.strip(),
        issued_by=actor,
        issued_at=when,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="procedure.issue",
        object_type=OBJECT_TYPE,
        object_id=f"{row.document_id} v{number}",
        after=row.content_digest,
        detail={
            "version": number,
            "document_id": row.document_id,
            "policy_digest": policy.digest,
            "body_digest": digest,
            "content_digest": row.content_digest,
            "approval": row.approval,
            "changes": changes,
            "note": row.note,
        },
        at=when,
    )
    return IssueOutcome(get_version(session, number), issued=True)


def sign(
    session: Session,
    *,
    signer: Signer,
    policy: Policy,
    version: int | None = None,
    expected_digest: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[StoredVersion, Signature]:
    """Sign a version (default: the newest) as ``signer``; only the newest version is signed."""
    target = get_version(session, version)
    if target.superseded_by is not None:
        raise Conflict(f"procedure version {target.version} is superseded by version "
                       f"{target.superseded_by}; sign that one")  # fmt: skip
    if expected_digest is not None and not target.content_digest.startswith(
        expected_digest.strip().lower()
    ):
        raise Conflict(f"procedure version {target.version} has content digest "
                       f"{target.content_digest}, not {expected_digest}")  # fmt: skip
    if signer.meaning is SignatureMeaning.AUTHORED:
        raise UsageError("the issuer is the author of a version; sign as reviewed or approved")
    rule = target.approval
    if signer.meaning is SignatureMeaning.APPROVED:
        if signer.role not in rule.roles:
            named = ", ".join(r.value for r in rule.roles)
            raise Conflict(f"role {signer.role.value} does not approve procedure version "
                           f"{target.version}; its policy names {named}")  # fmt: skip
        if rule.distinct_from_author and signer.who == target.issued_by:
            raise Conflict(f"{signer.who} issued procedure version {target.version} and may not "
                           "approve it")  # fmt: skip
    held = policy.roles_of(signer.who)
    if held is not None and signer.role not in held:
        raise Conflict(f"{signer.who} does not hold role {signer.role.value} in the policy")
    for s in target.signatures:
        if (s.signer, s.role, s.meaning) == (signer.who, signer.role, signer.meaning):
            raise Conflict(f"{signer.who} already signed procedure version {target.version} as "
                           f"{signer.role.value} ({signer.meaning.value})")  # fmt: skip
    when = _now(at)
    if when < target.issued_at:
        raise Conflict(f"{when.isoformat()} is before version {target.version} was issued")
    sig = Signature(signer.who, signer.role, signer.meaning, when, target.content_digest)
    row = ProcedureSignatureRow(
        version_id=target.id,
        signer=sig.signer,
        role=sig.role.value,
        meaning=sig.meaning.value,
        content_digest=sig.digest_sha256,
        policy_digest=policy.digest,
        signed_at=when,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=signer.who,
        action="procedure.sign",
        object_type=OBJECT_TYPE,
        object_id=f"{target.document_id} v{target.version}",
        after=target.content_digest,
        detail={
            "version": target.version,
            "signature": sig.to_dict(),
            "policy_digest": policy.digest,
        },  # fmt: skip
        at=when,
    )
    return get_version(session, target.version), sig


# --------------------------------------------------------------------------- rendering


def _required(rule: ApprovalRule) -> str:
    roles = ", ".join(r.value for r in rule.roles)
    text = f"each of {roles}" if rule.all and len(rule.roles) > 1 else roles
    if not rule.all and len(rule.roles) > 1:
        text = f"one of {roles}"
    return text + (", not the issuer" if rule.distinct_from_author else "")


@dataclass(frozen=True, slots=True)
class Rendered:
    document: Document
    version: int | None  # None: a draft
    file_stem: str


def document(session: Session, policy: Policy, version: int | None = None) -> Rendered:
    """The document of issued ``version``; without one, the newest version when it is the text
    the active policy gives, else a draft of the next version."""
    found = versions(session)
    if version is not None:
        target = get_version(session, version)
    else:
        body = draft_body(session, policy)
        newest = found[-1] if found else None
        if (
            newest is not None
            and newest.body_digest == body_digest(body)
            and newest.policy_digest == policy.digest
        ):
            target = newest
        else:
            status = "Draft: not issued"
            if newest is not None:
                status += f"; differs from version {newest.version}"
            doc = procedure_document(
                body,
                version=None,
                status=status,
                history=[v.view() for v in found],
                required=_required(policy.approvals[ApprovalKind.PROCEDURE]),
                policy_digest=policy.digest,
                draft_of=(newest.version + 1) if newest else 1,
            )
            return Rendered(doc, None, "security-issue-resolution-procedure-draft")
    history = [v.view() for v in found if v.version <= target.version]
    doc = procedure_document(
        target.body,
        version=target.view(),
        status=target.status,
        history=history,
        signatures=target.signatures,
        required=_required(target.approval),
        approved_at=target.approved_at,
        policy_digest=target.policy_digest,
        pending=tuple(target.missing),
    )
    return Rendered(doc, target.version, f"security-issue-resolution-procedure-v{target.version}")


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ProcedureVersionRow)) or 0)
