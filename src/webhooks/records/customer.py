"""A customer's data on request: everything held about a phone, and its erasure.

Redis holds the running conversation (keys.py names every key of a phone), the SQL archive the
sales record. An erasure takes the phone's turn lock and its archive outbox lease, writes what
is still waiting to the archive first (so held records are not lost with the queue), then
deletes the Chatwoot contact when asked, every Redis key of the phone, and the archive's rows
but what the legal hold keeps; the archive's audit log records it in the same transaction.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, cast

import redis
from redis.exceptions import LockError
from redis.lock import Lock
from sqlalchemy.exc import SQLAlchemyError

from integrations.chatwoot import ChatwootError, ChatwootNotFound
from integrations.messaging.phones import mask_phone
from integrations.redis.keys import OUTBOXES, chatwoot_key
from webhooks.records.archive import Archive
from webhooks.services import Services

log = logging.getLogger(__name__)
LEASE_WAIT_SECONDS = 15


class ArchiveUnavailableError(RuntimeError):
    """The archive database could not be reached: nothing was erased or exported."""


def _plain(value: Any) -> Any:
    """A graph state value as JSON (messages and other objects as their text)."""
    return json.loads(json.dumps(value, default=str))


def redis_data(services: Services, phone: str) -> dict[str, Any]:
    """Everything Redis holds about `phone`: state, transcript, statuses, links, pending work."""
    service = services.conversations
    keys = service.store.keys(phone)
    values = {k: v for k, v in service.state(phone).items() if k not in ("messages", "reading")}
    present = [key for key in keys.all if services.redis.exists(key)]
    pending: dict[str, list] = {}
    for name in OUTBOXES:
        raw = cast(list[bytes], services.redis.lrange(keys.outbox(name), 0, -1))
        if raw:
            pending[name] = [json.loads(op) for op in raw]
    shown = {keys.of(w) for w in ("transcript", "summary", "statuses", "inbox", "lock")}
    shown |= {keys.chatwoot, *keys.checkpoints.all, *(keys.outbox(n) for n in OUTBOXES)}
    return {
        "keys": present,
        "conversation": _plain(values),
        "summary": service.store.summary(phone),
        "transcript": service.store.transcript(phone),
        "delivery_statuses": service.store.statuses(phone),
        "chatwoot_link": services.chatwoot.links.get(phone) if services.chatwoot else {},
        "pending_operations": pending,
        "inbox": [json.loads(m.to_json()) for m in services.queue.inbox(phone)],
        # The phone's other records (reminders, Evolution addresses, dedupe marks...), as kept.
        "other_records": {key: _record(services, key) for key in present if key not in shown},
    }


def _record(services: Services, key: str) -> Any:
    """A Redis record as text: a hash as a map, a list or set as a list, a string as is."""
    kind = cast(bytes, services.redis.type(key)).decode()
    client = services.redis
    if kind == "hash":
        raw = cast(dict[bytes, bytes], client.hgetall(key))
        return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in raw.items()}
    if kind == "list":
        return [v.decode(errors="replace") for v in cast(list[bytes], client.lrange(key, 0, -1))]
    if kind in ("set", "zset"):
        members = client.smembers(key) if kind == "set" else client.zrange(key, 0, -1)
        return sorted(v.decode(errors="replace") for v in cast(list[bytes], members))
    if kind == "string":
        return cast(bytes, client.get(key)).decode(errors="replace")
    return kind


def export(services: Services, archive: Archive, phone: str) -> dict[str, Any] | None:
    """Everything held about `phone` (None when nothing is), the export audited.

    Raises:
        ArchiveUnavailableError: the archive could not be read.
    """
    held_in_redis = redis_data(services, phone)
    try:
        held_in_archive = archive.store.ready().export(phone)
        found = bool(held_in_redis["keys"]) or held_in_archive["customer"] is not None
        if found:
            tables = {k: len(v) for k, v in held_in_archive.items() if isinstance(v, list) and v}
            archive.store.audit("admin", "export", phone, {"archive_rows": tables})
            held_in_archive = archive.store.export(phone)  # with its own audit entry
    except SQLAlchemyError as exc:
        raise ArchiveUnavailableError(type(exc).__name__) from None
    if not found and not held_in_archive["audit"]:
        return None
    return {
        "phone": phone,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "redis": held_in_redis,
        "archive": held_in_archive,
    }


def erase(services: Services, archive: Archive, phone: str, *, chatwoot: bool) -> dict[str, Any]:
    """Erase `phone` everywhere but what the legal hold keeps; what was done, per place.

    Raises:
        ArchiveUnavailableError: the archive could not be reached: nothing was erased.
    """
    try:
        archive.store.ready()
    except SQLAlchemyError as exc:
        raise ArchiveUnavailableError(type(exc).__name__) from None
    with services.conversations.locked(phone):
        lease = _lease(archive, phone)
        try:
            if not archive.drainer.drain_leased(phone):
                raise ArchiveUnavailableError("its pending writes could not be made")

            def elsewhere() -> dict[str, Any]:
                return {
                    "chatwoot": _erase_chatwoot(services, phone, chatwoot),
                    "redis_keys": _erase_redis(services, phone),
                }

            policy = archive.policy
            try:
                done = archive.store.erase(
                    phone, hold=policy.hold, held_since=policy.held_since(), elsewhere=elsewhere
                )
            except SQLAlchemyError as exc:
                raise ArchiveUnavailableError(type(exc).__name__) from None
        finally:
            with suppress(LockError, redis.RedisError):
                lease.release()
    log.info("customer erased phone=%s held=%s", mask_phone(phone), done["held"])
    return {
        "chatwoot": done["chatwoot"],
        "redis_keys": done["redis_keys"],
        "archive": done["deleted"],
        "held": done["held"],
    }


def _lease(archive: Archive, phone: str) -> Lock:
    """The phone's archive outbox lease: a drainer working on it finishes first."""
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while (lease := archive.outbox.lease(phone)) is None:
        if time.monotonic() > deadline:
            raise ArchiveUnavailableError("a drainer holds the phone's pending writes")
        time.sleep(0.05)
    return lease


def _erase_chatwoot(services: Services, phone: str, wanted: bool) -> str:
    """Delete the phone's Chatwoot contact (its conversations go with it) when asked."""
    side = services.chatwoot
    if not wanted:
        return "kept"
    if side is None:
        return "not configured"
    link = side.links.get(phone)
    try:
        contact_id = link.get("contact_id") or (side.client.search_contact(phone) or {}).get("id")
        if not contact_id:
            return "not found"
        side.client.delete_contact(int(contact_id))
    except ChatwootNotFound:
        return "not found"
    except ChatwootError as exc:
        log.warning("chatwoot contact not erased phone=%s (%s)", mask_phone(phone), exc.title)
        return f"failed: {exc.title}"
    return "deleted"


def _erase_redis(services: Services, phone: str) -> int:
    """Delete every Redis key of the phone and its place in the shared indexes."""
    keys = services.conversations.store.keys(phone)
    link = services.chatwoot.links.get(phone) if services.chatwoot else {}
    extra = []
    if link.get("conversation_id"):  # the reverse link, agent's conversation -> phone
        extra.append(chatwoot_key(keys.prefix, "conversation", link["conversation_id"]))
    deleted = services.evolution.forget(phone) if services.evolution else 0
    for key in (*keys.all, *extra):  # one key per command: they may sit on different slots
        deleted += services.redis.delete(key)
    for shared, member in keys.erased_members:
        services.redis.zrem(shared, member)
    return deleted
