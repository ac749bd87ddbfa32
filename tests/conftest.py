"""Shared fixtures. Redis-backed tests run against a real server process, never fakeredis."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from integrations.redis.server import RedisProcess

# --- Redis: one real server for the session ------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the session's Redis: TEST_REDIS_URL if set, else a throwaway local server."""
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    data_dir: Path = tmp_path_factory.mktemp("redis")
    with RedisProcess(data_dir) as server:
        yield server.url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """URL of the database the tests own (and flush)."""
    url = redis_server
    if os.environ.get("TEST_REDIS_URL"):
        # A server we did not start may hold someone's data: confine the tests (and the
        # FLUSHDB before each one) to db 15.
        url = urlsplit(redis_server)._replace(path="/15").geturl()
    client = redis.Redis.from_url(url)
    client.flushdb()  # every test starts from an empty database
    client.close()
    return url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the tests' database, emptied before each test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


# --- Retries: waits recorded instead of slept ----------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits a retry policy asks for, recorded instead of slept (stamina sleeps through
    `time.sleep`). Not `stamina.set_testing`: that zeroes the waits and caps the attempts, and
    the clients' tests check both (Retry-After honoured, backoff bounds, attempts capped)."""
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited
