"""Web app, worker, real Redis and local fake providers: signed messages in, replies out."""

from __future__ import annotations

import json
import time

import pytest

from testkit.signed import meta_change, meta_headers, meta_text, twilio_form, twilio_headers
from testkit.stack import (
    BASE,
    META_TOKEN,
    SECRET,
    TOKEN,
    TWILIO_SMS,
    TWILIO_WA,
    post_meta,
    post_twilio,
)
from webhooks.turns.worker import UNREADABLE


@pytest.fixture
def stack_settings():
    return {"whatsapp_verify_token": "verify-me"}


def test_meta_conversation_with_a_retried_delivery(stack):
    stack.start_workers()
    phone = "+34600100100"
    script = [
        "Hola",
        "sí",
        "Soy Ana, 35 años, no fumo",
        "150.000 €",
        "20 años",
        "para mi familia",
        "sí",  # the read-back is right
    ]
    for n, text in enumerate(script, start=1):
        answer = post_meta(stack, phone, text, f"wamid.in{n}")
        assert answer.status_code == 200 and answer.json == {
            "accepted": 1,
            "duplicates": 0,
            "statuses": 0,
        }
        stack.providers.wait_for(n)
    # Meta retries a delivery it thinks failed: acknowledged, never answered twice.
    again = post_meta(stack, phone, "para mi familia", "wamid.in6")
    assert again.status_code == 200 and again.json["duplicates"] == 1
    time.sleep(0.5)

    replies = stack.providers.texts_to(phone)
    assert len(replies) == len(script)
    assert "consentimiento" in replies[0]
    assert "¿Cómo te llamas?" in replies[1]
    assert "capital" in replies[2] and "cuántos años" in replies[3] and "dependen" in replies[4]
    assert "¿Es correcto?" in replies[5]
    proposal = stack.providers.sent[-1]["json"]
    assert proposal["type"] == "interactive" and proposal["to"] == "34600100100"
    titles = [b["reply"]["title"] for b in proposal["interactive"]["action"]["buttons"]]
    assert titles == ["Básica", "Recomendada", "Completa"]
    assert all(r["auth"] == f"Bearer {META_TOKEN}" for r in stack.providers.sent)

    # The customer taps a button: the payload id comes back and closes the sale.
    tap = json.loads(meta_text(phone, "", "wamid.in8"))
    message = tap["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(
        type="interactive",
        interactive={
            "type": "button_reply",
            "button_reply": {"id": "option:2", "title": "Recomendada"},
        },
    )
    del message["text"]
    body = json.dumps(tap).encode()
    assert (
        stack.client.post(
            "/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET)
        ).status_code
        == 200
    )
    stack.providers.wait_for(8)
    assert "¿La confirmo?" in stack.providers.texts_to(phone)[-1]
    assert post_meta(stack, phone, "sí", "wamid.in9").status_code == 200
    stack.providers.wait_for(9)
    assert "Recomendada" in stack.providers.texts_to(phone)[-1]
    assert stack.service.state(phone)["stage"] == "FINALIZADO"


def test_a_burst_waiting_for_a_worker_gets_one_reply(stack):
    phone = "+34600100200"
    for n, text in enumerate(["Hola", "sí", "me llamo Luis"], start=1):
        assert post_meta(stack, phone, text, f"wamid.burst{n}").status_code == 200
    stack.start_workers()
    # The three messages form one turn; the greeting is then followed by one more exchange.
    stack.providers.wait_for(1)
    time.sleep(0.5)
    replies = stack.providers.texts_to(phone)
    assert len(replies) == 1
    transcript = stack.service.store.transcript(phone)
    assert [e["direction"] for e in transcript] == ["in", "in", "in", "out"]


def test_forged_missing_and_malformed_meta_requests_are_refused_and_nothing_is_queued(stack):
    body = meta_text("+34600100300", "Hola", "wamid.forged")
    forged = {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert stack.client.post("/webhook/whatsapp", data=body, headers=forged).status_code == 403
    assert stack.client.post("/webhook/whatsapp", data=body).status_code == 401
    garbage = b"{not json"
    assert (
        stack.client.post(
            "/webhook/whatsapp", data=garbage, headers=meta_headers(garbage, SECRET)
        ).status_code
        == 400
    )
    huge = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    assert (
        stack.client.post(
            "/webhook/whatsapp", data=huge, headers=meta_headers(huge, SECRET)
        ).status_code
        == 413
    )
    assert stack.services.queue.depth()["depth"] == 0


def test_meta_verification_handshake(stack):
    ok = stack.client.get(
        "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42"
    )
    assert ok.status_code == 200 and ok.text == "42"
    bad = stack.client.get(
        "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42"
    )
    assert bad.status_code == 403


def test_twilio_sms_and_whatsapp(stack):
    stack.start_workers()
    sms, wa = "+34600100400", "+34600100500"
    answer = post_twilio(stack, sms, "Hola", "SM" + "1" * 32, whatsapp=False)
    assert (
        answer.status_code == 200 and answer.mimetype == "text/xml" and "<Response>" in answer.text
    )
    post_twilio(stack, wa, "Hola", "SM" + "2" * 32, whatsapp=True)
    sent = stack.providers.wait_for(2)
    by_to = {r["form"]["To"]: r["form"] for r in sent}
    assert by_to[sms]["From"] == TWILIO_SMS and "*" not in by_to[sms]["Body"]
    assert by_to[f"whatsapp:{wa}"]["From"] == f"whatsapp:{TWILIO_WA}"
    assert all(r["auth"].startswith("Basic ") for r in sent)

    forged = twilio_form(sms, "Hola", "SM" + "3" * 32, whatsapp=False, to=TWILIO_SMS)
    headers = twilio_headers(f"{BASE}/webhook/twilio", {**forged, "Body": "otra cosa"}, TOKEN)
    assert stack.client.post("/webhook/twilio", data=forged, headers=headers).status_code == 403
    assert stack.client.post("/webhook/twilio", data=forged).status_code == 403


def test_delivery_statuses_are_recorded_against_the_outbound_message(stack):
    stack.start_workers()
    phone = "+34600100600"
    post_meta(stack, phone, "Hola", "wamid.st1")
    stack.providers.wait_for(1)
    time.sleep(0.3)
    outbound = stack.service.store.transcript(phone)[-1]
    (wamid,) = outbound["ids"]
    body = meta_change(
        {
            "statuses": [
                {
                    "id": wamid,
                    "status": "failed",
                    "timestamp": str(int(time.time())),
                    "recipient_id": phone.lstrip("+"),
                    "errors": [{"code": 131026, "title": "Message undeliverable"}],
                }
            ]
        }
    )
    assert (
        stack.client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET)).json[
            "statuses"
        ]
        == 1
    )
    deadline = time.monotonic() + 5
    while not stack.service.store.statuses(phone) and time.monotonic() < deadline:
        time.sleep(0.05)
    recorded = stack.service.store.statuses(phone)[wamid]
    assert recorded["status"] == "failed" and recorded["errors"][0]["code"] == 131026


def test_outside_the_24_hour_window_a_template_goes_out(stack):
    stack.start_workers()
    phone = "+34600100700"
    stack.providers.fail_next.append(
        (
            400,
            {
                "error": {
                    "message": "Re-engagement message",
                    "type": "OAuthException",
                    "code": 131047,
                }
            },
        )
    )
    post_meta(stack, phone, "Hola", "wamid.win1")
    sent = stack.providers.wait_for(1)
    assert sent[0]["json"]["type"] == "template"
    assert sent[0]["json"]["template"]["name"] == "retomar_conversacion"


def test_a_message_we_cannot_read_gets_a_polite_reply(stack):
    stack.start_workers()
    phone = "+34600100800"
    image = json.loads(meta_text(phone, "", "wamid.img1"))
    message = image["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="image", image={"id": "media-1", "mime_type": "image/jpeg"})
    body = json.dumps(image).encode()
    assert (
        stack.client.post(
            "/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET)
        ).status_code
        == 200
    )
    stack.providers.wait_for(1)
    assert stack.providers.texts_to(phone) == [UNREADABLE]


def test_sends_report_the_channel_healthy_in_the_status(stack):
    stack.start_workers()
    post_meta(stack, "+34600100900", "Hola", "wamid.health1")
    stack.providers.wait_for(1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        meta = stack.client.get("/webhook/status").json["components"]["meta"]
        if meta.get("reachable"):
            break
        time.sleep(0.05)
    assert meta["configured"] and meta["reachable"] is True and meta["last_ok_at"]


def test_meta_twilio_and_evolution_customers_at_once_each_answered_on_their_channel(redis_url):
    """A customer on a number linked by QR code (Evolution API) beside Meta's and Twilio's."""
    from testkit.fake_evolution import FakeEvolution
    from testkit.stack import running
    from tests.system.test_evolution_flow import (
        API_KEY,
        INSTANCE,
        MEXICO,
        MEXICO_JID,
        post,
        text_event,
    )
    from tests.system.test_evolution_flow import TOKEN as EVOLUTION_TOKEN

    with (
        FakeEvolution(api_key=API_KEY, instances={INSTANCE: "open"}) as evolution,
        running(
            redis_url,
            evolution_api_url=evolution.url,
            evolution_api_key=API_KEY,
            evolution_instance=INSTANCE,
            evolution_webhook_token=EVOLUTION_TOKEN,
        ) as stack,
    ):
        stack.start_workers()
        assert post_meta(stack, "+34600100900", "Hola", "wamid.mixed1").status_code == 200
        assert post_twilio(stack, "+34600100901", "Hola", "SM" + "7" * 32).status_code == 200
        assert post(stack, text_event("Hola", "3AMIXED0000000000001")).status_code == 200
        stack.providers.wait_for(2)
        [reply] = evolution.wait_for(1)
        assert reply["json"]["number"] == MEXICO_JID and "iAgente Vida" in reply["json"]["text"]
        assert "iAgente Vida" in stack.providers.texts_to("+34600100900")[0]
        assert "iAgente Vida" in stack.providers.texts_to("+34600100901")[0]
        deadline = time.time() + 10
        while time.time() < deadline and not stack.service.store.summary(MEXICO).get("provider"):
            time.sleep(0.05)
        summary = stack.service.store.summary(MEXICO)
        assert summary["provider"] == "evolution" and summary["channel"] == "whatsapp"
