"""LangGraph's checkpointer conformance suite against RedisSaver on a real Redis server."""

from __future__ import annotations

import pytest
import redis
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import (
    BASE_CAPABILITIES,
    EXTENDED_CAPABILITIES,
)
from langgraph.checkpoint.conformance.report import ProgressCallbacks

from integrations.redis.saver import RedisSaver

SETTINGS = {
    "plain": {},
    # The service's settings: trimming and expiry must not change what a reader sees, so
    # keep_last is above the longest history the suite builds in one namespace (4).
    "ttl_and_trim": {"ttl_seconds": 3600, "keep_last": 6},
}


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
async def test_redis_saver_passes_every_capability(
    redis_client: redis.Redis, settings: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    @checkpointer_test(name=f"RedisSaver {settings}")
    async def redis_saver():
        yield RedisSaver(redis_client, **settings)

    report = await validate(redis_saver, progress=ProgressCallbacks.verbose())
    report.print_report()

    for capability in BASE_CAPABILITIES | EXTENDED_CAPABILITIES:
        result = report.results[capability.value]
        assert result.detected, f"{capability.value} not implemented"
        assert result.passed is True, f"{capability.value}: {result.failures}"
        assert result.tests_passed > 0
    assert report.conformance_level() == "FULL"
