"""Resolve record references (``psirt.domain.reference``) against the store.

``resolve`` looks the record up and returns the reference as it is stored: the canonical form,
with a release-gate review pinned to the version of its minutes that was current. An unknown
record raises ``NotFound`` naming the reference as given and what was looked up.
"""

from __future__ import annotations

import dataclasses
from typing import assert_never

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from psirt.domain.reference import RecordReference, ReferenceKind
from psirt.errors import NotFound
from psirt.services import catalog
from psirt.store import models as m
from psirt.store.models_activities import Activity, ScanIdentity
from psirt.store.models_release_gate import ReleaseGateReviewRow


def _review(session: Session, ref: RecordReference, given: str) -> RecordReference:
    try:
        release = catalog.get_release(session, ref.product, ref.version)
    except NotFound as exc:
        raise NotFound(f"{given}: {exc}") from None
    q = select(ReleaseGateReviewRow.seq).where(ReleaseGateReviewRow.release_id == release.id)
    if ref.seq is None:
        seq = session.scalar(select(func.max(ReleaseGateReviewRow.seq)).where(
            ReleaseGateReviewRow.release_id == release.id))  # fmt: skip
        if seq is None:
            raise NotFound(f"{given}: no release-gate review of {ref.product} {ref.version} "
                           "(see 'psirt release review')")  # fmt: skip
        return dataclasses.replace(ref, seq=seq)
    if session.scalar(q.where(ReleaseGateReviewRow.seq == ref.seq)) is None:
        raise NotFound(f"{given}: the release-gate review of {ref.product} {ref.version} has no "
                       f"version {ref.seq} (see 'psirt release gate')")  # fmt: skip
    return ref


def resolve(session: Session, text: str, *, source: str = "--reference") -> RecordReference:
    """The stored record ``text`` names (see ``psirt.domain.reference`` for the forms)."""
    ref = RecordReference.parse(text, source=source)
    given = f"{source} {text.strip()!r}"
    found: object
    match ref.kind:
        case ReferenceKind.ISSUE:
            found = session.get(m.SecurityIssue, ref.number)
            what, where = f"security issue {ref.number}", "psirt issue list"
        case ReferenceKind.FINDING:
            found = session.get(m.Finding, ref.number)
            what, where = f"SBOM finding {ref.number}", "psirt findings list"
        case ReferenceKind.SCAN_FINDING:
            found = session.get(ScanIdentity, ref.number)
            what, where = f"scanner finding {ref.number}", "psirt scans findings"
        case ReferenceKind.ACTIVITY:
            found = session.get(Activity, ref.number)
            what, where = f"activity {ref.number}", "psirt activities list"
        case ReferenceKind.REVIEW:
            return _review(session, ref, given)
        case _:
            assert_never(ref.kind)
    if found is None:
        raise NotFound(f"{given}: {what} does not exist (see '{where}')")
    return ref
