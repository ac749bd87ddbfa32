"""Chatwoot webhooks: signature check and event payload -> one neutral `ChatwootEvent`.

Pure functions over bytes and dicts; the Flask route maps the errors to HTTP answers.

Chatwoot builds its payloads in Ruby (Message#webhook_data, Conversations::EventDataPresenter,
Contact#webhook_data, ...), and they come in a few shapes:

- message events (`message_created`, `message_updated`): the message at the top level, its
  conversation nested under `conversation`;
- conversation events (`conversation_created`, `_updated`, `_status_changed`, and the agent-bot
  events `conversation_opened`, `conversation_resolved`): the conversation at the top level,
  with `meta` (contact, assignee) and its last `messages`;
- typing events (`conversation_typing_on`/`_off`): `conversation` nested, the typist in `user`;
- contact events: the contact at the top level, no conversation.

A contact's own `webhook_data` carries no `type`, so an incoming message's sender is found in the
conversation's `messages` (`sender_type: "Contact"`) or, failing that, from the message type.
Identity fields (ids, `private`, `message_type`, `content`) of the wrong JSON type make the whole
payload a ValueError; decorations of the wrong type (`meta`, `sender`, attachments) are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from webhooks.inbound.phones import PhoneError, normalise_phone

_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() takes '²' too
_MESSAGE_TYPES = ("incoming", "outgoing", "activity", "template")  # Chatwoot's enum, 0..3
_SENDER_TYPES = {"user": "user", "agentbot": "agent_bot", "contact": "contact"}

SignatureReason = Literal["missing", "forged", "stale"]


class SignatureError(Exception):
    """The request is not provably a fresh Chatwoot delivery.

    `reason` is "missing" (no signature or timestamp header: HTTP 401), "forged" (malformed or
    not matching the body: 403) or "stale" (correctly signed, but outside the tolerance: a replay
    or a badly skewed clock, 403).
    """

    def __init__(self, reason: SignatureReason, message: str) -> None:
        """A failed check: why (`reason`, which picks the HTTP code) and what, in `message`."""
        super().__init__(message)
        self.reason: SignatureReason = reason


# --- authenticity ----------------------------------------------------------------------------


def verify_signature(
    secret: str,
    raw_body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    now: float | None = None,
    tolerance_seconds: int = 300,
) -> None:
    """Check `X-Chatwoot-Signature: sha256=<hex>` over `"<X-Chatwoot-Timestamp>." + raw body`.

    Call it before parsing, on the exact bytes received. The freshness check comes after the
    HMAC, so "stale" is only ever said of a delivery Chatwoot really signed.
    """
    signature, timestamp = (signature or "").strip(), (timestamp or "").strip()
    if not signature or not timestamp:
        raise SignatureError("missing", "X-Chatwoot-Signature or X-Chatwoot-Timestamp missing")
    if not secret:
        # An empty key is one anybody can sign with: refuse rather than accept everything.
        raise SignatureError("forged", "no webhook secret configured")
    match = _SIGNATURE.fullmatch(signature)
    if match is None:
        raise SignatureError("forged", "X-Chatwoot-Signature header malformed")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureError("forged", "X-Chatwoot-Timestamp is not Unix seconds")
    signed = f"{timestamp}.".encode() + raw_body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(1).lower()):
        raise SignatureError("forged", "X-Chatwoot-Signature does not match the body")
    skew = (time.time() if now is None else now) - int(timestamp)
    if abs(skew) > tolerance_seconds:
        raise SignatureError("stale", f"X-Chatwoot-Timestamp is {skew:+.0f} s away from now")


# --- neutral event ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentMessage:
    """One Chatwoot message as a message event carries it."""

    id: int
    content: str  # "" when none (an attachment alone)
    message_type: str  # incoming, outgoing, activity, template
    private: bool = False
    sender_type: str | None = None  # user (a person), agent_bot, contact
    sender_id: int | None = None
    sender_name: str | None = None
    attachments: tuple[dict, ...] = ()  # {"url": data_url, "file_type", "content_type"}
    content_attributes: dict = field(default_factory=dict)  # in_reply_to, ...
    source_id: str | None = None  # the channel's id of the message, e.g. a wamid

    @property
    def from_human(self) -> bool:
        """A person's reply meant for the customer: not a note, not a bot's, not the customer's."""
        return self.message_type == "outgoing" and not self.private and self.sender_type == "user"


@dataclass(frozen=True)
class ChatwootEvent:
    """What the worker needs of one webhook delivery; it travels through the queue as JSON."""

    event: str
    conversation_id: int | None = None  # the conversation's display id, as the API uses
    inbox_id: int | None = None
    phone: str | None = None  # the contact's, E.164 with '+'
    status: str | None = None  # open, pending, resolved, snoozed
    assignee_id: int | None = None
    assignee_type: str | None = None  # user, agent_bot
    message: AgentMessage | None = None  # message_created, message_updated
    changed: tuple[str, ...] = ()  # changed_attributes' names

    def to_json(self) -> str:
        """The event as compact JSON, for the queue (`from_json` reads it back)."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> ChatwootEvent:
        """Raises ValueError for anything `to_json` did not write."""
        data = json.loads(raw)
        try:
            message = data.get("message")
            if message is not None:
                message = AgentMessage(
                    **_known(AgentMessage, message),
                    attachments=tuple(message.get("attachments") or ()),
                )
            return cls(
                **_known(cls, data), message=message, changed=tuple(data.get("changed") or ())
            )
        except (AttributeError, TypeError) as exc:
            raise ValueError(f"not a queued Chatwoot event: {exc}") from None


def _known(cls: type, data: dict) -> dict:
    """The fields of `cls` found in `data`, minus those the caller rebuilds."""
    rebuilt = {"message", "changed", "attachments"}
    names = {f.name for f in fields(cls)} - rebuilt
    return {key: value for key, value in data.items() if key in names}


# --- payload ---------------------------------------------------------------------------------


def parse_event(payload: object) -> ChatwootEvent:
    """The neutral event of one webhook delivery.

    Raises ValueError when the payload is not a Chatwoot event: not an object, no `event` name,
    or ids and message fields of the wrong JSON type. Events we don't know parse too, with
    whatever conversation they carry.
    """
    if not isinstance(payload, dict):
        raise ValueError("a Chatwoot event is a JSON object")
    name = payload.get("event")
    if not isinstance(name, str) or not name:
        raise ValueError("no event name")
    nested = payload.get("conversation")
    if nested is not None and not isinstance(nested, dict):
        raise ValueError("conversation is not an object")
    if nested is not None:
        conversation = nested
    elif name.startswith("conversation_"):
        conversation = payload
    else:
        conversation = {}
    message = _message(payload, conversation) if name.startswith("message_") else None
    meta = _dict(conversation.get("meta"))
    assignee_id, assignee_type = _assignee(conversation, meta)
    inbox_id = _int(conversation.get("inbox_id"), "conversation.inbox_id")
    if inbox_id is None:
        inbox_id = _int(_dict(payload.get("inbox")).get("id"), "inbox.id")
    status = conversation.get("status")
    return ChatwootEvent(
        event=name,
        conversation_id=_int(conversation.get("id"), "conversation.id"),
        inbox_id=inbox_id,
        phone=_contact_phone(payload, name, conversation, meta),
        status=status if isinstance(status, str) and status else None,
        assignee_id=assignee_id,
        assignee_type=assignee_type,
        message=message,
        changed=_changed(payload.get("changed_attributes")),
    )


def _message(payload: dict, conversation: dict) -> AgentMessage:
    message_id = _int(payload.get("id"), "message id")
    if message_id is None:
        raise ValueError("message event without a message id")
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        raise ValueError("message content is not a string")
    private = payload.get("private", False)
    if not isinstance(private, bool):
        raise ValueError("message private flag is not a boolean")
    message_type = _message_type(payload.get("message_type"))
    sender = _dict(payload.get("sender"))
    source_id = payload.get("source_id")
    return AgentMessage(
        id=message_id,
        content=content or "",
        message_type=message_type,
        private=private,
        sender_type=_sender_type(payload, sender, conversation, message_type),
        sender_id=_int(sender.get("id", payload.get("sender_id")), "sender id"),
        sender_name=_str(sender.get("available_name")) or _str(sender.get("name")),
        attachments=tuple(
            {
                "url": _str(item.get("data_url")),
                "file_type": _str(item.get("file_type")),
                "content_type": _str(item.get("content_type")),
            }
            for item in _dicts(payload.get("attachments"))
        ),
        content_attributes=_dict(payload.get("content_attributes")),
        source_id=str(source_id) if source_id not in (None, "") else None,
    )


def _message_type(raw: Any) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < len(_MESSAGE_TYPES):
        return _MESSAGE_TYPES[raw]
    if isinstance(raw, str) and raw:
        return raw  # an unknown newer type is kept as is; it is never from_human
    raise ValueError("message_type missing or not one of Chatwoot's")


def _sender_type(payload: dict, sender: dict, conversation: dict, message_type: str) -> str | None:
    """user, agent_bot or contact, from the most direct place that says it."""
    raw = payload.get("sender_type") or sender.get("type")
    if not raw:
        same = [m for m in _dicts(conversation.get("messages")) if m.get("id") == payload["id"]]
        raw = same[0].get("sender_type") if same else None
    if not raw and sender and message_type == "incoming":
        raw = "contact"  # Contact#webhook_data has no type; only a contact writes incoming
    return _normal_type(raw)


def _normal_type(raw: Any) -> str | None:
    """'User', 'AgentBot', 'agent_bot', 'Contact' -> user, agent_bot, contact; others None."""
    if not isinstance(raw, str):
        return None
    return _SENDER_TYPES.get(raw.replace("_", "").lower())


def _assignee(conversation: dict, meta: dict) -> tuple[int | None, str | None]:
    if "assignee" in meta:
        # Current, unlike the snapshot in messages[].conversation: an explicit null means
        # nobody is assigned any more.
        assignee = _dict(meta.get("assignee"))
        if not assignee:
            return None, None
        kind = _normal_type(meta.get("assignee_type")) or _normal_type(assignee.get("type"))
        return _int(assignee.get("id"), "meta.assignee.id"), kind or "user"
    for message in _dicts(conversation.get("messages")):
        nested = _dict(message.get("conversation"))
        if "assignee_id" in nested:
            found = _int(nested.get("assignee_id"), "assignee_id")
            return found, "user" if found is not None else None
    return None, None


def _contact_phone(payload: dict, name: str, conversation: dict, meta: dict) -> str | None:
    candidates = [
        _dict(meta.get("sender")).get("phone_number"),
        _dict(conversation.get("contact_inbox")).get("source_id"),
    ]
    if name.startswith("contact_"):
        candidates.append(payload.get("phone_number"))
    for raw in candidates:
        if isinstance(raw, str) and raw.strip():
            try:
                return normalise_phone(raw)
            except PhoneError:
                continue  # an API inbox's source_id is often a UUID, not a number
    return None


def _changed(raw: Any) -> tuple[str, ...]:
    """Chatwoot sends [{"status": {"previous_value", "current_value"}}, ...]; a dict works too."""
    items = [raw] if isinstance(raw, dict) else _dicts(raw)
    return tuple(dict.fromkeys(key for item in items for key in item if isinstance(key, str)))


# --- small helpers ---------------------------------------------------------------------------


def _int(raw: Any, what: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f"{what} is not an integer")
    if not -(2**63) <= raw < 2**63:  # Chatwoot's ids are bigints
        raise ValueError(f"{what} is out of range")
    return raw


def _str(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and raw else None


def _dict(raw: Any) -> dict:
    return raw if isinstance(raw, dict) else {}


def _dicts(raw: Any) -> list[dict]:
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
