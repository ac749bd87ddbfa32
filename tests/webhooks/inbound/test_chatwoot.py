"""Chatwoot webhooks: X-Chatwoot-Signature over timestamp and raw bytes, every sample payload."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from typing import TypedDict

import pytest

from testkit import DATA
from webhooks.inbound.chatwoot import (
    AgentMessage,
    ChatwootEvent,
    SignatureError,
    parse_event,
    verify_signature,
)

SAMPLES = DATA / "chatwoot" / "webhooks"
SAMPLE_FILES = sorted(p for p in SAMPLES.glob("*.json") if p.name != "signature_vector.json")
VECTOR = json.loads((SAMPLES / "signature_vector.json").read_text(encoding="utf-8"))
STAMP = int(VECTOR["X-Chatwoot-Timestamp"])
CUSTOMER = "+5511987654321"
ANA = {"sender_type": "user", "sender_id": 3, "sender_name": "Agent Ana"}


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def conversation(
    event: str,
    *,
    status: str = "open",
    message: AgentMessage | None = None,
    changed: tuple[str, ...] = (),
    assignee_id: int | None = None,
    assignee_type: str | None = None,
) -> ChatwootEvent:
    return ChatwootEvent(
        event=event,
        conversation_id=15,
        inbox_id=7,
        phone=CUSTOMER,
        status=status,
        assignee_id=assignee_id,
        assignee_type=assignee_type,
        message=message,
        changed=changed,
    )


def message(message_id: int, content: str, message_type: str, **fields) -> AgentMessage:
    return AgentMessage(id=message_id, content=content, message_type=message_type, **fields)


class Assignee(TypedDict):
    assignee_id: int
    assignee_type: str


ASSIGNED: Assignee = {"assignee_id": 3, "assignee_type": "user"}
MARIA = {"sender_type": "contact", "sender_id": 42, "sender_name": "Maria Silva"}
PHOTO = {
    "url": "https://chatwoot.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMi/photo.jpg",
    "file_type": "image",
    "content_type": "image/jpeg",
}

# file name -> the event parse_event must return for it.
EXPECTED: dict[str, ChatwootEvent] = {
    "agent_bot_conversation_opened.json": conversation("conversation_opened"),
    "agent_bot_conversation_resolved.json": conversation(
        "conversation_resolved", status="resolved"
    ),
    "contact_created.json": ChatwootEvent(event="contact_created", phone=CUSTOMER),
    "contact_updated.json": ChatwootEvent(
        event="contact_updated", phone=CUSTOMER, changed=("name",)
    ),
    "conversation_created.json": conversation("conversation_created"),
    "conversation_status_changed_resolved.json": conversation(
        "conversation_status_changed", status="resolved", changed=("status",), **ASSIGNED
    ),
    "conversation_typing_on.json": conversation("conversation_typing_on"),
    "conversation_updated_custom_attributes.json": conversation(
        "conversation_updated", changed=("custom_attributes",), **ASSIGNED
    ),
    "message_created_incoming_image.json": conversation(
        "message_created", message=message(102, "", "incoming", attachments=(PHOTO,), **MARIA)
    ),
    "message_created_incoming_reply.json": conversation(
        "message_created",
        message=message(
            107,
            "sim",
            "incoming",
            content_attributes={"in_reply_to": 103, "in_reply_to_external_id": "wamid.OUT123"},
            **MARIA,
        ),
    ),
    "message_created_incoming_text.json": conversation(
        "message_created",
        message=message(
            101,
            "Oi, preciso de ajuda",
            "incoming",
            source_id="wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBMEQ",
            **MARIA,
        ),
    ),
    "message_created_outgoing_agent.json": conversation(
        "message_created",
        message=message(103, "Claro! Como posso ajudar?", "outgoing", **ANA),
        **ASSIGNED,
    ),
    "message_created_outgoing_agent_bot.json": conversation(
        "message_created",
        status="pending",
        message=message(
            105,
            "Escolha uma opcao",
            "outgoing",
            sender_type="agent_bot",
            sender_id=5,
            sender_name="FAQ Bot",
        ),
    ),
    "message_created_outgoing_private_note.json": conversation(
        "message_created",
        message=message(
            104,
            "cliente VIP, priorizar",
            "outgoing",
            private=True,
            **ANA,
        ),
        **ASSIGNED,
    ),
    "message_created_template.json": conversation(
        "message_created",
        message=message(106, "Seu pedido foi enviado", "template", **ANA),
    ),
    "message_updated.json": conversation(
        "message_updated",
        message=message(103, "Claro! Como posso ajudar?", "outgoing", **ANA),
        **ASSIGNED,
    ),
}
FROM_HUMAN = {"message_created_outgoing_agent.json", "message_updated.json"}


# --- signature -------------------------------------------------------------------------------


def verify(
    body: bytes = VECTOR["raw_body"].encode(),
    signature: str | None = VECTOR["X-Chatwoot-Signature"],
    timestamp: str | None = VECTOR["X-Chatwoot-Timestamp"],
    *,
    secret: str = VECTOR["secret"],
    now: float = STAMP,
) -> None:
    verify_signature(secret, body, signature, timestamp, now=now)


def reason_of(**kwargs) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(**kwargs)
    return caught.value.reason


def test_the_signature_vector_verifies() -> None:
    verify()
    verify(now=STAMP + 300)
    verify(now=STAMP - 300)
    verify(signature=VECTOR["X-Chatwoot-Signature"].upper().replace("SHA256=", "sha256="))


def test_the_vector_body_is_the_incoming_text_sample() -> None:
    assert json.loads(VECTOR["raw_body"]) == load("message_created_incoming_text.json")


def flipped(body: bytes, at: int) -> bytes:
    return body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]


BODY = VECTOR["raw_body"].encode()
SIGNATURE = VECTOR["X-Chatwoot-Signature"]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"body": flipped(BODY, 0)}, "forged"),
        ({"body": flipped(BODY, len(BODY) // 2)}, "forged"),
        ({"body": BODY + b" "}, "forged"),
        ({"secret": "whsec_test_0123456788"}, "forged"),
        ({"secret": ""}, "forged"),
        ({"signature": SIGNATURE[:-1] + ("0" if SIGNATURE[-1] != "0" else "1")}, "forged"),
        ({"signature": SIGNATURE.removeprefix("sha256=")}, "forged"),
        ({"signature": SIGNATURE.replace("sha256=", "sha1=")}, "forged"),
        ({"signature": SIGNATURE + "00"}, "forged"),
        # the body replayed under a new timestamp: the old signature does not cover it
        ({"timestamp": str(STAMP + 60), "now": STAMP + 60}, "forged"),
        ({"timestamp": "not-a-time"}, "forged"),
        ({"timestamp": "1780401330.0"}, "forged"),
        ({"timestamp": "-1780401330"}, "forged"),
        ({"timestamp": "１７８０４０１３３０"}, "forged"),  # fullwidth digits: int() takes them
        ({"signature": None}, "missing"),
        ({"signature": "  "}, "missing"),
        ({"timestamp": None}, "missing"),
        ({"timestamp": ""}, "missing"),
        ({"now": STAMP + 301}, "stale"),
        ({"now": STAMP - 301}, "stale"),
        ({"now": STAMP + 86_400 * 365}, "stale"),
        # forged wins over stale: "stale" only ever describes a real Chatwoot delivery
        ({"secret": "wrong", "now": STAMP + 3600}, "forged"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_bad_signature_is_refused_with_its_reason(kwargs: dict, reason: str) -> None:
    assert reason_of(**kwargs) == reason


@pytest.mark.parametrize(
    "stamp", ["1780401330.0", "-1780401330", "１７８０４０１３３０", "1780401330 ", "0x6a1c3b32"]
)
def test_a_correctly_signed_timestamp_that_is_not_unix_seconds_is_refused(stamp: str) -> None:
    """Signed with the secret, so only the timestamp's form can refuse it."""
    digest = hmac.new(VECTOR["secret"].encode(), f"{stamp}.".encode() + BODY, hashlib.sha256)
    with pytest.raises(SignatureError) as caught:
        verify(timestamp=stamp, signature=f"sha256={digest.hexdigest()}")
    assert caught.value.reason == "forged"


def test_the_tolerance_is_configurable() -> None:
    verify_signature(
        VECTOR["secret"], BODY, SIGNATURE, str(STAMP), now=STAMP + 3600, tolerance_seconds=3600
    )
    with pytest.raises(SignatureError) as caught:
        verify_signature(
            VECTOR["secret"], BODY, SIGNATURE, str(STAMP), now=STAMP + 31, tolerance_seconds=30
        )
    assert caught.value.reason == "stale"


def test_without_now_the_clock_is_used() -> None:
    """The vector is signed for a fixed moment: today it is a replay."""
    with pytest.raises(SignatureError) as caught:
        verify_signature(VECTOR["secret"], BODY, SIGNATURE, str(STAMP))
    assert caught.value.reason == "stale"


# --- sample payloads -------------------------------------------------------------------------


def test_every_sample_has_an_expectation() -> None:
    assert sorted(EXPECTED) == [p.name for p in SAMPLE_FILES]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses(name: str) -> None:
    assert parse_event(load(name)) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.startswith("message_")))
def test_only_a_persons_public_outgoing_message_is_from_a_human(name: str) -> None:
    event = parse_event(load(name))
    assert event.message is not None
    assert event.message.from_human is (name in FROM_HUMAN)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_round_trip(name: str) -> None:
    event = parse_event(load(name))
    assert ChatwootEvent.from_json(event.to_json()) == event


@pytest.mark.parametrize(
    ("number", "word"), [(0, "incoming"), (1, "outgoing"), (2, "activity"), (3, "template")]
)
def test_a_messages_entry_with_integer_type_and_sender_type(number: int, word: str) -> None:
    """The `messages[]` shape: integer message_type, "User"/"AgentBot"/"Contact" sender_type."""
    payload = load("agent_bot_conversation_resolved.json")["messages"][0]
    payload = {**payload, "event": "message_created", "message_type": number}
    parsed = parse_event(payload).message
    assert parsed is not None
    assert (parsed.id, parsed.message_type, parsed.sender_type) == (103, word, "user")
    assert parsed.from_human is (word == "outgoing")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("User", "user"),
        ("AgentBot", "agent_bot"),
        ("agent_bot", "agent_bot"),
        ("Contact", "contact"),
        ("Captain::Assistant", None),
    ],
)
def test_sender_types_are_normalised(raw: str, normal: str | None) -> None:
    payload = load("message_created_outgoing_agent.json")
    payload["sender"]["type"] = raw
    parsed = parse_event(payload).message
    assert parsed is not None
    assert parsed.sender_type == normal
    assert parsed.from_human is (normal == "user")


def test_phone_falls_back_to_the_contact_inbox_source_id() -> None:
    payload = load("conversation_created.json")
    del payload["meta"]["sender"]["phone_number"]
    assert parse_event(payload).phone == CUSTOMER
    payload["contact_inbox"]["source_id"] = "7f3c2a9e-0b1d-4c5e-8f6a-1b2c3d4e5f60"
    assert parse_event(payload).phone is None


def test_an_explicitly_unassigned_conversation_has_no_assignee() -> None:
    payload = load("conversation_updated_custom_attributes.json")
    payload["meta"]["assignee"] = None
    payload["messages"][0]["conversation"]["assignee_id"] = 3  # a stale snapshot
    payload["changed_attributes"] = [{"assignee_id": {"previous_value": 3, "current_value": None}}]
    event = parse_event(payload)
    assert (event.assignee_id, event.assignee_type, event.changed) == (None, None, ("assignee_id",))


def test_without_meta_the_assignee_comes_from_the_messages() -> None:
    payload = load("conversation_created.json")
    del payload["meta"]
    payload["messages"][0]["conversation"]["assignee_id"] = 3
    event = parse_event(payload)
    assert (event.assignee_id, event.assignee_type, event.phone) == (3, "user", CUSTOMER)


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "inbox_created", "id": 7, "name": "WhatsApp"},
        {"event": "webwidget_triggered", "contact": {"id": 42}, "event_info": {}},
        {"event": "conversation_typing_off", "user": {"id": 3}},
        {"event": "some_future_event"},
    ],
)
def test_unknown_or_sparse_events_parse(payload: dict) -> None:
    assert parse_event(payload) == ChatwootEvent(event=payload["event"])


# --- malformed payloads ----------------------------------------------------------------------

TEXT = load("message_created_incoming_text.json")


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "message_created",
        [TEXT],
        {},
        {"event": ""},
        {"event": 5},
        {"event": None, "id": 1},
        TEXT | {"id": "101"},
        TEXT | {"id": True},
        {k: v for k, v in TEXT.items() if k != "id"},
        TEXT | {"private": "false"},
        TEXT | {"content": 5},
        TEXT | {"message_type": None},
        TEXT | {"message_type": 7},
        TEXT | {"conversation": "15"},
        TEXT | {"conversation": TEXT["conversation"] | {"id": "15"}},
        TEXT | {"conversation": TEXT["conversation"] | {"inbox_id": 7.0}},
        load("conversation_created.json") | {"id": None, "inbox_id": "7"},
    ],
)
def test_malformed_payloads_raise_value_error(payload: object) -> None:
    with pytest.raises(ValueError):
        parse_event(payload)


ODD_VALUES: tuple[object, ...] = (None, "", "x", 0, -1, 1.5, True, [], [None, 1], {}, {"id": "x"})


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_odd_values_anywhere_near_the_top_never_crash(name: str) -> None:
    """Each top-level and conversation key replaced by each odd value: an event or ValueError."""
    sample = load(name)
    paths: list[tuple[str, ...]] = [(key,) for key in sample if key != "event"]
    if isinstance(sample.get("conversation"), dict):
        paths += [("conversation", key) for key in sample["conversation"]]
    for path in paths:
        for odd in ODD_VALUES:
            payload = copy.deepcopy(sample)
            target = payload
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = odd
            try:
                event = parse_event(payload)
            except ValueError:
                continue
            assert ChatwootEvent.from_json(event.to_json()) == event


@pytest.mark.parametrize(
    "raw", ["", "[]", "null", '{"conversation_id": 15}', '{"event": "x", "message": 5}']
)
def test_from_json_refuses_what_to_json_did_not_write(raw: str) -> None:
    with pytest.raises(ValueError):
        ChatwootEvent.from_json(raw)
