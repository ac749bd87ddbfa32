"""Twilio sender: exact form bodies, SMS splitting and plain text, error mapping, retries."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qsl

import pytest
import requests
import responses
from responses import matchers

from integrations.messaging.base import (
    AuthSendError,
    Channel,
    Option,
    OutsideWindowError,
    RecipientError,
    SendError,
    SentMessage,
    TransientSendError,
)
from integrations.messaging.retry import RetryPolicy
from integrations.messaging.twilio import BODY_LIMIT, TwilioSender, strip_markdown
from webhooks.turns.channels import OPTION_TEXTS

API_URL = "https://api.twilio.test"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token-secret"
URL = f"{API_URL}/2010-04-01/Accounts/{SID}/Messages.json"
BASIC = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
WHATSAPP_FROM = "+14155238886"
SMS_FROM = "+15005550006"
TO = "+34600123456"
POLICY = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.5, wait_max=4.0, wait_jitter=0.5)


pytestmark = pytest.mark.usefixtures("sleeps")  # retry waits recorded, never slept


@pytest.fixture
def twilio():
    with responses.RequestsMock() as rsps:
        yield rsps


def make_sender(channel: Channel, policy: RetryPolicy = POLICY, **kwargs) -> TwilioSender:
    return TwilioSender(
        texts=OPTION_TEXTS,
        channel=channel,
        api_url=API_URL,
        account_sid=SID,
        auth_token=TOKEN,
        from_number=WHATSAPP_FROM if channel == "whatsapp" else SMS_FROM,
        session=requests.Session(),
        retry=policy,
        **kwargs,
    )


@pytest.fixture
def sms() -> TwilioSender:
    return make_sender("sms")


@pytest.fixture
def whatsapp() -> TwilioSender:
    return make_sender("whatsapp")


def expect(
    twilio, form, *, status=201, json=None, headers=None, sid="SM00000000000000000000000000000001"
):
    twilio.post(
        URL,
        match=[
            matchers.urlencoded_params_matcher(form),
            matchers.header_matcher(
                {"Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"}
            ),
        ],
        status=status,
        json=json if json is not None else {"sid": sid, "status": "queued"},
        headers=headers,
    )


def sms_form(body: str) -> dict[str, str]:
    return {"From": SMS_FROM, "To": TO, "Body": body}


def whatsapp_form(body: str) -> dict[str, str]:
    return {"From": f"whatsapp:{WHATSAPP_FROM}", "To": f"whatsapp:{TO}", "Body": body}


def twilio_error(code: int, status: int, message: str = "Error") -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


# Messages


def test_whatsapp_text_keeps_its_formatting(twilio, whatsapp):
    expect(twilio, whatsapp_form("Tu prima: *32 €* al mes"), sid="SMw1")
    assert whatsapp.send_text(TO, "Tu prima: *32 €* al mes") == SentMessage("twilio", ("SMw1",))


def test_sms_text_uses_plain_numbers_and_drops_whatsapp_formatting(twilio, sms):
    expect(twilio, sms_form("Tu prima: 32 € al mes, muy baja. Ver mi_poliza_2024."))
    sms.send_text(TO, "Tu prima: *32 €* al mes, _muy baja_. Ver mi_poliza_2024.")


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("*negrita* y _cursiva_", "negrita y cursiva"),
        ("**Markdown** también", "Markdown también"),
        ("2*3*4 = 24, mi_var_x", "2*3*4 = 24, mi_var_x"),
        ("* punto\n* punto", "* punto\n* punto"),
        ("5 * 3 * 2", "5 * 3 * 2"),
    ],
)
def test_strip_markdown(written, plain):
    assert strip_markdown(written) == plain


def test_a_short_sms_is_one_message(twilio, sms):
    expect(twilio, sms_form("Hola"), sid="SM1")
    assert sms.send_text(TO, "Hola").message_ids == ("SM1",)


def test_a_4000_character_sms_goes_out_in_parts_at_paragraphs_in_order(twilio, sms):
    paragraphs = [f"Párrafo {n}. " + "Texto de la póliza. " * 39 for n in range(1, 6)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) >= 3900
    parts = ["\n\n".join(paragraphs[i].strip() for i in group) for group in ([0, 1], [2, 3], [4])]
    for n, part in enumerate(parts, start=1):
        # SMS in GSM-7: á and ó are not in it, and lose their accent.
        gsm = part.replace("Párrafo", "Parrafo").replace("póliza", "poliza")
        expect(twilio, sms_form(gsm), sid=f"SM{n}")
    assert sms.send_text(TO, text).message_ids == ("SM1", "SM2", "SM3")
    assert all(len(part) <= BODY_LIMIT for part in parts)


def test_one_long_paragraph_is_split_at_sentences_then_words(
    twilio: responses.RequestsMock, whatsapp: TwilioSender
) -> None:
    sentences = " ".join(f"Frase número {n} del condicionado general." for n in range(100))
    words = "palabra " * 300
    text = f"{sentences}\n\n{words}"
    sent: list[str] = []

    def accept(request):
        sent.append(dict(parse_qsl(request.body))["Body"])
        return 201, {}, json.dumps({"sid": f"SM{len(sent)}"})

    twilio.add_callback(responses.POST, URL, callback=accept)
    result = whatsapp.send_text(TO, text)
    assert result.message_ids == tuple(f"SM{n}" for n in range(1, len(sent) + 1))
    assert all(len(body) <= BODY_LIMIT for body in sent)
    assert " ".join(sent).split() == text.split()  # nothing lost, nothing reordered
    assert len(sent) == 5
    assert all(body.endswith("general.") for body in sent[:3])  # cut after a sentence


def test_options_on_sms_are_a_numbered_list(twilio, sms):
    options = [
        Option("a", "*Básico*"),
        Option("b", "Plus", "con invalidez"),
        Option("c", "Premium"),
    ]
    body = "Elige un plan:\n\n1. Basico\n2. Plus - con invalidez\n3. Premium\n\nResponde 1, 2 o 3."
    expect(twilio, sms_form(body))
    sms.send_options(TO, "Elige un plan:", options)


def test_options_on_whatsapp_via_twilio_are_numbered_text_too(twilio, whatsapp):
    body = "¿Seguimos?\n\n1. Sí\n2. No\n\nResponde 1 o 2."
    expect(twilio, whatsapp_form(body))
    whatsapp.send_options(TO, "¿Seguimos?", [Option("si", "Sí"), Option("no", "No")])


def test_template_goes_by_content_sid_with_json_variables(twilio, whatsapp):
    form = {
        "From": f"whatsapp:{WHATSAPP_FROM}",
        "To": f"whatsapp:{TO}",
        "ContentSid": "HX0123456789abcdef0123456789abcdef",
        "ContentVariables": json.dumps({"1": "Ana", "2": "32 €"}, ensure_ascii=False),
    }
    expect(twilio, form, sid="SMt")
    sent = whatsapp.send_template(TO, "HX0123456789abcdef0123456789abcdef", ["Ana", "32 €"])
    assert sent.message_ids == ("SMt",)


def test_status_callback_is_sent_when_configured(twilio):
    callback = "https://agent.test/webhook/twilio/status"
    expect(twilio, sms_form("Hola") | {"StatusCallback": callback})
    make_sender("sms", status_callback=callback).send_text(TO, "Hola")


# Errors


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 63016, OutsideWindowError),
        (401, 20003, AuthSendError),
        (400, 21211, RecipientError),
        (400, 21610, RecipientError),
        (400, 21614, RecipientError),
        (400, 63003, RecipientError),
        (429, 20429, TransientSendError),
        (400, 63018, TransientSendError),
        (500, 20500, TransientSendError),
        (503, 20503, TransientSendError),
        (400, 21604, SendError),
        (404, 20404, SendError),
    ],
)
def test_twilio_errors_map_to_typed_errors(twilio, status, code, kind):
    expect(twilio, whatsapp_form("Hola"), status=status, json=twilio_error(code, status))
    with pytest.raises(SendError) as raised:
        make_sender("whatsapp", RetryPolicy(attempts=1)).send_text(TO, "Hola")
    error = raised.value
    assert type(error) is kind
    assert (error.provider, error.status, error.code) == ("twilio", status, code)
    assert error.transient is issubclass(kind, TransientSendError)


def test_a_failed_part_keeps_the_ids_already_sent(twilio, sms):
    first, second = "Primera parte. " * 100, "Segunda parte. " * 100
    expect(twilio, sms_form(first.strip()), sid="SM1")
    expect(twilio, sms_form(second.strip()), status=400, json=twilio_error(21610, 400))
    with pytest.raises(RecipientError) as raised:
        sms.send_text(TO, f"{first}\n\n{second}")
    assert raised.value.sent == ("SM1",)


def test_the_number_twilio_quotes_stays_out_of_errors_and_logs(twilio, sms, caplog):
    caplog.set_level(logging.DEBUG)
    message = f"The 'To' number {TO} is not a valid phone number."
    expect(twilio, sms_form("Hola"), status=400, json=twilio_error(21211, 400, message))
    with pytest.raises(RecipientError) as raised:
        sms.send_text(TO, "Hola")
    logged = " ".join(repr(vars(record)) for record in caplog.records)
    assert "+346******56" in str(raised.value)
    for secret in ("600123456", TOKEN):
        assert secret not in logged + str(raised.value) + repr(sms)


# Retries


def test_503_then_201_succeeds_on_the_second_call(twilio, sms, sleeps):
    expect(twilio, sms_form("Hola"), status=503, json=twilio_error(20503, 503))
    expect(twilio, sms_form("Hola"), sid="SM2")
    assert sms.send_text(TO, "Hola").message_ids == ("SM2",)
    assert len(twilio.calls) == 2 and len(sleeps) == 1


def test_429_retry_after_sets_the_wait(twilio, sms, sleeps):
    expect(
        twilio,
        sms_form("Hola"),
        status=429,
        json=twilio_error(20429, 429),
        headers={"Retry-After": "3"},
    )
    expect(twilio, sms_form("Hola"))
    sms.send_text(TO, "Hola")
    assert sleeps == [3.0]


def test_a_400_is_not_retried(twilio, sms):
    expect(twilio, sms_form("Hola"), status=400, json=twilio_error(21211, 400))
    with pytest.raises(RecipientError):
        sms.send_text(TO, "Hola")
    assert len(twilio.calls) == 1


def test_attempts_are_capped(twilio, sms):
    expect(twilio, sms_form("Hola"), status=500, json=twilio_error(20500, 500))
    with pytest.raises(TransientSendError):
        sms.send_text(TO, "Hola")
    assert len(twilio.calls) == 3


def test_a_read_timeout_is_not_retried(twilio, sms):
    twilio.post(URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransientSendError) as raised:
        sms.send_text(TO, "Hola")
    assert raised.value.maybe_sent
    assert len(twilio.calls) == 1


def test_the_sender_number_is_checked_once_and_may_carry_the_whatsapp_prefix(twilio):
    expect(twilio, whatsapp_form("Hola"))
    TwilioSender(
        texts=OPTION_TEXTS,
        channel="whatsapp",
        api_url=API_URL,
        account_sid=SID,
        auth_token=TOKEN,
        from_number=f"whatsapp:{WHATSAPP_FROM}",
    ).send_text(TO, "Hola")
    with pytest.raises(ValueError, match="E.164"):
        TwilioSender(
            texts=OPTION_TEXTS,
            channel="sms",
            api_url=API_URL,
            account_sid=SID,
            auth_token=TOKEN,
            from_number="5550006",
        )
