"""Which database the archive is in, the engine on it, and its schema's migrations (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_FILE = "archive.sqlite3"
# Drivers for URLs that name only the database: the one installed with the service.
DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def database_url(configured: str | None, var_dir: Path) -> str:
    """DATABASE_URL with a driver we ship, or the SQLite file under VAR_DIR when it is unset."""
    if not configured:
        return f"sqlite:///{(var_dir / SQLITE_FILE).resolve()}"
    url = make_url(configured)
    if url.drivername in DRIVERS:
        url = url.set(drivername=DRIVERS[url.drivername])
    return url.render_as_string(hide_password=False)


def make_engine(url: str, *, connect_timeout: int = 5) -> Engine:
    """An engine on `url` that fails fast when the server is away (the drainer waits instead)."""
    parsed = make_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 15}
    elif parsed.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": connect_timeout}
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # SQLite checks foreign keys only when asked; WAL lets the web app read while a drainer writes.
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine  # migrations/env.py migrates this one
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the archive's schema up to `revision` (the newest by default)."""
    command.upgrade(_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the archive's schema down to `revision` ("base": no tables at all)."""
    command.downgrade(_config(engine), revision)


def revision(engine: Engine) -> str | None:
    """The schema's current revision, or None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    """The newest revision the service ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
