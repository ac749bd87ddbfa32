"""The Redis stores on a real 3-master Redis Cluster: a conversation is one slot, nothing breaks.

The cluster is three `redis-server` processes on 127.0.0.1 (`LocalCluster`); every command goes
through redis-py's RedisCluster, which refuses a transaction, a script or a multi-key command
whose keys are on more than one slot, and routes each command to the node owning its slot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import redis
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import (
    BASE_CAPABILITIES,
    EXTENDED_CAPABILITIES,
)
from redis.crc import key_slot

from integrations.redis.keys import ConversationKeys, index_key, queue_key
from integrations.redis.local_cluster import LocalCluster
from integrations.redis.saver import RedisSaver
from tests.integrations.redis import test_keys
from tests.integrations.redis.test_keys import PHONE, converse, keys_naming
from tests.integrations.redis.test_saver_conformance import SETTINGS
from webhooks.inbound.messages import InboundMessage
from webhooks.inbound.queue import MessageQueue


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A local three-master cluster for the module."""
    data_dir: Path = tmp_path_factory.mktemp("cluster")
    with LocalCluster(data_dir, masters=3) as running:
        yield running


@pytest.fixture
def cluster_client(cluster: LocalCluster) -> Iterator[redis.RedisCluster]:
    """A RedisCluster client on the emptied cluster."""
    client = cluster.client()
    client.flushall()  # every primary
    yield client
    client.close()


def test_the_cluster_spreads_slots_over_three_masters(cluster_client):
    masters = {(node.host, node.port) for node in cluster_client.get_primaries()}
    assert len(masters) == 3


def test_every_key_of_a_conversation_is_on_the_phones_slot(cluster_client):
    converse(cluster_client, PHONE)
    written = keys_naming(cluster_client, PHONE)
    assert len(written) >= 15
    assert {key_slot(key.encode()) for key in written} == {key_slot(PHONE.encode())}
    assert {key_slot(k.encode()) for k in ConversationKeys("iagente", PHONE).all} == {
        key_slot(PHONE.encode())
    }


def test_the_key_layout_tests_pass_on_the_cluster(cluster_client):
    test_keys.test_every_key_a_conversation_writes_is_one_the_keys_module_names(cluster_client)
    cluster_client.flushall()
    test_keys.test_a_reset_leaves_nothing_of_the_phone_but_its_chatwoot_link(cluster_client)


def test_phones_spread_over_the_masters_and_shared_keys_stay_where_their_name_hashes(
    cluster_client,
):
    queue = MessageQueue(cluster_client)
    phones = [f"+346001000{n:02d}" for n in range(30)]
    for n, phone in enumerate(phones):
        assert queue.accept(InboundMessage("meta", "whatsapp", phone, f"wamid.{n}", "text", "Hola"))
    nodes = {
        cluster_client.get_node_from_key(ConversationKeys("iagente", p).of("inbox")).name
        for p in phones
    }
    assert len(nodes) == 3  # the per-phone work spreads; the stream of work is one key
    assert cluster_client.xlen(queue_key("iagente")) == 30
    assert cluster_client.zcard(index_key("iagente")) == 0  # only a turn lists a phone


def test_the_queue_hands_out_work_and_a_stale_notification_is_claimed(cluster_client):
    queue = MessageQueue(cluster_client)
    queue.ensure_group()
    message = InboundMessage("meta", "whatsapp", PHONE, "wamid.c1", "text", "Hola")
    assert queue.accept(message)
    assert not queue.accept(message)  # a provider's retry: seen already
    taken = queue.read("dead-worker", block_ms=10)
    assert [fields["phone"] for _, fields in taken] == [PHONE, PHONE]
    claimed = queue.claim_stale("live-worker", min_idle_ms=0)
    assert [entry for entry, _ in claimed] == [entry for entry, _ in taken]
    assert [m.message_id for m in queue.inbox(PHONE)] == ["wamid.c1"]
    for entry, _ in claimed:
        queue.ack(entry)
    assert queue.depth()["depth"] == 0


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
async def test_the_checkpointer_passes_every_capability_on_the_cluster(
    cluster_client: redis.RedisCluster, settings: dict
) -> None:
    @checkpointer_test(name=f"RedisSaver on a cluster {settings}")
    async def redis_saver():
        yield RedisSaver(cast(redis.Redis, cluster_client), **settings)

    report = await validate(redis_saver)
    for capability in BASE_CAPABILITIES | EXTENDED_CAPABILITIES:
        result = report.results[capability.value]
        assert result.passed is True, f"{capability.value}: {result.failures}"
    assert report.conformance_level() == "FULL"
