"""A worker's turn starts and ends in one round trip each: `MessageQueue.take`, `TurnLock`.

Taking reads the inbox's size, takes the phone's lock and reads the inbox; a second taker finds
the lock held and leaves the `missed` mark in the same script; letting go releases the lock only
if it is still ours and says whether the miss must be notified again. Against a real redis-server.
"""

from __future__ import annotations

import time

import pytest
from redis.exceptions import LockError

from integrations.redis.conversations import ConversationStore
from integrations.redis.locks import renewed
from testkit.inbound import whatsapp_text
from webhooks.inbound.messages import InboundMessage
from webhooks.inbound.queue import MessageQueue, PhoneBusyError

PHONE = "+34611300077"


def message(n: int) -> InboundMessage:
    return whatsapp_text(PHONE, f"wamid.take.{n}", f"mensaje {n}")


@pytest.fixture
def queue(redis_client) -> MessageQueue:
    return MessageQueue(redis_client)


@pytest.fixture
def lock_name(redis_client) -> str:
    return ConversationStore(redis_client).key(PHONE, "lock")


def test_nothing_waiting_takes_no_lock(queue, lock_name, redis_client):
    lock, batch = queue.take(PHONE, lock_name, 5)

    assert batch == []
    assert not redis_client.exists(lock_name)
    assert lock.local.token is None


def test_taking_holds_the_lock_with_a_lease_and_reads_the_inbox_in_order(
    queue, lock_name, redis_client
):
    queue.accept(message(1))
    queue.accept(message(2))

    lock, batch = queue.take(PHONE, lock_name, 5)

    assert [m.message_id for m in batch] == ["wamid.take.1", "wamid.take.2"]
    assert redis_client.get(lock_name) == lock.local.token
    assert 0 < redis_client.pttl(lock_name) <= 5000
    # The same lock `ConversationService.locked` takes: an operator can't take it meanwhile.
    assert not ConversationStore(redis_client).lock(PHONE, timeout=5).acquire(blocking=False)


def test_a_second_taker_marks_the_miss_and_the_holder_learns_it_when_letting_go(
    queue, lock_name, redis_client
):
    queue.accept(message(1))
    lock, _ = queue.take(PHONE, lock_name, 5)
    queue.accept(message(2))  # arrives during the turn

    with pytest.raises(PhoneBusyError):
        queue.take(PHONE, lock_name, 5)
    assert redis_client.exists(queue.key(PHONE, "missed"))

    queue.done(PHONE, 1)  # the turn answered message 1
    lock.release()

    assert lock.nudge is True
    assert not redis_client.exists(lock_name)
    assert not redis_client.exists(queue.key(PHONE, "missed"))  # one nudge per miss


def test_a_miss_with_nothing_left_waiting_needs_no_nudge(queue, lock_name, redis_client):
    queue.accept(message(1))
    queue.accept(message(2))
    lock, _ = queue.take(PHONE, lock_name, 5)
    with pytest.raises(PhoneBusyError):
        queue.take(PHONE, lock_name, 5)  # message 2's notification, during the turn

    queue.done(PHONE, 2)  # the turn answered both
    lock.release()

    assert lock.nudge is False
    assert not redis_client.exists(queue.key(PHONE, "missed"))


def test_letting_go_after_the_lease_ran_out_leaves_the_new_holders_lock(
    queue, lock_name, redis_client
):
    queue.accept(message(1))
    lock, _ = queue.take(PHONE, lock_name, 5)
    redis_client.delete(lock_name)  # the lease ran out (a worker frozen past it)...
    other, batch = queue.take(PHONE, lock_name, 5)  # ...and another worker took the phone
    assert batch

    with pytest.raises(LockError):
        lock.release()

    assert redis_client.get(lock_name) == other.local.token
    other.release()
    assert not redis_client.exists(lock_name)


def test_the_lease_keeper_renews_a_taken_lock(queue, lock_name, redis_client):
    queue.accept(message(1))
    lock, _ = queue.take(PHONE, lock_name, 0.3)

    with renewed(lock, 0.3):
        time.sleep(1.0)  # three leases: only the keeper's renewals keep it
        assert redis_client.get(lock_name) == lock.local.token
    assert not redis_client.exists(lock_name)
