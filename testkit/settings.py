"""The service's settings as tests make them: no .env file, the rules brain, the tests' Redis."""

from __future__ import annotations

from typing import Any

from webhooks.settings import Settings


def settings_for(redis_url: str | None, **overrides: Any) -> Settings:
    """Settings on `redis_url` with the offline rules brain; `overrides` set anything else.

    No .env file is read, so a developer's own configuration can't leak into a test. The typing
    pause is off (DEBOUNCE_SECONDS=0) unless a test turns it on: turns start when they are due.
    """
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "agent_brain": "rules",
        "debounce_seconds": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)
