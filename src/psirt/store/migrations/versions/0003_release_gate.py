"""release gate: R13a open-issue review minutes and release approvals/overrides

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 01:40:02.812832
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import psirt.store.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_gate_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("policy_digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_gate_reviews_release_id_releases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_gate_reviews")),
        sa.UniqueConstraint("release_id", "seq", name=op.f("uq_release_gate_reviews_release_id")),
    )
    op.create_index(
        op.f("ix_release_gate_reviews_release_id"),
        "release_gate_reviews",
        ["release_id"],
        unique=False,
    )
    op.create_table(
        "release_gate_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("review_digest", sa.String(length=64), nullable=True),
        sa.Column("covered", sa.JSON(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("policy_digest", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", psirt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_gate_decisions_release_id_releases"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["release_gate_reviews.id"],
            name=op.f("fk_release_gate_decisions_review_id_release_gate_reviews"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_gate_decisions")),
    )
    op.create_index(
        op.f("ix_release_gate_decisions_release_id"),
        "release_gate_decisions",
        ["release_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_release_gate_decisions_release_id"), table_name="release_gate_decisions")
    op.drop_table("release_gate_decisions")
    op.drop_index(op.f("ix_release_gate_reviews_release_id"), table_name="release_gate_reviews")
    op.drop_table("release_gate_reviews")
