"""The archive drainer's batches: many phones' heads in one transaction (real Redis and SQL).

Each phone keeps its order and its own outcome: a refused head is set aside, a failing one
waits, the others are written; a drainer killed mid-batch loses nothing and writes nothing twice.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from integrations.archive.database import database_url, make_engine
from integrations.archive.erasure import RetentionPolicy
from integrations.archive.store import ArchiveStore
from integrations.redis.health import HealthBook
from integrations.redis.local_cluster import LocalCluster
from integrations.redis.outbox import Outbox
from testkit.databases import archive_url, postgres_server
from webhooks.inbound.messages import InboundMessage
from webhooks.records.drainer import ArchiveDrainer
from webhooks.records.ops import audit_op, turn_op

__all__ = ["archive_url", "postgres_server"]

PHONES = [f"+3460040{n:04d}" for n in range(1, 7)]


@pytest.fixture
def store(archive_url: str) -> Iterator[ArchiveStore]:
    built = ArchiveStore(make_engine(database_url(archive_url, Path()))).ready()
    yield built
    built.engine.dispose()


def drainer_on(store: ArchiveStore, client, *, lease_seconds: float = 60) -> ArchiveDrainer:
    outbox = Outbox(client, name="archive", lease_seconds=lease_seconds)
    return ArchiveDrainer(store, outbox, RetentionPolicy(), client, health=HealthBook(client))


@pytest.fixture
def drainer(store: ArchiveStore, redis_client) -> ArchiveDrainer:
    return drainer_on(store, redis_client)


def said(phone: str, text: str, n: int) -> dict:
    message = InboundMessage("meta", "whatsapp", phone, f"w.{phone}.{n}", "text", text)
    return turn_op(phone, [message], {}, {"stage": "INICIO", "turns": n}, None, started=n == 1)


def texts(store: ArchiveStore, phone: str) -> list[str]:
    return [m["text"] for m in store.export(phone)["messages"]]


def dead(drainer: ArchiveDrainer) -> list[dict]:
    return [json.loads(x) for x in drainer.redis.lrange(drainer.outbox.dead_key, 0, -1)]


def test_a_batch_writes_one_head_per_phone_in_one_transaction(drainer, store):
    for phone in PHONES:
        drainer.outbox.add(phone, [said(phone, f"Hola {phone}", 1)])
    drainer.outbox.add(PHONES[0], [said(PHONES[0], "después", 2)])
    transactions = []
    event.listen(store.engine, "commit", lambda _conn: transactions.append(1))

    assert drainer.drain_batch(drainer.outbox.due(100)) == len(PHONES)
    assert len(transactions) == 1
    for phone in PHONES:
        assert texts(store, phone) == [f"Hola {phone}"]
    # Only the head: the phone with a second turn waits, marked, for the next round.
    assert drainer.outbox.due(100) == [PHONES[0]]
    assert drainer.drain_batch(drainer.outbox.due(100)) == 1
    assert texts(store, PHONES[0]) == [f"Hola {PHONES[0]}", "después"]
    assert store.export(PHONES[0])["conversations"][0]["turns"] == 2
    assert drainer.outbox.backlog()["pending"] == 0 and drainer.outbox.due(100) == []
    # Every lease was given back: an erasure could take any phone now.
    assert all(drainer.outbox.lease(phone) is not None for phone in PHONES)


def test_a_refused_head_is_set_aside_and_the_rest_of_the_batch_is_written(drainer, store):
    poisoned, *others = PHONES
    drainer.outbox.add(poisoned, [{"op": "teleport"}, said(poisoned, "luego", 1)])
    for phone in others:
        drainer.outbox.add(phone, [said(phone, "Hola", 1)])

    assert drainer.drain_batch(drainer.outbox.due(100)) == len(PHONES)
    assert all(texts(store, phone) == ["Hola"] for phone in others)
    [buried] = dead(drainer)
    assert buried["op"]["op"] == "teleport" and buried["phone"] == poisoned
    assert drainer.outbox.due(100) == [poisoned]  # its next operation is still to be written
    assert drainer.drain_batch(drainer.outbox.due(100)) == 1
    assert texts(store, poisoned) == ["luego"]
    assert drainer.outbox.backlog()["pending"] == 0


def test_a_head_that_fails_alone_waits_and_the_others_are_written(drainer, store):
    failing, *others = PHONES
    for phone in PHONES:
        drainer.outbox.add(phone, [said(phone, "Hola", 1)])

    def refuse(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if failing in repr(parameters):
            raise OperationalError(statement, parameters, Exception("this row's own trouble"))

    event.listen(store.engine, "before_cursor_execute", refuse)
    assert drainer.drain_batch(drainer.outbox.due(100), delay=30) == len(PHONES)
    assert all(texts(store, phone) == ["Hola"] for phone in others)
    assert drainer.outbox.backlog()["pending"] == 1 and dead(drainer) == []
    assert drainer.outbox.due(100) == []  # it waits its delay
    assert drainer.redis.zscore(drainer.outbox.due_key, failing) > time.time() + 20

    event.remove(store.engine, "before_cursor_execute", refuse)
    drainer.redis.zadd(drainer.outbox.due_key, {failing: 0})
    assert drainer.drain_batch(drainer.outbox.due(100)) == 1
    assert texts(store, failing) == ["Hola"]


@pytest.mark.parametrize("waiting", [1, len(PHONES)])
def test_with_the_database_away_the_whole_batch_waits(drainer, store, waiting):
    phones = PHONES[:waiting]
    for phone in phones:
        drainer.outbox.add(phone, [said(phone, "Hola", 1)])
    gone = make_engine("postgresql://nobody:secret@127.0.0.1:1/none", connect_timeout=1)
    away = ArchiveDrainer(
        ArchiveStore(gone), drainer.outbox, RetentionPolicy(), drainer.redis, health=drainer.health
    )
    assert away.drain_batch(drainer.outbox.due(100), delay=30) is None
    gone.dispose()
    assert drainer.outbox.backlog()["pending"] == len(phones)
    assert drainer.outbox.due(100) == []  # all of them wait the delay
    assert HealthBook(drainer.redis).read("archive")["reachable"] is False

    drainer.redis.zadd(drainer.outbox.due_key, dict.fromkeys(phones, 0))
    assert drainer.drain_batch(drainer.outbox.due(100)) == len(phones)
    assert all(texts(store, phone) == ["Hola"] for phone in phones)


def test_a_drainer_killed_after_its_commit_loses_nothing_and_writes_nothing_twice(
    store, redis_client
):
    first = drainer_on(store, redis_client, lease_seconds=0.3)
    for phone in PHONES:
        first.outbox.add(phone, [said(phone, "Hola", 1), said(phone, "sí", 2)])
    # The first drainer leases the heads and commits them, then dies before popping any.
    taken = first.outbox.take(first.outbox.due(100))
    first.store.apply_all([(t.phone, t.op) for t in taken if t.op])

    second = drainer_on(store, redis_client, lease_seconds=0.3)
    assert second.drain_batch(second.outbox.due(100)) == 0  # the leases still hold
    time.sleep(0.4)
    while due := second.outbox.due(100):
        assert second.drain_batch(due)
    for phone in PHONES:
        found = store.export(phone)
        assert [m["text"] for m in found["messages"]] == ["Hola", "sí"]
        assert [c["turns"] for c in found["conversations"]] == [2]
    assert second.outbox.backlog()["pending"] == 0


def test_audit_operations_replayed_after_a_commit_are_written_once(store, redis_client):
    """A drainer killed between its commit and its pops: the next one applies the same heads.

    Half the phones hold operations as the code before audit keys queued them (no key).
    """
    first = drainer_on(store, redis_client, lease_seconds=0.3)
    for n, phone in enumerate(PHONES):
        ops = [audit_op("operator", "reset"), audit_op("operator", "close", {"n": 1})]
        if n % 2:
            ops = [{k: v for k, v in op.items() if k != "key"} for op in ops]
        first.outbox.add(phone, ops)
    taken = first.outbox.take(first.outbox.due(100))
    first.store.apply_all([(t.phone, t.op) for t in taken if t.op])

    second = drainer_on(store, redis_client, lease_seconds=0.3)
    time.sleep(0.4)
    while due := second.outbox.due(100):
        assert second.drain_batch(due)
    for phone in PHONES:
        assert [e["action"] for e in store.export(phone)["audit"]] == ["reset", "close"]
    assert second.outbox.backlog()["pending"] == 0


def test_a_drainer_whose_lease_ran_out_pops_nothing_of_the_next_one(store, redis_client):
    slow = drainer_on(store, redis_client, lease_seconds=0.2)
    phone = PHONES[0]
    slow.outbox.add(phone, [said(phone, "Hola", 1), said(phone, "sí", 2)])
    [late] = slow.outbox.take([phone])
    time.sleep(0.3)
    quick = drainer_on(store, redis_client)
    [now] = quick.outbox.take([phone])
    assert slow.outbox.settle([late], done={phone}) == [phone]
    assert redis_client.llen(slow.outbox.key(phone)) == 2  # nothing popped by the late one
    quick.outbox.settle([now], done={phone})
    assert redis_client.llen(slow.outbox.key(phone)) == 1
    assert slow.outbox.due(100) == [phone]


def test_a_phone_an_erasure_holds_is_left_out_of_the_batch(drainer, store):
    held, *others = PHONES
    for phone in PHONES:
        drainer.outbox.add(phone, [said(phone, "Hola", 1)])
    lease = drainer.outbox.lease(held)
    assert drainer.drain_batch(drainer.outbox.due(100)) == len(others)
    assert texts(store, held) == [] and drainer.outbox.due(100) == [held]
    lease.release()


def test_a_writer_adding_during_the_batch_keeps_its_phone_due(drainer, store):
    phone = PHONES[0]
    drainer.outbox.add(phone, [said(phone, "Hola", 1)])
    taken = drainer.outbox.take([phone])
    drainer.store.apply_all([(t.phone, t.op) for t in taken if t.op])
    drainer.outbox.add(phone, [said(phone, "sí", 2)])  # the next turn, before the pop
    drainer.outbox.settle(taken, done={phone})
    assert drainer.outbox.due(100) == [phone] and drainer.outbox.backlog()["pending"] == 1


def unfinished(outbox: Outbox, phones: list[str]) -> list[str]:
    """The phones whose lists still hold operations.

    Not `backlog()`: it counts the due phones, and a batch unmarks its phones before it looks
    at them again, so for that moment a phone with work left is not counted.
    """
    return [phone for phone in phones if outbox.head(phone) is not None]


def test_run_drains_many_phones_in_batches_with_a_poisoned_one(drainer, store):
    drainer.poll_seconds = 0.01
    phones = [f"+3460041{n:04d}" for n in range(120)]
    for phone in phones:
        drainer.outbox.add(phone, [said(phone, "Hola", 1), said(phone, "sí", 2)])
    drainer.outbox.add(phones[7], [{"op": "audit", "actor": "x"}])  # no action: refused
    stop = threading.Event()
    thread = threading.Thread(target=drainer.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 60
    while unfinished(drainer.outbox, phones) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join()
    assert drainer.outbox.backlog()["pending"] == 0
    assert all(texts(store, phone) == ["Hola", "sí"] for phone in phones)
    assert [d["phone"] for d in dead(drainer)] == [phones[7]]


def test_two_drainers_share_the_phones_and_each_operation_is_written_once(store, redis_client):
    drainers = [drainer_on(store, redis_client) for _ in range(2)]
    phones = [f"+3460042{n:04d}" for n in range(60)]
    for phone in phones:
        drainers[0].outbox.add(phone, [said(phone, t, n) for n, t in enumerate("abc", 1)])
    stop = threading.Event()
    threads = [threading.Thread(target=d.run, args=(stop,)) for d in drainers]
    for drainer, thread in zip(drainers, threads, strict=True):
        drainer.poll_seconds = 0.01
        thread.start()
    deadline = time.monotonic() + 60
    while unfinished(drainers[0].outbox, phones) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    for phone in phones:
        found = store.export(phone)
        assert [m["text"] for m in found["messages"]] == ["a", "b", "c"]
        assert [c["turns"] for c in found["conversations"]] == [3]
    assert drainers[0].outbox.backlog()["pending"] == 0 and dead(drainers[0]) == []


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with LocalCluster(tmp_path_factory.mktemp("cluster"), masters=3) as running:
        yield running


@pytest.mark.parametrize("archive_url", ["sqlite"], indirect=True)
def test_batches_work_on_a_redis_cluster(cluster, store):
    client: redis.RedisCluster = cluster.client()
    client.flushall()
    try:
        drainer = drainer_on(store, client)
        slots = {key_slot(drainer.outbox.key(phone).encode()) for phone in PHONES}
        nodes = {client.get_node_from_key(drainer.outbox.key(phone)).name for phone in PHONES}
        assert len(slots) == len(PHONES) and len(nodes) > 1
        for phone in PHONES:
            drainer.outbox.add(phone, [said(phone, "Hola", 1), {"op": "teleport"}])
        assert drainer.drain_batch(drainer.outbox.due(100)) == len(PHONES)
        assert sorted(drainer.outbox.due(100)) == sorted(PHONES)  # each has its next one
        assert drainer.drain_batch(drainer.outbox.due(100)) == len(PHONES)
        assert all(texts(store, phone) == ["Hola"] for phone in PHONES)
        assert drainer.outbox.backlog()["pending"] == 0 and drainer.outbox.due(100) == []
        assert len(dead(drainer)) == len(PHONES)
    finally:
        client.close()
