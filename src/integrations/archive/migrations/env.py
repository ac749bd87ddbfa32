"""Alembic's environment: migrate the engine the caller passes (never a URL from a file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from integrations.archive.models import Base

# Any fixed number: the key of the PostgreSQL advisory lock that serialises migrations.
MIGRATION_LOCK = 0x1A6E_17E5

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Worker processes that start together migrate one after the other, not all at once.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    # render_as_batch: SQLite can't ALTER most things; batch mode copies the table instead.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
