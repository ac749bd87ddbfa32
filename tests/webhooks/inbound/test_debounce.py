"""The typing pause on a real Redis, with a clock the tests move: bursts, the cap, kill-safety.

A worker is driven by hand (read, then handle each notification), so every step is visible and
no test waits on time: the pause is over when the test moves the clock past it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from testkit.processes import wait_until
from testkit.stack import Stack, post_meta, post_twilio, running
from webhooks.inbound.debounce import Debounce
from webhooks.settings import SettingsError, load_settings
from webhooks.turns.worker import Worker

PHONE = "+34611200001"


class Clock:
    """Unix time that moves only when told."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def paused(redis_url: str, clock: Clock) -> Iterator[Stack]:
    """The service with a 0.2 s pause capped at 0.5 s on `clock`; no worker threads."""
    with running(redis_url, debounce_seconds=0.2, debounce_max_seconds=0.5) as stack:
        debounce = stack.services.queue.debounce
        assert debounce is not None
        debounce.clock = clock
        yield stack


def worker_of(stack: Stack, name: str = "w1") -> Worker:
    services = stack.services
    return Worker(services.conversations, services.queue, services.channels, name=name)


def work(stack: Stack, worker: Worker) -> list[dict[str, Any]]:
    """One read by `worker` and every notification it got handled; their fields."""
    entries = stack.services.queue.read(worker.name, block_ms=1)
    for entry_id, fields in entries:
        worker.handle(entry_id, fields)
    return [fields for _, fields in entries]


def transcript(stack: Stack, phone: str = PHONE) -> list[tuple[str, str]]:
    return [(e["direction"], e["text"]) for e in stack.service.store.transcript(phone)]


def test_three_quick_messages_are_one_turn_with_one_reply_in_order(paused, clock):
    worker = worker_of(paused)
    paused.services.queue.ensure_group()
    for n, text in enumerate(["Hola", "quiero un seguro", "para mi familia"]):
        assert post_meta(paused, PHONE, text, f"wamid.d{n}").status_code == 200
        clock.advance(0.1)
    # Each message's own notification comes while the phone is still in its pause: only
    # "typing…" (Meta marks the message read with it), no turn.
    handled = work(paused, worker)
    assert len(handled) >= 3 and all(f == {"phone": PHONE} for f in handled)
    assert paused.providers.sent == []
    typing = [r["json"] for r in paused.providers.receipts if "typing_indicator" in r["json"]]
    # Shown on the newest message waiting (all three were in by the time the worker read).
    assert typing and {t["message_id"] for t in typing} == {"wamid.d2"}
    assert paused.services.queue.inbox_size(PHONE) == 3

    clock.advance(0.15)  # 0.2 s after the last message
    assert work(paused, worker) == [{"phone": PHONE, "due": "1"}]
    [reply] = paused.providers.texts_to(PHONE)
    assert transcript(paused) == [
        ("in", "Hola"),
        ("in", "quiero un seguro"),
        ("in", "para mi familia"),
        ("out", reply),
    ]
    assert paused.services.queue.inbox_size(PHONE) == 0
    assert paused.services.queue.depth()["depth"] == 0  # every notification acknowledged
    assert work(paused, worker) == []


def test_the_cap_answers_a_customer_who_keeps_typing_and_the_next_message_is_a_new_turn(
    paused, clock
):
    worker = worker_of(paused)
    paused.services.queue.ensure_group()
    for n in range(4):  # every 0.15 s: each within the pause of the one before
        post_meta(paused, PHONE, f"mensaje {n}", f"wamid.c{n}")
        work(paused, worker)
        clock.advance(0.15)
    # 0.6 s after the first message, past the 0.5 s cap, 0.15 s after the last one.
    assert paused.providers.texts_to(PHONE) == []  # not yet released: the read comes next
    work(paused, worker)
    assert len(paused.providers.texts_to(PHONE)) == 1
    first_turn = [text for direction, text in transcript(paused) if direction == "in"]
    assert first_turn == ["mensaje 0", "mensaje 1", "mensaje 2", "mensaje 3"]

    post_meta(paused, PHONE, "sí", "wamid.c4")
    work(paused, worker)
    assert len(paused.providers.texts_to(PHONE)) == 1  # a new pause
    clock.advance(0.2)
    work(paused, worker)
    replies = paused.providers.texts_to(PHONE)
    assert len(replies) == 2
    assert [d for d, _ in transcript(paused)] == ["in"] * 4 + ["out", "in", "out"]


def test_the_due_time_is_pushed_forward_up_to_the_cap(redis_client, clock):
    debounce = Debounce(redis_client, seconds=0.2, max_seconds=0.5, clock=clock)
    start = clock.now

    def schedule() -> float:
        pipe = redis_client.pipeline(transaction=False)
        debounce.schedule(pipe, PHONE)
        return float(pipe.execute()[0])

    assert schedule() == pytest.approx(start + 0.2)
    clock.advance(0.1)
    assert schedule() == pytest.approx(start + 0.3)
    clock.advance(0.35)
    assert schedule() == pytest.approx(start + 0.5)  # the cap, not 0.2 s after this one
    assert debounce.release() == ([], pytest.approx(start + 0.5))
    clock.advance(0.05)
    assert debounce.release() == ([PHONE], None)


def test_a_pause_of_zero_keeps_todays_behaviour(redis_url):
    with running(redis_url) as stack:  # the tests' settings: DEBOUNCE_SECONDS=0
        assert stack.settings.debounce_seconds == 0
        assert stack.services.queue.debounce is None
        worker = worker_of(stack)
        stack.services.queue.ensure_group()
        post_meta(stack, PHONE, "Hola", "wamid.z1")
        assert work(stack, worker) == [{"phone": PHONE}]
        assert len(stack.providers.texts_to(PHONE)) == 1
        assert stack.providers.receipts  # the turn's own "typing…", as before


def test_a_worker_that_dies_during_the_pause_loses_nothing(paused, clock):
    queue = paused.services.queue
    queue.ensure_group()
    post_meta(paused, PHONE, "Hola", "wamid.k1")
    post_meta(paused, PHONE, "quiero un seguro", "wamid.k2")
    # The first worker reads both notifications and dies before handling them.
    assert len(queue.read("dead", block_ms=1)) >= 2
    clock.advance(0.2)
    alive = worker_of(paused, "alive")
    work(paused, alive)  # the phone is due: released and answered by the live worker
    assert len(paused.providers.texts_to(PHONE)) == 1
    # The dead worker's notifications are claimed later: nothing left, no second reply.
    for entry_id, fields in queue.claim_stale("alive", min_idle_ms=0):
        alive.handle(entry_id, fields)
    assert len(paused.providers.texts_to(PHONE)) == 1
    assert [d for d, _ in transcript(paused)] == ["in", "in", "out"]
    assert queue.depth()["depth"] == 0


def test_a_worker_killed_between_releasing_a_phone_and_notifying_it_loses_nothing(paused, clock):
    queue, debounce = paused.services.queue, paused.services.queue.debounce
    assert debounce is not None
    queue.ensure_group()
    post_twilio(paused, PHONE, "Hola", "SM" + "1" * 32)
    worker = worker_of(paused)
    work(paused, worker)  # the message's own notification: SMS has no typing indicator
    clock.advance(0.2)
    assert debounce.release() == ([PHONE], None)  # ... and the releasing worker dies here
    work(paused, worker)
    assert paused.providers.texts_to(PHONE) == []  # its lease holds the phone for a while
    clock.advance(debounce.lease_seconds)
    work(paused, worker)  # the lease ran out: released again, notified, answered
    assert len(paused.providers.texts_to(PHONE)) == 1
    assert [d for d, _ in transcript(paused)] == ["in", "out"]


def test_a_duplicate_delivery_during_the_pause_is_one_message(paused, clock):
    worker = worker_of(paused)
    paused.services.queue.ensure_group()
    post_meta(paused, PHONE, "Hola", "wamid.r1")
    post_meta(paused, PHONE, "Hola", "wamid.r1")  # Meta retries the same delivery
    clock.advance(0.2)
    work(paused, worker)
    work(paused, worker)
    assert len(paused.providers.texts_to(PHONE)) == 1
    assert transcript(paused)[0] == ("in", "Hola") and len(transcript(paused)) == 2


def test_worker_threads_answer_a_burst_once_when_its_pause_is_over(redis_url, clock):
    with running(redis_url, debounce_seconds=0.2, debounce_max_seconds=0.5) as stack:
        debounce = stack.services.queue.debounce
        assert debounce is not None
        debounce.clock = clock  # stands still until the test moves it
        stack.start_workers(2)
        for n, text in enumerate(["Hola", "quiero un seguro", "para mi familia"]):
            post_meta(stack, PHONE, text, f"wamid.t{n}")

        def typing_shown() -> int:
            return sum("typing_indicator" in r["json"] for r in stack.providers.receipts)

        wait_until(lambda: typing_shown() >= 3, what="each message's typing indicator")
        assert stack.providers.sent == []  # the pause is not over while the clock stands
        clock.advance(0.2)
        stack.providers.wait_for(1)
        wait_until(lambda: stack.services.queue.depth()["depth"] == 0, what="all acknowledged")
        assert len(stack.providers.texts_to(PHONE)) == 1
        assert [d for d, _ in transcript(stack)] == ["in", "in", "in", "out"]


@pytest.mark.parametrize("value", ["-1", "pronto", "nan"])
def test_a_pause_that_cant_be_used_is_one_line_naming_it(value):
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, debounce_seconds=value)
    message = str(caught.value)
    assert message.startswith("DEBOUNCE_SECONDS: ") and "\n" not in message
