"""The archive side of the service: the store, its outbox, the drainer and the retention policy."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.archive.erasure import RetentionPolicy
from integrations.archive.store import ArchiveStore
from integrations.redis.outbox import Outbox
from webhooks.records.drainer import ArchiveDrainer


@dataclass(frozen=True)
class Archive:
    """The SQL archive as the service uses it: written through `outbox`, read through `store`.

    store     the archive's tables (call `store.ready()` before the first use in a process)
    outbox    the turns' operations waiting to be written, per phone, in Redis
    drainer   what writes them (threads of the worker process run it)
    policy    what a legal hold keeps, and for how long the rest is kept
    """

    store: ArchiveStore
    outbox: Outbox
    drainer: ArchiveDrainer
    policy: RetentionPolicy
