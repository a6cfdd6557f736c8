"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 01:10:24.783385
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import psirt.store.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("before_digest", sa.String(length=64), nullable=True),
        sa.Column("after_digest", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_events_seq")),
    )
    op.create_table(
        "epss",
        sa.Column("cve_id", sa.String(length=40), nullable=False),
        sa.Column("epss", sa.Float(), nullable=False),
        sa.Column("percentile", sa.Float(), nullable=False),
        sa.Column("score_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("cve_id", name=op.f("pk_epss")),
    )
    op.create_table(
        "feed_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_snapshots")),
    )
    op.create_table(
        "kev",
        sa.Column("cve_id", sa.String(length=40), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("date_added", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("known_ransomware", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("cve_id", name=op.f("pk_kev")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("manufacturer", sa.String(length=200), nullable=False),
        sa.Column("created_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("name", name=op.f("uq_products_name")),
    )
    op.create_table(
        "security_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_issues")),
    )
    op.create_table(
        "advisories",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("modified", psirt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published", psirt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn", psirt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["feed_snapshots.id"],
            name=op.f("fk_advisories_snapshot_id_feed_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisories")),
    )
    op.create_table(
        "component_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("component_key", sa.String(length=500), nullable=False),
        sa.Column("item_class", sa.String(length=20), nullable=True),
        sa.Column("support_end", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_component_support_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_support")),
        sa.UniqueConstraint(
            "product_id", "component_key", name=op.f("uq_component_support_product_id")
        ),
    )
    with op.batch_alter_table("component_support", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_component_support_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "issue_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("policy_digest", sa.String(length=64), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["security_issues.id"],
            name=op.f("fk_issue_events_issue_id_security_issues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_events")),
        sa.UniqueConstraint("issue_id", "seq", name=op.f("uq_issue_events_issue_id")),
    )
    with op.batch_alter_table("issue_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_events_issue_id"), ["issue_id"], unique=False)

    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("created_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_releases_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("product_id", "version", name=op.f("uq_releases_product_id")),
    )
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_product_id"), ["product_id"], unique=False)

    op.create_table(
        "advisory_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=200), nullable=False),
        sa.Column("ecosystem", sa.String(length=100), nullable=False),
        sa.Column("match_name", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisories.id"],
            name=op.f("fk_advisory_packages_advisory_id_advisories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_packages")),
    )
    with op.batch_alter_table("advisory_packages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_packages_advisory_id"), ["advisory_id"], unique=False
        )
        batch_op.create_index(
            "ix_advisory_packages_eco_name", ["ecosystem", "match_name"], unique=False
        )

    op.create_table(
        "sbom_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("spec_version", sa.String(length=20), nullable=False),
        sa.Column("serialization", sa.String(length=20), nullable=False),
        sa.Column("components", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_sbom_documents_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbom_documents")),
        sa.UniqueConstraint("release_id", "sha256", name=op.f("uq_sbom_documents_release_id")),
    )
    with op.batch_alter_table("sbom_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sbom_documents_release_id"), ["release_id"], unique=False
        )

    op.create_table(
        "components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("sbom_id", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("purl", sa.Text(), nullable=True),
        sa.Column("cpe", sa.Text(), nullable=True),
        sa.Column("supplier", sa.String(length=500), nullable=True),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("licenses", sa.JSON(), nullable=False),
        sa.Column("item_class", sa.String(length=20), nullable=True),
        sa.Column("support_end", sa.Date(), nullable=True),
        sa.Column("ecosystem", sa.String(length=100), nullable=True),
        sa.Column("match_name", sa.String(length=500), nullable=True),
        sa.Column("cpe_key", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_components_release_id_releases")
        ),
        sa.ForeignKeyConstraint(
            ["sbom_id"], ["sbom_documents.id"], name=op.f("fk_components_sbom_id_sbom_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
    )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_components_cpe_key"), ["cpe_key"], unique=False)
        batch_op.create_index("ix_components_eco_name", ["ecosystem", "match_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_components_release_id"), ["release_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("fixed_versions", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("retracted_reason", sa.Text(), nullable=True),
        sa.Column("first_seen", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"], ["components.id"], name=op.f("fk_findings_component_id_components")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["security_issues.id"], name=op.f("fk_findings_issue_id_security_issues")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_findings_release_id_releases")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["feed_snapshots.id"],
            name=op.f("fk_findings_snapshot_id_feed_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("component_id", "advisory_id", name=op.f("uq_findings_component_id")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_advisory_id"), ["advisory_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_findings_component_id"), ["component_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_findings_release_id"), ["release_id"], unique=False)

    op.create_table(
        "monitoring_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("advisory_id", sa.String(length=200), nullable=True),
        sa.Column("at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_monitoring_events_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_monitoring_events_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_events")),
    )


def downgrade() -> None:

    op.drop_table("monitoring_events")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_release_id"))
        batch_op.drop_index(batch_op.f("ix_findings_component_id"))
        batch_op.drop_index(batch_op.f("ix_findings_advisory_id"))

    op.drop_table("findings")
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components_release_id"))
        batch_op.drop_index("ix_components_eco_name")
        batch_op.drop_index(batch_op.f("ix_components_cpe_key"))

    op.drop_table("components")
    with op.batch_alter_table("sbom_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sbom_documents_release_id"))

    op.drop_table("sbom_documents")
    with op.batch_alter_table("advisory_packages", schema=None) as batch_op:
        batch_op.drop_index("ix_advisory_packages_eco_name")
        batch_op.drop_index(batch_op.f("ix_advisory_packages_advisory_id"))

    op.drop_table("advisory_packages")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_product_id"))

    op.drop_table("releases")
    with op.batch_alter_table("issue_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_events_issue_id"))

    op.drop_table("issue_events")
    with op.batch_alter_table("component_support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_component_support_product_id"))

    op.drop_table("component_support")
    op.drop_table("advisories")
    op.drop_table("security_issues")
    op.drop_table("products")
    op.drop_table("kev")
    op.drop_table("feed_snapshots")
    op.drop_table("epss")
    op.drop_table("audit_events")
