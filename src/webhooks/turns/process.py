"""`iagente worker`: one process's worker threads, and the drainers and poller beside them."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

from webhooks.services import Services
from webhooks.turns.worker import Worker

log = logging.getLogger(__name__)


def run_workers(
    services: Services, *, threads: int | None = None, stop: threading.Event | None = None
) -> None:
    """`iagente worker`: several worker threads until SIGTERM/SIGINT, each finishing its phone."""
    settings, chatwoot = services.settings, services.chatwoot
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    base = f"{socket.gethostname()}-{os.getpid()}"
    workers = [
        Worker(
            services.conversations,
            services.queue,
            services.channels,
            name=f"{base}-{i}",
            claim_idle_ms=int(settings.claim_idle_seconds * 1000),
            health=services.health,
            archive=services.archive,
            chatwoot=chatwoot,
            voice=services.voice,
            followups=services.followups,
            advisors=services.advisors,
        )
        for i in range(threads or settings.worker_threads)
    ]
    pool = [threading.Thread(target=w.run, args=(stop,), name=w.name) for w in workers]
    if chatwoot:
        # As many drainers as workers: a slow Chatwoot is worked on for several conversations at
        # once (each conversation still by one drainer at a time, in order).
        pool += [
            threading.Thread(target=chatwoot.mirror.run, args=(stop,), name=f"chatwoot-{i}")
            for i in range(len(workers))
        ]
    if services.archive:
        # The database is quick next to Chatwoot: two drainers keep up with many workers.
        drainer = services.archive.drainer
        pool += [
            threading.Thread(target=drainer.run, args=(stop,), name=f"archive-{i}")
            for i in range(min(2, len(workers)))
        ]
    if services.followups and services.followups.enabled:
        # One poller per process: claims are atomic, so any number of processes may poll.
        pool.append(
            threading.Thread(target=services.followups.run, args=(stop,), name="follow-ups")
        )
    for thread in pool:
        thread.start()
    log.info(
        "worker started threads=%d brain=%s chatwoot=%s",
        len(workers),
        services.conversations.context.brain.name,
        "on" if chatwoot else "off",
    )
    for thread in pool:
        thread.join()
    log.info("worker stopped")
