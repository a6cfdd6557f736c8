"""The audit trail as the entrypoints use it: verification of the chain, of every evidence
table's seal and of every issue's decision records; the head; the newest events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from psirt.domain.policy import Policy
from psirt.services import issues
from psirt.store import audit
from psirt.store.audit import Head, VerifyProblem, VerifyReport

__all__ = ["Head", "VerifyProblem", "VerifyReport", "event_count", "head", "newest", "verify"]


def verify(
    session: Session,
    *,
    policy: Policy,
    progress: Callable[[int], None] | None = None,
    expected_head: Head | None = None,
) -> VerifyReport:
    """Recompute the chain, check every seal and object digest and, for every security issue,
    rebuild each decision record and match the digest the chain recorded for it."""
    report = audit.verify(session, progress=progress, expected_head=expected_head)
    event_problems = issues.verify_events(session, policy)
    if not event_problems:
        return report
    return VerifyReport(
        report.events,
        report.problems
        + tuple(VerifyProblem(None, f"issue {p.issue_id}", p.reason) for p in event_problems),
    )


def event_count(session: Session) -> int:
    return audit.event_count(session)


def head(session: Session) -> tuple[Head | None, int]:
    """The newest event and the number of events."""
    return audit.head(session), audit.event_count(session)


def newest(session: Session, *, limit: int, object_type: str | None = None) -> list[dict[str, Any]]:
    """The newest events as rows for listing (newest first)."""
    return [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "object": f"{e.object_type} {e.object_id}",
            "hash": e.hash,
            "detail": e.detail,
        }
        for e in audit.newest(session, limit=limit, object_type=object_type)
    ]
