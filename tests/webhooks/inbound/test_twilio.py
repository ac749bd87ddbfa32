"""Twilio webhooks: signature vectors from the SDK, signed URLs, and every sample form parsed."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from testkit import DATA
from webhooks.inbound.messages import InboundMessage, Media, StatusUpdate
from webhooks.inbound.twilio import (
    EMPTY_TWIML,
    FormError,
    is_status,
    parse_message,
    parse_status,
    signature_valid,
    signed_url,
)

SPEC = DATA / "twilio"
VECTORS = json.loads((SPEC / "signature_vectors.json").read_text())["vectors"]
FORM_VECTORS = [v for v in VECTORS if "form_body" in v]
TOKEN = "test_auth_token_0123456789abcdef"
MEDIA = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages"


def _vector_id(vector: dict) -> str:
    name = vector.get("case") or vector.get("payload_file") or "json_body"
    return f"{name}@{vector['url'].split('/')[2]}"


def _flask_form(body: str) -> MultiDict[str, str]:
    """The form exactly as Flask gets it: werkzeug's parser over the posted bytes."""
    builder = EnvironBuilder(
        method="POST", data=body.encode(), content_type="application/x-www-form-urlencoded"
    )
    try:
        return Request(builder.get_environ()).form
    finally:
        builder.close()


def _load(name: str) -> dict[str, str]:
    return json.loads((SPEC / name).read_text())


# --- signature vectors -----------------------------------------------------------------------


@pytest.mark.parametrize("vector", FORM_VECTORS, ids=_vector_id)
def test_signature_vector(vector: dict) -> None:
    form = _flask_form(vector["form_body"])
    assert (
        signature_valid(vector["url"], form, vector["X-Twilio-Signature"], vector["auth_token"])
        is vector["validates"]
    )
    # The same answer from the standard library's parser.
    pairs = parse_qsl(vector["form_body"], keep_blank_values=True)
    assert (
        signature_valid(vector["url"], pairs, vector["X-Twilio-Signature"], vector["auth_token"])
        is vector["validates"]
    )


@pytest.mark.parametrize("vector", [v for v in FORM_VECTORS if v["validates"]], ids=_vector_id)
@pytest.mark.parametrize(
    "variant", ["signature_over_url_with_default_port", "signature_over_url_without_port"]
)
def test_signature_port_variants(vector: dict, variant: str) -> None:
    # Twilio signs with or without the port, inconsistently; both must pass.
    form = _flask_form(vector["form_body"])
    assert signature_valid(vector["url"], form, vector[variant], vector["auth_token"])


@pytest.mark.parametrize(
    "vector",
    [v for v in FORM_VECTORS if v["validates"] and v["url"].startswith("https://")],
    ids=_vector_id,
)
def test_public_base_url_with_explicit_default_port(vector: dict) -> None:
    url = signed_url("https://bot.example.com:443", "/webhooks/twilio", "")
    form = _flask_form(vector["form_body"])
    assert signature_valid(url, form, vector["X-Twilio-Signature"], TOKEN)


def test_signature_json_body_vector() -> None:
    (vector,) = [v for v in VECTORS if "raw_json_body" in v]
    body, url, sig = vector["raw_json_body"], vector["url"], vector["X-Twilio-Signature"]
    assert signature_valid(url, body, sig, TOKEN) is vector["validates"] is True
    assert not signature_valid(url, body.replace("hi", "ho"), sig, TOKEN)
    # Without bodySHA256 in the URL a raw body proves nothing.
    assert not signature_valid(url.split("?")[0], body, sig, TOKEN)


def test_blank_values_are_signed() -> None:
    # The location form posts "Body=": dropping blank values (parse_qsl's default) breaks it.
    (vector,) = [
        v
        for v in FORM_VECTORS
        if v["payload_file"] == "whatsapp_inbound_location.json" and v["url"].startswith("https")
    ]
    sig = vector["X-Twilio-Signature"]
    assert signature_valid(vector["url"], _flask_form(vector["form_body"]), sig, TOKEN)
    assert not signature_valid(vector["url"], parse_qsl(vector["form_body"]), sig, TOKEN)


@pytest.mark.parametrize("signature", [None, "", "mCCF1BtanJMXUt61I6Gb20w9jMs"])
def test_missing_or_wrong_signature(signature: str | None) -> None:
    vector = FORM_VECTORS[0]
    assert not signature_valid(vector["url"], _flask_form(vector["form_body"]), signature, TOKEN)


def test_wrong_auth_token() -> None:
    vector = FORM_VECTORS[0]
    form = _flask_form(vector["form_body"])
    assert not signature_valid(vector["url"], form, vector["X-Twilio-Signature"], "another_token")


def test_empty_auth_token_fails_closed() -> None:
    # With no token configured, a signature anybody can compute must not pass.
    vector = FORM_VECTORS[0]
    form = _flask_form(vector["form_body"])
    forged = RequestValidator("").compute_signature(vector["url"], form)
    assert not signature_valid(vector["url"], form, forged, "")


def test_own_signature_and_tampering() -> None:
    url = "https://bot.example.com/webhook/twilio"
    form = _load("whatsapp_inbound_text.json")
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    assert signature_valid(url, form, signature, TOKEN)
    assert signature_valid(url, _flask_form(urlencode(form)), signature, TOKEN)

    assert not signature_valid(url, {**form, "Body": "Oi, preciso de ajuda!"}, signature, TOKEN)
    assert not signature_valid(url, {**form, "Extra": "1"}, signature, TOKEN)
    without_waid = {k: v for k, v in form.items() if k != "WaId"}
    assert not signature_valid(url, without_waid, signature, TOKEN)
    assert not signature_valid(url + "?x=1", form, signature, TOKEN)


def test_repeated_fields_sign_every_value() -> None:
    url = "https://bot.example.com/webhook/twilio"
    body = "From=%2B14155550199&MessageSid=SM1&Body=hi&Tag=a&Tag=b"
    form = _flask_form(body)
    assert form.getlist("Tag") == ["a", "b"]
    signature = RequestValidator(TOKEN).compute_signature(url, form)

    assert signature_valid(url, form, signature, TOKEN)
    assert signature_valid(url, parse_qsl(body), signature, TOKEN)
    assert signature_valid(url, form.to_dict(flat=False), signature, TOKEN)
    # A flat dict keeps one value of "Tag": the check fails, closed.
    assert not signature_valid(url, form.to_dict(), signature, TOKEN)
    assert not signature_valid(url, _flask_form(body.replace("Tag=b", "Tag=c")), signature, TOKEN)


# --- signed URL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "query", "expected"),
    [
        (
            "https://bot.example.com",
            "/webhooks/twilio",
            "",
            "https://bot.example.com/webhooks/twilio",
        ),
        (
            "https://bot.example.com/",
            "/webhooks/twilio",
            "",
            "https://bot.example.com/webhooks/twilio",
        ),
        (
            " https://bot.example.com/ ",
            "webhooks/twilio",
            "",
            "https://bot.example.com/webhooks/twilio",
        ),
        (
            "http://127.0.0.1:5000",
            "/webhooks/twilio",
            "channel=wa",
            "http://127.0.0.1:5000/webhooks/twilio?channel=wa",
        ),
        (
            "http://127.0.0.1:5000/",
            "/webhooks/twilio",
            b"channel=wa",
            "http://127.0.0.1:5000/webhooks/twilio?channel=wa",
        ),
        (
            "https://bot.example.com:8443",
            "/webhook/twilio/status",
            "a=1&b=%20",
            "https://bot.example.com:8443/webhook/twilio/status?a=1&b=%20",
        ),
        (
            "https://example.com/bot/",
            "/webhook/twilio",
            "",
            "https://example.com/bot/webhook/twilio",
        ),
    ],
)
def test_signed_url(base: str, path: str, query: str | bytes, expected: str) -> None:
    assert signed_url(base, path, query) == expected


def test_signed_url_rebuilds_the_vector_urls() -> None:
    urls = {v["url"] for v in FORM_VECTORS if v["validates"]}
    assert urls == {
        signed_url("https://bot.example.com/", "/webhooks/twilio", b""),
        signed_url("http://127.0.0.1:5000", "/webhooks/twilio", b"channel=wa"),
    }


@pytest.mark.parametrize(
    "base", ["", "bot.example.com", "ftp://bot.example.com", "https://x.com/?a=1"]
)
def test_signed_url_refuses_a_base_that_is_not_an_origin(base: str) -> None:
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        signed_url(base, "/webhook/twilio", "")


# --- inbound messages --------------------------------------------------------------------------

WA = "+5511987654321"
SMS = "+14155550199"
MESSAGES: dict[str, dict] = {
    "sms_inbound_text.json": dict(
        channel="sms",
        phone=SMS,
        message_id="SM00000000000000000000000000000001",
        kind="text",
        text="Hello there",
        profile_name=None,
    ),
    "sms_inbound_mms_image.json": dict(
        channel="sms",
        phone=SMS,
        kind="image",
        text="photo attached",
        media=(
            Media(
                kind="image",
                mime_type="image/jpeg",
                caption="photo attached",
                url=f"{MEDIA}/MM00000000000000000000000000000002/Media/"
                "ME00000000000000000000000000000002",
            ),
        ),
    ),
    "whatsapp_inbound_text.json": dict(
        channel="whatsapp",
        phone=WA,
        message_id="SM00000000000000000000000000000003",
        kind="text",
        text="Oi, preciso de ajuda",
        profile_name="Maria Silva",
        reply_to=None,
    ),
    "whatsapp_inbound_image.json": dict(
        channel="whatsapp",
        kind="image",
        text="legenda da foto",
        media=(
            Media(
                kind="image",
                mime_type="image/jpeg",
                caption="legenda da foto",
                url=f"{MEDIA}/MM00000000000000000000000000000004/Media/"
                "ME00000000000000000000000000000004",
            ),
        ),
    ),
    "whatsapp_inbound_audio_voice.json": dict(
        channel="whatsapp",
        kind="audio",
        text="",
        media=(
            Media(
                kind="audio",
                mime_type="audio/ogg",
                url=f"{MEDIA}/MM00000000000000000000000000000005/Media/"
                "ME00000000000000000000000000000005",
            ),
        ),
    ),
    "whatsapp_inbound_document.json": dict(
        channel="whatsapp",
        kind="document",
        text="",
        media=(
            Media(
                kind="document",
                mime_type="application/pdf",
                url=f"{MEDIA}/MM00000000000000000000000000000006/Media/"
                "ME00000000000000000000000000000006",
            ),
        ),
    ),
    "whatsapp_inbound_location.json": dict(
        channel="whatsapp",
        kind="location",
        text="Ubicación: Marco Zero, Praca da Se, Sao Paulo",
        location={
            "latitude": -23.5505199,
            "longitude": -46.6333094,
            "name": "Marco Zero",
            "address": "Praca da Se, Sao Paulo",
        },
        media=(),
    ),
    "whatsapp_inbound_quick_reply_button_interactive.json": dict(
        kind="button",
        choice="confirm_order_123",
        text="Confirmar",
        reply_to="MM00000000000000000000000000000063",
    ),
    "whatsapp_inbound_template_button_legacy.json": dict(
        kind="button",
        choice="yes",
        text="Sim",
        reply_to="MM00000000000000000000000000000062",
    ),
    "whatsapp_inbound_reply_with_context.json": dict(
        kind="text",
        text="respondendo a isso",
        choice=None,
        reply_to="SM00000000000000000000000000000061",
    ),
    "whatsapp_inbound_forwarded.json": dict(kind="text", text="mensagem encaminhada"),
    "whatsapp_inbound_ctwa_referral.json": dict(kind="text", text="Quero saber mais"),
}

STATUSES: dict[str, dict] = {
    "sms_status_sent.json": dict(
        message_id="SM0000000000000000000000000000001e", status="sent", phone=SMS, errors=()
    ),
    "sms_status_delivered.json": dict(status="delivered", phone=SMS, errors=()),
    "sms_status_undelivered_30003.json": dict(
        status="undelivered",
        errors=({"code": 30003, "title": "Twilio error 30003"},),
    ),
    "whatsapp_status_sent.json": dict(status="sent", phone=WA, errors=()),
    "whatsapp_status_delivered.json": dict(status="delivered", phone=WA, errors=()),
    "whatsapp_status_read.json": dict(
        message_id="SM00000000000000000000000000000014", status="read", phone=WA, errors=()
    ),
    "whatsapp_status_failed_63016.json": dict(
        status="failed",
        phone=WA,
        errors=(
            {
                "code": 63016,
                "title": "Failed to send freeform message because you are "
                "outside the allowed window. If you are using WhatsApp, please use a Message "
                "Template.",
            },
        ),
    ),
    "whatsapp_status_undelivered_63003.json": dict(
        status="undelivered",
        errors=({"code": 63003, "title": "Twilio error 63003"},),
    ),
}


def test_every_sample_has_expectations() -> None:
    samples = {p.name for p in SPEC.glob("*.json")} - {"signature_vectors.json"}
    assert samples == MESSAGES.keys() | STATUSES.keys()
    for name in samples:
        assert is_status(_load(name)) is (name in STATUSES), name


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_parse_message_sample(name: str) -> None:
    form = _load(name)
    message = parse_message(form)
    assert isinstance(message, InboundMessage)
    assert message.provider == "twilio"
    assert message.message_id == form["MessageSid"]
    for field, expected in MESSAGES[name].items():
        assert getattr(message, field) == expected, field
    assert InboundMessage.from_json(message.to_json()) == message


def test_parse_message_from_flask_form() -> None:
    form = _load("whatsapp_inbound_location.json")
    assert parse_message(_flask_form(urlencode(form))) == parse_message(form)


@pytest.mark.parametrize("name", sorted(STATUSES))
def test_parse_status_sample(name: str) -> None:
    form = _load(name)
    status = parse_status(form)
    assert isinstance(status, StatusUpdate)
    assert status.provider == "twilio"
    assert status.message_id == form["MessageSid"]
    for field, expected in STATUSES[name].items():
        assert getattr(status, field) == expected, field


def test_message_variants() -> None:
    base = {"From": "+34600000000", "MessageSid": "SM1", "Body": ""}
    assert parse_message(base).kind == "unsupported"
    assert parse_message({**base, "MessageSid": "", "SmsMessageSid": "SM2"}).message_id == "SM2"
    assert parse_message(base).phone == "+34600000000"

    listed = parse_message({**base, "ListId": "plan:basic", "ListTitle": "Básico"})
    assert (listed.kind, listed.choice, listed.text) == ("button", "plan:basic", "Básico")

    bare = parse_message({**base, "Latitude": "40.4", "Longitude": "-3.7"})
    assert (bare.kind, bare.text) == ("location", "Ubicación: 40.4, -3.7")

    mms = parse_message(
        {
            **base,
            "Body": "fotos",
            "NumMedia": "3",
            "MediaUrl0": "https://m/0",
            "MediaContentType0": "video/mp4",
            "MediaUrl1": "https://m/1",
            "MediaContentType1": "image/png",
            "MediaUrl2": "https://m/2",
            "MediaContentType2": "text/vcard",
        }
    )
    assert mms.kind == "video"
    assert [(m.kind, m.url, m.caption) for m in mms.media] == [
        ("video", "https://m/0", None),
        ("image", "https://m/1", None),
        ("document", "https://m/2", None),
    ]

    sticker = parse_message(
        {
            **base,
            "From": "whatsapp:+34600000000",
            "MessageType": "sticker",
            "NumMedia": "1",
            "MediaUrl0": "https://m/0",
            "MediaContentType0": "image/webp",
        }
    )
    assert (sticker.channel, sticker.kind, sticker.media[0].kind) == (
        "whatsapp",
        "sticker",
        "sticker",
    )
    huge = parse_message({**base, "Body": "hola", "NumMedia": "999999999999"})
    assert (huge.kind, huge.media) == ("text", ())


@pytest.mark.parametrize(
    "change",
    [
        {"From": None},
        {"From": ""},
        {"MessageSid": None, "SmsMessageSid": None},
        {"From": "whatsapp:Maria"},
        {"From": "12345"},  # a short code keys no conversation
        {"From": "600123456"},  # no '+': not E.164, and must not become "+600123456"
        {"From": "whatsapp:600123456"},
        {"From": "+34 600 000 000"},
        {"From": "sms:+34600000000"},
        {"From": "whatsapp:+3460000000٠"},  # an Arabic-Indic zero
        {"NumMedia": "one"},
        {"Latitude": "north", "Longitude": "-46.6"},
        {"Latitude": "nan", "Longitude": "-46.6"},
        {"Latitude": "-23.5", "Longitude": "1e400"},
    ],
)
def test_parse_message_refuses(change: dict) -> None:
    form = {**_load("whatsapp_inbound_text.json"), **change}
    with pytest.raises(FormError):
        parse_message({k: v for k, v in form.items() if v is not None})


def test_status_callback_is_not_a_message() -> None:
    with pytest.raises(FormError, match="status"):
        parse_message(_load("whatsapp_status_read.json"))


@pytest.mark.parametrize("missing", ["MessageSid", "MessageStatus"])
def test_parse_status_refuses(missing: str) -> None:
    form = {k: v for k, v in _load("sms_status_sent.json").items() if k != missing}
    with pytest.raises(FormError):
        parse_status(form)


def test_status_odd_fields() -> None:
    status = parse_status(
        {
            "MessageSid": "SM1",
            "MessageStatus": "Failed",
            "To": "+1 short",
            "ErrorCode": "XYZ",
            "ErrorMessage": "odd",
        }
    )
    assert (status.status, status.phone, status.errors) == (
        "failed",
        None,
        ({"code": "XYZ", "title": "odd"},),
    )


def test_empty_twiml_is_an_empty_response() -> None:
    root = ElementTree.fromstring(EMPTY_TWIML.encode())
    assert (root.tag, list(root), root.text) == ("Response", [], None)
