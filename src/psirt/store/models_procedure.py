"""Tables of the Security Issue Resolution Procedure (``psirt procedure``).

* ``procedure_versions``    append-only: one row per issued version (number, the policy it was
                            written from, the written text, the digests, what changed, who
                            issued it and when). A version never changes once issued.
* ``procedure_signatures``  append-only: a signature over a version's content digest, with the
                            signer's role and meaning (reviewed, approved).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from psirt.store.models import Base, UTCDateTime, utcnow


class ProcedureVersionRow(Base):
    __tablename__ = "procedure_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    document_id: Mapped[str] = mapped_column(String(100))
    policy_digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # title, document id, organisation, sections
    body_digest: Mapped[str] = mapped_column(String(64))
    content_digest: Mapped[str] = mapped_column(String(64))  # what signatures cover
    approval: Mapped[dict[str, Any]] = mapped_column(JSON)  # the policy's [approvals.procedure]
    changes: Mapped[list[Any]] = mapped_column(JSON)  # computed differences from the version before
    note: Mapped[str] = mapped_column(Text, default="")
    issued_by: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcedureSignatureRow(Base):
    __tablename__ = "procedure_signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"), index=True)
    signer: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    meaning: Mapped[str] = mapped_column(String(20))
    content_digest: Mapped[str] = mapped_column(String(64))
    policy_digest: Mapped[str] = mapped_column(String(64))  # the policy that checked the signer
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
