"""evidence kept and sealed: ids never reused, components of replaced SBOMs and their findings
kept, the cause of a retraction, the working copy of the audit chain's table seals

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:00:00

SQLite hands out ``max(id) + 1`` unless a table is declared AUTOINCREMENT, so an id freed by
a deleted row came back: every table with an integer id is rebuilt with AUTOINCREMENT
(PostgreSQL's sequences never go back and need nothing). ``psirt.store.db.migrate`` runs this
with SQLite's foreign keys off and checks them afterwards, as SQLite's table rebuild requires.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Every table of revision 0003 with an integer primary key ("advisories", "kev" and "epss" are
# keyed by their ids as published).
INTEGER_ID_TABLES = (
    "products",
    "releases",
    "sbom_documents",
    "components",
    "component_support",
    "feed_snapshots",
    "advisory_packages",
    "findings",
    "security_issues",
    "issue_events",
    "monitoring_events",
    "audit_events",
    "activity_inputs",
    "activities",
    "scan_identities",
    "scan_results",
    "finding_dispositions",
    "test_plans",
    "attack_surfaces",
    "release_gate_reviews",
    "release_gate_decisions",
)


def upgrade() -> None:
    with op.batch_alter_table("components") as batch:
        batch.add_column(sa.Column("retired_by_sbom_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_components_retired_by_sbom_id_sbom_documents"),
            "sbom_documents",
            ["retired_by_sbom_id"],
            ["id"],
        )
    op.create_index(
        "ix_components_release_current", "components", ["release_id", "retired_by_sbom_id"]
    )
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("retracted_cause", sa.String(length=200), nullable=True))
    # Importing an older SBOM again makes it current again: a document row per import.
    with op.batch_alter_table("sbom_documents") as batch:
        batch.drop_constraint("uq_sbom_documents_release_id", type_="unique")
    op.create_index("ix_sbom_documents_release_sha", "sbom_documents", ["release_id", "sha256"])

    op.create_table(
        "audit_seal_tables",
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("max_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_audit_seal_tables")),
    )
    op.create_table(
        "audit_seal_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("part", sa.String(length=60), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("acc", sa.LargeBinary(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seal_parts")),
        sa.UniqueConstraint("table_name", "part", name=op.f("uq_audit_seal_parts_table_name")),
        sqlite_autoincrement=True,
    )

    if op.get_bind().dialect.name == "sqlite":
        for name in INTEGER_ID_TABLES:
            with op.batch_alter_table(
                name, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass


def downgrade() -> None:
    op.drop_index("ix_sbom_documents_release_sha", table_name="sbom_documents")
    with op.batch_alter_table("sbom_documents") as batch:
        batch.create_unique_constraint("uq_sbom_documents_release_id", ["release_id", "sha256"])
    op.drop_table("audit_seal_parts")
    op.drop_table("audit_seal_tables")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("retracted_cause")
    op.drop_index("ix_components_release_current", table_name="components")
    with op.batch_alter_table("components") as batch:
        batch.drop_constraint(
            op.f("fk_components_retired_by_sbom_id_sbom_documents"), type_="foreignkey"
        )
        batch.drop_column("retired_by_sbom_id")
