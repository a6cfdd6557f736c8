"""Persistence: SQLAlchemy tables, the unit of work, the audit chain, Alembic migrations."""
