"""What we remember about each customer's Chatwoot side, in Redis.

Per phone (one hash beside the conversation's other keys): the Chatwoot contact, contact inbox
source id and conversation ids, a digest of the attributes last written, and who has the
conversation (`owner` = "human" while a sales agent does). Globally: conversation id → phone,
the ids of messages we created (so their webhook echoes are not taken for an agent's), and the
webhook deliveries already handled.
"""

from __future__ import annotations

import hashlib
import time
from typing import cast

from integrations.redis.keys import ConversationKeys, chatwoot_key
from integrations.redis.phone_store import PhoneStore

ECHO_SECONDS = 7 * 86400
INFLIGHT_SECONDS = 120


def content_digest(text: str | None) -> str:
    """A short hash of a message's text: recognises our echo without keeping the text."""
    return hashlib.sha256((text or "").encode()).hexdigest()[:16]


class ChatwootLinks(PhoneStore):
    """Per phone, its Chatwoot ids and owner; across phones, what recognises our own echoes."""

    def key(self, phone: str) -> str:
        """The hash that holds the phone's Chatwoot ids and owner."""
        return self._phone_key(phone, "chatwoot")

    def _global(self, *parts: object) -> str:
        return chatwoot_key(self._prefix, *parts)

    def _inflight(self, phone: str) -> str:
        return ConversationKeys(self._prefix, phone).inflight

    # --- ids -----------------------------------------------------------------------------------

    def get(self, phone: str) -> dict[str, str]:
        """Everything remembered about the phone's Chatwoot side ({} when nothing)."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self.key(phone)))
        return {k.decode(): v.decode() for k, v in raw.items()}

    def save(self, phone: str, **fields: object) -> None:
        """Remember `fields` for the phone (and the phone of a new conversation id)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.hset(self.key(phone), mapping={k: str(v) for k, v in fields.items()})
        self._expire(pipe, self.key(phone))
        if "conversation_id" in fields:
            pipe.set(self._global("conversation", fields["conversation_id"]), phone, ex=self._ttl)
        pipe.execute()

    def drop_conversation(self, phone: str) -> None:
        """Forget the conversation (or contact) gone on Chatwoot's side: the next op remakes it."""
        fields = ("contact_id", "source_id", "conversation_id", "digest", "contact_digest")
        self._redis.hdel(self.key(phone), *fields)

    def phone_of(self, conversation_id: int | str) -> str | None:
        """The phone whose Chatwoot conversation is `conversation_id`, if we made it."""
        raw = cast(bytes | None, self._redis.get(self._global("conversation", conversation_id)))
        return raw.decode() if raw else None

    # --- who has the conversation --------------------------------------------------------------

    def human(self, phone: str) -> bool:
        """A sales agent has the conversation: the bot stays quiet."""
        return self._redis.hget(self.key(phone), "owner") == b"human"

    def owner(self, phone: str) -> dict[str, str]:
        """Who has the conversation, why and since when (empty while the bot does)."""
        link = self.get(phone)
        return {k: link[k] for k in ("owner", "owner_reason", "owner_since") if k in link}

    def take(self, phone: str, reason: str) -> bool:
        """A human has it now; False if one already had."""
        already = self.human(phone)
        if not already:
            self.save(phone, owner="human", owner_reason=reason, owner_since=int(time.time()))
        return not already

    def release(self, phone: str) -> bool:
        """The bot has it again; False if it already had."""
        return bool(self._redis.hdel(self.key(phone), "owner", "owner_reason", "owner_since"))

    # --- recognising our own messages when Chatwoot sends them back ----------------------------

    def creating(self, phone: str, content: str | None) -> None:
        """About to create a message: its echo may arrive before we learn its id."""
        self._redis.set(self._inflight(phone), content_digest(content), ex=INFLIGHT_SECONDS)

    def created(self, phone: str, message_id: int | str) -> None:
        """We made message `message_id`: its echo is ours from now on."""
        # In this order, and not pipelined: on Redis Cluster the two keys are on different
        # nodes, and an echo checked between the two must still be recognised.
        self._redis.set(self._global("ours", message_id), 1, ex=ECHO_SECONDS)
        self._redis.delete(self._inflight(phone))

    def is_ours(self, phone: str, message_id: int | str, content: str | None) -> bool:
        """The webhook's message is one we created (by id, or by text while in flight)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.exists(self._global("ours", message_id))
        pipe.get(self._inflight(phone))
        ours, inflight = pipe.execute()
        return bool(ours) or (inflight is not None and inflight.decode() == content_digest(content))

    def first_delivery(self, delivery_id: str) -> bool:
        """True the first time a webhook delivery id is seen (Chatwoot retries deliveries)."""
        return bool(self._redis.set(self._global("delivery", delivery_id), 1, nx=True, ex=86400))

    def first_handling(self, message_id: int | str) -> bool:
        """True the first time an agent message is handled (so it is sent once)."""
        return bool(
            self._redis.set(self._global("handled", message_id), 1, nx=True, ex=ECHO_SECONDS)
        )
