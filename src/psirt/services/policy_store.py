"""The active lifecycle policy and the record of every policy decisions were made under.

The active policy is the shipped default merged with an optional user TOML, named by
``--policy FILE`` or the ``PSIRT_POLICY`` environment variable. The first time a decision is
made under a policy, its merged document goes into the audit chain (object type ``policy``,
object id = its digest), so the digest stored with each issue event can be resolved to the rules
that applied, and the document can be re-digested to prove it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from psirt.domain.policy import Policy, default_policy, load_policy
from psirt.domain.records import sha256_of
from psirt.errors import InputError, NotFound
from psirt.ingest import limits
from psirt.ingest.text import decode_utf8
from psirt.store import audit
from psirt.store import models as m

ENV = "PSIRT_POLICY"


def active_policy(path: str | Path | None = None) -> Policy:
    """The default policy merged with ``path`` (or ``$PSIRT_POLICY``) when one is given."""
    chosen = str(path) if path else os.environ.get(ENV, "")
    if not chosen:
        return default_policy()
    file = Path(chosen)
    if not file.exists():
        raise InputError(chosen, None, "no such policy file")
    data = limits.read_file(file, limits.resolve(limits.InputKind.RECORD))
    return load_policy(decode_utf8(data, chosen, keep_nul=True), source=chosen)


def plain_document(policy: Policy) -> Any:
    """The policy's merged document as plain JSON values."""

    # MappingProxyType -> plain JSON values (the document holds TOML scalars, arrays, tables).
    def plain(value: Any) -> Any:
        if isinstance(value, dict) or hasattr(value, "items"):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return plain(policy.document)


def record_policy(session: Session, policy: Policy, *, actor: str) -> bool:
    """Put ``policy``'s document into the audit chain unless it is there; True when added."""
    known = session.scalar(
        select(m.AuditEvent.id)
        .where(m.AuditEvent.object_type == "policy", m.AuditEvent.object_id == policy.digest)
        .limit(1)
    )
    if known is not None:
        return False
    audit.append(
        session,
        actor=actor,
        action="policy.record",
        object_type="policy",
        object_id=policy.digest,
        detail={"digest": policy.digest, "document": plain_document(policy)},
    )
    return True


def recorded_document(session: Session, digest: str) -> dict[str, Any]:
    """The policy document stored for ``digest``; its own digest is checked."""
    detail = session.scalar(
        select(m.AuditEvent.detail)
        .where(m.AuditEvent.object_type == "policy", m.AuditEvent.object_id == digest)
        .order_by(m.AuditEvent.seq)
        .limit(1)
    )
    if detail is None:
        raise NotFound(f"no policy with digest {digest} has been recorded")
    document = detail.get("document")
    if not isinstance(document, dict) or sha256_of(document) != digest:
        raise InputError("audit_events", f"policy {digest}", "document does not match its digest")
    return dict(orjson.loads(orjson.dumps(document)))
