"""Meta webhooks: X-Hub-Signature-256 over raw bytes, the GET handshake, every sample payload."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from testkit import DATA
from webhooks.inbound.messages import InboundMessage, Media, StatusUpdate
from webhooks.inbound.meta import (
    PayloadError,
    SignatureError,
    SignatureInvalidError,
    SignatureMissingError,
    parse_payload,
    verify_signature,
    verify_subscription,
)

SAMPLES = DATA / "meta-whatsapp" / "webhooks"
SAMPLE_FILES = sorted(SAMPLES.glob("*.json"))
SECRET = "app-secret-for-tests"
CUSTOMER = "+972987654321"
OUR_NUMBER = "1122334455667"  # metadata.phone_number_id of the samples


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def msg(**fields) -> InboundMessage:
    defaults = {
        "provider": "meta",
        "channel": "whatsapp",
        "phone": CUSTOMER,
        "message_id": "wamid.xyzxyz",
        "profile_name": "Test Name",
        "our_number": OUR_NUMBER,
    }
    return InboundMessage(**(defaults | fields))


def status(**fields) -> StatusUpdate:
    defaults = {
        "provider": "meta",
        "message_id": "wamid.xyzxyz",
        "phone": CUSTOMER,
        "our_number": OUR_NUMBER,
    }
    return StatusUpdate(**(defaults | fields))


SAMPLE_PDF = Media(
    kind="document",
    id="1234567890987654321",
    mime_type="application/pdf",
    caption="caption",
    filename="filename.pdf",
)
FLOW_ANSWERS = (
    "Formulario: comment_text: Comment Text; delivery_rating: 4; purchase_rating: 2; "
    "recommend_radio: 0; cs_rating: 0"
)
NO_MESSAGES: tuple[list[InboundMessage], list[StatusUpdate]] = ([], [])

# file name -> (messages, statuses) that parse_payload must return for it.
EXPECTED: dict[str, tuple[list[InboundMessage], list[StatusUpdate]]] = {
    "msg_text.json": ([msg(kind="text", text="Body Text", timestamp=1697043223.0)], []),
    "msg_reply.json": (
        [msg(kind="text", text="replied text", reply_to="wamid.xyzxyz==", timestamp=1697044746.0)],
        [],
    ),
    "msg_forwarded.json": ([msg(kind="text", text="forwarded text", timestamp=1697044815.0)], []),
    "msg_forwarded_many_times.json": (
        [msg(kind="text", text="text forwarded many times", timestamp=1697044968.0)],
        [],
    ),
    # A click-to-WhatsApp ad reply is an ordinary text message; the ad data is not kept.
    "msg_referral.json": (
        [msg(kind="text", text="BODY", message_id="wamid.ID", timestamp=1697045000.0)],
        [],
    ),
    "interactive_button_reply.json": (
        [
            msg(
                kind="button",
                text="title",
                choice="callback_data",
                reply_to="wamid.xyzxyz",
                timestamp=1698266730.0,
            )
        ],
        [],
    ),
    "interactive_list_reply.json": (
        [
            msg(
                kind="button",
                text="title",
                choice="callback_data",
                reply_to="wamid.xyzxyz",
                message_id="wamid.zyzxyz",
                timestamp=1698266905.0,
            )
        ],
        [],
    ),
    "interactive_list_reply_with_description.json": (
        [
            msg(
                kind="button",
                text="title",
                choice="callback_data",
                reply_to="wamid.xyzxyz",
                message_id="wamid.zyzxyz",
                timestamp=1698266905.0,
            )
        ],
        [],
    ),
    "button_template_quick_reply.json": (
        [
            msg(
                kind="button",
                text="title",
                choice="callback_data",
                reply_to="wamid.xyzxyz==",
                message_id="wamid.xsidjw",
                timestamp=1698269027.0,
            )
        ],
        [],
    ),
    "button_template_quick_reply_no_context.json": (
        [
            msg(
                kind="button",
                text="title",
                choice="callback_data",
                message_id="wamid.xsidjx",
                timestamp=1698269027.0,
            )
        ],
        [],
    ),
    "interactive_nfm_reply_flow_completion.json": (
        [
            msg(
                kind="text",
                text=FLOW_ANSWERS,
                message_id="wamid.wegrchytvwcggt==",
                reply_to="wamid.gvwegfretge==",
                timestamp=1702502473.0,
            )
        ],
        [],
    ),
    "interactive_nfm_reply_flow_without_flow_token.json": (
        [
            msg(
                kind="text",
                text=FLOW_ANSWERS,
                message_id="wamid.wegrchytvwcggt==",
                reply_to="wamid.gvwegfretge==",
                timestamp=1702502473.0,
            )
        ],
        [],
    ),
    # Messages and value-level errors together: the customer sent something we can't read.
    "errors_value_level_unsupported_interactive.json": (
        [
            msg(
                kind="unsupported",
                message_id="wamid.wegrchytvwcggt=",
                reply_to="wamid.gvwegfretge==",
                timestamp=1700505494.0,
            )
        ],
        [],
    ),
    "msg_image.json": (
        [
            msg(
                kind="image",
                timestamp=1697043379.0,
                media=(Media(kind="image", id="65463453", mime_type="image/jpeg"),),
            )
        ],
        [],
    ),
    "msg_media_with_url.json": (
        [
            msg(
                kind="image",
                timestamp=1697043379.0,
                media=(
                    Media(
                        kind="image",
                        id="65463453",
                        mime_type="image/jpeg",
                        url="https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=65463453"
                        "&source=webhook&ext=487r9re&hash=heiwchueowbcew-dnedcw",
                    ),
                ),
            )
        ],
        [],
    ),
    "msg_video.json": (
        [
            msg(
                kind="video",
                text="caption",
                timestamp=1697044362.0,
                media=(
                    Media(kind="video", id="765756756", mime_type="video/mp4", caption="caption"),
                ),
            )
        ],
        [],
    ),
    "msg_document.json": (
        [msg(kind="document", text="caption", timestamp=1697043666.0, media=(SAMPLE_PDF,))],
        [],
    ),
    "msg_audio.json": (
        [
            msg(
                kind="audio",
                timestamp=1697043509.0,
                media=(
                    Media(
                        kind="audio", id="1234567890987654321", mime_type="audio/ogg; codecs=opus"
                    ),
                ),
            )
        ],
        [],
    ),
    "msg_voice.json": (
        [
            msg(
                kind="voice",
                timestamp=1697043473.0,
                media=(
                    Media(
                        kind="voice", id="1234567890987654321", mime_type="audio/ogg; codecs=opus"
                    ),
                ),
            )
        ],
        [],
    ),
    "msg_static_sticker.json": (
        [
            msg(
                kind="sticker",
                timestamp=1697043760.0,
                media=(Media(kind="sticker", id="1234567890987654321", mime_type="image/webp"),),
            )
        ],
        [],
    ),
    "msg_animated_sticker.json": (
        [
            msg(
                kind="sticker",
                timestamp=1697043785.0,
                media=(Media(kind="sticker", id="1234567890987654321", mime_type="image/webp"),),
            )
        ],
        [],
    ),
    "msg_current_location.json": (
        [
            msg(
                kind="location",
                text="Ubicación: 12.25089, 43.90539",
                timestamp=1697044557.0,
                location={
                    "latitude": 12.25089,
                    "longitude": 43.90539,
                    "name": None,
                    "address": None,
                },
            )
        ],
        [],
    ),
    "msg_chosen_location.json": (
        [
            msg(
                kind="location",
                text="Ubicación: Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025",
                timestamp=1697044557.0,
                location={
                    "latitude": 37.4611978,
                    "longitude": -122.2164385,
                    "name": "Facebook HQ",
                    "address": "1 Hacker Way, Menlo Park, CA 94025",
                },
            )
        ],
        [],
    ),
    "msg_contacts.json": (
        [
            msg(
                kind="contacts",
                timestamp=1697044621.0,
                text="Contactos: Chandler Bing (+1 555-555-5555); Monica (+1 666-666-6666); "
                "Rachel Green (+1 777-777-7777)",
            )
        ],
        [],
    ),
    "msg_reaction.json": (
        [msg(kind="reaction", text="😮", reply_to="wamid.yzxyzx=", timestamp=1697044456.0)],
        [],
    ),
    "msg_unreaction_empty.json": (
        [msg(kind="reaction", text="", reply_to="wamid.yzxyzx=", timestamp=1697044456.0)],
        [],
    ),
    "msg_unreaction_no_emoji.json": (
        [msg(kind="reaction", text="", reply_to="wamid.yzxyzx=", timestamp=1697044456.0)],
        [],
    ),
    "msg_order.json": (
        [
            msg(
                kind="unsupported",
                timestamp=1697044668.0,
                text="Pedido: 3 x HAMBURGER, 2 x FRENCH_FRIES, 2 x SODA",
            )
        ],
        [],
    ),
    "msg_unsupported_errors.json": ([msg(kind="unsupported", timestamp=1697044706.0)], []),
    "msg_unsupported_errors_with_type.json": (
        [msg(kind="unsupported", timestamp=1697044706.0)],
        [],
    ),
    "system_user_changed_number.json": (
        [
            msg(
                kind="unsupported",
                message_id="wamid.xyzxyz==",
                timestamp=1753851315.0,
                profile_name=None,
                text="User A changed from 972987654321 to 972912345678",
            )
        ],
        [],
    ),
    "system_customer_identity_changed.json": (
        [
            msg(
                kind="unsupported",
                timestamp=1697044706.0,
                profile_name="User A",
                text="User identity changed",
            )
        ],
        [],
    ),
    # An edit is a new message with the new content; its sender is not in `contacts` here.
    "msg_edited_image.json": (
        [
            msg(
                kind="image",
                text="Updated image caption",
                phone="+16505551234",
                message_id="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
                timestamp=1749854575.0,
                profile_name=None,
                reply_to="M0",
                our_number="106540352242922",
                media=(
                    Media(
                        kind="image",
                        id="1234567890",
                        mime_type="image/jpeg",
                        caption="Updated image caption",
                        url="https://media.example.com/updated-image.jpg",
                    ),
                ),
            )
        ],
        [],
    ),
    "msg_deleted_revoke.json": NO_MESSAGES,
    "echo_outgoing_text.json": NO_MESSAGES,
    "echo_outgoing_edit.json": NO_MESSAGES,
    "echo_outgoing_delete.json": NO_MESSAGES,
    "status_sent.json": ([], [status(status="sent", timestamp=1698266945.0)]),
    "status_with_tracker.json": ([], [status(status="sent", timestamp=1698266945.0)]),
    "status_delivered.json": ([], [status(status="delivered", timestamp=1698266945.0)]),
    "status_read.json": ([], [status(status="read", timestamp=1689380458.0)]),
    "status_played.json": ([], [status(status="played", timestamp=1689380458.0)]),
    "status_failed.json": (
        [],
        [
            status(
                status="failed",
                timestamp=1689380458.0,
                errors=({"code": 130472, "title": "User's number is part of an experiment"},),
            )
        ],
    ),
    # A group's recipient_id is not a phone number.
    "status_group.json": (
        [],
        [
            status(
                status="read",
                timestamp=1698266945.0,
                message_id="<WHATSAPP_MESSAGE_ID>",
                phone=None,
                our_number="<BUSINESS_PHONE_NUMBER_ID>",
            )
        ],
    ),
}


# --- every sample payload ----------------------------------------------------------------------


def test_the_samples_are_there() -> None:
    assert len(SAMPLE_FILES) >= len(EXPECTED), f"sample payloads missing under {SAMPLES}"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda path: path.name)
def test_every_sample_parses_to_what_we_expect(path: Path) -> None:
    payload = json.loads(path.read_bytes())
    assert path.name in EXPECTED, f"write the expected parse of {path.name} in EXPECTED"
    messages, statuses = parse_payload(payload)
    assert (messages, statuses) == EXPECTED[path.name]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda path: path.name)
def test_every_parsed_message_survives_the_queue(path: Path) -> None:
    messages, _ = parse_payload(json.loads(path.read_bytes()))
    for message in messages:
        assert message.channel == "whatsapp" and message.phone.startswith("+")
        assert InboundMessage.from_json(message.to_json()) == message


def test_all_entries_and_changes_are_read_and_other_fields_ignored() -> None:
    names = ("msg_text.json", "msg_reaction.json", "status_sent.json")
    text, reaction, status_sent = (load(name)["entry"][0] for name in names)
    other = {"field": "account_update", "value": {"messages": [{"from": "34600000000"}]}}
    entry = {"id": "1", "changes": [text["changes"][0], other, reaction["changes"][0]]}
    payload = {"object": "whatsapp_business_account", "entry": [entry, status_sent]}
    messages, statuses = parse_payload(payload)
    assert [m.kind for m in messages] == ["text", "reaction"]
    assert [s.status for s in statuses] == ["sent"]


def test_an_echo_in_the_messages_field_is_not_a_customer_message() -> None:
    payload = load("msg_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"][0]["from"] = value["metadata"]["display_phone_number"]
    assert parse_payload(payload) == NO_MESSAGES


def test_unknown_or_bodiless_message_types_are_unsupported() -> None:
    payload = load("msg_text.json")
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    for variant in (
        {"type": "hologram", "hologram": {}},
        {"type": "image"},
        {"type": None},
        {"type": "interactive", "interactive": {"type": "call_permission_reply"}},
    ):
        case = copy.deepcopy(payload)
        case["entry"][0]["changes"][0]["value"]["messages"][0] = {**raw, "text": None, **variant}
        [message], [] = parse_payload(case)
        assert (message.kind, message.text) == ("unsupported", "")


def test_an_unreadable_flow_response_is_unsupported() -> None:
    payload = load("interactive_nfm_reply_flow_completion.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["nfm_reply"][
        "response_json"
    ] = "{not json"
    [message], [] = parse_payload(payload)
    assert message.kind == "unsupported"


def test_value_level_errors_without_messages_give_nothing() -> None:
    value = {"errors": [{"code": 131000, "title": "Something went wrong"}]}
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"changes": [{"field": "messages", "value": value}]}],
    }
    assert parse_payload(payload) == NO_MESSAGES


def test_junk_inside_a_valid_envelope_is_skipped() -> None:
    entries = [
        None,
        {"changes": None},
        {"changes": [None, {"field": "messages", "value": []}]},
        {
            "changes": [
                {
                    "field": "messages",
                    "value": {"messages": [None, {"id": "x"}], "statuses": [{"id": "y"}]},
                }
            ]
        },
    ]
    assert parse_payload({"object": "whatsapp_business_account", "entry": entries}) == NO_MESSAGES


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "whatsapp_business_account",
        None,
        {},
        {"object": "page", "entry": []},
        {"object": "instagram", "entry": load("msg_text.json")["entry"]},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": {"changes": []}},
        {"object": "whatsapp_business_account", "entry": None},
    ],
)
def test_not_a_whatsapp_business_account_webhook(payload) -> None:
    with pytest.raises(PayloadError):
        parse_payload(payload)


def test_payload_error_is_a_value_error() -> None:
    assert issubclass(PayloadError, ValueError)


# --- signature ---------------------------------------------------------------------------------

BODY = (SAMPLES / "msg_text.json").read_bytes()


def test_a_valid_signature_passes() -> None:
    verify_signature(BODY, sign(BODY), SECRET)
    verify_signature(BODY, sign(BODY).upper().replace("SHA256=", "sha256="), SECRET)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_signature_is_401(header: str | None) -> None:
    with pytest.raises(SignatureMissingError):
        verify_signature(BODY, header, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        sign(BODY, "another-secret"),
        "sha256=" + "0" * 64,
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        sign(BODY).removeprefix("sha256="),
        "sha256=" + "z" * 64,
        sign(BODY)[:-2],
        sign(BODY) + "00",
        "sha256=",
        "sha256=ñ" + "0" * 63,
        "SHA256=" + sign(BODY).removeprefix("sha256="),
    ],
    ids=[
        "other secret",
        "zeros",
        "sha1",
        "no prefix",
        "non-hex",
        "short",
        "long",
        "empty hex",
        "non-ascii",
        "upper-case prefix",
    ],
)
def test_a_wrong_or_malformed_signature_is_403(header: str) -> None:
    with pytest.raises(SignatureInvalidError):
        verify_signature(BODY, header, SECRET)


def test_the_hmac_covers_the_exact_raw_bytes() -> None:
    reserialised = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert reserialised != BODY and json.loads(reserialised) == json.loads(BODY)
    with pytest.raises(SignatureInvalidError):
        verify_signature(reserialised, sign(BODY), SECRET)
    with pytest.raises(SignatureInvalidError):
        verify_signature(BODY + b"\n", sign(BODY), SECRET)


def test_no_app_secret_refuses_even_a_matching_signature() -> None:
    with pytest.raises(SignatureInvalidError):
        verify_signature(BODY, sign(BODY, ""), "")


def test_signature_errors_share_a_base() -> None:
    assert issubclass(SignatureMissingError, SignatureError)
    assert issubclass(SignatureInvalidError, SignatureError)
    assert not issubclass(SignatureMissingError, SignatureInvalidError)


# --- subscription handshake --------------------------------------------------------------------

HANDSHAKE = {"hub.mode": "subscribe", "hub.verify_token": "tok3n", "hub.challenge": "1158201444"}


def test_the_handshake_echoes_the_challenge() -> None:
    assert verify_subscription(HANDSHAKE, "tok3n") == "1158201444"


@pytest.mark.parametrize(
    ("args", "token"),
    [
        (HANDSHAKE, None),
        (HANDSHAKE, ""),
        (HANDSHAKE, "other"),
        (HANDSHAKE, "tok3n-longer"),
        (HANDSHAKE | {"hub.mode": "unsubscribe"}, "tok3n"),
        ({k: v for k, v in HANDSHAKE.items() if k != "hub.mode"}, "tok3n"),
        ({k: v for k, v in HANDSHAKE.items() if k != "hub.verify_token"}, "tok3n"),
        (HANDSHAKE | {"hub.verify_token": ""}, ""),
        (HANDSHAKE | {"hub.verify_token": "tökén"}, "tok3n"),
        ({"hub.mode": "subscribe", "hub.verify_token": "tok3n"}, "tok3n"),
        ({}, "tok3n"),
    ],
    ids=[
        "no token configured",
        "empty token configured",
        "wrong token",
        "longer token",
        "wrong mode",
        "no mode",
        "no token given",
        "both empty",
        "non-ascii token",
        "no challenge",
        "no args",
    ],
)
def test_the_handshake_refuses(args: dict, token: str | None) -> None:
    assert verify_subscription(args, token) is None
