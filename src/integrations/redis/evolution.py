"""What the Evolution provider keeps in Redis: customers' WhatsApp addresses, the link's state.

A customer may write from a phone JID or from a LID (WhatsApp's privacy id); replies go back
to the JID the customer wrote from, read receipts to the phone JID. Both are kept per phone, in
the conversation's `evolution` record (keys.py: erased with the customer, kept on a reset), for
as long as a conversation is (`ttl_seconds`); which phone a LID belongs to is kept as long, under
`{prefix}:evolution:lid:<lid>`, and the linked number's state under `{prefix}:evolution:connection`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import redis

from integrations.redis.keys import conversation_key


class EvolutionBook:
    """Addresses of Evolution customers, and the linked number's connection state."""

    def __init__(self, client: redis.Redis, *, ttl_seconds: int, prefix: str = "iagente") -> None:
        """Keep entries under `{prefix}:evolution:` for `ttl_seconds` after their last use."""
        self._redis = client
        self._ttl = ttl_seconds
        self._root = prefix
        self._prefix = f"{prefix}:evolution"

    def remember(
        self, phone: str, *, reply_jid: str, read_jid: str | None, lid: str | None
    ) -> None:
        """Where `phone` wrote from; a LID seen with a phone number maps to that phone."""
        pipe = self._redis.pipeline(transaction=False)
        key = conversation_key(self._root, phone, "evolution")
        pipe.hset(key, "reply", reply_jid)
        if read_jid:
            pipe.hset(key, "read", read_jid)
        pipe.expire(key, self._ttl)
        if lid and read_jid:
            pipe.set(f"{self._prefix}:lid:{lid}", phone, ex=self._ttl)
            pipe.hset(key, "lid", lid)  # so that erasing the phone can find its LID's key
        pipe.execute()

    def forget(self, phone: str) -> int:
        """Delete the LID -> `phone` map (an erasure; the phone's own record goes with keys.py)."""
        lid = self._redis.hget(conversation_key(self._root, phone, "evolution"), "lid")
        if lid is None:
            return 0
        key = f"{self._prefix}:lid:{cast(bytes, lid).decode()}"
        if self.phone_of(cast(bytes, lid).decode()) != phone:
            return 0  # the LID has since been seen with another phone: not this customer's
        return int(self._redis.delete(key))

    def phone_of(self, lid: str) -> str | None:
        """The phone a LID was last seen with, if any."""
        value = self._redis.get(f"{self._prefix}:lid:{lid}")
        return cast(bytes, value).decode() if value is not None else None

    def address(self, phone: str) -> tuple[str | None, str | None]:
        """(reply JID, read-receipt JID) of `phone`, each None when unknown."""
        key = conversation_key(self._root, phone, "evolution")
        raw = cast(dict[bytes, bytes], self._redis.hgetall(key))
        reply, read = raw.get(b"reply"), raw.get(b"read")
        return (reply.decode() if reply else None, read.decode() if read else None)

    def set_connection(self, state: str, reason: int | None) -> None:
        """The linked number's latest state (open, connecting, close, refused) and its code."""
        self._redis.hset(
            f"{self._prefix}:connection",
            mapping={
                "state": state,
                "reason": "" if reason is None else str(reason),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )

    def connection(self) -> dict[str, str | int | None]:
        """`state`, `reason` and `at` of the latest connection event (all None: none yet)."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(f"{self._prefix}:connection"))
        reason = raw.get(b"reason", b"").decode()
        return {
            "state": raw[b"state"].decode() if b"state" in raw else None,
            "reason": int(reason) if reason.isdigit() else None,
            "at": raw[b"at"].decode() if b"at" in raw else None,
        }
