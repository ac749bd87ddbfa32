"""Meta WhatsApp Cloud API webhooks: signature, subscription handshake, payload -> neutral messages.

Pure functions over bytes and dicts; the Flask route maps the errors to HTTP answers.

How the less obvious events become (or don't become) `InboundMessage`s:

- echoes (`field: smb_message_echoes`, messages we or the business app sent) are ignored, as is
  any change whose `field` is not "messages", and any message whose sender is our own number;
- `edit`: the customer's new content arrives as a new message of its own type (id of the edit
  envelope, so it is deduplicated on its own); the agent answers the corrected text. The original
  message id is dropped: there is no field for it and the agent never un-reads a turn;
- `revoke` (the customer deleted a message) is ignored: the turn has already been answered;
- `system` (number or identity changed) becomes kind "unsupported" with the provider's
  description as text, so it stays in the transcript without reaching the brain as words;
- `nfm_reply` (a WhatsApp Flow completed) becomes kind "text" with the form's answers summarised
  as "Formulario: campo: valor; ..." (flow_token left out); an unreadable response is "unsupported";
- `order` becomes "unsupported" with a short description of the basket (we sell no catalogue);
- a message that carries `errors`, has an unknown type or lacks its body is "unsupported";
- a message whose sender is not a phone number (e.g. only a business-scoped user id) is skipped:
  a conversation is keyed by phone number.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from typing import Any, cast

from webhooks.inbound.messages import InboundMessage, Kind, Media, StatusUpdate
from webhooks.inbound.phones import PhoneError, normalise_phone

log = logging.getLogger(__name__)

_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z


class SignatureError(Exception):
    """The request is not provably from the provider."""


class SignatureMissingError(SignatureError):
    """No signature header at all (HTTP 401)."""


class SignatureInvalidError(SignatureError):
    """A signature that is malformed or does not match the body (HTTP 403)."""


class PayloadError(ValueError):
    """Not a WhatsApp Business Account webhook (HTTP 400)."""


# --- authenticity ----------------------------------------------------------------------------


def verify_signature(body: bytes, header: str | None, app_secret: str) -> None:
    """Check `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body.

    Call it before parsing: the HMAC covers the exact bytes Meta sent, not any re-serialisation.
    """
    if not header or not header.strip():
        raise SignatureMissingError("X-Hub-Signature-256 header missing")
    if not app_secret:
        # An empty key is one anybody can sign with: refuse rather than accept everything.
        raise SignatureInvalidError("no app secret configured")
    match = _SIGNATURE.fullmatch(header.strip())
    if match is None:
        raise SignatureInvalidError("X-Hub-Signature-256 header malformed")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(1).lower()):
        raise SignatureInvalidError("X-Hub-Signature-256 does not match the body")


def verify_subscription(args: Mapping[str, str], verify_token: str | None) -> str | None:
    """Meta's GET handshake: the `hub.challenge` to echo back, or None to refuse (403)."""
    if not verify_token or args.get("hub.mode") != "subscribe":
        return None
    given = args.get("hub.verify_token") or ""
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    return args.get("hub.challenge") or None


# --- payload ---------------------------------------------------------------------------------


def parse_payload(payload: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """Every customer message and delivery status in one webhook delivery, in order.

    Raises PayloadError only when the payload is not a WhatsApp Business Account webhook at all;
    anything odd inside it is skipped or becomes kind "unsupported".
    """
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise PayloadError("not a whatsapp_business_account webhook")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise PayloadError("webhook without an entry list")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    for entry in entries:
        for change in _dicts(entry.get("changes") if isinstance(entry, dict) else None):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            ours = _str_or_none(_dict(value.get("metadata")).get("phone_number_id"))
            messages.extend(_messages(value, ours))
            statuses.extend(filter(None, (_status(s, ours) for s in _dicts(value.get("statuses")))))
    return messages, statuses


def _messages(value: dict, our_number: str | None) -> list[InboundMessage]:
    names = {}
    for contact in _dicts(value.get("contacts")):
        name = _dict(contact.get("profile")).get("name")
        for key in ("wa_id", "user_id"):
            if contact.get(key):
                names[contact[key]] = name
    ours = _phone(_dict(value.get("metadata")).get("display_phone_number"))  # our own echo
    found = []
    for raw in _dicts(value.get("messages")):
        if raw.get("type") == "revoke" or not raw.get("id"):
            continue
        phone = _phone(raw.get("from"))
        if phone is None:
            log.info("meta message without a usable sender phone skipped")
        if phone is None or phone == ours:
            continue
        content = raw
        if raw.get("type") == "edit":
            content = _dict(_dict(raw.get("edit")).get("message"))
        found.append(
            InboundMessage(
                provider="meta",
                channel="whatsapp",
                phone=phone,
                message_id=str(raw["id"]),
                timestamp=_timestamp(raw.get("timestamp")),
                profile_name=names.get(raw.get("from")) or names.get(raw.get("from_user_id")),
                our_number=our_number,
                **_content_of(content),
            )
        )
    return found


def _content_of(raw: dict) -> dict:
    """The content fields of one message: kind, text, choice, media, location, reply_to."""
    kind = raw.get("type")
    reply_to = _dict(raw.get("context")).get("id")
    body = raw.get(kind) if isinstance(kind, str) else None
    if kind == "contacts" and isinstance(body, list):
        body = {"contacts": body}  # the one type whose body is a list
    if raw.get("errors") or not isinstance(body, dict):
        return _unsupported(reply_to)
    if kind == "text":
        return _content("text", reply_to, text=str(body.get("body") or ""))
    if kind == "button":
        return _content(
            "button",
            reply_to,
            text=str(body.get("text") or ""),
            choice=_str_or_none(body.get("payload")),
        )
    if kind == "interactive":
        return _interactive(body, reply_to)
    if kind in _MEDIA_TYPES:
        return _media(cast(Kind, kind), body, reply_to)
    if kind == "location":
        return _location(body, reply_to)
    if kind == "contacts":
        return _content("contacts", reply_to, text=_describe_contacts(body))
    if kind == "reaction":
        # An empty or missing emoji is an unreaction; the worker decides whether it matters.
        return _content("reaction", body.get("message_id"), text=str(body.get("emoji") or ""))
    if kind == "system":
        return _unsupported(reply_to, text=str(body.get("body") or ""))
    if kind == "order":
        return _unsupported(reply_to, text=_describe_order(body))
    return _unsupported(reply_to)


def _interactive(body: dict, reply_to: str | None) -> dict:
    kind = body.get("type")
    reply = _dict(body.get(kind)) if isinstance(kind, str) else {}
    if kind in ("button_reply", "list_reply") and reply.get("id"):
        return _content(
            "button", reply_to, text=str(reply.get("title") or ""), choice=str(reply["id"])
        )
    if kind == "nfm_reply":
        answers = _flow_answers(reply.get("response_json"))
        if answers is not None:
            return _content("text", reply_to, text=answers)
    return _unsupported(reply_to)


def _flow_answers(response_json: Any) -> str | None:
    try:
        answers = json.loads(response_json) if isinstance(response_json, str) else None
    except ValueError:
        return None
    if not isinstance(answers, dict):
        return None
    fields = [
        f"{key}: {val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)}"
        for key, val in answers.items()
        if key != "flow_token"
    ]
    return "Formulario: " + "; ".join(fields) if fields else "Formulario enviado"


def _media(kind: Kind, body: dict, reply_to: str | None) -> dict:
    if kind == "audio" and body.get("voice") is True:
        kind = "voice"
    caption = _str_or_none(body.get("caption"))
    media = Media(
        kind=kind,
        id=_str_or_none(body.get("id")),
        url=_str_or_none(body.get("url")),
        mime_type=_str_or_none(body.get("mime_type")),
        caption=caption,
        filename=_str_or_none(body.get("filename")),
    )
    return _content(kind, reply_to, text=caption or "", media=(media,))


def _location(body: dict, reply_to: str | None) -> dict:
    location = {key: body.get(key) for key in ("latitude", "longitude", "name", "address")}
    place = ", ".join(str(location[key]) for key in ("name", "address") if location[key])
    if not place and location["latitude"] is not None:
        place = f"{location['latitude']}, {location['longitude']}"
    text = f"Ubicación: {place}" if place else "Ubicación compartida"
    return _content("location", reply_to, text=text, location=location)


def _describe_contacts(body: dict) -> str:
    people = []
    for card in _dicts(body.get("contacts")):
        name = _dict(card.get("name")).get("formatted_name") or "sin nombre"
        phones = ", ".join(str(p["phone"]) for p in _dicts(card.get("phones")) if p.get("phone"))
        people.append(f"{name} ({phones})" if phones else str(name))
    label = "Contacto" if len(people) == 1 else "Contactos"
    return f"{label}: {'; '.join(people)}" if people else "Contacto compartido"


def _describe_order(body: dict) -> str:
    items = [
        f"{item.get('quantity', '?')} x {item.get('product_retailer_id', '?')}"
        for item in _dicts(body.get("product_items"))
    ]
    note = str(body.get("text") or "")
    return "Pedido: " + ", ".join(items) + (f" ({note})" if note else "")


def _status(raw: dict, our_number: str | None) -> StatusUpdate | None:
    if not raw.get("id") or not raw.get("status"):
        return None
    errors = tuple(
        {"code": error.get("code"), "title": str(error.get("title") or "")}
        for error in _dicts(raw.get("errors"))
    )
    return StatusUpdate(
        provider="meta",
        message_id=str(raw["id"]),
        status=str(raw["status"]),
        phone=_phone(raw.get("recipient_id")),  # None for a group id
        timestamp=_timestamp(raw.get("timestamp")),
        errors=errors,
        our_number=our_number,
    )


# --- small helpers ---------------------------------------------------------------------------


def _content(kind: Kind, reply_to: str | None, **fields: Any) -> dict:
    return {"kind": kind, "reply_to": _str_or_none(reply_to), **fields}


def _unsupported(reply_to: str | None, text: str = "") -> dict:
    return _content("unsupported", reply_to, text=text)


def _phone(raw: Any) -> str | None:
    return _normalised(raw) if isinstance(raw, str) else None


@functools.lru_cache(maxsize=4096)
def _normalised(raw: str) -> str | None:
    """`raw` normalised, or None; remembered, as senders write many times.

    Every webhook names our own number too: two regular expressions per number were a third
    of reading a webhook (12 -> 8 µs for one text message).
    """
    try:
        return normalise_phone(raw)
    except PhoneError:
        return None


def _timestamp(raw: Any) -> float:
    """Unix seconds, or 0.0 (unknown) for anything a datetime can't hold, such as "1e300"."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return 0.0
    return value if 0 < value < MAX_TIMESTAMP else 0.0


def _str_or_none(raw: Any) -> str | None:
    return str(raw) if raw not in (None, "") else None


def _dict(raw: Any) -> dict:
    return raw if isinstance(raw, dict) else {}


def _dicts(raw: Any) -> list[dict]:
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
