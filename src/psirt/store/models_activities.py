"""Tables of proactive identification: activities, their inputs, finding identities, results,
dispositions, test plans and attack-surface declarations.

* ``activities``           one record per SAST/DAST/penetration test/SBOM scan/... run
* ``activity_inputs``      the report file as evidence (bytes and sha256, content-addressed)
* ``scan_identities``      a finding's identity per product, keyed by the parser's fingerprint;
                           carries first/last/gone markers and the current disposition (a cache
                           of the newest ``finding_dispositions`` row)
* ``scan_results``         what one activity saw: one row per (activity, identity)
* ``finding_dispositions`` append-only decisions about an identity; the newest is current
* ``test_plans``           append-only test plans per product; the newest is current
* ``attack_surfaces``      append-only declarations per release; the newest is current
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from psirt.store.models import Base, UTCDateTime, utcnow


class ActivityInput(Base):
    """A report file kept as evidence; shared by activities that imported the same bytes."""

    __tablename__ = "activity_inputs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_product_type", "product_id", "type"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), nullable=True)
    type: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(Text, default="")
    tool: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tool_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    build: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # {"targets": [...], "urls": [...], "components": [...]} - what was tested
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    performer: Mapped[str] = mapped_column(String(200))
    independent: Mapped[bool] = mapped_column(Boolean, default=False)
    input_id: Mapped[int | None] = mapped_column(ForeignKey("activity_inputs.id"), nullable=True)
    # counts (results, new, seen again, gone), feed snapshot of SBOM scans, ...
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScanIdentity(Base):
    """A finding of a product across runs; identity is (product, fingerprint)."""

    __tablename__ = "scan_identities"
    __table_args__ = (UniqueConstraint("product_id", "fingerprint"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(200), default="")
    activity_type: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[str] = mapped_column(String(500))
    first_activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    last_activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    gone_activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), nullable=True)
    gone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(40), nullable=True)
    disposition_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ScanResultRow(Base):
    """One finding as one activity reported it (texts as the tool wrote them that time)."""

    __tablename__ = "scan_results"
    __table_args__ = (UniqueConstraint("activity_id", "identity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    identity_id: Mapped[int] = mapped_column(ForeignKey("scan_identities.id"), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    raw_level: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    cwes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    vulnerability_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    instances: Mapped[int] = mapped_column(Integer, default=0)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    new: Mapped[bool] = mapped_column(Boolean, default=False)  # first seen (or back) in this run


class FindingDisposition(Base):
    """Append-only: who decided what about a finding, when and why."""

    __tablename__ = "finding_dispositions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("scan_identities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("security_issues.id"), nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("scan_identities.id"), nullable=True
    )
    reference: Mapped[str] = mapped_column(Text, default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TestPlanRow(Base):
    """Append-only test plans of a product; the newest is in force."""

    __tablename__ = "test_plans"
    __test__ = False
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AttackSurfaceRow(Base):
    """Append-only attack-surface declarations of a release; the newest is in force."""

    __tablename__ = "attack_surfaces"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
