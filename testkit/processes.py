"""Waiting in tests, and worker processes started as the operator starts them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def wait_until(check: Callable[..., Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`iagente worker` with one thread, in its own process, configured by `env`."""
    return subprocess.Popen(
        [sys.executable, "-m", "webhooks.cli", "worker", "--threads", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
