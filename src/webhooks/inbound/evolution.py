"""Evolution API webhooks: the JWT Evolution sends, and its events -> neutral messages.

Pure functions over headers and dicts; the Flask route maps the errors to HTTP answers. The
wire format is Evolution API 2.3.6 (Baileys 7), as tests/data/evolution/ records it.

- Evolution does not sign bodies. With `headers.jwt_key` set on the instance's webhook, each
  POST carries `Authorization: Bearer <JWT>`: HS256 with that key, `exp` ten minutes ahead,
  claims `app: "evolution"` and `action: "webhook"`. It proves the caller knows the key; it does
  not cover the body and can be replayed until it expires.
- Messages written on the linked phone itself (`fromMe`), groups, broadcast lists, status posts
  and channels are ignored: only one-to-one chats with customers become messages.
- A customer's address is a phone JID (`<digits>@s.whatsapp.net`) or a LID (`<digits>@lid`),
  with the other one in `remoteJidAlt` when WhatsApp sent it. The conversation is keyed by the
  phone; a LID-only customer is keyed by the LID's digits until a message maps it to a phone.
- WhatsApp's Mexican JIDs keep the old mobile '1' (521...) and Brazilian ones may lack the
  ninth digit: both become the E.164 form, so one customer is one conversation.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt

from webhooks.inbound.messages import InboundMessage, Kind, Media, StatusUpdate
from webhooks.inbound.phones import PhoneError, normalise_phone

log = logging.getLogger(__name__)

CLAIMS = {"app": "evolution", "action": "webhook"}
# Seconds two servers' clocks may disagree by: a token issued "in the future" by a clock a little
# ahead of ours is still Evolution's.
CLOCK_SKEW = 30
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z
_BEARER = re.compile(r"Bearer\s+(\S+)", re.IGNORECASE)
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_JID = re.compile(r"(?P<user>[0-9]{5,20})(?::[0-9]+)?@(?P<server>s\.whatsapp\.net|lid)")
# Where a message is not a customer's one-to-one chat.
_NOT_A_CHAT = ("@g.us", "@broadcast", "@newsletter", "@call")
# Baileys' message status names (Evolution's renderStatus) -> ours; DELETED and PENDING: none.
STATUSES = {
    "SERVER_ACK": "sent",
    "DELIVERY_ACK": "delivered",
    "READ": "read",
    "PLAYED": "played",
    "ERROR": "failed",
}
_MEDIA: dict[str, Kind] = {
    "imageMessage": "image",
    "videoMessage": "video",
    "ptvMessage": "video",
    "audioMessage": "audio",
    "documentMessage": "document",
    "documentWithCaptionMessage": "document",
    "stickerMessage": "sticker",
}


class TokenError(Exception):
    """The request is not provably from our Evolution instance (HTTP 403)."""


class TokenMissingError(TokenError):
    """No bearer token at all (HTTP 401)."""


class PayloadError(ValueError):
    """Not an Evolution API webhook (HTTP 400)."""


# --- authenticity ----------------------------------------------------------------------------


def verify_token(authorization: str | None, key: str, *, now: float | None = None) -> None:
    """Check `Authorization: Bearer <JWT>`: HS256 with `key`, not expired, Evolution's claims.

    `now` (Unix seconds) replaces the clock, for the recorded test vectors.
    """
    if not authorization or not authorization.strip():
        raise TokenMissingError("Authorization header missing")
    if not key:
        raise TokenError("no webhook token configured")  # an empty key anyone could sign with
    match = _BEARER.fullmatch(authorization.strip())
    if match is None:
        raise TokenError("Authorization is not a bearer token")
    # The recorded vectors are checked at their own `now`: PyJWT's clock is then left out.
    options: jwt.types.Options = {
        "require": ["exp", "iat"],
        "verify_exp": now is None,
        "verify_iat": now is None,
    }
    try:
        claims = jwt.decode(
            match.group(1), key, algorithms=["HS256"], options=options, leeway=CLOCK_SKEW
        )
    except jwt.PyJWTError as exc:
        raise TokenError(f"token refused ({type(exc).__name__})") from None
    expires = claims["exp"]
    if now is not None and (not isinstance(expires, int | float) or now >= expires):
        raise TokenError("token refused (ExpiredSignatureError)")
    if any(claims.get(name) != value for name, value in CLAIMS.items()):
        raise TokenError("token claims are not Evolution's webhook claims")


# --- payload ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """How to reach the customer of a message: JIDs as Evolution gave them."""

    reply_jid: str  # the chat's own JID (phone or LID): replies go there as is
    read_jid: str | None  # a phone JID for read receipts (Evolution skips LID ones)
    lid: str | None  # the LID, when the payload carries one
    phone_known: bool  # False: `phone` is the LID's digits, nothing better was given


@dataclass(frozen=True)
class Connection:
    """The linked number's state: open, connecting, close or refused, and Baileys' code."""

    state: str
    reason: int | None = None
    qr: bool = False  # a new QR code is waiting to be scanned


@dataclass(frozen=True)
class Event:
    """One Evolution webhook delivery, as far as we act on it."""

    event: str
    instance: str | None
    messages: list[tuple[InboundMessage, Address]] = field(default_factory=list)
    # A status, and the LID it came from when it names no phone (the route maps it).
    statuses: list[tuple[StatusUpdate, str | None]] = field(default_factory=list)
    connection: Connection | None = None
    ignored: Literal[None, "from_me", "not_a_chat", "unreadable", "event"] = None


def parse_event(payload: Any, *, received_at: float = 0.0) -> Event:
    """The messages, statuses or connection change in one webhook body.

    Raises PayloadError only when the body is not an Evolution webhook at all; anything odd
    inside one is skipped or becomes kind "unsupported".
    """
    if not isinstance(payload, dict):
        raise PayloadError("not a JSON object")
    name, instance, data = payload.get("event"), payload.get("instance"), payload.get("data")
    if not isinstance(name, str) or not name:
        raise PayloadError("webhook without an event name")
    instance = instance if isinstance(instance, str) else None
    # Webhooks by events use "MESSAGES_UPSERT"-style names in the path; bodies use dots.
    name = name.lower().replace("_", ".")
    if name == "messages.upsert":
        return _upsert(name, instance, data, received_at)
    if name == "messages.update":
        updates = data if isinstance(data, list) else [data]
        statuses = [s for s in map(_status, updates) if s is not None]
        return Event(name, instance, statuses=statuses, ignored=None if statuses else "event")
    if name == "connection.update" and isinstance(data, dict):
        state = data.get("state")
        if isinstance(state, str) and state:
            reason = data.get("statusReason")
            code = reason if isinstance(reason, int) and not isinstance(reason, bool) else None
            return Event(name, instance, connection=Connection(state[:20], code))
    if name == "qrcode.updated" and isinstance(data, dict):
        if isinstance(data.get("qrcode"), dict):
            return Event(name, instance, connection=Connection("connecting", qr=True))
        return Event(name, instance, connection=Connection("refused", 428))  # QR limit reached
    return Event(name, instance, ignored="event")


def _upsert(name: str, instance: str | None, data: Any, received_at: float) -> Event:
    raw = data[0] if isinstance(data, list) and data else data  # older versions: a list
    if not isinstance(raw, dict):
        raise PayloadError("messages.upsert without a message")
    key = _dict(raw.get("key"))
    message_id = key.get("id")
    remote = key.get("remoteJid")
    if not isinstance(message_id, str) or not message_id or not isinstance(remote, str):
        raise PayloadError("messages.upsert without a key")
    if key.get("fromMe") is True:
        return Event(name, instance, ignored="from_me")
    if remote.endswith(_NOT_A_CHAT) or remote.startswith("status@"):
        return Event(name, instance, ignored="not_a_chat")
    address = _address(remote, key.get("remoteJidAlt"))
    if address is None:
        log.info("evolution message from an address that is not a customer's chat skipped")
        return Event(name, instance, ignored="unreadable")
    phone, where = address
    message = InboundMessage(
        provider="evolution",
        channel="whatsapp",
        phone=phone,
        message_id=message_id[:128],
        timestamp=_timestamp(raw.get("messageTimestamp")),
        profile_name=_text(raw.get("pushName"), 200) or None,
        received_at=received_at,
        **_content(_dict(raw.get("message")), raw),
    )
    return Event(name, instance, messages=[(message, where)])


def customer_phone(digits: str) -> str:
    """The E.164 form of a WhatsApp JID's user part: Mexican and Brazilian mobiles made one.

    WhatsApp keeps Mexico's old mobile '1' (52 1 55 1234 5678) that the numbering plan dropped
    in 2019, and knows some Brazilian mobiles without their ninth digit (55 DD 8 digits):
    '5215512345678' -> '+525512345678', '553188887777' -> '+5531988887777'. Argentine mobiles
    keep their '9' (54 9 11 ...): that is their E.164 form, the one SMS and Meta use.
    """
    if len(digits) == 13 and digits.startswith("521"):
        digits = "52" + digits[3:]
    elif len(digits) == 12 and digits.startswith("55") and digits[4] in "6789":
        digits = digits[:4] + "9" + digits[4:]
    return normalise_phone(digits)


def _address(remote: str, alt: Any) -> tuple[str, Address] | None:
    """The conversation's phone and how to reach it, from the chat JID and its alternative.

    None when the chat JID is not a person's (phone or LID), or no phone can be read from it.
    """
    if _JID.fullmatch(remote) is None:
        return None
    jids = [remote] + ([alt] if isinstance(alt, str) and _JID.fullmatch(alt) else [])
    phone_jid = next((j for j in jids if j.endswith("@s.whatsapp.net")), None)
    lid = next((j for j in jids if j.endswith("@lid")), None)
    # Keyed by the phone when there is one: a phone JID that does not read as a phone is not
    # replaced by the LID, which would split the customer in two.
    keyed_by = phone_jid or lid
    match = _JID.fullmatch(keyed_by or "")
    if match is None:
        return None
    try:
        phone = customer_phone(match["user"])
    except PhoneError:
        return None
    where = Address(
        reply_jid=remote, read_jid=phone_jid, lid=lid, phone_known=keyed_by == phone_jid
    )
    return phone, where


def _content(message: dict, raw: dict) -> dict[str, Any]:
    """kind, text, choice, media, location and reply_to of an Evolution `message` object."""
    context = _dict(raw.get("contextInfo"))
    reply_to = _text(context.get("stanzaId"), 128) or None
    if isinstance(message.get("conversation"), str):
        return {"kind": "text", "text": _text(message["conversation"]), "reply_to": reply_to}
    extended = _dict(message.get("extendedTextMessage"))
    if isinstance(extended.get("text"), str):  # before Evolution 2.3 normalised it
        inner = _dict(extended.get("contextInfo"))
        quoted = reply_to or _text(inner.get("stanzaId"), 128) or None
        return {"kind": "text", "text": _text(extended["text"]), "reply_to": quoted}
    if choice := _choice(message):
        return {"kind": "button", "text": choice[1], "choice": choice[0], "reply_to": reply_to}
    for field_name, kind in _MEDIA.items():
        media = _dict(message.get(field_name))
        if field_name == "documentWithCaptionMessage":
            media = _dict(_dict(_dict(media.get("message"))).get("documentMessage"))
        if not media:
            continue
        if kind == "audio" and media.get("ptt") is True:
            kind = "voice"
        caption = _text(media.get("caption"), 1024)
        mime = _text(media.get("mimetype"), 100) or None
        inline = message.get("base64")
        url = None
        if isinstance(inline, str) and inline and _is_base64(inline):
            # webhookBase64: the decrypted file itself, carried as a data URL to the download.
            url = f"data:{mime or 'application/octet-stream'};base64,{inline}"
        attachment = Media(
            kind=kind,
            id=_text(_dict(raw.get("key")).get("id"), 128) or None,
            url=url,
            mime_type=mime,
            caption=caption or None,
            filename=_text(media.get("fileName"), 200) or None,
        )
        return {"kind": kind, "text": caption, "media": (attachment,), "reply_to": reply_to}
    location = _dict(message.get("locationMessage") or message.get("liveLocationMessage"))
    if location:
        place = {
            k: location.get(v)
            for k, v in (("latitude", "degreesLatitude"), ("longitude", "degreesLongitude"))
            if isinstance(location.get(v), int | float) and not isinstance(location.get(v), bool)
        }
        for k in ("name", "address"):
            if isinstance(location.get(k), str):
                place[k] = location[k][:200]
        return {"kind": "location", "location": place, "reply_to": reply_to}
    if message.get("contactMessage") or message.get("contactsArrayMessage"):
        return {"kind": "contacts", "reply_to": reply_to}
    reaction = _dict(message.get("reactionMessage"))
    if reaction:
        return {"kind": "reaction", "text": _text(reaction.get("text"), 20)}
    kinds = [k for k in message if k not in ("messageContextInfo", "base64", "mediaUrl")]
    return {"kind": "unsupported", "text": f"[{_text(kinds[0] if kinds else 'empty', 60)}]"}


def _choice(message: dict) -> tuple[str, str] | None:
    """(payload id, title) of a tapped list row or button, in any of WhatsApp's forms."""
    listed = _dict(message.get("listResponseMessage"))
    if row := _text(_dict(listed.get("singleSelectReply")).get("selectedRowId"), 200):
        return row, _text(listed.get("title"), 200)
    interactive = _dict(message.get("interactiveResponseMessage"))
    params = _dict(interactive.get("nativeFlowResponseMessage")).get("paramsJson")
    if isinstance(params, str):
        try:
            tapped = json.loads(params)
        except ValueError:
            tapped = None
        if isinstance(tapped, dict) and (button := _text(tapped.get("id"), 200)):
            return button, _text(_dict(interactive.get("body")).get("text"), 200)
    buttons = _dict(message.get("buttonsResponseMessage"))
    if button := _text(buttons.get("selectedButtonId"), 200):
        return button, _text(buttons.get("selectedDisplayText"), 200)
    template = _dict(message.get("templateButtonReplyMessage"))
    if button := _text(template.get("selectedId"), 200):
        return button, _text(template.get("selectedDisplayText"), 200)
    return None


def _status(raw: Any) -> tuple[StatusUpdate, str | None] | None:
    if not isinstance(raw, dict) or raw.get("fromMe") is False:
        return None  # only statuses of what we sent
    status = STATUSES.get(_text(raw.get("status"), 20))
    message_id = _text(raw.get("keyId"), 128)
    if status is None or not message_id:
        return None
    remote = raw.get("remoteJid")
    match = _JID.fullmatch(remote) if isinstance(remote, str) else None
    phone = lid = None
    if match is not None and match["server"] == "lid":
        lid = match.group()
    elif match is not None:
        try:
            phone = customer_phone(match["user"])
        except PhoneError:
            phone = None
    errors = (
        ({"code": "ERROR", "title": "WhatsApp reported an error"},) if status == "failed" else ()
    )
    update = StatusUpdate(
        provider="evolution", message_id=message_id, status=status, phone=phone, errors=errors
    )
    return update, lid


def _timestamp(value: Any) -> float:
    if isinstance(value, dict):  # a long.js object from older versions
        low, high = value.get("low"), value.get("high")
        if isinstance(low, int) and isinstance(high, int):
            value = high * 2**32 + (low & 0xFFFFFFFF)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        return 0.0
    return seconds if 0 < seconds <= MAX_TIMESTAMP else 0.0


def _is_base64(value: str) -> bool:
    return _BASE64.fullmatch(value) is not None


def _text(value: Any, limit: int = 4096) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
