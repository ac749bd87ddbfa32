"""Twilio SMS and WhatsApp webhooks: signature check and form fields -> neutral messages.

Pure functions over the posted form; the Flask route maps the errors to HTTP answers and
replies `EMPTY_TWIML` (the worker answers later through the REST API, not through TwiML).

How the less obvious forms become `InboundMessage`s:

- a tapped quick reply (`ButtonPayload`/`ButtonText`, whatever `MessageType` says: "button" on
  older templates, "interactive" on newer ones) or list row (`ListId`/`ListTitle`) is kind "button";
- `Latitude`/`Longitude` make kind "location" (`Label` is the place's name);
- media kinds come from WhatsApp's `MessageType` when it names one, else from the content type
  (MMS can carry up to ten files; the message takes the first one's kind);
- a form with no body, media, button or location is "unsupported";
- Twilio gives no message time, so `timestamp` stays 0.0; click-to-WhatsApp ad referrals and the
  forwarded flags are not carried over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from webhooks.inbound.messages import InboundMessage, Kind, Media, StatusUpdate
from webhooks.inbound.phones import PhoneError, normalise_phone

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

_MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
_FROM = re.compile(r"(?P<whatsapp>whatsapp:)?(?P<phone>\+[1-9][0-9]{6,14})")


class FormError(ValueError):
    """Not a Twilio message (or status) webhook we can read (HTTP 400)."""


# --- authenticity ----------------------------------------------------------------------------


def signed_url(public_base_url: str, path: str, query_string: str | bytes) -> str:
    """The URL Twilio signed: our public origin + the request's path and query.

    Behind a TLS-terminating proxy the request's own scheme and host are not what Twilio called,
    so the origin comes from PUBLIC_BASE_URL. A path in it is kept, as a prefix the proxy strips.
    """
    base = public_base_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("PUBLIC_BASE_URL must be an origin such as https://bot.example.com")
    if isinstance(query_string, bytes):  # Flask's request.query_string
        query_string = query_string.decode("utf-8", "replace")
    url = base + "/" + path.lstrip("/")
    return f"{url}?{query_string}" if query_string else url


def signature_valid(
    url: str,
    params: Mapping[str, str] | Mapping[str, list[str]] | Iterable[tuple[str, str]] | str,
    signature: str | None,
    auth_token: str,
) -> bool:
    """Whether `X-Twilio-Signature` signs this URL and every posted form field.

    `params` is the parsed form, with every value of a repeated field (Flask's `request.form`, or
    the pairs of `parse_qsl(body, keep_blank_values=True)`): a plain dict keeps only one value of
    a repeated field and the check fails. A `str` is a raw JSON body, signed through the URL's
    `bodySHA256` query parameter instead.
    """
    if not signature or not auth_token:
        # An empty token is a key anybody can sign with: refuse rather than accept everything.
        return False
    if isinstance(params, str):
        if "bodySHA256" not in parse_qs(urlsplit(url).query):
            return False
        form: MultiDict[str, str] | str = params
    else:
        # RequestValidator reads repeated fields through getlist(); a dict of lists or a list of
        # pairs becomes one value per entry.
        form = MultiDict(params)
    return RequestValidator(auth_token).validate(url, form, signature)


# --- form ------------------------------------------------------------------------------------


def is_status(form: Mapping[str, str]) -> bool:
    """A status callback? (inbound messages always post a Body, statuses never)."""
    return "MessageStatus" in form and "Body" not in form


def parse_message(form: Mapping[str, str]) -> InboundMessage:
    """One inbound SMS, MMS or WhatsApp message. Raises FormError when it can't be keyed."""
    message_id = form.get("MessageSid") or form.get("SmsMessageSid")
    sender = form.get("From")
    if not message_id or not sender:
        raise FormError("From or MessageSid missing")
    if is_status(form):
        # A status callback posted to the message URL would otherwise look like an empty
        # message from our own number.
        raise FormError("a status callback, not a message")
    sender_match = _FROM.fullmatch(sender)
    if sender_match is None:
        # Twilio always sends E.164; anything else is not Twilio, or a short code or
        # alphanumeric sender that keys no conversation (and must not be "fixed" with a '+').
        raise FormError("From is not an E.164 number")
    return InboundMessage(
        provider="twilio",
        channel="whatsapp" if sender_match["whatsapp"] else "sms",
        phone=sender_match["phone"],
        message_id=message_id,
        profile_name=form.get("ProfileName") or None,
        reply_to=form.get("OriginalRepliedMessageSid") or None,
        **_content(form),
    )


def _content(form: Mapping[str, str]) -> dict:
    """kind, text, choice, media, location."""
    body = form.get("Body") or ""
    choice = form.get("ButtonPayload") or form.get("ListId") or None
    title = form.get("ButtonText") or form.get("ListTitle") or None
    if choice or title:
        return {"kind": "button", "text": title or body, "choice": choice}
    if form.get("Latitude") and form.get("Longitude"):
        return _location(form)
    media = _media(form, body)
    if media:
        return {"kind": media[0].kind, "text": body, "media": media}
    return {"kind": "text" if body else "unsupported", "text": body}


def _media(form: Mapping[str, str], body: str) -> tuple[Media, ...]:
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise FormError("NumMedia is not a number") from None
    declared = form.get("MessageType")
    found = []
    for n in range(min(count, len(form))):  # a bogus huge count can't make us loop for long
        url = form.get(f"MediaUrl{n}")
        if not url:
            continue
        mime_type = form.get(f"MediaContentType{n}") or None
        kind = declared if declared in _MEDIA_KINDS else _kind_of(mime_type)
        found.append(Media(kind=kind, url=url, mime_type=mime_type))
    if len(found) == 1 and body:
        found[0] = Media(
            kind=found[0].kind, url=found[0].url, mime_type=found[0].mime_type, caption=body
        )
    return tuple(found)


def _kind_of(mime_type: str | None) -> Kind:
    major = (mime_type or "").partition("/")[0].lower()
    if major == "image":
        return "image"
    if major == "audio":
        return "audio"
    if major == "video":
        return "video"
    return "document"


def _location(form: Mapping[str, str]) -> dict:
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except ValueError:
        raise FormError("Latitude or Longitude is not a number") from None
    if not (abs(latitude) <= 90 and abs(longitude) <= 180):  # also false for NaN
        raise FormError("Latitude or Longitude out of range")
    name, address = form.get("Label") or None, form.get("Address") or None
    location = {"latitude": latitude, "longitude": longitude, "name": name, "address": address}
    place = ", ".join(part for part in (name, address) if part)
    return {
        "kind": "location",
        "text": f"Ubicación: {place}" if place else f"Ubicación: {latitude}, {longitude}",
        "location": location,
    }


def parse_status(form: Mapping[str, str]) -> StatusUpdate:
    """A status callback of a message we sent. Raises FormError without MessageSid/MessageStatus."""
    message_id = form.get("MessageSid")
    status = form.get("MessageStatus")
    if not message_id or not status:
        raise FormError("MessageSid or MessageStatus missing")
    errors: tuple[dict, ...] = ()
    if code := form.get("ErrorCode"):
        title = form.get("ErrorMessage") or f"Twilio error {code}"
        numeric = code.isascii() and code.isdigit() and len(code) <= 9
        errors = ({"code": int(code) if numeric else code, "title": title},)
    return StatusUpdate(
        provider="twilio",
        message_id=message_id,
        status=status.lower(),
        phone=_phone(form.get("To")),
        errors=errors,
    )


def _phone(raw: str | None) -> str | None:
    try:
        return normalise_phone(raw) if raw else None
    except PhoneError:
        return None
