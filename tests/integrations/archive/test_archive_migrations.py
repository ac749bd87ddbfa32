"""The archive's migrations, up and down, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, DateTime, Engine, column, func, insert, inspect, select, table, text
from sqlalchemy.exc import DBAPIError

from integrations.archive import database
from integrations.archive.models import Base
from integrations.archive.store import ArchiveStore
from webhooks.inbound.messages import InboundMessage
from webhooks.records.ops import audit_op, turn_op

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


# The audit log as revision 0001 made it, for writing entries the way the code before 0002 did.
AUDIT_0001 = table(
    "audit_log",
    column("at", DateTime(timezone=True)),
    column("actor"),
    column("action"),
    column("subject"),
    column("detail", JSON),
)


def audit_indexes(engine: Engine) -> dict[str, bool]:
    return {str(i["name"]): bool(i["unique"]) for i in inspect(engine).get_indexes("audit_log")}


def refuses_changes(engine: Engine) -> bool:
    """Whether the database refuses to delete audit entries (PostgreSQL's trigger).

    Rolled back either way: the entries stay.
    """
    with engine.connect() as connection:
        try:
            connection.execute(text("DELETE FROM audit_log"))
        except DBAPIError as exc:
            return "append-only" in str(exc)
        finally:
            connection.rollback()
    return False


def test_0002_keys_the_audit_log_of_a_database_with_entries_and_goes_back(engine):
    phone = "+34600000001"
    database.upgrade(engine, "0001")
    store = ArchiveStore(engine)
    said = InboundMessage("meta", "whatsapp", phone, "w.1", "text", "Hola")
    store.apply(phone, turn_op(phone, [said], {}, {"stage": "INICIO"}, None, started=True))
    at = datetime.now(UTC)
    old = {"at": at, "actor": "admin", "action": "export", "subject": "s", "detail": {"n": 1}}
    with engine.begin() as connection:  # two entries alike in everything, as 0001 allowed
        connection.execute(insert(AUDIT_0001), [old, old])

    database.upgrade(engine)
    assert database.revision(engine) == "0002" == database.head()
    assert audit_indexes(engine) == {"ix_audit_log_key": True, "ix_audit_log_subject_at": False}
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT key, action FROM audit_log ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(None, "export"), (None, "export")]  # NULLs kept
    reset = audit_op("operator", "reset")
    store.apply(phone, reset)
    store.apply(phone, reset)  # replayed: written once
    store.audit("admin", "export", phone)
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT key FROM audit_log ORDER BY id")).scalars().all()
    assert keys[:3] == [None, None, reset["key"]] and len(keys) == 4 and keys[3]
    assert [m["text"] for m in store.export(phone)["messages"]] == ["Hola"]
    append_only = engine.dialect.name == "postgresql"
    assert refuses_changes(engine) is append_only

    database.downgrade(engine, "0001")
    assert database.revision(engine) == "0001"
    assert "key" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    assert audit_indexes(engine) == {"ix_audit_log_subject_at": False}
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(AUDIT_0001)).scalar() == 4
    assert refuses_changes(engine) is append_only
    with engine.connect() as connection:
        assert connection.execute(text("SELECT text FROM messages")).scalars().all() == ["Hola"]
    database.upgrade(engine)  # and up again: the entries keep NULL keys side by side
    assert database.revision(engine) == "0002"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT key FROM audit_log")).scalars().all() == [None] * 4


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
