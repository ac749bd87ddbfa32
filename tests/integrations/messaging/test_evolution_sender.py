"""Evolution sender: request bodies Evolution takes, error mapping, retries, the key kept home.

Successful calls go to the fake Evolution server, which refuses what Evolution 2.3.6 refuses;
failures and retries are played with `responses` and the recorded error answers.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from integrations.messaging.base import (
    AuthSendError,
    Option,
    RecipientError,
    SendError,
    TransientSendError,
)
from integrations.messaging.evolution import TEXT_LIMIT, EvolutionSender
from integrations.messaging.retry import RetryPolicy
from testkit.fake_evolution import FakeEvolution
from webhooks.turns.channels import OPTION_TEXTS

DATA = Path(__file__).parents[2] / "data" / "evolution" / "rest-responses"
KEY = "429683C4C977415CAAFCCE10F7D57E11"
INSTANCE = "seguros-vida"
API = "https://evolution.test"
TO = "+34600123456"
POLICY = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.5, wait_max=4.0, wait_jitter=0.5)

pytestmark = pytest.mark.usefixtures("sleeps")  # retry waits recorded, never slept


def recorded(name: str) -> dict:
    answer: dict = json.loads((DATA / f"{name}.json").read_text())
    return answer


@pytest.fixture
def fake() -> Iterator[FakeEvolution]:
    with FakeEvolution(api_key=KEY, instances={INSTANCE: "open"}) as server:
        yield server


def sender(url: str, **kwargs) -> EvolutionSender:
    return EvolutionSender(
        api_url=url,
        api_key=KEY,
        instance=INSTANCE,
        session=requests.Session(),
        retry=POLICY,
        texts=OPTION_TEXTS,
        **kwargs,
    )


def test_a_text_goes_to_the_digits_and_its_id_comes_back(fake):
    sent = sender(fake.url).send_text(TO, "Hola *Ana*")
    [request] = fake.sent()
    assert request["path"] == f"/message/sendText/{INSTANCE}" and request["apikey"] == KEY
    # Digits without '+': Evolution matches Mexican and Argentine variants on the raw string.
    assert request["json"] == {"number": "34600123456", "text": "Hola *Ana*"}
    assert sent.provider == "evolution"
    assert sent.message_ids == (request["answer"]["key"]["id"],)


def test_a_customer_is_answered_at_the_jid_they_wrote_from(fake):
    addresses = {TO: ("203918475610293@lid", None)}
    sender(fake.url, addresses=lambda phone: addresses.get(phone, (None, None))).send_text(
        TO, "Hola"
    )
    assert fake.sent()[0]["json"]["number"] == "203918475610293@lid"


def test_a_long_text_goes_in_parts_in_order(fake):
    text = "\n\n".join(f"Párrafo {n}. " + "x" * 1500 for n in range(5))
    sent = sender(fake.url).send_text(TO, text)
    parts = [r["json"]["text"] for r in fake.sent()]
    assert len(parts) == len(sent.message_ids) > 1
    assert all(len(p) <= TEXT_LIMIT for p in parts) and parts[0].startswith("Párrafo 0")


def test_options_are_a_short_numbered_list(fake):
    options = [Option("option:1", "Básica", "9,50 €/mes"), Option("option:2", "Completa")]
    sender(fake.url).send_options(TO, "Elige una:", options)
    text = fake.sent()[0]["json"]["text"]
    assert "1. Básica - 9,50 €/mes" in text and "2. Completa" in text
    assert text.startswith("Elige una:")


def test_there_are_no_templates(fake):
    with pytest.raises(SendError):
        sender(fake.url).send_template(TO, "retomar", [])
    assert fake.requests == []


def test_typing_marks_read_then_shows_composing(fake):
    jids = ("5215512345678@s.whatsapp.net", "5215512345678@s.whatsapp.net")
    sender(fake.url, addresses=lambda phone: jids).typing("+525512345678", "3A7C1E4B9D2F60A85E31")
    read, presence = fake.requests
    assert read["path"] == f"/chat/markMessageAsRead/{INSTANCE}" and read["status"] == 201
    assert read["json"] == {
        "readMessages": [
            {"id": "3A7C1E4B9D2F60A85E31", "fromMe": False, "remoteJid": jids[1]},
        ]
    }
    assert presence["path"] == f"/chat/sendPresence/{INSTANCE}" and presence["status"] == 201
    assert presence["json"]["number"] == jids[0] and presence["json"]["presence"] == "composing"


def test_media_by_url_and_by_base64(fake):
    ours = sender(fake.url)
    ours.send_media(TO, kind="image", media="https://cdn.example.com/p.jpg", caption="Póliza")
    pdf = base64.b64encode(b"%PDF-1.4 fake").decode()
    ours.send_media(
        TO, kind="document", media=pdf, mime_type="application/pdf", filename="poliza.pdf"
    )
    image, document = fake.sent()
    assert image["json"] == {
        "number": "34600123456",
        "mediatype": "image",
        "media": "https://cdn.example.com/p.jpg",
        "caption": "Póliza",
    }
    assert document["json"]["fileName"] == "poliza.pdf" and document["status"] == 201


def test_a_download_by_message_id(fake):
    fake.media["3AF0B6D2C81E47A93C55"] = (b"\x89PNG fake", "image/png")
    got = sender(fake.url).download("3AF0B6D2C81E47A93C55")
    assert got.content == b"\x89PNG fake" and got.mime_type == "image/png"
    assert got.filename == "3AF0B6D2C81E47A93C55.png"
    with pytest.raises(SendError):
        sender(fake.url).download("3A-UNKNOWN")


def test_a_download_from_the_webhooks_base64_makes_no_request(fake):
    got = sender(fake.url).download("data:audio/ogg;base64," + base64.b64encode(b"ogg").decode())
    assert got.content == b"ogg" and got.mime_type == "audio/ogg" and fake.requests == []
    with pytest.raises(SendError):
        sender(fake.url).download("data:image/jpeg;base64,%%%")


def test_a_download_over_the_limit_is_refused(fake):
    fake.media["3ABIG"] = (b"x" * 3000, "image/jpeg")
    with pytest.raises(SendError, match="larger"):
        sender(fake.url).download("3ABIG", limit=1000)


# --- errors and retries ------------------------------------------------------------------------

TEXT_URL = f"{API}/message/sendText/{INSTANCE}"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.mark.parametrize(
    ("status", "name", "kind"),
    [
        (400, "error_400_number_not_on_whatsapp", RecipientError),
        (401, "error_401", AuthSendError),
        (404, "error_404_instance_not_found", SendError),
        (400, "error_400_text_required", SendError),
    ],
)
def test_refusals_are_typed(api, status, name, kind):
    api.post(TEXT_URL, status=status, json=recorded(name))
    with pytest.raises(kind) as refused:
        sender(API).send_text(TO, "Hola")
    assert type(refused.value) is kind and not refused.value.transient
    assert refused.value.status == status and len(api.calls) == 1


def test_a_dropped_link_is_transient_and_nothing_went_out(api, sleeps):
    closed = {
        "status": 400,
        "error": "Bad Request",
        "response": {"message": ["Error: Connection Closed"]},
    }
    api.post(TEXT_URL, status=400, json=closed)
    api.post(TEXT_URL, status=201, json=recorded("message_sendText_201"))
    assert sender(API).send_text(TO, "Hola").message_ids == ("3EB0F2A61C9D4B7E8A0C35",)
    assert len(api.calls) == 2 and len(sleeps) == 1


def test_the_number_evolution_quotes_stays_out_of_errors_and_logs(api, caplog):
    api.post(
        TEXT_URL,
        status=400,
        json={"status": 400, "error": "Bad Request", "response": {"message": ["34600123456"]}},
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(SendError) as refused:
        sender(API).send_text(TO, "Hola")
    assert "34600123456" not in str(refused.value) and "34600123456" not in caplog.text


def test_a_5xx_is_retried_and_then_succeeds(api, sleeps):
    api.post(TEXT_URL, status=500, json={"status": 500, "error": "Internal Server Error"})
    api.post(TEXT_URL, status=201, json=recorded("message_sendText_201"))
    sent = sender(API).send_text(TO, "Hola")
    assert sent.message_ids == ("3EB0F2A61C9D4B7E8A0C35",) and len(sleeps) == 1


def test_attempts_are_capped(api):
    for _ in range(3):
        api.post(TEXT_URL, status=503, json={})
    with pytest.raises(TransientSendError):
        sender(API).send_text(TO, "Hola")
    assert len(api.calls) == 3


def test_a_send_that_may_have_gone_out_is_not_retried(api):
    api.post(TEXT_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(TransientSendError) as interrupted:
        sender(API).send_text(TO, "Hola")
    assert interrupted.value.maybe_sent and len(api.calls) == 1


def test_a_read_receipt_that_may_have_gone_out_is_retried(api):
    url = f"{API}/chat/markMessageAsRead/{INSTANCE}"
    api.post(url, body=requests.ReadTimeout("slow"))
    api.post(url, status=201, json=recorded("chat_markMessageAsRead_201"))
    api.post(f"{API}/chat/sendPresence/{INSTANCE}", status=201, json={"presence": "composing"})
    sender(API, addresses=lambda phone: ("34600123456@s.whatsapp.net",) * 2).typing(TO, "3A1")
    assert len(api.calls) == 3


def test_a_2xx_without_an_id_may_have_been_sent(api):
    api.post(TEXT_URL, status=201, json={"status": "PENDING"})
    with pytest.raises(SendError) as unclear:
        sender(API).send_text(TO, "Hola")
    assert unclear.value.maybe_sent


def test_the_apikey_goes_to_evolution_and_nowhere_else(api):
    api.post(
        TEXT_URL,
        status=201,
        json=recorded("message_sendText_201"),
        match=[matchers.header_matcher({"apikey": KEY})],
    )
    ours = sender(API)
    ours.send_text(TO, "Hola")
    assert "Authorization" not in api.calls[0].request.headers
    assert KEY not in repr(ours)
    # A "media URL" elsewhere is never fetched with our key: downloads go to Evolution only.
    api.post(
        f"{API}/chat/getBase64FromMediaMessage/{INSTANCE}",
        status=400,
        json={
            "status": 400,
            "error": "Bad Request",
            "response": {"message": ["Message not found"]},
        },
    )
    with pytest.raises(SendError):
        ours.download("https://attacker.example/steal")
    assert all(c.request.url.startswith(API) for c in api.calls)


def test_not_an_e164_number_sends_nothing(api):
    with pytest.raises(RecipientError):
        sender(API).send_text("600123456", "Hola")
    assert len(api.calls) == 0


# --- the fake refuses what Evolution refuses (else the tests above would prove nothing) ------


@pytest.mark.parametrize(
    ("route", "body", "status", "message"),
    [
        ("message/sendText", {"number": "34600123456"}, 400, 'instance requires property "text"'),
        ("message/sendText", {"number": 34600123456, "text": "x"}, 400, "Invalid format"),
        ("message/sendText", {"number": "34600123456", "text": "  "}, 400, "Text is required"),
        ("chat/sendPresence", {"number": "1", "presence": "composing"}, 400, '"delay"'),
        ("chat/sendPresence", {"number": "1", "presence": "typing", "delay": 1}, 400, "enum"),
        (
            "chat/markMessageAsRead",
            {"readMessages": [{"id": "x", "fromMe": False}]},
            400,
            "remoteJid",
        ),
        (
            "message/sendMedia",
            {"number": "1", "mediatype": "image", "media": "data:x;base64,AA"},
            400,
            "url or base64",
        ),
        (
            "message/sendMedia",
            {"number": "1", "mediatype": "document", "media": "QUJD"},
            400,
            "file name",
        ),
        ("webhook/set", {"url": "https://x", "enabled": True}, 400, '"webhook"'),
    ],
)
def test_the_fake_refuses_what_evolution_refuses(fake, route, body, status, message):
    answer = requests.post(
        f"{fake.url}/{route}/{INSTANCE}", json=body, headers={"apikey": KEY}, timeout=5
    )
    said = " ".join(map(str, answer.json()["response"]["message"]))
    assert answer.status_code == status and message in said


def test_the_fake_checks_the_key_and_the_instance(fake):
    body = {"number": "34600123456", "text": "Hola"}
    url = f"{fake.url}/message/sendText"
    assert requests.post(f"{url}/{INSTANCE}", json=body, timeout=5).status_code == 401
    wrong = requests.post(f"{url}/{INSTANCE}", json=body, headers={"apikey": "x"}, timeout=5)
    assert wrong.status_code == 401 and wrong.json() == recorded("error_401")
    unknown = requests.post(f"{url}/another", json=body, timeout=5)  # 404 before the key
    assert unknown.status_code == 404
    nowhere = requests.post(f"{fake.url}/message/nowhere/{INSTANCE}", json=body, timeout=5)
    assert nowhere.status_code == 404
