"""Evolution customers through the whole service: web app, worker, real Redis, a fake Evolution.

Bodies posted are the recorded webhooks of tests/data/evolution with their text and ids changed;
every request the service makes is checked by the fake against Evolution's routes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from testkit.evolution import WEBHOOK_TOKEN, bearer
from testkit.fake_evolution import FakeEvolution
from testkit.stack import Stack, running

DATA = Path(__file__).parents[1] / "data" / "evolution" / "webhooks"
API_KEY = "429683C4C977415CAAFCCE10F7D57E11"
TOKEN = WEBHOOK_TOKEN
INSTANCE = "seguros-vida"
MEXICO_JID = "5215512345678@s.whatsapp.net"  # the customer of the recorded payloads
MEXICO = "+525512345678"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())


def text_event(text: str, message_id: str, *, base: str = "messages_upsert_conversation") -> dict:
    body = recorded(base)
    body["data"]["key"]["id"] = message_id
    body["data"]["message"]["conversation"] = text
    body["data"]["messageTimestamp"] = int(time.time())
    return body


def post(stack: Stack, body: dict, headers: dict[str, str] | None = None) -> Any:
    # Evolution posts compact JSON (axios' JSON.stringify).
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return stack.client.post(
        "/webhook/evolution",
        data=raw,
        headers={"Content-Type": "application/json", **(bearer() if headers is None else headers)},
    )


def transcript(stack: Stack, phone: str, entries: int) -> list[dict]:
    """The phone's transcript once it has `entries` entries (a reply is recorded after it went)."""
    deadline = time.time() + 10
    while len(found := stack.service.store.transcript(phone)) < entries and time.time() < deadline:
        time.sleep(0.05)
    return found


@pytest.fixture
def evolution() -> Iterator[FakeEvolution]:
    with FakeEvolution(api_key=API_KEY, instances={INSTANCE: "open"}) as fake:
        yield fake


@pytest.fixture
def stack(redis_url: str, evolution: FakeEvolution) -> Iterator[Stack]:
    with running(
        redis_url,
        evolution_api_url=evolution.url,
        evolution_api_key=API_KEY,
        evolution_instance=INSTANCE,
        evolution_webhook_token=TOKEN,
    ) as running_stack:
        yield running_stack


def test_a_sale_on_a_number_linked_by_qr_code(stack: Stack, evolution: FakeEvolution):
    stack.start_workers()
    script = [
        "Hola",
        "sí",
        "Soy Mariana, 35 años, no fumo",
        "150.000 €",
        "20 años",
        "para mi familia",
        "sí",  # the read-back is right
    ]
    for n, text in enumerate(script, start=1):
        answer = post(stack, text_event(text, f"3A7C1E4B9D2F60A8{n:04d}"))
        assert answer.status_code == 200, answer.json
        assert answer.json == {"accepted": 1, "duplicates": 0, "statuses": 0}
        evolution.wait_for(n)
    # Evolution delivers twice at times (a slow 2xx is retried): acknowledged, answered once.
    again = post(stack, text_event("para mi familia", "3A7C1E4B9D2F60A80006"))
    assert again.status_code == 200 and again.json["duplicates"] == 1
    time.sleep(0.5)

    # Every reply went to the JID the customer wrote from, with our apikey, and nothing else.
    replies = evolution.texts_to(MEXICO_JID)
    assert len(replies) == len(script) == len(evolution.sent())
    assert "consentimiento" in replies[0] and "¿Es correcto?" in replies[5]
    assert all(r["apikey"] == API_KEY and r["authorization"] is None for r in evolution.requests)
    assert {r["path"] for r in evolution.sent()} == {f"/message/sendText/{INSTANCE}"}
    # The proposal lists the options as numbers to answer with.
    proposal = replies[-1]
    assert "1️⃣" in proposal and "2️⃣" in proposal and "3️⃣" in proposal
    # Each message was marked read (on its phone JID) and answered with "typing…" first.
    receipts = evolution.calls("chat/markMessageAsRead")
    assert {r["json"]["readMessages"][0]["remoteJid"] for r in receipts} == {MEXICO_JID}
    assert len(receipts) == len(script) and all(r["status"] == 201 for r in receipts)
    presence = evolution.calls("chat/sendPresence")
    assert all(r["json"]["presence"] == "composing" and r["status"] == 201 for r in presence)

    assert post(stack, text_event("2", "3A7C1E4B9D2F60A80008")).status_code == 200
    evolution.wait_for(len(script) + 1)
    assert "¿La confirmo?" in evolution.texts_to(MEXICO_JID)[-1]
    assert post(stack, text_event("sí", "3A7C1E4B9D2F60A80009")).status_code == 200
    evolution.wait_for(len(script) + 2)
    assert "Recomendada" in evolution.texts_to(MEXICO_JID)[-1]
    assert stack.service.state(MEXICO)["stage"] == "FINALIZADO"

    # Delivery and read statuses of our replies are kept, keyed by the customer's phone.
    sent_id = evolution.sent()[-1]["answer"]["key"]["id"]
    update = recorded("messages_update_read")
    update["data"]["keyId"] = sent_id
    assert post(stack, update).json == {"accepted": 0, "duplicates": 0, "statuses": 1}
    deadline = time.time() + 10
    while time.time() < deadline and sent_id not in stack.service.store.statuses(MEXICO):
        time.sleep(0.05)
    assert stack.service.store.statuses(MEXICO)[sent_id]["status"] == "read"


def test_one_customer_one_conversation_whatever_form_the_number_takes(
    stack: Stack, evolution: FakeEvolution
):
    stack.start_workers()
    assert post(stack, text_event("Hola", "3AAA00000000000000001")).status_code == 200
    evolution.wait_for(1)
    # The same Mexican customer, this time addressed by LID with the phone as the alternative.
    lid_first = text_event("sí", "3AAA00000000000000002")
    lid_first["data"]["key"].update(
        remoteJid="187045612398765@lid", remoteJidAlt=MEXICO_JID, addressingMode="lid"
    )
    assert post(stack, lid_first).status_code == 200
    evolution.wait_for(2)
    entries = transcript(stack, MEXICO, 4)
    assert [e["direction"] for e in entries] == ["in", "out", "in", "out"]
    # Answered where the customer wrote: the LID chat, as Evolution's notes advise.
    assert evolution.sent()[-1]["json"]["number"] == "187045612398765@lid"
    # Later, the same LID alone: still the same conversation, through the remembered phone.
    lid_only = text_event("Soy Mariana", "3AAA00000000000000003")
    lid_only["data"]["key"] = {
        "remoteJid": "187045612398765@lid",
        "fromMe": False,
        "id": "3AAA00000000000000003",
        "participant": "",
        "addressingMode": "lid",
    }
    assert post(stack, lid_only).status_code == 200
    evolution.wait_for(3)
    assert len(transcript(stack, MEXICO, 6)) == 6


def test_a_customer_known_only_by_lid_is_answered(stack: Stack, evolution: FakeEvolution):
    stack.start_workers()
    body = recorded("messages_upsert_lid_no_alt")
    body["data"]["message"]["conversation"] = "Hola"
    assert post(stack, body).json == {"accepted": 1, "duplicates": 0, "statuses": 0}
    [reply] = evolution.wait_for(1)
    assert reply["json"]["number"] == "203918475610293@lid"
    assert "consentimiento" in reply["json"]["text"]
    # No read receipt to a LID (Evolution skips them), but "typing…" still shows.
    assert evolution.calls("chat/markMessageAsRead") == []
    assert evolution.calls("chat/sendPresence")[0]["json"]["number"] == "203918475610293@lid"


def test_the_24_hour_window_does_not_apply(stack: Stack, evolution: FakeEvolution):
    stack.start_workers()
    old = text_event("Hola", "3ABB00000000000000001")
    old["data"]["messageTimestamp"] = int(time.time()) - 3 * 86400  # answered days later
    assert post(stack, old).status_code == 200
    [reply] = evolution.wait_for(1)
    assert "consentimiento" in reply["json"]["text"]


@pytest.mark.parametrize(
    "name",
    [
        "messages_upsert_from_me_phone",
        "messages_upsert_group",
        "messages_upsert_group_lid",
        "send_message_text",
        "status_instance_closed",
    ],
)
def test_what_is_not_a_customer_message_is_acknowledged_and_not_answered(
    stack: Stack, evolution: FakeEvolution, name: str
):
    stack.start_workers()
    answer = post(stack, recorded(name))
    assert answer.status_code == 200 and answer.json["accepted"] == 0 and answer.json["ignored"]
    time.sleep(0.3)
    assert evolution.sent() == [] and stack.services.queue.depth()["depth"] == 0


def test_authentication(stack: Stack):
    body = text_event("Hola", "3ACC00000000000000001")
    assert post(stack, body, headers={}).status_code == 401
    assert (
        post(stack, body, headers=bearer("another-key-of-the-same-length-xxxxxxxxxxx")).status_code
        == 403
    )
    now = int(time.time())
    expired = jwt.encode(
        {"iat": now - 700, "exp": now - 100, "app": "evolution", "action": "webhook"},
        TOKEN,
        algorithm="HS256",
    )
    assert post(stack, body, headers={"Authorization": f"Bearer {expired}"}).status_code == 403
    assert stack.services.queue.depth()["depth"] == 0
    garbage = stack.client.post("/webhook/evolution", data=b"{not json", headers=bearer())
    assert garbage.status_code == 400


def test_without_a_token_the_webhook_fails_closed(redis_url: str, evolution: FakeEvolution):
    with running(redis_url, evolution_api_url=evolution.url, evolution_instance=INSTANCE) as stack:
        answer = post(stack, text_event("Hola", "3ADD00000000000000001"))
        assert answer.status_code == 403 and "EVOLUTION_WEBHOOK_TOKEN" in answer.json["error"]
    # Local development only: unsigned calls accepted when the operator says so.
    with running(
        redis_url,
        evolution_api_url=evolution.url,
        evolution_instance=INSTANCE,
        allow_unsigned_webhooks=True,
    ) as stack:
        answer = post(stack, text_event("Hola", "3ADD00000000000000002"), headers={})
        assert answer.status_code == 200 and answer.json["accepted"] == 1


def test_another_instances_events_are_not_ours(stack: Stack):
    body = text_event("Hola", "3AEE00000000000000001")
    body["instance"] = "another-agency"
    answer = post(stack, body)
    assert answer.status_code == 200 and answer.json["accepted"] == 0
    assert stack.services.queue.depth()["depth"] == 0


def test_trouble_on_our_side_is_a_5xx_so_that_evolution_retries(stack: Stack):
    stack.services.redis.connection_pool.disconnect()
    stack.services.redis.connection_pool.connection_kwargs["port"] = 1  # nothing listens there
    answer = post(stack, text_event("Hola", "3AFF00000000000000001"))
    assert answer.status_code >= 500


def test_a_lost_link_is_logged_and_shows_in_the_status(
    stack: Stack, caplog: pytest.LogCaptureFixture
):
    assert post(stack, recorded("connection_update_open")).status_code == 200
    status = stack.client.get("/webhook/status").get_json()
    component = status["components"]["evolution"]
    assert component["connection"]["state"] == "open" and component["reachable"] is True
    assert "Evolution API" in component["notice"]
    with caplog.at_level("WARNING"):
        assert post(stack, recorded("connection_update_close_logged_out")).status_code == 200
    assert any("disconnected" in r.getMessage() for r in caplog.records)
    status = stack.client.get("/webhook/status").get_json()
    component = status["components"]["evolution"]
    assert component["connection"] == {
        "state": "close",
        "reason": 401,
        "at": component["connection"]["at"],
    }
    assert component["reachable"] is False and status["status"] == "degraded"


def test_media_reaches_the_turn_and_can_be_fetched(stack: Stack, evolution: FakeEvolution):
    stack.start_workers()
    body = recorded("messages_upsert_image_caption")
    message_id = body["data"]["key"]["id"]
    evolution.media[message_id] = (b"\xff\xd8\xff fake jpeg", "image/jpeg")
    assert post(stack, body).json["accepted"] == 1
    evolution.wait_for(1)
    [entry] = [e for e in transcript(stack, MEXICO, 2) if e["direction"] == "in"]
    assert entry["text"] == "Foto de mi póliza actual"
    sender = stack.services.channels.sender_for("evolution", "whatsapp")
    assert sender is not None
    got = sender.download(message_id)
    assert got.content == b"\xff\xd8\xff fake jpeg" and got.mime_type == "image/jpeg"
    inline = recorded("messages_upsert_image_caption_webhook_base64")
    data_url = f"data:image/jpeg;base64,{inline['data']['message']['base64']}"
    assert sender.download(data_url).content.startswith(b"\xff\xd8")
    assert evolution.calls("chat/getBase64FromMediaMessage")[0]["json"] == {
        "message": {"key": {"id": message_id}},
        "convertToMp4": False,
    }


def test_no_phone_jid_text_or_secret_reaches_the_logs(
    stack: Stack, evolution: FakeEvolution, caplog: pytest.LogCaptureFixture
):
    stack.start_workers()
    with caplog.at_level("DEBUG"):
        post(stack, text_event("Hola, me llamo Mariana Secreta", "3ALOG0000000000000001"))
        lid = recorded("messages_upsert_lid")
        post(stack, lid)
        evolution.wait_for(2)
        post(stack, recorded("connection_update_close_logged_out"))
        post(stack, text_event("Hola", "3ALOG0000000000000002"), headers={})  # refused: 401
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__.get('phone') or ''}"
        for r in caplog.records
        if r.name.split(".")[0] in ("webhooks", "integrations")
    )
    assert "+525*******78" in logged  # the service logged these requests, phones masked
    for secret in (
        "5215512345678",
        "525512345678",
        "34600000000",
        "187045612398765",
        "203918475610293",
        "Mariana Secreta",
        TOKEN,
        API_KEY,
    ):
        assert secret not in logged


def test_a_reply_that_met_a_dropped_link_goes_out_once_the_link_is_back(
    stack: Stack, evolution: FakeEvolution
):
    evolution.state[INSTANCE] = "close"  # Evolution answers sends with "Connection Closed"
    stack.start_workers()
    assert post(stack, text_event("Hola", "3ADROP00000000000001")).json["accepted"] == 1
    deadline = time.time() + 10
    while time.time() < deadline and not evolution.calls("message/sendText"):
        time.sleep(0.05)
    assert evolution.sent() == []  # tried, refused
    evolution.state[INSTANCE] = "open"
    [reply] = evolution.wait_for(1)
    assert "consentimiento" in reply["json"]["text"]
    time.sleep(0.5)
    assert len(evolution.sent()) == 1  # once
