"""Webhook requests signed as Meta, Twilio and Chatwoot sign them (tests, benchmark)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

from twilio.request_validator import RequestValidator


def meta_signature(body: bytes, secret: str) -> str:
    """`X-Hub-Signature-256` as Meta computes it over the exact bytes posted."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def meta_change(value: dict) -> bytes:
    """A Cloud API `messages` webhook carrying one change `value` (messages or statuses), as bytes.

    The metadata (our business number) is added to `value`.
    """
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1234567890",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "34910000000",
                                "phone_number_id": "1122334455667",
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(payload).encode()


def meta_text(
    phone: str, text: str, message_id: str, *, name: str = "Ana", ts: float | None = None
) -> bytes:
    """A Cloud API `messages` webhook carrying one text message, as raw bytes."""
    wa_id = phone.lstrip("+")
    return meta_change(
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": message_id,
                    "timestamp": str(int(ts or time.time())),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
    )


def meta_headers(body: bytes, secret: str) -> dict:
    """The headers of a Meta webhook call carrying `body`."""
    return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body, secret)}


def twilio_form(phone: str, text: str, sid: str, *, whatsapp: bool, to: str) -> dict:
    """The form Twilio posts for an inbound SMS or WhatsApp message."""
    prefix = "whatsapp:" if whatsapp else ""
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC00000000000000000000000000000001",
        "From": f"{prefix}{phone}",
        "To": f"{prefix}{to}",
        "Body": text,
        "NumMedia": "0",
    }


def twilio_headers(url: str, form: dict, token: str) -> dict:
    """`X-Twilio-Signature` computed by Twilio's own library over `url` and `form`."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


def chatwoot_headers(
    body: bytes, secret: str, *, timestamp: int | None = None, delivery: str | None = None
) -> dict:
    """Headers of a Chatwoot webhook delivery, signed as Chatwoot's Webhooks::Trigger signs."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Chatwoot-Signature": f"sha256={digest}",
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Delivery": delivery or str(uuid.uuid4()),
    }
