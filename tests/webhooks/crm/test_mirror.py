"""The mirror's drainer against the fake Chatwoot and a real Redis: refusals, deletions, tokens."""

from __future__ import annotations

import pytest

from integrations.chatwoot import ChatwootClient
from integrations.messaging.retry import RetryPolicy
from integrations.redis.health import HealthBook
from integrations.redis.links import ChatwootLinks
from integrations.redis.outbox import Outbox
from testkit.fake_chatwoot import FakeChatwoot
from webhooks.crm.mirror import ChatwootMirror
from webhooks.settings import Settings
from webhooks.turns.channels import Channels

TOKEN, PHONE = "cw-token", "+34622000001"


@pytest.fixture
def chatwoot():
    with FakeChatwoot(token=TOKEN) as fake:
        yield fake


def mirror_for(redis_client, chatwoot: FakeChatwoot, *, token: str = TOKEN) -> ChatwootMirror:
    client = ChatwootClient(chatwoot.url, 1, token, 7, retry=RetryPolicy(attempts=1))
    channels = Channels.from_settings(Settings(_env_file=None))
    return ChatwootMirror(
        client,
        Outbox(redis_client),
        ChatwootLinks(redis_client),
        channels,
        health=HealthBook(redis_client),
    )


def incoming(text: str) -> dict:
    return {
        "op": "incoming",
        "text": text,
        "provider": "meta",
        "channel": "whatsapp",
        "name": "Ana",
    }


def shown(chatwoot: FakeChatwoot) -> list[tuple[str, str]]:
    conversation = chatwoot.conversation_for(PHONE)
    assert conversation is not None
    return [(m["message_type"], m["content"]) for m in chatwoot.messages(conversation["id"])]


def test_a_refused_operation_is_set_aside_and_the_rest_goes_on(redis_client, chatwoot):
    mirror = mirror_for(redis_client, chatwoot)
    mirror.outbox.add(PHONE, [incoming("uno")])
    assert mirror.drain(PHONE) is True
    mirror.outbox.add(PHONE, [incoming("dos"), incoming("tres")])
    chatwoot.fail_next.append((422, {"message": "Invalid content"}))
    assert mirror.drain(PHONE) is True
    assert shown(chatwoot) == [("incoming", "uno"), ("incoming", "tres")]
    backlog = mirror.outbox.backlog()
    assert (backlog["pending"], backlog["dead"]) == (0, 1)
    assert mirror.outbox.due() == []


def test_a_conversation_deleted_in_chatwoot_is_made_again(redis_client, chatwoot):
    mirror = mirror_for(redis_client, chatwoot)
    mirror.outbox.add(PHONE, [incoming("uno")])
    mirror.drain(PHONE)
    first = chatwoot.conversation_for(PHONE)["id"]
    del chatwoot.conversations[first]  # an agent deleted it
    mirror.outbox.add(PHONE, [incoming("dos")])
    assert mirror.drain(PHONE) is True
    again = chatwoot.conversation_for(PHONE)
    assert again["id"] != first
    assert shown(chatwoot) == [("incoming", "dos")]
    assert mirror.links.phone_of(again["id"]) == PHONE
    assert len(chatwoot.contacts) == 1  # the contact was found again, not duplicated


def test_a_refused_token_keeps_the_work_and_says_why(redis_client, chatwoot):
    wrong = mirror_for(redis_client, chatwoot, token="revoked")
    wrong.outbox.add(PHONE, [incoming("uno"), incoming("dos")])
    assert wrong.drain(PHONE) is False
    assert wrong.outbox.backlog()["pending"] == 2
    health = HealthBook(redis_client).read("chatwoot")
    assert (health["reachable"], health["last_error"]) == (False, "401 Unauthorized")
    # The operator fixes the token: everything arrives, in order.
    fixed = mirror_for(redis_client, chatwoot)
    redis_client.zadd(fixed.outbox.due_key, {PHONE: 0})
    assert fixed.drain(PHONE) is True
    assert shown(chatwoot) == [("incoming", "uno"), ("incoming", "dos")]
    assert HealthBook(redis_client).read("chatwoot")["reachable"] is True


def test_nothing_changed_means_no_calls(redis_client, chatwoot):
    mirror = mirror_for(redis_client, chatwoot)
    state = {
        "op": "state",
        "labels": ["analisis"],
        "name": None,
        "contact": {"edad": 35},
        "conversation": {"etapa": "NEEDS_ANALYSIS"},
    }
    mirror.outbox.add(PHONE, [incoming("hola"), state])
    mirror.drain(PHONE)
    calls = len(chatwoot.requests)
    mirror.outbox.add(PHONE, [state])
    mirror.drain(PHONE)
    assert len(chatwoot.requests) == calls
    conversation = chatwoot.conversation_for(PHONE)
    assert conversation["labels"] == ["analisis"]
    assert conversation["custom_attributes"] == {"etapa": "NEEDS_ANALYSIS"}
    assert chatwoot.violations == []


def test_an_agents_own_contact_attributes_survive_an_update_that_replaces_the_map(
    redis_client, chatwoot
):
    chatwoot.replace_contact_attributes = True
    mirror = mirror_for(redis_client, chatwoot)
    state = {"op": "state", "labels": [], "name": "Ana", "contact": {"edad": 35}}
    mirror.outbox.add(PHONE, [incoming("hola"), state | {"conversation": {"etapa": "INICIO"}}])
    mirror.drain(PHONE)
    contact = next(iter(chatwoot.contacts.values()))
    contact["custom_attributes"]["dni"] = "12345678Z"  # an agent's own note
    later = state | {"contact": {"edad": 36, "fumador": False}, "conversation": {"etapa": "X"}}
    mirror.outbox.add(PHONE, [later])
    mirror.drain(PHONE)
    assert contact["custom_attributes"] == {"dni": "12345678Z", "edad": 36, "fumador": False}
    assert contact["name"] == "Ana"
    assert chatwoot.violations == []


def test_a_404_elsewhere_than_the_conversation_keeps_the_conversation(redis_client, chatwoot):
    chatwoot.missing.add("conversations/[0-9]+/custom_attributes")
    mirror = mirror_for(redis_client, chatwoot)
    state = {"op": "state", "labels": ["analisis"], "name": None, "contact": {}}
    mirror.outbox.add(PHONE, [incoming("uno"), state | {"conversation": {"etapa": "INICIO"}}])
    assert mirror.drain(PHONE) is True
    mirror.outbox.add(PHONE, [incoming("dos"), state | {"conversation": {"etapa": "X"}}])
    assert mirror.drain(PHONE) is True
    (conversation,) = chatwoot.conversations.values()
    assert shown(chatwoot) == [("incoming", "uno"), ("incoming", "dos")]
    assert mirror.links.get(PHONE)["conversation_id"] == str(conversation["id"])
    # The operation that met the 404 is set aside, as any refused one; nothing else is lost.
    backlog = mirror.outbox.backlog()
    assert (backlog["pending"], backlog["dead"]) == (0, 2)
    assert chatwoot.violations == []


def test_a_deleted_contact_is_made_again_once_confirmed(redis_client, chatwoot):
    mirror = mirror_for(redis_client, chatwoot)
    state = {"op": "state", "labels": [], "name": "Ana", "conversation": {"etapa": "INICIO"}}
    mirror.outbox.add(PHONE, [incoming("uno"), state | {"contact": {"edad": 35}}])
    mirror.drain(PHONE)
    first = chatwoot.conversation_for(PHONE)["id"]
    # An agent deleted the contact; Chatwoot deletes its conversations and inbox links with it.
    chatwoot.contacts.clear()
    chatwoot.conversations.clear()
    chatwoot.contact_inboxes.clear()
    mirror.outbox.add(PHONE, [state | {"contact": {"edad": 36}}, incoming("dos")])
    assert mirror.drain(PHONE) is True
    again = chatwoot.conversation_for(PHONE)
    assert again["id"] != first and shown(chatwoot) == [("incoming", "dos")]
    assert next(iter(chatwoot.contacts.values()))["custom_attributes"] == {"edad": 36}
    assert mirror.outbox.backlog()["dead"] == 0
