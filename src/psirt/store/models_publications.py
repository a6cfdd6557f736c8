"""Documents psirt published from its own records (``psirt publish``).

* ``publications``  each published version of a document, as evidence: the bytes and their
                    sha256, the kind (CSAF security advisory of an issue, CSAF VEX, CycloneDX
                    VEX or OpenVEX of a release), the document's identity (CSAF tracking id,
                    CycloneDX serial number, OpenVEX ``@id``) with its version and status, the
                    fingerprint of its content without versions and dates (publishing the same
                    content again is no new version), the revision summary, the validation
                    verdict, who published it and when. Appended, never changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from psirt.store.models import Base, UTCDateTime, utcnow


class PublicationRow(Base):
    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("kind", "document_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # csaf_advisory | csaf_vex | cyclonedx_vex ...
    document_id: Mapped[str] = mapped_column(String(300), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per (kind, document_id)
    version: Mapped[str] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)  # CSAF tracking status
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("security_issues.id"), nullable=True, index=True
    )
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("releases.id"), nullable=True, index=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_digest: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    validation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
