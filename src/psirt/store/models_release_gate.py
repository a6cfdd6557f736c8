"""Tables of the release gate (R13a open-issue review at every product release).

* ``release_gate_reviews``    append-only review minutes of a release; the newest (highest
                              ``seq``) is current. A signature added later is a new row holding
                              the same minutes with one more signature.
* ``release_gate_decisions``  append-only: a release approved through the gate (``approval``,
                              naming the review and what it covered) or moved to released/fielded
                              past the gate with a justification (``override``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from psirt.store.models import Base, UTCDateTime, utcnow


class ReleaseGateReviewRow(Base):
    __tablename__ = "release_gate_reviews"
    __table_args__ = (UniqueConstraint("release_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # ReleaseGateReview.to_dict()
    digest: Mapped[str] = mapped_column(String(64))  # of the signed content (no signatures)
    file_name: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")  # of the submitted file
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    policy_digest: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReleaseGateDecisionRow(Base):
    __tablename__ = "release_gate_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # approval | override
    status: Mapped[str] = mapped_column(String(20))  # the status the release moved to
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("release_gate_reviews.id"), nullable=True
    )
    review_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # approval: the open issues (id, state) and KEV findings the gate was evaluated against
    covered: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    justification: Mapped[str] = mapped_column(Text, default="")
    policy_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
