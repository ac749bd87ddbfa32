"""The per-phone turn lock: a turn longer than the lease keeps the phone.

One keeper thread per process renews every held lease; a lease it loses is dropped, not fatal.
"""

from __future__ import annotations

import threading
import time

from integrations.redis.conversations import ConversationStore
from integrations.redis.locks import KEEPER, renewed


def test_a_slow_turn_keeps_its_lock_past_the_lease(redis_client):
    store = ConversationStore(redis_client)
    lock = store.lock("+34600900100", timeout=0.3)
    assert lock.acquire(blocking=False)
    with renewed(lock, 0.3):
        time.sleep(1.0)  # three leases: only the renewals (from another thread) keep it
        assert not store.lock("+34600900100", timeout=0.3).acquire(blocking=False)
    assert store.lock("+34600900100", timeout=0.3).acquire(blocking=False)


def test_one_keeper_thread_renews_many_turns_and_no_thread_is_started_per_turn(redis_client):
    store = ConversationStore(redis_client)
    warm = store.lock("+34600900199", timeout=5)
    assert warm.acquire(blocking=False)
    with renewed(warm, 5):  # the process's keeper thread is running from here on
        pass
    threads = threading.active_count()
    phones = [f"+3460090020{n}" for n in range(8)]
    locks = [store.lock(phone, timeout=0.3) for phone in phones]
    for lock in locks:
        assert lock.acquire(blocking=False)
    holders = [renewed(lock, 0.3) for lock in locks]
    for holder in holders:
        holder.__enter__()
    assert threading.active_count() == threads
    assert KEEPER.held() >= len(locks)
    time.sleep(1.0)  # three leases
    for phone in phones:
        assert not store.lock(phone, timeout=0.3).acquire(blocking=False), phone
    for holder in holders:
        holder.__exit__(None, None, None)
    for phone in phones:
        assert store.lock(phone, timeout=0.3).acquire(blocking=False), phone


def test_a_lost_lease_is_dropped_and_the_others_are_still_renewed(redis_client):
    store = ConversationStore(redis_client)
    lost, kept = store.lock("+34600900301", timeout=0.3), store.lock("+34600900302", timeout=0.3)
    assert lost.acquire(blocking=False) and kept.acquire(blocking=False)
    with renewed(lost, 0.3), renewed(kept, 0.3):
        redis_client.delete(lost.name)  # the lease ran out (Redis restarted, a long freeze)
        thief = store.lock("+34600900301", timeout=5)
        assert thief.acquire(blocking=False)
        time.sleep(1.0)
        assert redis_client.get(lost.name) == thief.local.token  # the keeper left it alone
        assert not store.lock("+34600900302", timeout=0.3).acquire(blocking=False)
    assert redis_client.get(lost.name) == thief.local.token  # released only what was ours
    assert not redis_client.exists(kept.name)


class BrokenLock:
    """A lock whose renewal fails with something no lock should raise (a bug)."""

    name = "broken"

    def reacquire(self) -> bool:
        raise RuntimeError("a bug in a lock")

    def release(self) -> None:
        pass


def test_a_renewal_that_breaks_does_not_stop_the_keeper(redis_client, caplog):
    store = ConversationStore(redis_client)
    kept = store.lock("+34600900401", timeout=0.3)
    assert kept.acquire(blocking=False)
    with renewed(BrokenLock(), 0.3), renewed(kept, 0.3):
        time.sleep(1.0)
        assert not store.lock("+34600900401", timeout=0.3).acquire(blocking=False)
    assert "lease renewal failed" in caplog.text
