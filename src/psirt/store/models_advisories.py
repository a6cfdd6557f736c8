"""Tables of supplier advisories and VEX documents applied to stored releases.

* ``supplier_documents``   each imported document as evidence: bytes, sha256, format, the
                           document's identity and revision, who imported it and when. A
                           newer revision of the same document (same ``identity``) supersedes
                           the older one's statements; nothing is deleted.
* ``supplier_statements``  the (vulnerability, product) statements of a document.
* ``supplier_matches``     a statement applied to a component of a stored release, with how it
                           matched; the matches of not-affected statements are the proposed
                           not-affected assessments a person confirms or rejects.
* ``supplier_assessment_decisions``  append-only: a person's confirmation or rejection of a
                           proposed not-affected assessment, with the rationale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from psirt.store.models import Base, UTCDateTime, utcnow


class SupplierDocumentRow(Base):
    __tablename__ = "supplier_documents"
    __table_args__ = (Index("ix_supplier_documents_identity", "identity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    format: Mapped[str] = mapped_column(String(20))
    spec_version: Mapped[str] = mapped_column(String(20))
    profile: Mapped[str] = mapped_column(String(100))
    identity: Mapped[str] = mapped_column(String(500))
    tracking_id: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(100))
    publisher: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    issued: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    statements: Mapped[int] = mapped_column(Integer)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupplierStatementRow(Base):
    __tablename__ = "supplier_statements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("supplier_documents.id"), index=True)
    vulnerability_id: Mapped[str] = mapped_column(String(200), index=True)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(30))  # VexStatus
    supplier_status: Mapped[str] = mapped_column(String(60))
    product: Mapped[dict[str, Any]] = mapped_column(JSON)  # ProductRef.to_dict()
    justification: Mapped[str | None] = mapped_column(String(100), nullable=True)
    impact: Mapped[str | None] = mapped_column(Text, nullable=True)
    action: Mapped[str | None] = mapped_column(Text, nullable=True)
    path: Mapped[str] = mapped_column(String(500))


class SupplierMatchRow(Base):
    __tablename__ = "supplier_matches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("supplier_statements.id"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # purl | cpe | name
    matched_by: Mapped[str] = mapped_column(String(200))
    matched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupplierAssessmentDecisionRow(Base):
    __tablename__ = "supplier_assessment_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("supplier_matches.id"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # confirmed | rejected
    rationale: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
