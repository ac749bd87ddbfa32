"""The durable outbox on a real Redis: order per phone, scheduling, leases, backlog, recovery."""

from __future__ import annotations

import time

from integrations.redis.outbox import Outbox


def add(outbox: Outbox, client, phone: str, *ops: dict) -> None:
    pipe = client.pipeline(transaction=True)
    outbox.push(pipe, phone, ops)
    pipe.execute()
    outbox.schedule(phone)


def test_operations_come_out_in_order_and_a_drained_phone_is_no_longer_due(redis_client):
    outbox = Outbox(redis_client)
    add(outbox, redis_client, "+34600000001", {"op": "incoming", "n": 1}, {"op": "state", "n": 2})
    add(outbox, redis_client, "+34600000001", {"op": "outgoing", "n": 3})
    assert outbox.due() == ["+34600000001"]
    seen = []
    while (op := outbox.head("+34600000001")) is not None:
        seen.append(op["n"])
        outbox.pop("+34600000001")
    assert seen == [1, 2, 3]
    assert outbox.finish("+34600000001") is True
    assert outbox.due() == []


def test_work_pushed_after_the_drainer_looked_keeps_the_phone_due(redis_client):
    outbox = Outbox(redis_client)
    add(outbox, redis_client, "+34600000002", {"op": "note"})
    outbox.pop("+34600000002")
    # The writer pushes between the drainer's last look and its unmarking.
    pipe = redis_client.pipeline(transaction=True)
    outbox.push(pipe, "+34600000002", [{"op": "incoming"}])
    pipe.execute()
    assert outbox.finish("+34600000002") is False
    assert outbox.due() == ["+34600000002"]


def test_retry_later_postpones_and_one_lease_per_phone(redis_client):
    outbox = Outbox(redis_client)
    add(outbox, redis_client, "+34600000003", {"op": "note"})
    outbox.retry_later("+34600000003", 30)
    assert outbox.due() == []
    lease = outbox.lease("+34600000003")
    assert lease is not None
    assert outbox.lease("+34600000003") is None
    lease.release()
    assert outbox.lease("+34600000003") is not None


def test_backlog_counts_pending_work_and_the_oldest_age(redis_client):
    outbox = Outbox(redis_client)
    assert outbox.backlog() == {
        "pending": 0,
        "conversations": 0,
        "oldest_age_seconds": 0.0,
        "dead": 0,
    }
    add(outbox, redis_client, "+34600000004", {"op": "note", "queued_at": time.time() - 42})
    add(outbox, redis_client, "+34600000005", {"op": "note"}, {"op": "state"})
    backlog = outbox.backlog()
    assert backlog["pending"] == 3
    assert backlog["conversations"] == 2
    assert 41 <= backlog["oldest_age_seconds"] < 60


def test_a_refused_operation_is_set_aside_and_the_next_one_comes_up(redis_client):
    outbox = Outbox(redis_client, dead_kept=2)
    add(outbox, redis_client, "+34600000006", {"op": "bad"}, {"op": "good"})
    outbox.bury("+34600000006", outbox.head("+34600000006"), "422 Unprocessable Entity")
    assert outbox.head("+34600000006")["op"] == "good"
    assert outbox.backlog()["dead"] == 1


def test_rescan_finds_work_whose_writer_died_before_scheduling_it(redis_client):
    outbox = Outbox(redis_client)
    pipe = redis_client.pipeline(transaction=True)
    outbox.push(pipe, "+34600000007", [{"op": "incoming"}])
    pipe.execute()  # ... and the writer dies here, before `schedule`
    assert outbox.due() == []
    assert outbox.rescan() == 1
    assert outbox.due() == ["+34600000007"]


def test_a_batch_takes_the_heads_of_free_phones_and_settles_them(redis_client):
    outbox = Outbox(redis_client)
    add(outbox, redis_client, "+34600000011", {"op": "a", "n": 1}, {"op": "a", "n": 2})
    add(outbox, redis_client, "+34600000012", {"op": "b", "n": 1})
    add(outbox, redis_client, "+34600000013", {"op": "c", "n": 1})
    outbox.schedule("+34600000014")  # marked, nothing waiting
    held = outbox.lease("+34600000013")
    taken = {t.phone: t for t in outbox.take(outbox.due())}
    assert sorted(taken) == ["+34600000011", "+34600000012", "+34600000014"]
    assert taken["+34600000011"].op["n"] == 1 and taken["+34600000014"].op is None
    assert outbox.take(["+34600000011"]) == []  # leased by this batch

    lost = outbox.settle(taken.values(), done={"+34600000011"}, waiting={"+34600000012"}, delay=30)
    assert lost == []
    assert outbox.head("+34600000011")["n"] == 2 and outbox.head("+34600000012")["n"] == 1
    assert sorted(outbox.due()) == ["+34600000011", "+34600000013"]  # 12 waits its delay
    assert redis_client.zscore(outbox.due_key, "+34600000012") > time.time() + 20
    assert all(outbox.lease(phone) for phone in taken)  # every lease given back
    held.release()


def test_a_late_settle_leaves_the_new_holder_its_lease_and_the_phone_due(redis_client):
    late, now = Outbox(redis_client, lease_seconds=0.2), Outbox(redis_client)
    add(late, redis_client, "+34600000021", {"op": "a", "n": 1}, {"op": "a", "n": 2})
    [stale] = late.take(late.due())
    time.sleep(0.3)  # its lease runs out; another drainer takes the phone
    [fresh] = now.take(["+34600000021"])

    assert late.settle([stale], done={"+34600000021"}) == ["+34600000021"]
    assert late.head("+34600000021")["n"] == 1  # nothing popped
    assert late.due() == ["+34600000021"]  # unmarked, then marked again: its work is left
    assert now.lease("+34600000021") is None  # the holder's lease was not given back
    assert now.settle([fresh], done={"+34600000021"}) == []
    assert now.head("+34600000021")["n"] == 2 and now.due() == ["+34600000021"]
