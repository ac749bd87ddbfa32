"""The checkpointer's short form for a window of plain messages, and everything it leaves alone."""

from __future__ import annotations

from typing import cast

import pytest
import redis
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from agent.brains.rules import RulesBrain
from integrations.redis.keys import ThreadKeys
from integrations.redis.saver_layout import unpack
from integrations.redis.saver_serde import WINDOW, WindowSerializer, plain_window
from testkit.settings import settings_for
from webhooks.services import build_services

WINDOW_OF_A_SALE = [
    HumanMessage("Soy Ana, tengo 35 años, no fumo", id="wamid.HBgLMzQ2MDAwMDAwMDAVAgA"),
    AIMessage("Perfecto, Ana. ¿Qué capital quieres asegurar? 💶", id="run-1"),
    HumanMessage("150.000 €"),
    AIMessage(""),
]

NOT_PLAIN = {
    "a name": [HumanMessage("hola", name="Ana")],
    "extra fields": [HumanMessage("hola", additional_kwargs={"x": 1})],
    "response metadata": [AIMessage("hola", response_metadata={"model": "m"})],
    "a tool call": [AIMessage("", tool_calls=[{"name": "quote", "args": {}, "id": "c1"}])],
    "usage": [
        AIMessage("hola", usage_metadata={"input_tokens": 1, "output_tokens": 1, "total_tokens": 2})
    ],
    "a chunk": [AIMessageChunk(content="hola")],
    "a system message": [SystemMessage("eres un agente")],
    "a tool's answer": [ToolMessage("ok", tool_call_id="c1")],
    "content in parts": [HumanMessage([{"type": "text", "text": "hola"}])],
    "one odd message among plain ones": [HumanMessage("hola"), AIMessage("x", name="bot")],
    "no message": [],
    "not messages": ["hola", "adiós"],
    "a tuple": (HumanMessage("hola"),),
}


def test_a_window_of_plain_messages_is_stored_short_and_comes_back_the_same() -> None:
    serde = WindowSerializer()
    kind, data = serde.dumps_typed(WINDOW_OF_A_SALE)
    assert kind == WINDOW
    assert len(data) < len(JsonPlusSerializer().dumps_typed(WINDOW_OF_A_SALE)[1]) / 3
    back = serde.loads_typed((kind, data))
    assert back == WINDOW_OF_A_SALE
    assert [type(m) for m in back] == [type(m) for m in WINDOW_OF_A_SALE]
    assert back[0] is not WINDOW_OF_A_SALE[0]  # new objects: a reader may change its own


@pytest.mark.parametrize("value", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_anything_else_is_stored_as_langgraph_stores_it(value) -> None:
    assert not plain_window(value)
    kind, data = WindowSerializer().dumps_typed(value)
    assert (kind, data) == JsonPlusSerializer().dumps_typed(value)
    assert WindowSerializer().loads_typed((kind, data)) == JsonPlusSerializer().loads_typed(
        (kind, data)
    )


def test_a_window_stored_before_the_short_form_is_read_as_before() -> None:
    stored = JsonPlusSerializer().dumps_typed(WINDOW_OF_A_SALE)
    assert stored[0] != WINDOW
    assert WindowSerializer().loads_typed(stored) == WINDOW_OF_A_SALE


def test_a_conversation_keeps_its_window_short_and_resumes_from_it(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    services = build_services(settings_for(redis_url), redis_client=client, brain=RulesBrain())
    phone = "+34600000010"
    for text in ("Hola", "sí", "Soy Ana, tengo 35 años, no fumo"):
        services.conversations.turn(phone, text)
    blobs = cast(dict[bytes, bytes], client.hgetall(ThreadKeys.of("iagente", phone).blobs))
    kinds = {field.split(b"\0")[1]: unpack(raw)[0] for field, raw in blobs.items()}
    assert kinds[b"messages"] == WINDOW
    window = services.conversations.state(phone)["messages"]
    assert [(m.type, m.content) for m in window][:2] == [
        ("human", "Hola"),
        ("ai", window[1].content),
    ]
    # Read by a saver that has never seen the short form's objects: a restarted process.
    again = build_services(settings_for(redis_url), redis_client=client, brain=RulesBrain())
    assert again.conversations.state(phone)["messages"] == window
    assert again.conversations.turn(phone, "150.000 €").stage == "NEEDS_ANALYSIS"
