"""ConversationStore.record_exchange: a turn's records, the index and the caller's extra commands.

On one Redis node everything is one MULTI (one round trip); on a cluster the MULTI stays in the
phone's slot and the index and the `then` commands follow it. Either way a `then` command's
error comes back as its reply and the turn's own records stand; an error of the turn's own
commands is raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from integrations.redis.conversations import ConversationStore
from integrations.redis.local_cluster import LocalCluster

PHONE = "+34611500001"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    data_dir: Path = tmp_path_factory.mktemp("cluster")
    with LocalCluster(data_dir, masters=3) as running:
        yield running


@pytest.fixture(params=["node", "cluster"])
def client(request, redis_client, cluster) -> Iterator[redis.Redis]:
    if request.param == "node":
        yield redis_client
        return
    client = cluster.client()
    client.flushall()
    yield client
    client.close()


def record(store: ConversationStore, then=None) -> list:
    def also(pipe: redis.client.Pipeline) -> None:
        pipe.set(store.key(PHONE, "marker"), 1)

    return store.record_exchange(
        PHONE,
        [{"text": "Hola", "channel": "whatsapp"}],
        {"text": "¡Hola!", "channel": "whatsapp"},
        summary={"stage": "INICIO"},
        also=also,
        then=then,
    )


def test_the_records_the_index_and_the_extra_commands_are_written(client):
    store = ConversationStore(client, ttl_seconds=3600)

    replies = record(store, then=lambda pipe: pipe.incr("iagente:elsewhere"))

    assert replies == [1]
    assert [e["direction"] for e in store.transcript(PHONE)] == ["in", "out"]
    assert store.summary(PHONE)["stage"] == "INICIO"
    assert client.get(store.key(PHONE, "marker")) == b"1"
    assert store.recent(0, 10) == [PHONE]


def test_a_failing_extra_command_is_returned_and_the_turn_stands(client):
    store = ConversationStore(client)
    client.set("iagente:elsewhere", "not a number")

    replies = record(store, then=lambda pipe: pipe.incr("iagente:elsewhere"))

    assert len(replies) == 1 and isinstance(replies[0], redis.ResponseError)
    assert [e["direction"] for e in store.transcript(PHONE)] == ["in", "out"]
    assert store.recent(0, 10) == [PHONE]


def test_a_failing_command_of_the_turn_is_raised(client):
    store = ConversationStore(client)
    client.set(store.key(PHONE, "transcript"), "not a list")

    with pytest.raises(redis.ResponseError):
        record(store)


def test_on_one_node_the_whole_exchange_is_one_round_trip(redis_client, monkeypatch):
    store = ConversationStore(redis_client)
    sent = []
    connection_class = redis_client.connection_pool.connection_class
    send = connection_class.send_packed_command

    def counted(connection, command, check_health=True):
        sent.append(command)
        return send(connection, command, check_health)

    monkeypatch.setattr(connection_class, "send_packed_command", counted)
    record(store, then=lambda pipe: pipe.incr("iagente:elsewhere"))

    assert len(sent) == 1
