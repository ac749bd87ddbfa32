"""The per-phone turn lock: a turn longer than the lease keeps the phone."""

from __future__ import annotations

import time

from integrations.redis.conversations import ConversationStore
from integrations.redis.locks import renewed


def test_a_slow_turn_keeps_its_lock_past_the_lease(redis_client):
    store = ConversationStore(redis_client)
    lock = store.lock("+34600900100", timeout=0.3)
    assert lock.acquire(blocking=False)
    with renewed(lock, 0.3):
        time.sleep(1.0)  # three leases: only the renewals (from another thread) keep it
        assert not store.lock("+34600900100", timeout=0.3).acquire(blocking=False)
    assert store.lock("+34600900100", timeout=0.3).acquire(blocking=False)
