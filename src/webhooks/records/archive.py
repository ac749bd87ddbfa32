"""The archive side of the service: the store, its outbox, the drainer and the retention policy."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from integrations.archive import database
from integrations.archive.store import ArchiveStore
from integrations.redis.outbox import Outbox


@dataclass(frozen=True)
class RetentionPolicy:
    """What a legal hold keeps, and for how long the archive keeps the rest.

    hold               event tables kept through an erasure (LEGAL_HOLD)
    years              how long held rows are kept after they were made (RETENTION_YEARS)
    unconverted_days   how long a conversation that never became a lead is kept after its last
                       message (UNCONVERTED_RETENTION_DAYS; 0: for ever)
    """

    hold: tuple[str, ...] = ("consents", "leads")
    years: int = 6
    unconverted_days: int = 365

    def held_since(self, now: datetime | None = None) -> datetime:
        """Held rows made before this are past their hold."""
        return (now or datetime.now(UTC)) - timedelta(days=round(self.years * 365.25))

    def unconverted_before(self, now: datetime | None = None) -> datetime | None:
        """Conversations without a lead idle since before this are purged (None: never)."""
        if not self.unconverted_days:
            return None
        return (now or datetime.now(UTC)) - timedelta(days=self.unconverted_days)


@dataclass
class Archive:
    """The SQL archive as the service uses it: written through `outbox`, read through `store`."""

    store: ArchiveStore
    outbox: Outbox
    policy: RetentionPolicy
    _migrated: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def ready(self) -> ArchiveStore:
        """The store, its schema migrated to the newest revision once per process.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the database is unavailable.
        """
        with self._lock:
            if not self._migrated:
                database.upgrade(self.store.engine)
                self._migrated = True
        return self.store
