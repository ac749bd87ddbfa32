"""A worker turn's writes after the graph: few round trips, the same guarantees.

The reminder's hash is written in the turn's transaction (its schedule before it, or removed
after it), and the statistics travel with the conversations index in the round trip after the
transaction: a statistics failure is logged, never fails or repeats the turn. On a real Redis.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime

import pytest
import redis
from prometheus_client import REGISTRY

from testkit.inbound import whatsapp_text
from webhooks.inbound.messages import InboundMessage
from webhooks.inbound.queue import PhoneBusyError, TurnLock
from webhooks.turns.worker import Worker

PHONE = "+34611400001"


def message(n: int, text: str) -> InboundMessage:
    return whatsapp_text(PHONE, f"wamid.trips.{n}", text, timestamp=time.time())


@pytest.fixture
def worker(services):
    """A worker as run_workers builds it: with follow-ups and statistics."""
    return Worker(
        services.conversations,
        services.queue,
        services.channels,
        name="test",
        followups=services.followups,
    )


def say(worker: Worker, n: int, text: str) -> None:
    worker.queue.accept(message(n, text))
    assert worker.process_phone(PHONE)


def cancelled() -> float:
    return REGISTRY.get_sample_value("iagente_follow_ups_total", {"outcome": "cancelled"}) or 0.0


def test_a_turn_arms_the_reminder_in_its_transaction_and_a_later_one_cancels_it(
    services, worker, redis_client
):
    timers = services.followups.timers
    say(worker, 1, "Hola")
    say(worker, 2, "sí")  # consent given: a silent customer may now be reminded

    timer = timers.get(PHONE)
    assert timer is not None and timer.due is not None and timer.step == 0
    assert timers.next_due(PHONE) == pytest.approx(timer.due)
    assert timer.due > time.time() + 3600  # FOLLOW_UP_AFTER's first delay (2h), or later

    before = cancelled()
    say(worker, 3, "BAJA")  # an opt-out: no reminder is wanted any more

    timer = timers.get(PHONE)
    assert timer is not None and timer.due is None
    assert timers.next_due(PHONE) is None
    assert cancelled() == before + 1
    assert services.queue.inbox_size(PHONE) == 0


def test_a_statistics_failure_neither_fails_nor_repeats_the_turn(
    services, worker, redis_client, caplog
):
    stats = services.conversations.stats
    day = stats._day(datetime.now(UTC).date())
    redis_client.set(day, "not a hash")  # every HINCRBY on it fails (WRONGTYPE)

    with caplog.at_level(logging.WARNING, logger="integrations.redis.stats"):
        say(worker, 1, "Hola")

    assert "stats not recorded: ResponseError" in caplog.text
    transcript = services.conversations.store.transcript(PHONE)
    assert [e["direction"] for e in transcript] == ["in", "out"]
    assert services.queue.inbox_size(PHONE) == 0
    assert services.conversations.store.count() == 1  # the index, in the same round trip

    redis_client.delete(day)
    say(worker, 2, "sí")
    report = stats.report(date.today())
    assert report.messages_in == 1  # counted again from here
    assert [e["direction"] for e in services.conversations.store.transcript(PHONE)] == [
        "in",
        "out",
        "in",
        "out",
    ]


def test_a_turns_statistics_are_counted_by_the_one_script(services, worker):
    say(worker, 1, "Hola")
    say(worker, 2, "sí")

    report = services.conversations.stats.report(date.today())

    # No sender is configured here: the replies are kept, not sent (so none counted out).
    assert (report.messages_in, report.messages_out) == (2, 0)
    assert report.conversations_started == 1
    assert report.active_users_24h == 1
    assert report.funnel[0].reached == 1


def test_a_turn_that_fails_still_repeats_a_notification_that_missed_its_lock(
    services, worker, redis_client, monkeypatch
):
    worker.queue.accept(message(1, "Hola"))
    notified = redis_client.xlen(worker.queue.stream)

    def breaks(phone: str, batch: list, entry_id: bytes | None = None, lock=None) -> None:
        worker.queue.accept(message(2, "¿sigues ahí?"))
        with pytest.raises(PhoneBusyError):  # its notification finds the lock taken
            worker.queue.take(PHONE, services.conversations.store.key(PHONE, "lock"), 5)
        raise RuntimeError("the turn broke")

    monkeypatch.setattr(worker, "answer", breaks)
    with pytest.raises(RuntimeError):
        worker.process_phone(PHONE)

    # Message 2's own notification, and the one repeated when the lock was let go.
    assert redis_client.xlen(worker.queue.stream) == notified + 2
    assert not redis_client.exists(services.conversations.store.key(PHONE, "lock"))
    assert worker.queue.inbox_size(PHONE) == 2  # nothing answered, nothing lost


def test_a_turn_lets_its_lock_go_in_its_transaction_and_learns_of_a_missed_notification(
    services, worker, redis_client, monkeypatch
):
    lock_name = services.conversations.store.key(PHONE, "lock")
    worker.queue.accept(message(1, "Hola"))
    notified = redis_client.xlen(worker.queue.stream)
    typing = worker.channels.typing

    def meanwhile(last: InboundMessage) -> None:
        worker.queue.accept(message(2, "¿sigues ahí?"))
        with pytest.raises(PhoneBusyError):  # its notification finds the lock taken
            worker.queue.take(PHONE, lock_name, 5)
        typing(last)

    released_alone: list[object] = []
    monkeypatch.setattr(worker.channels, "typing", meanwhile)
    monkeypatch.setattr(TurnLock, "do_release", lambda *args: released_alone.append(args))
    assert worker.process_phone(PHONE)

    assert released_alone == []  # let go in the turn's transaction, not by a round trip
    assert not redis_client.exists(lock_name)
    assert not redis_client.exists(worker.queue.key(PHONE, "missed"))
    # Message 2's own notification, and the one repeated because it missed the lock.
    assert redis_client.xlen(worker.queue.stream) == notified + 2
    assert worker.queue.inbox_size(PHONE) == 1  # message 2 waits for its own turn
    assert [e["direction"] for e in services.conversations.store.transcript(PHONE)] == [
        "in",
        "out",
    ]


def test_a_turn_whose_lease_ran_out_leaves_the_new_holders_lock(
    services, worker, redis_client, monkeypatch
):
    lock_name = services.conversations.store.key(PHONE, "lock")
    worker.queue.accept(message(1, "Hola"))
    typing = worker.channels.typing
    others: list[TurnLock] = []

    def meanwhile(last: InboundMessage) -> None:
        redis_client.delete(lock_name)  # the lease ran out (a worker frozen past it)...
        worker.queue.accept(message(2, "¿sigues ahí?"))
        others.append(worker.queue.take(PHONE, lock_name, 5)[0])  # ...and another took it
        typing(last)

    monkeypatch.setattr(worker.channels, "typing", meanwhile)
    assert worker.process_phone(PHONE)

    (other,) = others
    assert redis_client.get(lock_name) == other.local.token  # theirs, untouched
    other.release()
    assert not redis_client.exists(lock_name)


def read_one(worker: Worker) -> tuple[bytes, dict[str, str]]:
    worker.queue.ensure_group()
    ((entry_id, fields),) = worker.queue.read(worker.name, block_ms=10)
    return entry_id, fields


def test_the_notification_is_acknowledged_with_its_turns_record(services, worker, redis_client):
    worker.queue.accept(message(1, "Hola"))
    entry_id, fields = read_one(worker)

    worker.handle(entry_id, fields)

    assert worker._acked == entry_id  # in the record's round trip, not one of its own
    assert redis_client.xpending(worker.queue.stream, "workers")["pending"] == 0
    assert redis_client.xlen(worker.queue.stream) == 0
    assert [e["direction"] for e in services.conversations.store.transcript(PHONE)] == [
        "in",
        "out",
    ]


def test_a_turn_whose_record_fails_leaves_its_notification_to_be_retried(
    services, worker, redis_client, monkeypatch
):
    worker.queue.accept(message(1, "Hola"))
    entry_id, fields = read_one(worker)
    store = services.conversations.store
    record_exchange = store.record_exchange

    def unreachable(*args, **kwargs):
        raise redis.ConnectionError("Redis went away mid-turn")

    monkeypatch.setattr(store, "record_exchange", unreachable)
    worker.handle(entry_id, fields)  # logged, not raised: the loop goes on

    assert redis_client.xpending(worker.queue.stream, "workers")["pending"] == 1
    assert worker.queue.inbox_size(PHONE) == 1
    monkeypatch.setattr(store, "record_exchange", record_exchange)
    worker.handle(entry_id, fields)  # the retry (XAUTOCLAIM hands it back)
    assert redis_client.xpending(worker.queue.stream, "workers")["pending"] == 0
    assert worker.queue.inbox_size(PHONE) == 0
    assert [e["direction"] for e in store.transcript(PHONE)] == ["in", "out"]
