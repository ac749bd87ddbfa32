"""StatsStore.record_turn: a turn's counters in one script, read back by `report`."""

from __future__ import annotations

import pytest

from integrations.redis.stats import RESPONSE_SAMPLES, StatsStore

NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC
STAGES = ("INICIO", "NEEDS_ANALYSIS", "COTIZACION")


@pytest.fixture
def stats(redis_client) -> StatsStore:
    return StatsStore(redis_client, STAGES, clock=lambda: NOW)


def test_every_counter_of_a_turn_is_written_and_expires(stats, redis_client):
    stats.record_turn(
        "+34600000001", inbound=2, outbound=1, started=True, stage="COTIZACION", arrived=NOW - 1.5
    )
    stats.record_turn(
        "+34600000002",
        inbound=1,
        outbound=1,
        started=False,
        stage="INICIO",
        arrived=NOW - 0.5,
        lead=True,
    )
    stats.record_turn(
        "+34600000002", inbound=1, outbound=0, started=False, stage="INICIO", arrived=NOW
    )

    report = stats.report(stats.now().date())

    assert (report.messages_in, report.messages_out, report.conversations_started) == (4, 2, 1)
    assert report.responses == 2 and report.avg_response_ms == 1000.0
    assert report.p90_response_ms == 1500.0
    assert report.active_users_24h == 2 and report.leads == 1
    assert [s.reached for s in report.funnel] == [2, 1, 1]
    keys = redis_client.keys("iagente:{stats}:*")
    assert len(keys) == 6  # day, samples, two stages, leads, users of the hour
    assert all(redis_client.ttl(k) > 0 for k in keys)
    samples = redis_client.lrange(stats._samples(stats.now().date()), 0, -1)
    assert samples == [b"500", b"1500"] and len(samples) <= RESPONSE_SAMPLES


def test_a_failed_count_is_logged_not_raised(stats, redis_client, caplog):
    redis_client.set(stats._day(stats.now().date()), "x")  # WRONGTYPE for HINCRBY

    stats.record_turn(
        "+34600000001", inbound=1, outbound=1, started=True, stage="INICIO", arrived=None
    )

    assert "stats not recorded: ResponseError" in caplog.text
