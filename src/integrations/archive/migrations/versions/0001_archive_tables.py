"""The archive's tables: customers, conversations, messages, the sale's records, the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""

# In the order upgrade creates them: downgrade drops them the other way round.
TABLES = (
    "audit_log",
    "customers",
    "conversations",
    "deliveries",
    "choices",
    "consents",
    "handovers",
    "leads",
    "messages",
    "needs_records",
    "opt_outs",
    "quotes",
)


def _required(name: str, kind: sa.types.TypeEngine[Any]) -> sa.Column[Any]:
    return sa.Column(name, kind, nullable=False)


def _optional(name: str, kind: sa.types.TypeEngine[Any]) -> sa.Column[Any]:
    return sa.Column(name, kind, nullable=True)


def _when(name: str = "at") -> sa.Column[Any]:
    return _required(name, sa.DateTime(timezone=True))


def _id() -> sa.Column[Any]:
    return _required("id", sa.Integer())


def _table(
    name: str,
    *columns: sa.Column[Any],
    unique: str | None = "key",
    refers: Sequence[tuple[str, str]] = (("customer_id", "customers"),),
    indexed: Sequence[str] = (),
) -> None:
    """Create `name`, its primary key `id`, foreign keys, one unique column and indexes.

    Constraints and indexes are named as the models' naming convention names them, so a later
    migration can drop them by name on every database.
    """
    foreign_keys = [
        sa.ForeignKeyConstraint([column], [f"{other}.id"], name=op.f(f"fk_{name}_{column}_{other}"))
        for column, other in refers
    ]
    uniques = [sa.UniqueConstraint(unique, name=op.f(f"uq_{name}_{unique}"))] if unique else []
    op.create_table(
        name,
        *columns,
        *foreign_keys,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *uniques,
    )
    for column in indexed:
        op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)


def _event(
    name: str, *details: sa.Column[Any], details_first: bool = True, indexed: Sequence[str] = ()
) -> None:
    """A table of what a turn records: its `details` and what every record has (`models.Event`).

    A model that extends `Event` has its own columns first (SQLAlchemy puts the declaring class's
    columns before the inherited ones); `messages` declares them all, its details between.
    """
    common = (
        _id(),
        _required("key", sa.String(length=300)),
        _required("customer_id", sa.Integer()),
        _optional("conversation_id", sa.Integer()),
    )
    columns = (*details, *common) if details_first else (*common, *details)
    _table(
        name,
        *columns,
        _when(),
        refers=(("conversation_id", "conversations"), ("customer_id", "customers")),
        indexed=(*indexed, "conversation_id", "customer_id"),
    )


def upgrade() -> None:
    """Apply this revision."""
    _table(
        "audit_log",
        _id(),
        _when(),
        _required("actor", sa.String(length=40)),
        _required("action", sa.String(length=40)),
        _optional("subject", sa.String(length=64)),
        _required("detail", sa.JSON()),
        unique=None,
        refers=(),
    )
    op.create_index("ix_audit_log_subject_at", "audit_log", ["subject", "at"], unique=False)
    _table(
        "customers",
        _id(),
        _required("phone", sa.String(length=20)),
        _optional("profile_name", sa.String(length=200)),
        _when("first_seen_at"),
        _when("last_seen_at"),
        unique="phone",
        refers=(),
    )
    _table(
        "conversations",
        _id(),
        _required("key", sa.String(length=300)),
        _required("customer_id", sa.Integer()),
        _when("started_at"),
        _when("last_message_at"),
        _optional("channel", sa.String(length=20)),
        _optional("provider", sa.String(length=20)),
        _required("stage", sa.String(length=40)),
        *(_required(flag, sa.Boolean()) for flag in ("handoff", "opted_out", "lead")),
        _required("turns", sa.Integer()),
        indexed=("customer_id", "last_message_at"),
    )
    _table(
        "deliveries",
        _id(),
        _required("provider_message_id", sa.String(length=300)),
        _required("customer_id", sa.Integer()),
        _required("status", sa.String(length=20)),
        _when(),
        _required("errors", sa.JSON()),
        unique="provider_message_id",
        indexed=("customer_id",),
    )
    _event(
        "choices",
        _required("option_id", sa.String(length=40)),
        _optional("monthly", sa.String(length=20)),
        _optional("annual", sa.String(length=20)),
    )
    _event("consents", _required("given", sa.Boolean()), _required("text", sa.Text()))
    _event("handovers", _optional("reason", sa.String(length=40)))
    _event(
        "leads",
        _optional("option_id", sa.String(length=40)),
        _optional("reason", sa.String(length=40)),
    )
    _event(
        "messages",
        _required("direction", sa.String(length=3)),
        *(_optional(name, sa.String(length=20)) for name in ("channel", "provider", "kind")),
        _required("author", sa.String(length=20)),
        _required("text", sa.Text()),
        _required("provider_ids", sa.JSON()),
        _optional("status", sa.String(length=20)),
        _optional("error", sa.JSON()),
        _required("media", sa.JSON()),
        details_first=False,
        indexed=("at",),
    )
    _event("needs_records", _required("data", sa.JSON()))
    _event("opt_outs", _required("opted_out", sa.Boolean()))
    _event(
        "quotes",
        _required("tariff", sa.String(length=200)),
        _optional("currency", sa.String(length=3)),
        *(_required(name, sa.JSON()) for name in ("inputs", "options")),
    )

    if op.get_bind().dialect.name == "postgresql":
        # The audit log is append-only for the database too, not just for our code.
        op.execute(APPEND_ONLY)


def downgrade() -> None:
    """Undo this revision (a table's indexes go with it)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in reversed(TABLES):
        op.drop_table(table)
