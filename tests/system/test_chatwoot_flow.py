"""The whole path with Chatwoot: signed webhooks in, the worker, the mirror, Chatwoot's webhooks.

A fake Chatwoot checks every request against Chatwoot's own OpenAPI spec; Redis is real, Meta and
Twilio are local fakes.
"""

from __future__ import annotations

import copy
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from agent import texts
from integrations.redis.outbox import Outbox
from testkit import DATA
from testkit.fake_chatwoot import FakeChatwoot
from testkit.processes import wait_until
from testkit.signed import (
    chatwoot_headers,
    meta_headers,
    meta_text,
    twilio_form,
    twilio_headers,
)
from testkit.stack import BASE, TWILIO_SID, TWILIO_WA, post_meta, post_twilio, running
from testkit.stack import SECRET as META_SECRET
from testkit.stack import TOKEN as TWILIO_TOKEN
from webhooks.crm.ops import LABELS

FIXTURES = DATA / "chatwoot" / "webhooks"
CW_TOKEN, CW_SECRET, ACCOUNT, INBOX = "cw-user-token-for-tests", "cw-webhook-secret", 1, 7
ADMIN = "admin-token-for-tests"
# To the proposal: the last "sí" confirms the read-back; CLOSE picks an option and confirms it.
SALE = [
    "Hola",
    "sí",
    "Soy Ana, 35 años, no fumo",
    "150.000 €",
    "20 años",
    "para mi familia",
    "sí",
]
CLOSE = ["la 2", "sí"]


@pytest.fixture
def chatwoot():
    with FakeChatwoot(token=CW_TOKEN, account_id=ACCOUNT) as fake:
        yield fake


def chatwoot_settings(fake: FakeChatwoot, **more) -> dict:
    return {
        "chatwoot_base_url": fake.url,
        "chatwoot_account_id": ACCOUNT,
        "chatwoot_user_token": CW_TOKEN,
        "chatwoot_inbox_id": INBOX,
        "chatwoot_webhook_secret": CW_SECRET,
        "admin_token": ADMIN,
        **more,
    }


@pytest.fixture
def stack_settings(chatwoot):
    return chatwoot_settings(chatwoot)


@pytest.fixture
def stack(stack):
    """The conftest's stack on this file's settings, its workers running."""
    stack.start_workers()
    return stack


class Customer:
    """One customer writing on WhatsApp, waiting for each answer like a person would."""

    def __init__(self, stack, phone: str) -> None:
        self.stack, self.phone, self.n = stack, phone, 0

    def received(self) -> list[str]:
        return self.stack.providers.texts_to(self.phone)

    def say(self, text: str, *, answered: bool = True) -> str | None:
        before = len(self.received())
        self.n += 1
        response = post_meta(self.stack, self.phone, text, f"wamid.{self.phone[1:]}.{self.n}")
        assert response.status_code == 200
        if not answered:
            # Done when the turn has been recorded (transcript), then nothing may have gone out.
            wait_until(lambda: self.inbound_count() >= self.n, what="the turn")
            time.sleep(0.1)
            assert len(self.received()) == before
            return None
        wait_until(lambda: len(self.received()) > before, what=f"a reply to {text!r}")
        return self.received()[-1]

    def inbound_count(self) -> int:
        entries = self.stack.service.store.transcript(self.phone)
        return sum(e["direction"] == "in" for e in entries)


def settled(stack) -> None:
    """Wait until the worker and the mirror have nothing left to do."""
    outbox, queue = Outbox(stack.services.redis), stack.services.queue
    wait_until(
        lambda: queue.depth()["depth"] == 0 and outbox.backlog()["pending"] == 0,
        what="the mirror to catch up",
    )


def conversation_of(chatwoot: FakeChatwoot, phone: str) -> dict:
    return wait_until(lambda: chatwoot.conversation_for(phone), what="the Chatwoot conversation")


def event(name: str, conversation: dict, phone: str, **changes) -> dict:
    """A fixture payload moved onto our conversation (ids, inbox, customer)."""
    payload = copy.deepcopy(json.loads((FIXTURES / name).read_text()))
    conv = payload.get("conversation", payload)
    conv["id"] = conversation["id"]
    conv["inbox_id"] = INBOX
    conv["meta"]["sender"]["phone_number"] = phone
    for message in conv.get("messages", []):
        message["conversation_id"] = conversation["id"]
        message["inbox_id"] = INBOX
    if "inbox" in payload:
        payload["inbox"]["id"] = INBOX
    for key, value in changes.items():
        payload[key] = value
        for message in conv.get("messages", []):
            if key in message:
                message[key] = value
    return payload


def post_event(stack, payload: dict, **headers):
    body = json.dumps(payload).encode()
    return stack.client.post(
        "/webhook/chatwoot", data=body, headers={**chatwoot_headers(body, CW_SECRET), **headers}
    )


def public(messages: list[dict]) -> list[tuple[str, str]]:
    return [(m["message_type"], m["content"]) for m in messages if not m.get("private")]


def notes(messages: list[dict]) -> list[str]:
    return [m["content"] for m in messages if m.get("private")]


# --- the mirror ------------------------------------------------------------------------------


def test_a_sale_leaves_contact_conversation_messages_labels_attributes_and_notes(stack, chatwoot):
    ana = Customer(stack, "+34611000001")
    ana.say(SALE[0])
    conversation = conversation_of(chatwoot, ana.phone)
    settled(stack)
    # An agent labels the conversation and notes a reference by hand: the mirror must keep both.
    chatwoot.conversations[conversation["id"]]["labels"].append("vip")
    chatwoot.conversations[conversation["id"]]["custom_attributes"]["referencia"] = "R-17"
    for text in [*SALE[1:], *CLOSE]:
        ana.say(text)
    settled(stack)

    assert chatwoot.violations == []
    conversation = chatwoot.conversations[conversation["id"]]
    contact = chatwoot.contacts[conversation["contact_id"]]
    assert contact["phone_number"] == ana.phone
    assert contact["name"] == "Ana"
    wanted = {"edad": 35, "fumador": False, "plazo_anos": 20}
    assert wanted.items() <= contact["custom_attributes"].items()
    assert conversation["inbox_id"] == INBOX
    assert len(chatwoot.conversations) == 1 and len(chatwoot.contacts) == 1

    # Every message, in order, exactly as the transcript has it.
    transcript = stack.service.store.transcript(ana.phone)
    expected = [
        ("incoming" if e["direction"] == "in" else "outgoing", e["text"]) for e in transcript
    ]
    assert public(chatwoot.messages(conversation["id"])) == expected
    assert len(expected) == 2 * (len(SALE) + len(CLOSE))

    state = stack.service.state(ana.phone)
    chosen = next(o for o in state["quote"]["options"] if o["id"] == state["chosen"])
    assert sorted(conversation["labels"]) == ["lead", "vip"]
    wanted = {
        "etapa": "FINALIZADO",
        "opcion_elegida": chosen["name"],
        "prima_mensual": chosen["monthly"],
        "prima_anual": chosen["annual"],
        "referencia": "R-17",
    }
    assert wanted.items() <= conversation["custom_attributes"].items()
    written = notes(chatwoot.messages(conversation["id"]))
    assert any(n.startswith("💶 Presupuesto") and chosen["name"] in n for n in written)
    assert any(n.startswith("✅ Nuevo lead") and chosen["name"] in n for n in written)
    # The lead was handed to the agents: the conversation is open for them.
    assert conversation["status"] == "open"


def test_labels_follow_the_stage(stack, chatwoot):
    ana = Customer(stack, "+34611000002")
    seen = []
    for text in SALE[:4]:
        ana.say(text)
        settled(stack)
        seen.append(list(chatwoot.conversation_for(ana.phone)["labels"]))
    assert seen == [["inicio"], ["analisis"], ["analisis"], ["analisis"]]
    for text in SALE[4:]:
        ana.say(text)
    settled(stack)
    assert chatwoot.conversation_for(ana.phone)["labels"] == ["propuesta"]
    assert chatwoot.conversation_for(ana.phone)["status"] == "pending"  # the bot has it
    assert chatwoot.violations == []


def test_a_chatwoot_without_the_account_labels_endpoint_keeps_one_conversation(stack, chatwoot):
    chatwoot.missing.add("labels")  # GET/POST /labels answer 404; conversation labels work
    ana = Customer(stack, "+34611000009")
    turns = [*SALE, *CLOSE]
    for text in turns:
        ana.say(text)
    settled(stack)

    (conversation,) = chatwoot.conversations.values()
    assert len(chatwoot.contacts) == 1
    transcript = stack.service.store.transcript(ana.phone)
    expected = [
        ("incoming" if e["direction"] == "in" else "outgoing", e["text"]) for e in transcript
    ]
    assert len(expected) == 2 * len(turns)
    assert public(chatwoot.messages(conversation["id"])) == expected
    # The stage's label and attributes were written to that same conversation.
    stage = stack.service.state(ana.phone)["stage"]
    assert stage != "INICIO" and conversation["custom_attributes"]["etapa"] == stage
    assert len(conversation["labels"]) == 1 and conversation["labels"][0] in LABELS
    assert Outbox(stack.services.redis).backlog()["dead"] == 0
    assert chatwoot.violations == []


# --- handover --------------------------------------------------------------------------------


def test_an_agent_reply_reaches_the_customer_silences_the_bot_and_resolving_gives_it_back(
    stack, chatwoot
):
    ana = Customer(stack, "+34611000003")
    for text in SALE[:3]:
        ana.say(text)
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)

    reply = event(
        "message_created_outgoing_agent.json",
        conversation,
        ana.phone,
        id=9001,
        content="Hola Ana, soy Marta, tu asesora. ¿Te llamo esta tarde?",
    )
    assert post_event(stack, reply).get_json()["accepted"] == 1
    wait_until(lambda: ana.received()[-1].startswith("Hola Ana, soy Marta"), what="agent reply")

    # The agent has it: the customer is mirrored, the bot says nothing.
    ana.say("Vale, a las 17h", answered=False)
    settled(stack)
    assert public(chatwoot.messages(conversation["id"]))[-1] == ("incoming", "Vale, a las 17h")
    admin = {"Authorization": f"Bearer {ADMIN}"}
    detail = stack.client.get(f"/webhook/conversation/{ana.phone}", headers=admin).get_json()
    assert (detail["human"], detail["human_reason"]) == (True, "agent_message")

    resolved = event("conversation_status_changed_resolved.json", conversation, ana.phone)
    assert post_event(stack, resolved).status_code == 200
    settled(stack)
    # Back to the bot, where the funnel was: it still needs the cover.
    answer = ana.say("150.000 €")
    assert "años" in answer or "plazo" in answer.lower()
    assert chatwoot.violations == []


def test_our_own_messages_coming_back_and_private_notes_never_reach_the_customer(stack, chatwoot):
    ana = Customer(stack, "+34611000004")
    ana.say("Hola")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    ours = next(m for m in chatwoot.messages(conversation["id"]) if m["message_type"] == "outgoing")
    sent_before = len(ana.received())
    echo = event(
        "message_created_outgoing_agent.json",
        conversation,
        ana.phone,
        id=ours["id"],
        content=ours["content"],
    )
    note = event("message_created_outgoing_private_note.json", conversation, ana.phone, id=9002)
    bot = event("message_created_outgoing_agent_bot.json", conversation, ana.phone, id=9003)
    # Our own message is recognised at the route: it is never queued for the worker.
    assert post_event(stack, echo).get_json() == {
        "accepted": 0,
        "event": "message_created",
        "echo": True,
    }
    for payload in (note, bot):
        assert post_event(stack, payload).status_code == 200
    settled(stack)
    assert len(ana.received()) == sent_before
    # ... and the conversation is still the bot's.
    assert ana.say("sí") is not None


def test_the_same_delivery_twice_is_handled_once(stack, chatwoot):
    ana = Customer(stack, "+34611000005")
    ana.say("Hola")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    payload = event(
        "message_created_outgoing_agent.json", conversation, ana.phone, id=9004, content="Hola!"
    )
    body = json.dumps(payload).encode()
    headers = chatwoot_headers(body, CW_SECRET, delivery="delivery-1")
    first = stack.client.post("/webhook/chatwoot", data=body, headers=headers)
    again = stack.client.post("/webhook/chatwoot", data=body, headers=headers)
    assert first.get_json()["accepted"] == 1
    assert again.get_json() == {"accepted": 0, "duplicate": True}
    settled(stack)
    assert ana.received().count("Hola!") == 1


def test_a_customer_asking_for_a_person_opens_the_conversation_with_a_note(stack, chatwoot):
    ana = Customer(stack, "+34611000006")
    ana.say("Hola")
    ana.say("quiero hablar con una persona")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    assert conversation["status"] == "open"
    assert "humano" in conversation["labels"]
    assert any("hablar con una persona" in n for n in notes(chatwoot.messages(conversation["id"])))
    ana.say("¿hola?", answered=False)

    pending = event(
        "conversation_status_changed_resolved.json", conversation, ana.phone, status="pending"
    )
    assert post_event(stack, pending).status_code == 200
    settled(stack)
    assert ana.say("sí") is not None  # consent: the funnel goes on
    settled(stack)
    assert "humano" not in chatwoot.conversation_for(ana.phone)["labels"]


# --- Chatwoot down ---------------------------------------------------------------------------


def test_with_chatwoot_down_customers_get_every_reply_and_the_mirror_catches_up(stack, chatwoot):
    chatwoot.down = True
    ana = Customer(stack, "+34611000007")
    replies = [ana.say(text) for text in SALE[:4]]
    assert all(replies)

    def backlog():
        status = stack.client.get("/webhook/status").get_json()
        return status["components"]["chatwoot"]

    seen = wait_until(lambda: (b := backlog()).get("last_error") and b, what="the error shown")
    assert seen["outbox"]["pending"] >= 8
    assert seen["outbox"]["oldest_age_seconds"] >= 0
    assert "503" in seen["last_error"]
    assert chatwoot.conversation_for(ana.phone) is None
    scraped = stack.client.get("/metrics").get_data(as_text=True)
    pending = re.search(r"^iagente_chatwoot_outbox_pending (\S+)$", scraped, re.MULTILINE)
    assert pending and float(pending.group(1)) >= 8
    assert re.search(r'^iagente_chatwoot_ops_total\{op="incoming",outcome="retry"\}', scraped, re.M)

    chatwoot.down = False
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    transcript = stack.service.store.transcript(ana.phone)
    expected = [
        ("incoming" if e["direction"] == "in" else "outgoing", e["text"]) for e in transcript
    ]
    assert public(chatwoot.messages(conversation["id"])) == expected
    assert backlog()["reachable"] is True
    assert chatwoot.violations == []


# --- the webhook itself ----------------------------------------------------------------------


def test_forged_missing_stale_and_malformed_chatwoot_requests_are_refused(stack, chatwoot):
    body = (FIXTURES / "message_created_outgoing_agent.json").read_bytes()
    good = chatwoot_headers(body, CW_SECRET)
    forged = {
        **good,
        "X-Chatwoot-Signature": chatwoot_headers(body, "wrong")["X-Chatwoot-Signature"],
    }
    stale = chatwoot_headers(body, CW_SECRET, timestamp=int(time.time()) - 3600)
    missing = {"Content-Type": "application/json"}
    post = stack.client.post
    assert post("/webhook/chatwoot", data=body, headers=forged).status_code == 403
    assert post("/webhook/chatwoot", data=body, headers=stale).status_code == 403
    assert post("/webhook/chatwoot", data=body, headers=missing).status_code == 401
    junk = b"not json"
    assert (
        post("/webhook/chatwoot", data=junk, headers=chatwoot_headers(junk, CW_SECRET)).status_code
        == 400
    )
    assert stack.services.queue.depth()["depth"] == 0
    # Signed and well-formed, but about a conversation we don't mirror: acknowledged, ignored.
    answer = post("/webhook/chatwoot", data=body, headers=good)
    assert (answer.status_code, answer.get_json()["accepted"]) == (200, 0)
    assert stack.services.queue.depth()["depth"] == 0


def test_without_a_secret_an_agent_message_is_confirmed_with_chatwoot_first(redis_url, chatwoot):
    with running(redis_url, **chatwoot_settings(chatwoot, chatwoot_webhook_secret=None)) as stack:
        stack.start_workers()
        ana = Customer(stack, "+34611000008")
        ana.say("Hola")
        settled(stack)
        conversation = conversation_of(chatwoot, ana.phone)
        before = len(ana.received())
        # Nobody wrote this in Chatwoot: a forged, unsigned "agent message".
        forged = event(
            "message_created_outgoing_agent.json",
            conversation,
            ana.phone,
            id=777777,
            content="Paga aquí: http://estafa.example",
        )
        body = json.dumps(forged).encode()
        headers = {"Content-Type": "application/json"}
        assert stack.client.post("/webhook/chatwoot", data=body, headers=headers).status_code == 200
        # A real one: the agent writes it in Chatwoot, which then calls us.
        real = chatwoot.add_agent_message(conversation["id"], "Hola, soy Marta")
        genuine = event(
            "message_created_outgoing_agent.json",
            conversation,
            ana.phone,
            id=real["id"],
            content="Hola, soy Marta",
        )
        body = json.dumps(genuine).encode()
        assert stack.client.post("/webhook/chatwoot", data=body, headers=headers).status_code == 200
        wait_until(lambda: "Hola, soy Marta" in ana.received(), what="the genuine message")
        settled(stack)
        assert ana.received()[before:] == ["Hola, soy Marta"]


def meta_image(phone: str, media_id: str, message_id: str, caption: str) -> bytes:
    body = json.loads(meta_text(phone, "x", message_id))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message |= {
        "type": "image",
        "image": {"id": media_id, "mime_type": "image/jpeg", "sha256": "x", "caption": caption},
    }
    return json.dumps(body).encode()


def test_customer_media_is_attached_in_chatwoot(stack, chatwoot):
    ana = Customer(stack, "+34611000009")
    ana.say("Hola")
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    stack.providers.media["media-9001"] = (photo, "image/jpeg")
    body = meta_image(ana.phone, "media-9001", "wamid.photo.1", "mi DNI")
    answer = stack.client.post(
        "/webhook/whatsapp", data=body, headers=meta_headers(body, META_SECRET)
    )
    assert answer.status_code == 200
    wait_until(lambda: ana.inbound_count() == 2, what="the photo's turn")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    photo_message = next(m for m in chatwoot.messages(conversation["id"]) if m.get("attachments"))
    assert photo_message["message_type"] == "incoming"
    assert photo_message["content"] == "mi DNI"
    [attachment] = photo_message["attachments"]
    assert attachment["content_type"] == "image/jpeg"
    assert attachment["size"] == len(photo)
    assert chatwoot.violations == []


def test_a_photo_we_cannot_fetch_is_shown_as_a_line_saying_so(stack, chatwoot):
    ana = Customer(stack, "+34611000010")
    body = meta_image(ana.phone, "media-gone", "wamid.photo.2", "")
    stack.client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, META_SECRET))
    wait_until(lambda: ana.inbound_count() == 1, what="the photo's turn")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    first = chatwoot.messages(conversation["id"])[0]
    assert first["message_type"] == "incoming"
    assert first["content"].startswith("📎 imagen no disponible")
    assert "media-gone" in first["content"]


def test_assigning_the_conversation_to_a_person_silences_the_bot(stack, chatwoot):
    ana = Customer(stack, "+34611000011")
    ana.say("Hola")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    custom_only = event("conversation_updated_custom_attributes.json", conversation, ana.phone)
    assert post_event(stack, custom_only).status_code == 200
    settled(stack)
    assert ana.say("sí") is not None  # an attribute change (with an assignee shown) takes nothing
    assigned = event(
        "conversation_updated_custom_attributes.json",
        conversation,
        ana.phone,
        changed_attributes=[{"assignee_id": {"previous_value": None, "current_value": 3}}],
    )
    assert post_event(stack, assigned).status_code == 200
    settled(stack)
    ana.say("Soy Ana, 35 años", answered=False)


def test_an_agent_message_to_a_customer_who_opted_out_is_not_sent(stack, chatwoot):
    ana = Customer(stack, "+34611000012")
    ana.say("Hola")
    ana.say("BAJA")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    assert "baja" in conversation["labels"]
    before = len(ana.received())
    reply = event(
        "message_created_outgoing_agent.json", conversation, ana.phone, id=9005, content="¿Seguro?"
    )
    assert post_event(stack, reply).status_code == 200
    settled(stack)
    assert len(ana.received()) == before
    assert any("se dio de baja" in n for n in notes(chatwoot.messages(conversation["id"])))


def test_an_agent_reply_goes_back_on_the_customers_own_channel_sms(stack, chatwoot):
    phone = "+34611000013"
    assert (
        post_twilio(stack, phone, "Hola", "SM0000000000000000000000000000a001").status_code == 200
    )
    wait_until(lambda: stack.providers.texts_to(phone), what="the greeting by SMS")
    settled(stack)
    conversation = conversation_of(chatwoot, phone)
    reply = event(
        "message_created_outgoing_agent.json", conversation, phone, id=9006, content="Te llamo"
    )
    assert post_event(stack, reply).status_code == 200
    wait_until(lambda: stack.providers.texts_to(phone)[-1] == "Te llamo", what="the SMS")
    sms = stack.providers.sent[-1]
    assert sms["provider"] == "twilio"
    assert (sms["form"]["To"], sms["form"]["Body"]) == (phone, "Te llamo")


def test_outside_the_24_hour_window_an_agent_reply_becomes_the_template_and_a_note(
    stack, chatwoot, redis_client
):
    ana = Customer(stack, "+34611000014")
    ana.say("Hola")
    settled(stack)
    summary = stack.service.store.keys(ana.phone).of("summary")
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    # The customer last wrote two days ago.
    redis_client.hset(summary, "last_inbound_at", json.dumps(two_days_ago))
    conversation = conversation_of(chatwoot, ana.phone)
    reply = event(
        "message_created_outgoing_agent.json", conversation, ana.phone, id=9007, content="¿Qué tal?"
    )
    assert post_event(stack, reply).status_code == 200
    wait_until(lambda: ana.received()[-1] == "<template:retomar_conversacion>", what="template")
    settled(stack)
    assert any("24 h" in n for n in notes(chatwoot.messages(conversation["id"])))


def test_a_twilio_mms_photo_is_attached_in_chatwoot(stack, chatwoot):
    phone, sid = "+34611000015", "MM0000000000000000000000000000b001"
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 10
    media = f"{stack.providers.url}/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}/Media/ME01"
    stack.providers.media["ME01"] = (photo, "image/png")
    form = twilio_form(phone, "mi póliza actual", sid, whatsapp=True, to=TWILIO_WA)
    form |= {"NumMedia": "1", "MediaUrl0": media, "MediaContentType0": "image/png"}
    headers = twilio_headers(f"{BASE}/webhook/twilio", form, TWILIO_TOKEN)
    assert stack.client.post("/webhook/twilio", data=form, headers=headers).status_code == 200
    wait_until(lambda: stack.providers.texts_to(phone), what="the reply")
    settled(stack)
    first = chatwoot.messages(conversation_of(chatwoot, phone)["id"])[0]
    assert (first["message_type"], first["content"]) == ("incoming", "mi póliza actual")
    [attachment] = first["attachments"]
    assert (attachment["content_type"], attachment["size"]) == ("image/png", len(photo))
    assert chatwoot.violations == []


def test_baja_is_honoured_even_while_an_agent_has_the_conversation(stack, chatwoot):
    ana = Customer(stack, "+34611000016")
    ana.say("Hola")
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    reply = event(
        "message_created_outgoing_agent.json", conversation, ana.phone, id=9008, content="¿Hola?"
    )
    post_event(stack, reply)
    wait_until(lambda: ana.received()[-1] == "¿Hola?", what="the agent's message")
    ana.say("hola", answered=False)  # the agent has it: the bot is silent
    confirmation = ana.say("BAJA")
    assert confirmation == texts.OPTED_OUT
    settled(stack)
    assert stack.service.state(ana.phone)["opted_out"] is True
    again = event(
        "message_created_outgoing_agent.json", conversation, ana.phone, id=9009, content="¿Seguro?"
    )
    post_event(stack, again)
    settled(stack)
    assert "¿Seguro?" not in ana.received()
