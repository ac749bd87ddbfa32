"""MessageQueue.accept on one Redis node: one script queues a message once, and says so.

The script sets the dedupe mark, appends to the phone's inbox, schedules the typing pause and
notifies the stream; these tests read each of those back from a real redis-server.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import redis

from integrations.redis.server import RedisProcess
from testkit.inbound import whatsapp_text
from webhooks.inbound.debounce import Debounce
from webhooks.inbound.messages import InboundMessage
from webhooks.inbound.queue import MessageQueue

PHONE = "+34611300001"


def message(n: int, text: str = "Hola") -> InboundMessage:
    return whatsapp_text(PHONE, f"wamid.queue.{n}", text)


def notified(client: redis.Redis, queue: MessageQueue) -> list[dict[bytes, bytes]]:
    entries = cast("list[tuple[bytes, dict[bytes, bytes]]]", client.xrange(queue.stream))
    return [fields for _, fields in entries]


def test_a_message_is_queued_once_and_every_delivery_notifies(redis_client):
    queue = MessageQueue(redis_client)

    assert queue.accept(message(1, "Hola")) is True
    assert queue.accept(message(1, "Hola otra vez")) is False  # the provider's retry
    assert queue.accept(message(2, "quiero un seguro")) is True

    assert [(m.message_id, m.text) for m in queue.inbox(PHONE)] == [
        ("wamid.queue.1", "Hola"),
        ("wamid.queue.2", "quiero un seguro"),
    ]
    assert all(m.received_at > 0 for m in queue.inbox(PHONE))
    # As when these were separate commands, a duplicate is notified too.
    assert notified(redis_client, queue) == [{b"phone": PHONE.encode()}] * 3
    seen = redis_client.zrange(f"iagente:conv:{{{PHONE}}}:seen", 0, -1)
    assert seen == [b"meta:wamid.queue.1", b"meta:wamid.queue.2"]
    assert 0 < redis_client.ttl(f"iagente:conv:{{{PHONE}}}:inbox") <= 7 * 86400


def test_the_typing_pause_is_scheduled_in_the_same_script(redis_client):
    now = [1_800_000_000.0]
    debounce = Debounce(redis_client, seconds=2, max_seconds=5, clock=lambda: now[0])
    queue = MessageQueue(redis_client, debounce=debounce)
    due_key, first_key, _ = debounce.keys

    queue.accept(message(1))
    assert redis_client.zscore(due_key, PHONE) == now[0] + 2
    first = redis_client.zscore(first_key, PHONE)
    now[0] += 1.5
    queue.accept(message(2))
    assert redis_client.zscore(due_key, PHONE) == now[0] + 2  # pushed forward
    now[0] += 3
    queue.accept(message(1))  # a duplicate still pushes, never past the cap
    assert redis_client.zscore(due_key, PHONE) == first + 5
    assert redis_client.zscore(first_key, PHONE) == first
    assert [m.message_id for m in queue.inbox(PHONE)] == ["wamid.queue.1", "wamid.queue.2"]


def test_a_redis_that_forgot_the_script_still_queues_once(tmp_path: Path):
    # A server of its own: SCRIPT FLUSH would empty the session server's cache for every test.
    with RedisProcess(tmp_path / "redis") as server:
        client = redis.Redis.from_url(server.url)
        queue = MessageQueue(client)
        assert queue.accept(message(1)) is True
        client.script_flush()  # as after a restart or a failover

        assert queue.accept(message(2)) is True
        client.script_flush()
        assert queue.accept(message(2)) is False

        assert [m.message_id for m in queue.inbox(PHONE)] == ["wamid.queue.1", "wamid.queue.2"]
        assert len(notified(client, queue)) == 3
        client.close()
