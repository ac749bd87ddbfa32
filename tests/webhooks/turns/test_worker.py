"""The worker's turn on a real Redis.

One checkpoint read per turn, a tapped option taken as structured input (no brain call), the
consumer group created once.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from agent.brains.base import Reading
from agent.brains.rules import RulesBrain
from testkit.inbound import whatsapp_text
from webhooks.inbound.messages import InboundMessage
from webhooks.inbound.queue import MessageQueue
from webhooks.services import build_services
from webhooks.turns.worker import Worker

TO_PROPOSAL = [
    "Hola",
    "sí",
    "Soy Ana, tengo 35 años, no fumo",
    "150.000 €",
    "20 años",
    "para mi familia, tengo dos hijos",
    "sí",  # the read-back is right: the options are shown
]


class CountingBrain(RulesBrain):
    """The rules brain, counting what it is asked to read."""

    def __init__(self) -> None:
        self.read_texts: list[str] = []

    def read(
        self,
        text: str,
        *,
        expecting: str | None,
        today: date,
        known: frozenset[str] = frozenset(),
    ) -> Reading:
        self.read_texts.append(text)
        return super().read(text, expecting=expecting, today=today, known=known)


@pytest.fixture
def services(settings, redis_client):
    """The conftest's services with a brain that counts its readings."""
    return build_services(settings, redis_client=redis_client, brain=CountingBrain())


def message(phone: str, n: int, text: str, **more) -> InboundMessage:
    return whatsapp_text(phone, f"wamid.{phone}.{n}", text, timestamp=time.time(), **more)


def say(worker: Worker, queue: MessageQueue, phone: str, n: int, text: str, **more) -> None:
    queue.accept(message(phone, n, text, **more))
    assert worker.process_phone(phone)


@pytest.fixture
def worker(services):
    return Worker(services.conversations, services.queue, services.channels, name="test")


class CheckpointIO:
    """How many checkpoint reads and writes reached Redis, counted by the server itself.

    Only the checkpointer sends these two commands: a read looks up the newest checkpoint with
    ZREVRANGEBYLEX, and every write ends with a ZLEXCOUNT (to know when to trim).
    """

    COMMANDS = {"get_tuple": "cmdstat_zrevrangebylex", "put": "cmdstat_zlexcount"}

    def __init__(self, client) -> None:
        self.client = client
        self.start = self._calls()

    def _calls(self) -> dict[str, int]:
        stats = self.client.info("commandstats")
        return {
            name: stats.get(command, {}).get("calls", 0) for name, command in self.COMMANDS.items()
        }

    def reset(self) -> None:
        """Count from now on."""
        self.start = self._calls()

    def counts(self) -> dict[str, int]:
        """The reads and writes since the last reset."""
        return {name: calls - self.start[name] for name, calls in self._calls().items()}


@pytest.fixture
def checkpoint_io(redis_client):
    """How many checkpoint reads and writes reach Redis."""
    return CheckpointIO(redis_client)


def test_a_worker_turn_reads_the_checkpoint_once_and_writes_it_once(
    services, worker, checkpoint_io
):
    phone = "+34600100001"
    for n, text in enumerate(TO_PROPOSAL[:3]):
        checkpoint_io.reset()
        say(worker, services.queue, phone, n, text)
        assert checkpoint_io.counts() == {"get_tuple": 1, "put": 1}, text
    assert services.conversations.state(phone)["stage"] == "NEEDS_ANALYSIS"


def test_a_chat_turn_reads_the_checkpoint_once_and_writes_it_once(services, checkpoint_io):
    for text in TO_PROPOSAL[:3]:
        checkpoint_io.reset()
        services.conversations.turn("+34600100002", text)
        assert checkpoint_io.counts() == {"get_tuple": 1, "put": 1}, text


def test_outside_a_turn_every_read_goes_to_redis(services, checkpoint_io):
    """The read is shared only under the phone's lock, where nobody else can write."""
    conversations = services.conversations
    conversations.turn("+34600100003", "Hola")
    checkpoint_io.reset()
    conversations.state("+34600100003")
    conversations.state("+34600100003")
    assert checkpoint_io.counts() == {"get_tuple": 2, "put": 0}


def test_a_tapped_option_reaches_the_graph_as_a_choice_without_asking_the_brain(services, worker):
    brain = services.conversations.context.brain
    tapped, typed = "+34600100004", "+34600100005"
    for phone in (tapped, typed):
        for n, text in enumerate(TO_PROPOSAL):
            say(worker, services.queue, phone, n, text)
    assert services.conversations.state(tapped)["stage"] == "PRESENTACION_PROPUESTA"

    brain.read_texts.clear()
    say(worker, services.queue, tapped, 99, "Recomendada", kind="button", choice="option:2")
    assert brain.read_texts == []  # no reading at all (with the llm brain: no model call)
    say(worker, services.queue, typed, 99, "opción 2")
    assert brain.read_texts == ["opción 2"]

    by_tap, by_text = services.conversations.state(tapped), services.conversations.state(typed)
    assert (
        by_tap["reading"]
        == by_text["reading"]
        == {
            "intent": "choose_option",
            "option": 2,
            "options_mentioned": [],
        }
    )
    assert by_tap["pending_option"] == by_text["pending_option"] is not None
    assert by_tap["reply"] == by_text["reply"]
    assert by_tap.get("choice") is None  # an input of that turn only
    transcript = services.conversations.store.transcript(tapped)
    assert transcript[-2]["text"] == "Recomendada"  # what the customer saw and tapped

    brain.read_texts.clear()
    say(worker, services.queue, tapped, 100, "sí")
    assert brain.read_texts == ["sí"]  # the next message is read again
    assert services.conversations.state(tapped)["chosen"] == by_tap["pending_option"]


def test_a_tap_sent_with_written_words_is_read_with_them(services, worker):
    brain = services.conversations.context.brain
    phone = "+34600100006"
    for n, text in enumerate(TO_PROPOSAL):
        say(worker, services.queue, phone, n, text)
    brain.read_texts.clear()
    services.queue.accept(message(phone, 50, "me gusta esta"))
    services.queue.accept(message(phone, 51, "Recomendada", kind="button", choice="option:2"))
    assert worker.process_phone(phone)
    assert brain.read_texts == ["me gusta esta\nopción 2"]


def test_the_consumer_group_is_created_once_not_on_every_poll(services, monkeypatch):
    created = []
    ensure_group = MessageQueue.ensure_group

    def counted(queue):
        created.append(1)
        ensure_group(queue)

    monkeypatch.setattr(MessageQueue, "ensure_group", counted)
    worker = Worker(
        services.conversations, services.queue, services.channels, name="polls", block_ms=10
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    time.sleep(0.5)  # dozens of polls
    assert len(created) == 1

    # Redis lost the stream (FLUSHDB, a restart without persistence): the group comes back.
    services.redis.delete(services.queue.stream)
    phone = "+34600100007"
    services.queue.accept(message(phone, 1, "Hola"))
    deadline = time.monotonic() + 10
    while services.queue.inbox_size(phone):
        assert time.monotonic() < deadline, "the message was never taken"
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=10)
    assert len(created) == 2
    assert services.conversations.state(phone)["stage"] == "INICIO"
    assert services.conversations.state(phone)["turns"] == 1
