"""The archive's migrations, up and down, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from integrations.archive import database
from integrations.archive.models import Base
from integrations.archive.store import ArchiveStore

TABLES = {
    "customers",
    "conversations",
    "messages",
    "deliveries",
    "consents",
    "needs_records",
    "quotes",
    "choices",
    "leads",
    "handovers",
    "opt_outs",
    "audit_log",
}


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_makes_every_table_of_the_models_and_downgrade_removes_them(engine):
    assert database.revision(engine) is None
    database.upgrade(engine)
    assert tables(engine) == TABLES == set(Base.metadata.tables)
    assert database.revision(engine) == database.head()

    database.downgrade(engine, "base")
    assert tables(engine) == set()
    assert database.revision(engine) is None

    database.upgrade(engine)  # and up again, as on a fresh database
    assert tables(engine) == TABLES


def test_the_migrated_schema_matches_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    database.upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrade_twice_is_harmless(engine):
    database.upgrade(engine)
    database.upgrade(engine)
    assert database.revision(engine) == database.head()


def test_the_audit_log_refuses_updates_and_deletes_on_postgresql(postgres_engine):
    engine = postgres_engine
    database.upgrade(engine)
    ArchiveStore(engine).audit("admin", "export", "+34600000001", {"tables": 1})
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("postgresql://u:p@db:5432/vida", "postgresql+psycopg://u:p@db:5432/vida"),
        ("postgres://u:p@db/vida", "postgresql+psycopg://u:p@db/vida"),
        ("postgresql+psycopg://u@db/vida", "postgresql+psycopg://u@db/vida"),
        ("sqlite:////srv/archive.db", "sqlite:////srv/archive.db"),
    ],
)
def test_database_url_gives_a_bare_postgresql_url_the_installed_driver(configured, expected):
    assert database.database_url(configured, Path("var")) == expected


def test_no_database_url_means_a_sqlite_file_under_var_dir(tmp_path):
    url = database.database_url(None, tmp_path / "var")
    assert url == f"sqlite:///{tmp_path / 'var' / 'archive.sqlite3'}"
    engine = database.make_engine(url)
    database.upgrade(engine)
    assert (tmp_path / "var" / "archive.sqlite3").is_file()
    engine.dispose()


MIGRATE = """
import sys
from integrations.archive.database import make_engine, upgrade
engine = make_engine(sys.argv[1])
upgrade(engine)
engine.dispose()
"""


def test_worker_processes_migrating_at_once_leave_one_schema(postgres_engine, postgres_url):
    """Worker processes that start together each migrate: none fails, the schema is made once.

    PostgreSQL only: a SQLite archive is one host's, migrated by its one worker.
    """
    engine = postgres_engine
    url = database.database_url(postgres_url, Path())
    processes = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outcomes = [(p.communicate(timeout=120)[1], p.returncode) for p in processes]
    assert [code for _, code in outcomes] == [0, 0, 0], outcomes
    assert tables(engine) == TABLES and database.revision(engine) == database.head()
