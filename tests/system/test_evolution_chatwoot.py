"""Evolution customers in Chatwoot: mirrored like the others, agents answer through Evolution.

Their media is attached, and an agent has no 24-hour window either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from testkit.fake_chatwoot import FakeChatwoot
from testkit.fake_evolution import FakeEvolution
from testkit.stack import Stack, running
from tests.system.test_chatwoot_flow import (
    CW_TOKEN,
    chatwoot_settings,
    conversation_of,
    event,
    post_event,
    public,
    settled,
    wait_until,
)
from tests.system.test_evolution_flow import (
    API_KEY,
    INSTANCE,
    MEXICO,
    MEXICO_JID,
    TOKEN,
    post,
    recorded,
    text_event,
)


@pytest.fixture
def chatwoot() -> Iterator[FakeChatwoot]:
    with FakeChatwoot(token=CW_TOKEN, account_id=1) as fake:
        yield fake


@pytest.fixture
def evolution() -> Iterator[FakeEvolution]:
    with FakeEvolution(api_key=API_KEY, instances={INSTANCE: "open"}) as fake:
        yield fake


@pytest.fixture
def stack(redis_url: str, chatwoot: FakeChatwoot, evolution: FakeEvolution) -> Iterator[Stack]:
    with running(
        redis_url,
        evolution_api_url=evolution.url,
        evolution_api_key=API_KEY,
        evolution_instance=INSTANCE,
        evolution_webhook_token=TOKEN,
        **chatwoot_settings(chatwoot),
    ) as service:
        service.start_workers()
        yield service


def say(stack: Stack, evolution: FakeEvolution, text: str, message_id: str) -> str:
    before = len(evolution.texts_to(MEXICO_JID))
    assert post(stack, text_event(text, message_id)).json["accepted"] == 1
    wait_until(lambda: len(evolution.texts_to(MEXICO_JID)) > before, what=f"a reply to {text}")
    return evolution.texts_to(MEXICO_JID)[-1]


def test_an_evolution_customer_is_mirrored_and_an_agent_answers_through_evolution(
    stack: Stack, chatwoot: FakeChatwoot, evolution: FakeEvolution, redis_client
):
    say(stack, evolution, "Hola", "3ACW00000000000000001")
    settled(stack)
    conversation = conversation_of(chatwoot, MEXICO)
    messages = public(chatwoot.messages(conversation["id"]))
    assert messages[0] == ("incoming", "Hola") and messages[1][0] == "outgoing"
    # The customer's WhatsApp name reaches the contact.
    assert any("Mariana" in str(c.get("name")) for c in chatwoot.contacts.values())

    # Two days later, an agent writes: a linked number has no 24-hour window, so it goes as is.
    summary = stack.service.store.keys(MEXICO).of("summary")
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    redis_client.hset(summary, "last_inbound_at", json.dumps(two_days_ago))
    reply = event(
        "message_created_outgoing_agent.json",
        conversation,
        MEXICO,
        id=9101,
        content="Hola Mariana, soy Marta, tu asesora.",
    )
    assert post_event(stack, reply).get_json()["accepted"] == 1
    wait_until(
        lambda: evolution.texts_to(MEXICO_JID)[-1] == "Hola Mariana, soy Marta, tu asesora.",
        what="the agent's reply through Evolution",
    )
    assert chatwoot.violations == []


def test_an_evolution_customers_photo_is_attached_in_chatwoot(
    stack: Stack, chatwoot: FakeChatwoot, evolution: FakeEvolution
):
    say(stack, evolution, "Hola", "3ACW00000000000000002")
    body = recorded("messages_upsert_image_caption")
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    evolution.media[body["data"]["key"]["id"]] = (photo, "image/jpeg")
    assert post(stack, body).json["accepted"] == 1
    settled(stack)
    conversation = conversation_of(chatwoot, MEXICO)
    wait_until(
        lambda: any(m.get("attachments") for m in chatwoot.messages(conversation["id"])),
        what="the photo in Chatwoot",
    )
    photo_message = next(m for m in chatwoot.messages(conversation["id"]) if m.get("attachments"))
    assert photo_message["content"] == "Foto de mi póliza actual"
    [attachment] = photo_message["attachments"]
    assert attachment["content_type"] == "image/jpeg" and attachment["size"] == len(photo)
    assert chatwoot.violations == []
