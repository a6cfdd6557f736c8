"""SQLAlchemy tables. Rows are persistence only; services turn them into domain values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: UTCDateTime}


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    releases: Mapped[list[Release]] = relationship(back_populates="product", order_by="Release.id")


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("product_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    version: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="development")
    released_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    product: Mapped[Product] = relationship(back_populates="releases")


class SbomDocument(Base):
    """The original SBOM as evidence: bytes, digest, who imported it and when."""

    __tablename__ = "sbom_documents"
    # The same document may be imported again later (a release going back to an older SBOM):
    # each import is a row of its own.
    __table_args__ = (Index("ix_sbom_documents_release_sha", "release_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(20))
    spec_version: Mapped[str] = mapped_column(String(20))
    serialization: Mapped[str] = mapped_column(String(20))
    components: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Component(Base):
    """One component of an SBOM of a release. The components of the release's newest SBOM are
    its component list; those of an SBOM it replaced are kept, retired by the newer SBOM (their
    findings point at them)."""

    __tablename__ = "components"
    __table_args__ = (
        Index("ix_components_eco_name", "ecosystem", "match_name"),
        Index("ix_components_release_current", "release_id", "retired_by_sbom_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    sbom_id: Mapped[int | None] = mapped_column(ForeignKey("sbom_documents.id"), nullable=True)
    ref: Mapped[str] = mapped_column(String(500), default="")
    name: Mapped[str] = mapped_column(String(500))
    version: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(50), default="library")
    purl: Mapped[str | None] = mapped_column(Text, nullable=True)
    cpe: Mapped[str | None] = mapped_column(Text, nullable=True)
    supplier: Mapped[str | None] = mapped_column(String(500), nullable=True)
    hashes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    licenses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    item_class: Mapped[str | None] = mapped_column(String(20), nullable=True)
    support_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    ecosystem: Mapped[str | None] = mapped_column(String(100), nullable=True)
    match_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    cpe_key: Mapped[str | None] = mapped_column(String(500), nullable=True, index=True)
    retired_by_sbom_id: Mapped[int | None] = mapped_column(
        ForeignKey("sbom_documents.id"), nullable=True
    )


class ComponentSupport(Base):
    """Support level and end-of-support set in psirt; kept across SBOM versions of a product."""

    __tablename__ = "component_support"
    __table_args__ = (UniqueConstraint("product_id", "component_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    component_key: Mapped[str] = mapped_column(String(500))
    item_class: Mapped[str | None] = mapped_column(String(20), nullable=True)
    support_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class FeedSnapshot(Base):
    __tablename__ = "feed_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Advisory(Base):
    __tablename__ = "advisories"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    modified: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the domain value, canonical JSON
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("feed_snapshots.id"), nullable=True)


class AdvisoryPackage(Base):
    """Which (ecosystem, package) an advisory names: drives re-matching on feed updates."""

    __tablename__ = "advisory_packages"
    __table_args__ = (Index("ix_advisory_packages_eco_name", "ecosystem", "match_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(100))
    match_name: Mapped[str] = mapped_column(String(500))


class KevEntry(Base):
    __tablename__ = "kev"
    cve_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(Text, default="")
    date_added: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    known_ransomware: Mapped[str | None] = mapped_column(String(40), nullable=True)


class EpssScore(Base):
    __tablename__ = "epss"
    cve_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    epss: Mapped[float] = mapped_column(Float)
    percentile: Mapped[float] = mapped_column(Float)
    score_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class Finding(Base):
    """A component of a release matched by an advisory group (one row per alias group)."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("component_id", "advisory_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id"), index=True)
    advisory_id: Mapped[str] = mapped_column(String(200), index=True)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    related: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fixed_versions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    severity: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | retracted
    retracted_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # what caused the retraction: "sbom:<id>" (a newer SBOM no longer lists the component),
    # "feed:<snapshot id>" (the knowledge base changed), "scan" (re-matched without a feed change)
    retracted_cause: Mapped[str | None] = mapped_column(String(200), nullable=True)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("feed_snapshots.id"), nullable=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("security_issues.id"), nullable=True)


class SecurityIssue(Base):
    __tablename__ = "security_issues"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(40), default="RECEIVED")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssueEvent(Base):
    """Append-only decision records of a security issue (the aggregate is rebuilt from them)."""

    __tablename__ = "issue_events"
    __table_args__ = (UniqueConstraint("issue_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("security_issues.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    policy_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class MonitoringEvent(Base):
    """Outbox of things people must hear about: a released release newly affected, a KEV listing."""

    __tablename__ = "monitoring_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), nullable=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), nullable=True)
    advisory_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Hash-chained audit trail: ``hash = sha256(prev_hash || canonical(event))``."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(200))
    before_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SealTable(Base):
    """Working copy of the audit chain's seal of one evidence table: the highest id sealed.
    The chain's ``store.seal`` events are authoritative; this row only saves reading them."""

    __tablename__ = "audit_seal_tables"
    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    max_id: Mapped[int] = mapped_column(BigInteger, default=0)
    seq: Mapped[int] = mapped_column(BigInteger)


class SealPart(Base):
    """Working copy of the multiset hash of one partition of an evidence table (see
    :mod:`psirt.store.seal`)."""

    __tablename__ = "audit_seal_parts"
    __table_args__ = (UniqueConstraint("table_name", "part"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    part: Mapped[str] = mapped_column(String(60))
    rows: Mapped[int] = mapped_column(BigInteger)
    acc: Mapped[bytes] = mapped_column(LargeBinary)
    seq: Mapped[int] = mapped_column(BigInteger)


from psirt.store import models_activities as _activities  # noqa: E402,F401
from psirt.store import models_advisories as _advisories  # noqa: E402,F401
from psirt.store import models_procedure as _procedure  # noqa: E402,F401
from psirt.store import models_publications as _publications  # noqa: E402,F401
from psirt.store import models_release_gate as _release_gate  # noqa: E402,F401


def _never_reuse_ids() -> None:
    """Integer ids are never handed out twice: SQLite tables get AUTOINCREMENT (PostgreSQL's
    sequences never go back)."""
    for table in Base.metadata.tables.values():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer | BigInteger):
            table.dialect_kwargs["sqlite_autoincrement"] = True


_never_reuse_ids()
