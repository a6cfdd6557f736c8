"""activity records, scan finding identities, dispositions, test plans, attack surfaces

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 01:14:41.129048
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import psirt.store.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_inputs")),
        sa.UniqueConstraint("sha256", name=op.f("uq_activity_inputs_sha256")),
    )
    op.create_table(
        "test_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_test_plans_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_plans")),
    )
    op.create_index(op.f("ix_test_plans_product_id"), "test_plans", ["product_id"], unique=False)

    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("tool", sa.String(length=200), nullable=True),
        sa.Column("tool_version", sa.String(length=100), nullable=True),
        sa.Column("build", sa.String(length=200), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("started", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended", psirt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("performer", sa.String(length=200), nullable=False),
        sa.Column("independent", sa.Boolean(), nullable=False),
        sa.Column("input_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["input_id"],
            ["activity_inputs.id"],
            name=op.f("fk_activities_input_id_activity_inputs"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_activities_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_activities_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index(
        "ix_activities_product_type", "activities", ["product_id", "type"], unique=False
    )

    op.create_table(
        "attack_surfaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("declared_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_attack_surfaces_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attack_surfaces")),
    )
    op.create_index(
        op.f("ix_attack_surfaces_release_id"), "attack_surfaces", ["release_id"], unique=False
    )

    op.create_table(
        "scan_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("tool", sa.String(length=200), nullable=False),
        sa.Column("activity_type", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rule_id", sa.String(length=500), nullable=False),
        sa.Column("first_activity_id", sa.Integer(), nullable=False),
        sa.Column("last_activity_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gone_activity_id", sa.Integer(), nullable=True),
        sa.Column("gone_at", psirt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(length=40), nullable=True),
        sa.Column("disposition_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_activity_id"],
            ["activities.id"],
            name=op.f("fk_scan_identities_first_activity_id_activities"),
        ),
        sa.ForeignKeyConstraint(
            ["gone_activity_id"],
            ["activities.id"],
            name=op.f("fk_scan_identities_gone_activity_id_activities"),
        ),
        sa.ForeignKeyConstraint(
            ["last_activity_id"],
            ["activities.id"],
            name=op.f("fk_scan_identities_last_activity_id_activities"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_scan_identities_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_identities")),
        sa.UniqueConstraint(
            "product_id", "fingerprint", name=op.f("uq_scan_identities_product_id")
        ),
    )
    op.create_index(
        op.f("ix_scan_identities_last_activity_id"),
        "scan_identities",
        ["last_activity_id"],
        unique=False,
    )

    op.create_table(
        "finding_dispositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["scan_identities.id"],
            name=op.f("fk_finding_dispositions_duplicate_of_id_scan_identities"),
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["scan_identities.id"],
            name=op.f("fk_finding_dispositions_identity_id_scan_identities"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["security_issues.id"],
            name=op.f("fk_finding_dispositions_issue_id_security_issues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_dispositions")),
    )
    op.create_index(
        op.f("ix_finding_dispositions_identity_id"),
        "finding_dispositions",
        ["identity_id"],
        unique=False,
    )

    op.create_table(
        "scan_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("raw_level", sa.String(length=100), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("location", sa.JSON(), nullable=True),
        sa.Column("cwes", sa.JSON(), nullable=False),
        sa.Column("vulnerability_ids", sa.JSON(), nullable=False),
        sa.Column("instances", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("new", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_scan_results_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["scan_identities.id"],
            name=op.f("fk_scan_results_identity_id_scan_identities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_results")),
        sa.UniqueConstraint("activity_id", "identity_id", name=op.f("uq_scan_results_activity_id")),
    )
    op.create_index(
        op.f("ix_scan_results_identity_id"), "scan_results", ["identity_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scan_results_identity_id"), table_name="scan_results")
    op.drop_table("scan_results")
    op.drop_index(op.f("ix_finding_dispositions_identity_id"), table_name="finding_dispositions")
    op.drop_table("finding_dispositions")
    op.drop_index(op.f("ix_scan_identities_last_activity_id"), table_name="scan_identities")
    op.drop_table("scan_identities")
    op.drop_index(op.f("ix_attack_surfaces_release_id"), table_name="attack_surfaces")
    op.drop_table("attack_surfaces")
    op.drop_index("ix_activities_product_type", table_name="activities")
    op.drop_table("activities")
    op.drop_index(op.f("ix_test_plans_product_id"), table_name="test_plans")
    op.drop_table("test_plans")
    op.drop_table("activity_inputs")
