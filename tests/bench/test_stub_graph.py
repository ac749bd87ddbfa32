"""The end-to-end bench's stub graphs answer the service's turns as the funnel would be asked."""

from __future__ import annotations

import pytest

from bench._stub_graph import STATE, stub_the_graph
from testkit.settings import settings_for
from webhooks.services import build_services
from webhooks.turns import conversations


@pytest.mark.parametrize("kind", ["none", "trivial"])
def test_a_stubbed_service_answers_every_turn(kind, redis_url, monkeypatch):
    # Restored after the test: stub_the_graph replaces the class's constructor.
    init = conversations.ConversationService.__init__
    monkeypatch.setattr(conversations.ConversationService, "__init__", init)
    stub_the_graph(kind)
    services = build_services(settings_for(redis_url))
    service = services.conversations
    phone = "+34600000001"
    try:
        for n in range(3):
            result = service.run_turn(phone, "hola", channel="whatsapp", message_id=f"m.{n}")
            assert (result.reply, result.stage) == (STATE["reply"], STATE["stage"])
        # Only the LangGraph stub keeps a checkpoint, as the funnel does: one per turn.
        saved = service.saver.get_tuple({"configurable": {"thread_id": phone}})
        if kind == "none":
            assert saved is None
        else:
            assert saved is not None
            assert saved.checkpoint["channel_values"]["last_message_id"] == "m.2"
            assert len(list(service.saver.list({"configurable": {"thread_id": phone}}))) == 3
    finally:
        services.redis.close()
