"""Neutral messages: what every provider's webhook becomes, and what the worker sends back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

Channel = Literal["whatsapp", "sms"]
Provider = Literal["meta", "twilio", "evolution"]
Kind = Literal[
    "text",  # plain text
    "button",  # a tapped reply button, list row or template quick reply (payload in `choice`)
    "image",
    "audio",
    "voice",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "unsupported",  # anything the provider or we can't read (polite reply, nothing lost)
]


@dataclass(frozen=True)
class Media:
    """One attachment of an inbound message, as the provider describes it (fetched later)."""

    kind: str  # image, audio, voice, video, document, sticker
    id: str | None = None  # Meta media id (fetch with the token)
    url: str | None = None  # Twilio MediaUrlN (fetch with basic auth) or a direct link
    mime_type: str | None = None
    caption: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One customer message, whoever carried it. `phone` is E.164 with '+'."""

    provider: Provider
    channel: Channel
    phone: str
    message_id: str  # the provider's id: dedupe key, Meta and Twilio retry deliveries
    kind: Kind
    text: str = ""  # body, caption, button title, or a short description of the content
    choice: str | None = None  # button/list payload id, e.g. "option:2"
    media: tuple[Media, ...] = ()
    location: dict | None = None  # latitude, longitude, name, address
    timestamp: float = 0.0  # provider's time, Unix seconds
    profile_name: str | None = None  # WhatsApp profile name, when known
    reply_to: str | None = None  # id of the message this one answers, when given
    received_at: float = 0.0  # when our webhook queued it, Unix seconds (response times)
    our_number: str | None = None  # which of our numbers it reached: Meta's phone_number_id
    transcript: str | None = None  # a voice note's words, once transcribed (turns/voice.py)

    def to_json(self) -> str:
        """The message as compact JSON, for the queue (`from_json` reads it back)."""
        # vars(), not dataclasses.asdict: asdict deep-copies every field, a tenth of the webhook.
        fields = {**vars(self), "media": [vars(m) for m in self.media]}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> InboundMessage:
        """The message `to_json` wrote."""
        data = json.loads(raw)
        data["media"] = tuple(Media(**m) for m in data.get("media", ()))
        return cls(**data)


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery status of a message we sent: sent, delivered, read, failed (with errors)."""

    provider: Provider
    message_id: str
    status: str  # sent, delivered, read, failed, undelivered, queued, played...
    phone: str | None = None
    timestamp: float = 0.0
    errors: tuple[dict, ...] = field(default_factory=tuple)  # {"code": int|str, "title": str}
    our_number: str | None = None  # which of our numbers sent it: Meta's phone_number_id
