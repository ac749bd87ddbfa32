"""The archive drainer on a real Redis and a real database: order, set-asides, outages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.archive.database import database_url, make_engine
from integrations.archive.erasure import RetentionPolicy
from integrations.archive.store import ArchiveStore
from integrations.redis.health import HealthBook
from integrations.redis.outbox import Outbox
from testkit.databases import archive_url, postgres_server
from webhooks.inbound.messages import InboundMessage
from webhooks.records.drainer import ArchiveDrainer
from webhooks.records.ops import audit_op, turn_op

__all__ = ["archive_url", "postgres_server"]

PHONE = "+34600300701"


@pytest.fixture
def store(archive_url: str) -> Iterator[ArchiveStore]:
    built = ArchiveStore(make_engine(database_url(archive_url, Path())))
    yield built
    built.engine.dispose()


@pytest.fixture
def drainer(store: ArchiveStore, redis_client) -> ArchiveDrainer:
    outbox = Outbox(redis_client, name="archive")
    return ArchiveDrainer(
        store, outbox, RetentionPolicy(), redis_client, health=HealthBook(redis_client)
    )


def said(text: str, n: int) -> dict:
    message = InboundMessage("meta", "whatsapp", PHONE, f"w.{n}", "text", text)
    return turn_op(PHONE, [message], {}, {"stage": "INICIO", "turns": n}, None, started=n == 1)


def test_operations_are_written_in_order_and_popped_once_committed(drainer, store):
    drainer.outbox.add(PHONE, [said("Hola", 1), said("¿Qué tal?", 2), audit_op("operator", "x")])
    assert drainer.drain(PHONE) is True
    found = store.export(PHONE)
    assert [m["text"] for m in found["messages"]] == ["Hola", "¿Qué tal?"]
    assert found["conversations"][0]["turns"] == 2  # the later turn's state won
    assert [e["action"] for e in found["audit"]] == ["x"]
    assert drainer.outbox.backlog()["pending"] == 0 and drainer.outbox.due() == []
    assert HealthBook(drainer.redis).read("archive")["reachable"] is True


def test_an_operation_the_archive_refuses_is_set_aside_and_the_rest_go_on(drainer, store):
    drainer.outbox.add(PHONE, [{"op": "teleport"}, said("Hola", 1)])
    assert drainer.drain(PHONE) is True
    assert [m["text"] for m in store.export(PHONE)["messages"]] == ["Hola"]
    [dead] = [json.loads(x) for x in drainer.redis.lrange(drainer.outbox.dead_key, 0, -1)]
    assert dead["op"] == {"op": "teleport", "queued_at": dead["op"]["queued_at"]}
    assert "unknown archive operation" in dead["error"]


def test_with_the_database_away_the_work_waits_in_order(drainer, store, archive_url):
    drainer.outbox.add(PHONE, [said("Hola", 1), said("sí", 2)])
    gone = make_engine("postgresql://nobody:secret@127.0.0.1:1/none", connect_timeout=1)
    away = ArchiveDrainer(
        ArchiveStore(gone),
        drainer.outbox,
        RetentionPolicy(),
        drainer.redis,
        health=drainer.health,
    )
    assert away.drain(PHONE) is False
    assert drainer.outbox.backlog()["pending"] == 2
    health = HealthBook(drainer.redis).read("archive")
    assert health["reachable"] is False and "secret" not in json.dumps(health)
    gone.dispose()

    assert drainer.drain(PHONE) is True  # the database is back
    assert [m["text"] for m in store.export(PHONE)["messages"]] == ["Hola", "sí"]
