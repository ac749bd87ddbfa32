"""Every Redis key of a conversation, in one place: how each is named and which a phone owns.

A conversation's records share the phone as hash tag, so they sit in one Redis Cluster slot and
a turn writes them in one MULTI; its checkpoints are tagged by the graph thread (the phone), the
same tag, so a reset deletes all of them with one DEL:

    {prefix}:conv:{<phone>}:transcript|summary|statuses   ConversationStore
    {prefix}:conv:{<phone>}:lock                           the turn lock
    {prefix}:conv:{<phone>}:seen|inbox|missed              the inbound queue
    {prefix}:conv:{<phone>}:chatwoot                       ChatwootLinks: ids, owner
    {prefix}:conv:{<phone>}:inflight                       a Chatwoot message being created
    {prefix}:conv:{<phone>}:outbox:<name>[:lease]          Outbox: pending operations
    {prefix}:conv:{<phone>}:followup                       FollowUpTimers: the next reminder
    {prefix}:conv:{<phone>}:evolution                      EvolutionBook: the customer's JIDs
    {prefix}:ckpt:{<thread>}:idx|cp|blobs|writes|widx      RedisSaver

Shared keys hold the phone as a member: `{prefix}:conversations` (the admin index),
`{prefix}:outbox:<name>:due` and `{prefix}:followups:due` (reminders by due time).
`ConversationKeys.all` and `.erased_members` are what erasing a phone deletes; `.reset` and
`.members` what an admin reset does.

Keys no phone owns each sit on the slot of their own name, and no command or transaction
touches two of them: `{prefix}:queue` (the stream of work), `{prefix}:conversations`,
`{prefix}:outbox:<name>:due|dead`, `{prefix}:followups:due`, `{prefix}:chatwoot:<part>:…`,
`{prefix}:health`, `{prefix}:webhook_log`; statistics share the `{stats}` tag (stats.py) so a
PFCOUNT over days is one slot. A new key a turn's transaction touches must carry the phone's tag
(`conversation_key`); a new shared key must be read and written one key per command. (On one
node, not a cluster, a turn's MULTI also carries its writes of shared keys: the index, the
schedules, the statistics, the stream's acknowledgement; `ConversationStore.record_exchange`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

OUTBOXES = ("chatwoot", "archive")  # the outboxes the service has (Outbox's `name`)
# The SQL archive's pending writes are the sales record: a reset keeps them (an erasure not).
KEPT_ON_RESET = ("archive",)


def conversation_key(prefix: str, phone: str, what: str) -> str:
    """One record of a conversation: `{prefix}:conv:{<phone>}:<what>`."""
    return f"{prefix}:conv:{{{phone}}}:{what}"


def queue_key(prefix: str) -> str:
    """The stream of work: one entry per message (or status, or Chatwoot event) to handle."""
    return f"{prefix}:queue"


def debounce_key(prefix: str, what: str) -> str:
    """The typing pause's sorted sets of phones ("due", "first", "firing"), one hash tag.

    A phone stays in them only for its pause (seconds), so a reset or an erasure leaves them be.
    """
    return f"{prefix}:{{debounce}}:{what}"


def index_key(prefix: str) -> str:
    """The sorted set of phones by latest activity (the admin API's list)."""
    return f"{prefix}:conversations"


def outbox_due_key(prefix: str, name: str) -> str:
    """The sorted set of phones with work in outbox `name`, by when to try next."""
    return f"{prefix}:outbox:{name}:due"


def followups_due_key(prefix: str) -> str:
    """The sorted set of phones with a follow-up reminder pending, by when it is due."""
    return f"{prefix}:followups:due"


def outbox_dead_key(prefix: str, name: str) -> str:
    """The list of operations outbox `name` gave up on."""
    return f"{prefix}:outbox:{name}:dead"


def outbox_pattern(prefix: str, name: str) -> str:
    """SCAN pattern matching outbox `name`'s list of every phone."""
    return f"{prefix}:conv:*:outbox:{name}"


def phone_in(key: bytes | str) -> str:
    """The phone in a `{prefix}:conv:{<phone>}:…` key."""
    text = key.decode() if isinstance(key, bytes) else key
    return text.split("{", 1)[1].rsplit("}", 1)[0]


def chatwoot_key(prefix: str, *parts: object) -> str:
    """Chatwoot bookkeeping across conversations: `{prefix}:chatwoot:<part>:…`."""
    return ":".join((prefix, "chatwoot", *map(str, parts)))


class ThreadKeys(NamedTuple):
    """The keys of one checkpointer thread (their content is `saver_layout`'s business)."""

    idx: str
    cp: str
    blobs: str
    writes: str
    widx: str

    @classmethod
    def of(cls, prefix: str, thread_id: str) -> ThreadKeys:
        """The keys of `thread_id`."""
        head = f"{prefix}:ckpt:{{{_escape(thread_id)}}}:"
        return cls(*(head + suffix for suffix in cls._fields))

    @property
    def all(self) -> tuple[str, ...]:
        """Every key of the thread."""
        return tuple(self)


def _escape(thread_id: str) -> str:
    # A brace would move the hash tag (Redis hashes the text between the first "{" and the next
    # "}"), and could make two threads' key names collide; "%" is escaped so this is reversible.
    return thread_id.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


def thread_pattern(prefix: str, suffix: str) -> str:
    """SCAN pattern matching `suffix` keys of every thread."""
    escaped = "".join(f"\\{c}" if c in "*?[]\\" else c for c in prefix)
    return f"{escaped}:ckpt:{{*}}:{suffix}"


def thread_from_key(prefix: str, suffix: str, key: bytes) -> str | None:
    """The thread id in a key matched by thread_pattern, or None for a look-alike key."""
    head, tail = f"{prefix}:ckpt:{{".encode(), f"}}:{suffix}".encode()
    if not (key.startswith(head) and key.endswith(tail)):
        return None
    tag = key[len(head) : -len(tail)].decode()
    if "{" in tag or "}" in tag:  # "*" also matched a "}:" inside a longer key name
        return None
    return unquote(tag)


@dataclass(frozen=True)
class ConversationKeys:
    """The keys of one phone's conversation, and which of them a reset or an erasure deletes."""

    prefix: str
    phone: str

    def of(self, what: str) -> str:
        """The conversation record `what` ("transcript", "inbox", …)."""
        return conversation_key(self.prefix, self.phone, what)

    @property
    def lock(self) -> str:
        """The turn lock: one worker at a time answers this phone."""
        return self.of("lock")

    @property
    def chatwoot(self) -> str:
        """The phone's Chatwoot link (ids, owner, digests)."""
        return self.of("chatwoot")

    @property
    def inflight(self) -> str:
        """The digest of a Chatwoot message being created for the phone (seconds-long)."""
        return self.of("inflight")

    def outbox(self, name: str) -> str:
        """The phone's pending operations for the outside service `name`."""
        return self.of(f"outbox:{name}")

    @property
    def checkpoints(self) -> ThreadKeys:
        """The keys of the phone's LangGraph checkpoints (its thread)."""
        return ThreadKeys.of(self.prefix, self.phone)

    @property
    def all(self) -> tuple[str, ...]:
        """Every key that belongs to this phone alone."""
        records = (
            *("transcript", "summary", "statuses", "lock", "seen", "inbox", "missed"),
            "followup",
            "evolution",
        )
        outboxes = [
            key for name in OUTBOXES for key in (self.outbox(name), f"{self.outbox(name)}:lease")
        ]
        return (
            *map(self.of, records),
            self.chatwoot,
            *outboxes,
            *self.checkpoints.all,
            self.inflight,
        )

    @property
    def reset(self) -> tuple[str, ...]:
        """What a reset deletes: all but the lock, the Chatwoot link, the archive's work, the JIDs.

        The resetter holds the lock (it goes when released); agents keep the same Chatwoot
        conversation; what happened before the reset is still written to the SQL archive; an
        operator can still reach an Evolution customer where they wrote from.
        """
        kept = {self.lock, self.chatwoot, self.of("evolution")}
        kept |= {key for n in KEPT_ON_RESET for key in (self.outbox(n), f"{self.outbox(n)}:lease")}
        return tuple(key for key in self.all if key not in kept)

    @property
    def members(self) -> tuple[tuple[str, str], ...]:
        """(shared sorted set, member) pairs that name this phone, as a reset removes them."""
        due = (outbox_due_key(self.prefix, n) for n in OUTBOXES if n not in KEPT_ON_RESET)
        shared = (index_key(self.prefix), followups_due_key(self.prefix), *due)
        return tuple((key, self.phone) for key in shared)

    @property
    def erased_members(self) -> tuple[tuple[str, str], ...]:
        """(shared sorted set, member) pairs that erasing the phone removes: every one."""
        due = [outbox_due_key(self.prefix, n) for n in OUTBOXES]
        shared = (index_key(self.prefix), followups_due_key(self.prefix), *due)
        return tuple((key, self.phone) for key in shared)
