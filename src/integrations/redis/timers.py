"""Durable follow-up timers: one per phone, in a sorted set by due time, claimed atomically.

    {prefix}:conv:{<phone>}:followup   hash: due, step, anchor, sent, sending, sent_at
    {prefix}:followups:due             sorted set: phone -> when to look at it (Unix seconds)

The hash is the truth (it sits in the conversation's slot, so a turn's transaction writes it);
the sorted set says when to look. A claim moves a due phone's score forward by a lease in one
Lua call, so two workers never take the same phone at once, and a worker killed after claiming
leaves the phone to be claimed again when the lease runs out. Whoever fires checks the hash
under the phone's turn lock, which is what makes a reminder go out once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import cast

import redis

from integrations.redis.keys import followups_due_key
from integrations.redis.phone_store import PhoneStore

# Phones whose score is due, up to ARGV[3], get the score ARGV[2] (now + lease): claimed.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, phone in ipairs(due) do
    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], phone)
end
return due
"""


@dataclass(frozen=True)
class FollowUpTimer:
    """One phone's follow-up state.

    due      when the next reminder is due (None: nothing pending)
    step     which delay of FOLLOW_UP_AFTER the next reminder is (0: the first)
    anchor   when the customer last wrote: the delays count from it
    sent     reminders sent in this conversation, all told
    sending  the step being sent when a worker died mid-send (None: none)
    sent_at  when the last reminder went out
    """

    due: float | None
    step: int
    anchor: float | None
    sent: int
    sending: int | None
    sent_at: float | None


def _number(raw: bytes | None) -> float | None:
    return float(raw) if raw not in (None, b"") else None


class FollowUpTimers(PhoneStore):
    """The follow-up timers of every phone."""

    @property
    def client(self) -> redis.Redis:
        """The Redis client the timers are kept on (a turn's pipelines are made from it)."""
        return self._redis

    @property
    def clustered(self) -> bool:
        """On a Redis Cluster the schedule and a phone's hash are in different slots."""
        return isinstance(self._redis, redis.RedisCluster)

    @property
    def due_key(self) -> str:
        """The sorted set of phones by when to look at their timer."""
        return followups_due_key(self._prefix)

    @cached_property
    def _claim(self) -> redis.commands.core.Script:
        return self._redis.register_script(_CLAIM)

    def key(self, phone: str) -> str:
        """The phone's follow-up hash."""
        return self._phone_key(phone, "followup")

    def get(self, phone: str) -> FollowUpTimer | None:
        """The phone's timer, or None when it never had one."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self.key(phone)))
        if not raw:
            return None
        sending = _number(raw.get(b"sending"))
        return FollowUpTimer(
            due=_number(raw.get(b"due")),
            step=int(raw.get(b"step") or 0),
            anchor=_number(raw.get(b"anchor")),
            sent=int(raw.get(b"sent") or 0),
            sending=None if sending is None else int(sending),
            sent_at=_number(raw.get(b"sent_at")),
        )

    # --- writing: the hash (in the caller's transaction when given), then the schedule ----------

    def arm(
        self, phone: str, *, anchor: float, due: float, pipe: redis.client.Pipeline | None = None
    ) -> None:
        """The first reminder after the customer's message at `anchor` is due at `due`.

        With `pipe` (a turn's transaction) only the hash is written, there: the caller has
        scheduled `due` before it (`schedule`), so a worker killed in between leaves the phone
        looked at early (the poller reads the hash) rather than a timer nobody looks at.
        """
        self._set(phone, {"due": due, "step": 0, "anchor": anchor}, ("sending",), pipe)
        if pipe is None:
            self.schedule(phone, due)

    def cancel(self, phone: str, *, pipe: redis.client.Pipeline | None = None) -> None:
        """Nothing pending for the phone (the count of reminders sent is kept).

        With `pipe` (a turn's transaction) only the hash is written, there: the caller
        unschedules it afterwards (`schedule(phone, None, pipe=...)`); a phone left in the
        schedule meanwhile finds nothing due in its hash and is dropped by the poller.
        """
        self._set(phone, {"due": ""}, ("sending",), pipe)
        if pipe is None:
            self._redis.zrem(self.due_key, phone)

    def defer(self, phone: str, due: float) -> None:
        """The pending reminder waits until `due` (quiet hours)."""
        self._set(phone, {"due": due}, (), None)
        self.schedule(phone, due)

    def mark_sending(self, phone: str, step: int) -> None:
        """Step `step` is going out now: if this worker dies mid-send, it is not sent again."""
        self._set(phone, {"sending": step}, (), None)

    def sent_one(
        self,
        phone: str,
        *,
        step: int,
        at: float,
        due: float | None,
        pipe: redis.client.Pipeline | None = None,
    ) -> None:
        """Step `step` went out at `at`; the next is due at `due` (the caller then schedules)."""
        fields: dict[str, float | int | str] = {"step": step + 1, "sent_at": at}
        fields["due"] = "" if due is None else due
        self._set(phone, fields, ("sending",), pipe, sent=1)

    def skipped(
        self,
        phone: str,
        *,
        step: int,
        due: float | None,
        pipe: redis.client.Pipeline | None = None,
    ) -> None:
        """Step `step` is given up; the next is due at `due` (the caller then schedules)."""
        self._set(phone, {"step": step + 1, "due": "" if due is None else due}, ("sending",), pipe)

    def schedule(
        self, phone: str, due: float | None, *, pipe: redis.client.Pipeline | None = None
    ) -> None:
        """Look at the phone at `due`; None: never (its hash says nothing is pending).

        With `pipe` (not a transaction: the schedule is another slot) the command is added there.
        """
        target = self._redis if pipe is None else pipe
        if due is None:
            target.zrem(self.due_key, phone)
        else:
            target.zadd(self.due_key, {phone: due})

    def _set(
        self,
        phone: str,
        fields: dict,
        dropped: tuple[str, ...],
        pipe: redis.client.Pipeline | None,
        *,
        sent: int = 0,
    ) -> None:
        own = pipe is None
        pipe = pipe if pipe is not None else self._redis.pipeline(transaction=True)
        key = self.key(phone)
        pipe.hset(key, mapping=fields)
        if sent:
            pipe.hincrby(key, "sent", sent)
        if dropped:
            pipe.hdel(key, *dropped)
        self._expire(pipe, key)
        if own:
            pipe.execute()

    # --- reading the schedule ------------------------------------------------------------------

    def claim(self, now: float, *, lease: float, limit: int = 50) -> list[str]:
        """Phones due at `now`, each now claimed by the caller for `lease` seconds."""
        phones = self._claim(keys=[self.due_key], args=[now, now + lease, limit])
        return [phone.decode() for phone in cast(list[bytes], phones)]

    def pending(self) -> int:
        """Phones with a reminder scheduled."""
        return int(self._redis.zcard(self.due_key))

    def next_due(self, phone: str) -> float | None:
        """When the phone is next looked at, or None."""
        score = self._redis.zscore(self.due_key, phone)
        return None if score is None else float(score)
