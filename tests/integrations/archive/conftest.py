"""The archive's fixtures: an empty database on SQLite and on PostgreSQL, migrated or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from integrations.archive.database import database_url, make_engine, upgrade
from integrations.archive.store import ArchiveStore
from testkit.databases import archive_url, fresh_postgres, postgres_server

__all__ = ["archive_url", "postgres_server"]


@pytest.fixture
def engine(archive_url: str) -> Iterator[Engine]:
    """An engine on the empty archive database (no tables yet)."""
    built = make_engine(database_url(archive_url, Path()))
    yield built
    built.dispose()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """An empty PostgreSQL database, for what only PostgreSQL does."""
    yield from fresh_postgres(postgres_server)


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on that database (no tables yet)."""
    built = make_engine(database_url(postgres_url, Path()))
    yield built
    built.dispose()


@pytest.fixture
def archive(engine: Engine) -> ArchiveStore:
    """The archive, its schema migrated to the newest revision."""
    upgrade(engine)
    return ArchiveStore(engine)
