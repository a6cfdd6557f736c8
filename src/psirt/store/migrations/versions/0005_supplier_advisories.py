"""supplier advisories: imported CSAF and VEX documents, their statements, the components of
stored releases they were applied to, and decisions on proposed not-affected assessments

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import psirt.store.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("spec_version", sa.String(length=20), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("identity", sa.String(length=500), nullable=False),
        sa.Column("tracking_id", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("publisher", sa.String(length=300), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("issued", psirt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated", psirt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_documents")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_supplier_documents_identity", "supplier_documents", ["identity"], unique=False
    )
    op.create_index(
        op.f("ix_supplier_documents_sha256"), "supplier_documents", ["sha256"], unique=False
    )
    op.create_table(
        "supplier_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("vulnerability_id", sa.String(length=200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("supplier_status", sa.String(length=60), nullable=False),
        sa.Column("product", sa.JSON(), nullable=False),
        sa.Column("justification", sa.String(length=100), nullable=True),
        sa.Column("impact", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["supplier_documents.id"],
            name=op.f("fk_supplier_statements_document_id_supplier_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_statements")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_supplier_statements_document_id"),
        "supplier_statements",
        ["document_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_supplier_statements_vulnerability_id"),
        "supplier_statements",
        ["vulnerability_id"],
        unique=False,
    )
    op.create_table(
        "supplier_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("matched_by", sa.String(length=200), nullable=False),
        sa.Column("matched_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_supplier_matches_component_id_components"),
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_supplier_matches_release_id_releases")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["supplier_statements.id"],
            name=op.f("fk_supplier_matches_statement_id_supplier_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_matches")),
        sqlite_autoincrement=True,
    )
    for column in ("component_id", "release_id", "statement_id"):
        op.create_index(
            op.f(f"ix_supplier_matches_{column}"), "supplier_matches", [column], unique=False
        )
    op.create_table(
        "supplier_assessment_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["supplier_matches.id"],
            name=op.f("fk_supplier_assessment_decisions_match_id_supplier_matches"),
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_supplier_assessment_decisions_release_id_releases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_assessment_decisions")),
        sqlite_autoincrement=True,
    )
    for column in ("match_id", "release_id"):
        op.create_index(
            op.f(f"ix_supplier_assessment_decisions_{column}"),
            "supplier_assessment_decisions",
            [column],
            unique=False,
        )


def downgrade() -> None:
    for column in ("release_id", "match_id"):
        op.drop_index(
            op.f(f"ix_supplier_assessment_decisions_{column}"),
            table_name="supplier_assessment_decisions",
        )
    op.drop_table("supplier_assessment_decisions")
    for column in ("statement_id", "release_id", "component_id"):
        op.drop_index(op.f(f"ix_supplier_matches_{column}"), table_name="supplier_matches")
    op.drop_table("supplier_matches")
    op.drop_index(op.f("ix_supplier_statements_vulnerability_id"), table_name="supplier_statements")
    op.drop_index(op.f("ix_supplier_statements_document_id"), table_name="supplier_statements")
    op.drop_table("supplier_statements")
    op.drop_index(op.f("ix_supplier_documents_sha256"), table_name="supplier_documents")
    op.drop_index("ix_supplier_documents_identity", table_name="supplier_documents")
    op.drop_table("supplier_documents")
