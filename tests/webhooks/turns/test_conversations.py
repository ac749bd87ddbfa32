"""The conversation service on a real Redis: resume, serialised turns, bounded storage."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from dataclasses import replace

import pytest
import redis
from langchain_core.messages import HumanMessage

from agent.brains.rules import RulesBrain
from agent.context import utc_now
from testkit.settings import settings_for
from webhooks.services import build_services

SALE = [
    "Hola",
    "sí",
    "Soy Ana, tengo 35 años, no fumo",
    "150.000 €",
    "20 años",
    "para mi familia, tengo dos hijos",
    "sí",  # the read-back is right
    "la 2",
    "sí",  # the option confirmed
]


def make_service(redis_url: str):
    client = redis.Redis.from_url(redis_url)
    services = build_services(settings_for(redis_url), redis_client=client, brain=RulesBrain())
    return services.conversations, client


def test_a_new_process_resumes_the_conversation_at_the_same_stage(redis_url):
    first, _ = make_service(redis_url)
    for text in SALE[:4]:
        result = first.turn("+34 600 000 002", text)
    assert result.stage == "NEEDS_ANALYSIS"

    second, _ = make_service(redis_url)  # new client, saver and graph: a restarted process
    assert second.state("+34600000002")["profile"]["cover"] == 150000
    result = second.turn("34600000002", "20 años")
    assert result.stage == "NEEDS_ANALYSIS" and "dependen de ti" in result.reply
    result = second.turn("+34600000002", "para mi familia")
    assert result.stage == "NEEDS_ANALYSIS" and "¿Es correcto?" in result.reply
    result = second.turn("+34600000002", "sí")
    assert result.stage == "PRESENTACION_PROPUESTA"


def test_the_transcript_records_both_directions_with_channel_and_time(redis_url):
    service, _ = make_service(redis_url)
    service.turn("+34600000003", "Hola", channel="whatsapp")
    transcript = service.store.transcript("+34600000003")
    assert [e["direction"] for e in transcript] == ["in", "out"]
    assert transcript[0]["text"] == "Hola" and transcript[0]["channel"] == "whatsapp"
    assert transcript[1]["text"].startswith("¡Hola!") and transcript[1]["at"]


def test_concurrent_turns_on_one_phone_lose_nothing_and_keep_order(redis_url: str) -> None:
    service, _ = make_service(redis_url)
    phone = "+34600000004"
    errors: list[BaseException] = []

    def customer(n: int) -> None:
        try:
            for i in range(20):
                service.turn(phone, f"hilo {n} mensaje {i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors

    transcript = service.store.transcript(phone)
    inbound = [e["text"] for e in transcript if e["direction"] == "in"]
    assert len(inbound) == 80 and len(set(inbound)) == 80
    by_thread = defaultdict(list)
    for text in inbound:
        _, n, _, i = text.split()
        by_thread[n].append(int(i))
    assert all(order == list(range(20)) for order in by_thread.values())
    # Serialised turns: every message is immediately followed by its own reply.
    directions = [e["direction"] for e in transcript]
    assert directions == ["in", "out"] * 80
    assert service.state(phone)["turns"] == 80


def conversation_bytes(client: redis.Redis, phone: str) -> int:
    keys = list(client.scan_iter(match=f"*{{{phone}}}*"))
    assert keys, "the conversation left no keys"
    return sum(client.memory_usage(k, samples=0) or 0 for k in keys)


def test_storage_stays_bounded_after_100_turns(redis_url):
    service, client = make_service(redis_url)
    phone = "+34600000005"
    chatter = ["gracias", "¿puedo cancelar?", "¿qué cubre?", "vale", "¿cómo se paga?"]
    texts = SALE + [chatter[i % len(chatter)] for i in range(100 - len(SALE))]
    sizes = {}
    for n, text in enumerate(texts, start=1):
        service.turn(phone, text)
        if n in (10, 50, 100):
            sizes[n] = conversation_bytes(client, phone)
    print("bytes per conversation after 10/50/100 turns:", sizes)
    assert service.state(phone)["turns"] == 100
    assert sizes[100] <= 64 * 1024
    assert len(service.state(phone)["messages"]) <= 8


def plain_turn(service, phone: str, text: str) -> dict:
    """The turn as LangGraph runs a plain input (its `__start__` step copies it onto the state)."""
    turn_input = {"messages": [HumanMessage(text)], "last_message_id": None, "channel": "chat"}
    config = {"configurable": {"thread_id": phone}}
    return service.graph.invoke(turn_input, config, context=service.context, durability="exit")


def said(state: dict) -> dict:
    """The state with each message as who said what (a reply's message id is random)."""
    return {**state, "messages": [(m.type, m.text) for m in state["messages"]]}


def test_a_turn_at_rest_takes_one_step_less_and_ends_in_the_same_state(redis_url):
    service, _ = make_service(redis_url)
    at = utc_now()  # both conversations note the same times (consent, each datum declared)
    service.context = replace(service.context, clock=lambda: at)
    steps: dict[str, list[int]] = {"+34600000006": [], "+34600000007": []}
    for text in SALE:
        service.turn("+34600000006", text)
        plain_turn(service, "+34600000007", text)
        for phone, seen in steps.items():
            seen.append(
                service.graph.get_state({"configurable": {"thread_id": phone}}).metadata["step"]
            )
        assert said(service.state("+34600000006")) == said(service.state("+34600000007"))
    assert service.state("+34600000006")["stage"] == "FINALIZADO"
    # Each turn runs the same nodes; LangGraph numbers two more steps a turn for a plain input:
    # the input's own (checkpoint "input") and the `__start__` step that copies it in.
    command, plain = (step_gaps(steps[p]) for p in steps)
    assert [p - c for c, p in zip(command, plain, strict=True)] == [2] * (len(SALE) - 1)


def step_gaps(values: list[int]) -> list[int]:
    return [b - a for a, b in itertools.pairwise(values)]


class FailsOnce(RulesBrain):
    """Reads like the rules brain, except that reading "boom" fails the first time."""

    failed = False

    def read(self, text, **context):
        if text == "boom" and not self.failed:
            self.failed = True
            raise RuntimeError("the brain failed")
        return super().read(text, **context)


def test_a_turn_after_one_that_stopped_midway_starts_afresh(redis_url):
    client = redis.Redis.from_url(redis_url)
    service = build_services(
        settings_for(redis_url), redis_client=client, brain=FailsOnce()
    ).conversations
    phone = "+34600000008"
    service.turn(phone, "Hola")
    with pytest.raises(RuntimeError, match="the brain failed"):
        service.turn(phone, "boom")
    config = {"configurable": {"thread_id": phone}}
    assert service.saver.get_tuple(config).pending_writes  # the stopped run's error
    with service.locked(phone):
        service.state(phone)
        assert not service.saver.at_rest(phone)
    result = service.turn(phone, "sí")
    assert result.stage == "NEEDS_ANALYSIS"  # consent given: the sale goes on
    assert not service.saver.get_tuple(config).pending_writes
    with service.locked(phone):
        service.state(phone)
        assert service.saver.at_rest(phone)
