"""Shared fixtures. Redis-backed tests run against a real server process, never fakeredis."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from integrations.redis.server import RedisProcess
from testkit.settings import settings_for
from testkit.stack import Stack, running
from webhooks.app import create_app
from webhooks.services import Services, build_services
from webhooks.settings import Settings

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


# --- The service: settings, its parts, the web app and a client (as in flaskr) ---------------


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """The service's settings on the tests' Redis, with the offline rules brain."""
    return settings_for(redis_url)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The service's collaborators, built from `settings` as the real service builds them."""
    built = build_services(settings)
    yield built
    built.redis.close()


@pytest.fixture
def app(services: Services) -> Flask:
    """The web app on `services`."""
    return create_app(services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of `app`."""
    return app.test_client()


@pytest.fixture
def stack_settings() -> dict[str, Any]:
    """What `stack` sets on top of the running stack's settings; a test file overrides this."""
    return {}


@pytest.fixture
def stack(redis_url: str, stack_settings: dict[str, Any]) -> Iterator[Stack]:
    """The whole service running against fake providers; workers start on `.start_workers()`."""
    with running(redis_url, **stack_settings) as running_stack:
        yield running_stack


# --- Retries: waits recorded instead of slept ----------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits a retry policy asks for, recorded instead of slept.

    stamina sleeps through `time.sleep`. Not `stamina.set_testing`: that zeroes the waits and caps
    the attempts, and the clients' tests check both (Retry-After honoured, backoff bounds,
    attempts capped).
    """
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited
