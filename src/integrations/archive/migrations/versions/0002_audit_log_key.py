"""The audit log's key: each entry's action id, unique, so a replayed operation is written once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision.

    Entries already there keep NULL: the log is append-only (on PostgreSQL a trigger refuses
    any UPDATE), and a unique index takes NULLs as distinct on SQLite and PostgreSQL alike.
    A unique index, not a constraint: SQLite adds it without copying the table.
    """
    op.add_column("audit_log", sa.Column("key", sa.String(length=300), nullable=True))
    op.create_index(op.f("ix_audit_log_key"), "audit_log", ["key"], unique=True)


def downgrade() -> None:
    """Undo this revision (SQLite copies the table without the column; the trigger stays)."""
    op.drop_index(op.f("ix_audit_log_key"), table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("key")
