"""Follow-up timers on a real 3-master Redis Cluster: every command and script stays in one slot.

RedisCluster refuses a transaction or a script whose keys span slots: arming (the hash beside the
conversation), claiming (one Lua call on the shared sorted set) and firing (the transcript and the
hash in one transaction) must each touch one slot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from integrations.redis.local_cluster import LocalCluster
from testkit.followups import START, TO_NAME, Clock, customer, follow_ups
from testkit.stack import Stack, running
from webhooks.turns.worker import Worker

PHONES = [f"+3460080{n:04d}" for n in range(6)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with LocalCluster(tmp_path_factory.mktemp("cluster"), masters=3) as running_cluster:
        yield running_cluster


@pytest.fixture
def cluster_stack(cluster: LocalCluster) -> Iterator[Stack]:
    client = cluster.client()
    client.flushall()
    client.close()
    with running(cluster.url, redis_cluster=True) as stack:
        assert isinstance(stack.services.redis, redis.RedisCluster)
        yield stack


def test_reminders_arm_claim_and_fire_once_on_a_cluster(cluster_stack):
    clock = Clock(START)
    reminders = follow_ups(cluster_stack.services, clock)
    worker = Worker(
        cluster_stack.service,
        cluster_stack.services.queue,
        cluster_stack.services.channels,
        followups=reminders,
    )
    for phone in PHONES:
        customer(cluster_stack, worker, phone).says(*TO_NAME)
    sent = len(cluster_stack.providers.sent)
    assert reminders.timers.pending() == len(PHONES)
    clock.advance(hours=2)
    assert reminders.fire_due() == len(PHONES)
    assert reminders.fire_due() == 0
    to = sorted(r["json"]["to"] for r in cluster_stack.providers.sent[sent:])
    assert to == sorted(p.lstrip("+") for p in PHONES)
    for phone in PHONES:
        timer = reminders.timers.get(phone)
        assert timer is not None and timer.sent == 1 and timer.step == 1
    with cluster_stack.service.locked(PHONES[0]):
        cluster_stack.service.reset(PHONES[0])
    assert reminders.timers.get(PHONES[0]) is None
    assert reminders.timers.pending() == len(PHONES) - 1
