"""`iagente simulate`: post a signed customer message to the running service, show the reply.

The message is signed as the provider signs it; the reply shown is the one the worker wrote.

The reply is read from the conversation's transcript in Redis (the same REDIS_URL, or the
embedded server under VAR_DIR), which holds it whether or not it could be sent: with no channel
credentials a local test still shows what the customer would have read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
import uuid
from typing import Any

import requests
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from integrations.redis.conversations import ConversationStore
from webhooks.cli.banner import local_origin
from webhooks.services import Services
from webhooks.settings import Settings

POLL_SECONDS = 0.2
RESTART = ": set it in .env and restart the service."
# What signs each provider's webhooks (the Settings field of that name), and how to set it.
SIGNING = {
    "meta": (
        "WHATSAPP_APP_SECRET",
        "Meta",
        ". For a local test put any string there in .env (WHATSAPP_APP_SECRET=...), restart the "
        "service, and run this again.",
    ),
    "twilio": ("TWILIO_AUTH_TOKEN", "Twilio", RESTART),
    "evolution": ("EVOLUTION_WEBHOOK_TOKEN", "Evolution", RESTART),
}


class SimulateError(RuntimeError):
    """The message could not be posted or its reply not found; the text says what to do."""


def meta_payload(phone: str, text: str, message_id: str, phone_number_id: str) -> bytes:
    """A Cloud API `messages` webhook with one text message, written now."""
    wa_id = phone.lstrip("+")
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34910000000", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "Simulación"}, "wa_id": wa_id}],
        "messages": [
            {
                "from": wa_id,
                "id": message_id,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "0", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def meta_signature(body: bytes, secret: str) -> str:
    """`X-Hub-Signature-256`: HMAC-SHA256 of the exact body with the app secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _phone_number_id(settings: Settings) -> str:
    """The number our Meta app serves (the first one when several are configured)."""
    return next(iter(settings.whatsapp_phone_number_ids), "100000000000000")


def _signing_secret(settings: Settings, provider: str) -> str | None:
    """The secret that signs the provider's webhooks; None only where unsigned ones are allowed.

    Without it the service refuses them, so there is no point posting: say how to set it.
    """
    variable, name, advice = SIGNING[provider]
    value: SecretStr | None = getattr(settings, variable.lower())
    secret = value.get_secret_value() if value else None
    if not secret and not settings.allow_unsigned_webhooks:
        raise SimulateError(
            f"{variable} is not set, so the service refuses {name} webhooks{advice}"
        )
    return secret


def post_meta(settings: Settings, base: str, phone: str, text: str) -> str:
    """Post `text` from `phone` as a signed Meta webhook; returns the message id it carries."""
    secret = _signing_secret(settings, "meta")
    message_id = f"wamid.simulate-{uuid.uuid4().hex}"
    body = meta_payload(phone, text, message_id, _phone_number_id(settings))
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Hub-Signature-256"] = meta_signature(body, secret)
    _post(f"{base}/webhook/whatsapp", headers, data=body, what="WHATSAPP_APP_SECRET")
    return message_id


def post_twilio(settings: Settings, base: str, phone: str, text: str, channel: str) -> str:
    """Post `text` from `phone` as a signed Twilio webhook; returns the message id it carries."""
    token = _signing_secret(settings, "twilio")
    ours = settings.twilio_whatsapp_number if channel == "whatsapp" else settings.twilio_sms_number
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    sid = "SM" + uuid.uuid4().hex
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32,
        "From": f"{prefix}{phone}",
        "To": f"{prefix}{ours or '+10000000000'}",
        "Body": text,
        "NumMedia": "0",
    }
    # Twilio signs the URL it calls: the public one when the service is behind a proxy.
    url = f"{(settings.public_base_url or base).rstrip('/')}/webhook/twilio"
    headers = {}
    if token:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, form)
    _post(f"{base}/webhook/twilio", headers, data=form, what="TWILIO_AUTH_TOKEN")
    return sid


def evolution_payload(phone: str, text: str, message_id: str, instance: str) -> bytes:
    """An Evolution API `messages.upsert` webhook with one text message, written now."""
    payload = {
        "event": "messages.upsert",
        "instance": instance,
        "data": {
            "key": {
                "remoteJid": f"{phone.lstrip('+')}@s.whatsapp.net",
                "fromMe": False,
                "id": message_id,
                "participant": "",
                "addressingMode": "pn",
            },
            "pushName": "Simulación",
            "status": "DELIVERY_ACK",
            "message": {"conversation": text},
            "messageType": "conversation",
            "messageTimestamp": int(time.time()),
            "source": "web",
        },
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def post_evolution(settings: Settings, base: str, phone: str, text: str) -> str:
    """Post `text` from `phone` as Evolution would, with its JWT; returns the message id."""
    import jwt

    token = _signing_secret(settings, "evolution")
    message_id = "3A" + uuid.uuid4().hex[:18].upper()
    instance = settings.evolution_instance or "simulate"
    body = evolution_payload(phone, text, message_id, instance)
    headers = {"Content-Type": "application/json"}
    if token:
        now = int(time.time())
        claims = {"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"}
        headers["Authorization"] = "Bearer " + jwt.encode(claims, token, algorithm="HS256")
    _post(f"{base}/webhook/evolution", headers, data=body, what="EVOLUTION_WEBHOOK_TOKEN")
    return message_id


def _post(url: str, headers: dict, *, data, what: str) -> None:
    try:
        answer = requests.post(url, data=data, headers=headers, timeout=10)
    except requests.ConnectionError:
        raise SimulateError(
            f"nothing answers at {url}: start the service first (./run), or pass --url"
        ) from None
    if answer.status_code in (401, 403):
        raise SimulateError(
            f"the service refused the message ({answer.status_code} {answer.text.strip()}): it "
            f"runs with another {what} than this command reads; restart it after editing .env"
        )
    if answer.status_code != 200:
        raise SimulateError(f"the service answered {answer.status_code}: {answer.text[:200]}")


def reply_to(transcript: list[dict], message_id: str) -> dict | None:
    """The reply recorded after our message, once the worker has answered it."""
    ids = [entry.get("id") for entry in transcript]
    if message_id not in ids:
        return None
    later = transcript[ids.index(message_id) + 1 :]
    return next((entry for entry in later if entry.get("direction") == "out"), None)


def wait_for_reply(
    store: ConversationStore, phone: str, message_id: str, timeout: float
) -> dict[str, Any] | None:
    """The reply the worker recorded to `message_id`, or None when `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        transcript = store.transcript(phone, limit=50)
        if (reply := reply_to(transcript, message_id)) is not None:
            return reply
        if time.monotonic() > deadline:
            return None
        time.sleep(POLL_SECONDS)


def explain(entry: dict, provider: str) -> str:
    """What happened to the reply, in a sentence, with what to configure when it failed."""
    if entry.get("status") != "failed":
        template = " (the approved template, the 24-hour window being closed)"
        return f"sent via {entry.get('provider', provider)}" + (
            template if entry.get("template") else ""
        )
    error = entry.get("error") or {}
    title = error.get("title") or "unknown error"
    if title == "channel not configured":
        needs = {
            "meta": "WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID",
            "evolution": "EVOLUTION_API_URL, EVOLUTION_API_KEY and EVOLUTION_INSTANCE",
        }.get(provider, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and the sender number")
        return (
            f"not sent: no {provider} sender is configured ({needs}). That is expected for a "
            "local test; the conversation goes on as if it had been delivered."
        )
    if title.startswith("24-hour window closed"):
        return (
            "not sent: the customer's last message is over 24 hours old, so only an approved "
            "template may go out; set WHATSAPP_TEMPLATE_NAME (Meta) or TWILIO_TEMPLATE_SID"
        )
    code = f" {error['code']}" if error.get("code") is not None else ""
    return f"not sent:{code} {title} (see the service's log)"


def simulate(
    services: Services,
    *,
    phone: str,
    text: str,
    provider: str,
    channel: str,
    url: str | None,
    timeout: float,
) -> int:
    """Post one customer message as `provider` would, print the reply; the exit code."""
    from webhooks.inbound.phones import PhoneError, normalise_phone

    settings = services.settings
    try:
        phone = normalise_phone(phone)
    except PhoneError:
        print(f"simulate: --phone {phone!r} is not an E.164 number (+34600000002)", file=sys.stderr)
        return 2
    base = (url or local_origin(settings)).rstrip("/")
    try:
        if provider == "meta":
            message_id = post_meta(settings, base, phone, text)
        elif provider == "evolution":
            message_id = post_evolution(settings, base, phone, text)
        else:
            message_id = post_twilio(settings, base, phone, text, channel)
    except SimulateError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    print(f"tú> {text}", flush=True)
    entry = wait_for_reply(services.conversations.store, phone, message_id, timeout)
    if entry is None:
        print(
            f"simulate: the service took the message, but no reply within {timeout:.0f} s: is "
            "its worker running (./run starts one), and on the same Redis as this command?",
            file=sys.stderr,
        )
        return 1
    print(f"agente> {entry.get('text', '')}", flush=True)
    print(f"({explain(entry, provider)})", file=sys.stderr)
    return 0
