"""Evolution API webhooks: the recorded JWT vectors, and every recorded event parsed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from webhooks.inbound import evolution as ev

DATA = Path(__file__).parents[2] / "data" / "evolution"
VECTORS = json.loads((DATA / "webhook_auth_vectors.json").read_text())["jwt"]
KEY = "a-webhook-token-long-enough-for-hs256-and-even-for-hs512-keys-xx"
# The recorded key is 27 bytes: PyJWT warns that HS256 keys should have 32.
SHORT_KEY = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def event(name: str) -> dict[str, Any]:
    return json.loads((DATA / "webhooks" / f"{name}.json").read_text())


def fresh(key: str = KEY, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"} | claims
    return "Bearer " + jwt.encode(payload, key, algorithm="HS256")


# --- the JWT ---------------------------------------------------------------------------------


@SHORT_KEY
def test_the_recorded_token_is_valid_at_its_time():
    ev.verify_token(f"Bearer {VECTORS['token']}", VECTORS["key"], now=VECTORS["valid_at_unix"])


@SHORT_KEY
@pytest.mark.parametrize(
    ("token", "key", "now"),
    [
        (VECTORS["token"], "another-secret", VECTORS["valid_at_unix"]),  # wrong key
        (VECTORS["token"], VECTORS["key"], VECTORS["must_fail"][1]["check_at_unix"]),  # expired
        (VECTORS["must_fail"][2]["token"], VECTORS["key"], VECTORS["valid_at_unix"]),  # tampered
        (VECTORS["token"], VECTORS["key"], None),  # expired by the real clock
    ],
)
def test_the_recorded_failures_are_refused(token, key, now):
    with pytest.raises(ev.TokenError) as refused:
        ev.verify_token(f"Bearer {token}", key, now=now)
    assert not isinstance(refused.value, ev.TokenMissingError)


def test_a_fresh_token_passes_and_a_missing_one_is_missing():
    ev.verify_token(fresh(), KEY)
    for header in (None, "", "   "):
        with pytest.raises(ev.TokenMissingError):
            ev.verify_token(header, KEY)


@pytest.mark.parametrize(
    "header",
    [
        fresh(app="another"),
        fresh(action="send"),
        fresh(exp=int(time.time()) - 60),  # past even the clock skew allowed
        "Bearer " + jwt.encode({"iat": int(time.time()), "app": "evolution"}, KEY, "HS256"),
        "Bearer " + jwt.encode({"app": "evolution", "action": "webhook"}, KEY, "HS256"),
        "Basic dXNlcjpwYXNz",
        "Bearer not.a.token",
        "Bearer "
        + jwt.encode(
            {"iat": 1, "exp": 9999999999, "app": "evolution", "action": "webhook"},
            KEY,
            algorithm="HS512",
        ),
    ],
)
def test_tokens_that_are_not_evolutions_are_refused(header):
    with pytest.raises(ev.TokenError):
        ev.verify_token(header, KEY)


def test_an_unsigned_alg_none_token_is_refused():
    token = jwt.encode(
        {"iat": 1, "exp": 9999999999, "app": "evolution", "action": "webhook"},
        None,
        algorithm="none",
    )
    with pytest.raises(ev.TokenError):
        ev.verify_token(f"Bearer {token}", KEY)


def test_an_empty_key_accepts_nothing():
    with pytest.raises(ev.TokenError):
        ev.verify_token(fresh(), "")


# --- messages --------------------------------------------------------------------------------

MEXICO = "+525512345678"  # WhatsApp's JID 5215512345678: the old mobile '1' dropped


@pytest.mark.parametrize(
    ("name", "kind", "text", "choice"),
    [
        ("messages_upsert_conversation", "text", "Hola, quiero información sobre el seguro", None),
        ("messages_upsert_extended_text_reply", "text", "Tengo 42 años y no fumo", None),
        ("messages_upsert_image_caption", "image", "Foto de mi póliza actual", None),
        ("messages_upsert_audio_ptt", "voice", "", None),
        ("messages_upsert_document", "document", "", None),
        ("messages_upsert_document_with_caption", "document", "Este es el último recibo", None),
        ("messages_upsert_list_response", "button", "Plan Plus", "plan_plus"),
        ("messages_upsert_interactive_response_quick_reply", "button", "Sí", "cotizar_si"),
        ("messages_upsert_buttons_response_legacy", "button", "Sí, cotizar", "cotizar_si"),
    ],
)
def test_customer_messages(name, kind, text, choice):
    raw = event(name)
    parsed = ev.parse_event(raw, received_at=123.0)
    assert parsed.ignored is None and parsed.instance == "seguros-vida"
    [(message, where)] = parsed.messages
    assert message.provider == "evolution" and message.channel == "whatsapp"
    assert message.phone == MEXICO
    assert message.kind == kind and message.text.startswith(text) and message.choice == choice
    assert message.message_id == raw["data"]["key"]["id"]
    assert message.timestamp == raw["data"]["messageTimestamp"]
    assert message.received_at == 123.0
    assert message.profile_name == raw["data"]["pushName"]
    # Replies go to the JID the customer wrote from, WhatsApp's own form included.
    assert where.reply_jid == "5215512345678@s.whatsapp.net" == where.read_jid
    assert where.lid == "187045612398765@lid" and where.phone_known


def test_a_reply_names_the_message_it_quotes():
    raw = event("messages_upsert_extended_text_reply")
    [(message, _)] = ev.parse_event(raw).messages
    assert message.reply_to == raw["data"]["contextInfo"]["stanzaId"]


def test_media_is_fetched_by_message_id_or_carried_as_the_webhooks_base64():
    [(image, _)] = ev.parse_event(event("messages_upsert_image_caption")).messages
    [media] = image.media
    assert media.kind == "image" and media.id == image.message_id and media.url is None
    assert media.mime_type == "image/jpeg" and media.caption == "Foto de mi póliza actual"
    raw = event("messages_upsert_image_caption_webhook_base64")
    [(inline, _)] = ev.parse_event(raw).messages
    assert inline.media[0].url == f"data:image/jpeg;base64,{raw['data']['message']['base64']}"
    [(document, _)] = ev.parse_event(event("messages_upsert_document")).messages
    assert document.media[0].filename and document.media[0].mime_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("messages_upsert_from_me_phone", "from_me"),
        ("messages_upsert_group", "not_a_chat"),
        ("messages_upsert_group_lid", "not_a_chat"),
        ("send_message_text", "event"),
        ("send_message_document", "event"),
        ("status_instance_closed", "event"),
    ],
)
def test_what_is_not_a_customers_message_is_ignored(name, why):
    parsed = ev.parse_event(event(name))
    assert parsed.ignored == why and not parsed.messages and not parsed.statuses


@pytest.mark.parametrize("remote", ["status@broadcast", "120363025246125888@newsletter"])
def test_status_posts_broadcasts_and_channels_are_ignored(remote):
    raw = event("messages_upsert_conversation")
    raw["data"]["key"]["remoteJid"] = remote
    assert ev.parse_event(raw).ignored == "not_a_chat"


def test_a_lid_chat_is_keyed_by_the_phone_it_carries():
    [(message, where)] = ev.parse_event(event("messages_upsert_lid")).messages
    assert message.phone == "+34600000000"
    assert where.reply_jid == "203918475610293@lid"  # answered where the customer wrote
    assert where.read_jid == "34600000000@s.whatsapp.net"  # receipts skip LIDs
    assert where.phone_known


def test_a_lid_only_customer_is_still_a_conversation():
    [(message, where)] = ev.parse_event(event("messages_upsert_lid_no_alt")).messages
    assert message.phone == "+203918475610293" and message.text == "¿Sigue disponible?"
    assert where.reply_jid == where.lid == "203918475610293@lid"
    assert where.read_jid is None and not where.phone_known


@pytest.mark.parametrize(
    ("digits", "phone"),
    [
        ("5215512345678", "+525512345678"),  # Mexico: WhatsApp keeps the old '1'
        ("525512345678", "+525512345678"),
        ("5491123456789", "+5491123456789"),  # Argentina: the '9' is the mobile E.164 form
        ("553188887777", "+5531988887777"),  # Brazil: the ninth digit WhatsApp lacks
        ("5531988887777", "+5531988887777"),
        ("551133334444", "+551133334444"),  # a Brazilian landline keeps 8 digits
        ("34600000000", "+34600000000"),
    ],
)
def test_one_customer_one_phone(digits, phone):
    assert ev.customer_phone(digits) == phone


def test_statuses_of_our_messages():
    [(delivered, lid)] = ev.parse_event(event("messages_update_delivery_ack")).statuses
    assert delivered.provider == "evolution" and delivered.status == "delivered"
    assert delivered.phone == MEXICO and delivered.message_id == "3EB0F2A61C9D4B7E8A0C35"
    assert lid is None
    [(read, _)] = ev.parse_event(event("messages_update_read")).statuses
    assert read.status == "read"
    raw = event("messages_update_read")
    raw["data"]["remoteJid"] = "187045612398765@lid"
    [(status, lid)] = ev.parse_event(raw).statuses
    assert status.phone is None and lid == "187045612398765@lid"


@pytest.mark.parametrize(
    ("name", "state", "reason", "qr"),
    [
        ("connection_update_open", "open", 200, False),
        ("connection_update_connecting", "connecting", 200, False),
        ("connection_update_close_logged_out", "close", 401, False),
        ("connection_update_refused_qr_limit", "refused", 428, False),
        ("qrcode_updated", "connecting", None, True),
        ("qrcode_updated_pairing_code", "connecting", None, True),
        ("qrcode_updated_limit_reached", "refused", 428, False),
    ],
)
def test_connection_events(name, state, reason, qr):
    parsed = ev.parse_event(event(name))
    assert parsed.connection == ev.Connection(state, reason, qr)


def test_every_recorded_webhook_has_a_test_here():
    names = {p.stem for p in (DATA / "webhooks").glob("*.json")}
    source = Path(__file__).read_text()
    assert {n for n in names if f'"{n}"' not in source} == set()


@pytest.mark.parametrize(
    "payload",
    [None, [], "x", {}, {"event": 1}, {"event": ""}, {"event": "messages.upsert"}],
)
def test_not_an_evolution_webhook(payload):
    with pytest.raises(ev.PayloadError):
        ev.parse_event(payload)


def test_odd_insides_become_unsupported_or_are_skipped():
    raw = event("messages_upsert_conversation")
    raw["data"]["message"] = {"pollCreationMessageV3": {"name": "?"}}
    raw["data"]["messageTimestamp"] = "soon"
    raw["data"]["pushName"] = ["x"]
    [(message, _)] = ev.parse_event(raw).messages
    assert message.kind == "unsupported" and message.timestamp == 0.0
    assert message.profile_name is None
    raw["data"]["key"]["remoteJid"] = "not-a-jid@s.whatsapp.net"
    assert ev.parse_event(raw).ignored == "unreadable"


def test_a_clock_a_little_ahead_is_tolerated_and_a_token_from_the_future_is_not():
    now = int(time.time())
    ev.verify_token(fresh(iat=now + 10, exp=now + 610), KEY)
    with pytest.raises(ev.TokenError):
        ev.verify_token(fresh(iat=now + 600, exp=now + 1200), KEY)
    with pytest.raises(ev.TokenError):
        ev.verify_token(fresh(iat=now - 700, exp=now - ev.CLOCK_SKEW - 5), KEY)
