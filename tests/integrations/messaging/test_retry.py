"""RetryPolicy: the first attempt outside stamina, and then exactly what stamina alone does."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
import stamina

from integrations.messaging.base import SendError, TransientSendError
from integrations.messaging.retry import RetryPolicy

POLICY = RetryPolicy(attempts=4, timeout=30.0, wait_initial=0.5, wait_max=4.0, wait_jitter=0.5)

pytestmark = pytest.mark.usefixtures("sleeps")  # retry waits recorded, never slept


def stamina_alone(policy: RetryPolicy, fn: Callable[[], str], idempotent: bool) -> str:
    """The policy as it was: every call inside a `stamina.RetryingCaller`."""
    deadline = time.monotonic() + policy.timeout

    def retry_on(exc: Exception) -> bool | float:
        if not isinstance(exc, TransientSendError) or (exc.maybe_sent and not idempotent):
            return False
        if exc.retry_after is None:
            return True
        if time.monotonic() + exc.retry_after > deadline:
            return False
        return exc.retry_after

    caller = stamina.RetryingCaller(
        attempts=policy.attempts,
        timeout=policy.timeout,
        wait_initial=policy.wait_initial,
        wait_max=policy.wait_max,
        wait_jitter=policy.wait_jitter,
    )
    return caller(retry_on, fn)


def transient(**kwargs: object) -> TransientSendError:
    return TransientSendError("busy", provider="meta", **kwargs)  # type: ignore[arg-type]


SCENARIOS = {
    "ok at once": [],
    "ok at the third": [transient(), transient()],
    "always busy": [transient()] * 5,
    "retry-after": [transient(retry_after=7.0), transient(retry_after=2.5)],
    "retry-after past the limit": [transient(retry_after=60.0)],
    "maybe sent": [transient(maybe_sent=True)],
    "permanent after a retry": [transient(), SendError("no", provider="meta")],
}


def run(call: Callable[..., str], failures: list[Exception], idempotent: bool, sleeps: list):
    """What a call does: its answer or error, its attempts, the waits it asked for."""
    random.seed(13)  # stamina's jitter: the same draws for both
    sleeps.clear()
    left = list(failures)
    attempts = 0

    def fn() -> str:
        nonlocal attempts
        attempts += 1
        if left:
            raise left.pop(0)
        return "sent"

    try:
        result: object = call(POLICY, fn, idempotent)
    except SendError as exc:
        result = exc
    return result, attempts, list(sleeps)


@pytest.mark.parametrize("idempotent", [False, True])
@pytest.mark.parametrize("name", SCENARIOS)
def test_it_does_what_stamina_alone_does(name, idempotent, sleeps):
    ours = run(
        lambda policy, fn, idempotent: policy.call(fn, idempotent=idempotent),
        SCENARIOS[name],
        idempotent,
        sleeps,
    )
    theirs = run(stamina_alone, SCENARIOS[name], idempotent, sleeps)
    assert ours == theirs


def test_the_waits_and_attempts_are_the_policys(sleeps):
    result, attempts, waits = run(
        lambda policy, fn, idempotent: policy.call(fn), SCENARIOS["always busy"], False, sleeps
    )
    assert isinstance(result, TransientSendError) and attempts == POLICY.attempts
    assert len(waits) == POLICY.attempts - 1
    assert all(0 < wait <= POLICY.wait_max + POLICY.wait_jitter for wait in waits)
    _, attempts, waits = run(
        lambda policy, fn, idempotent: policy.call(fn), SCENARIOS["retry-after"], False, sleeps
    )
    assert attempts == 3 and waits == [7.0, 2.5]


def test_stamina_inactive_means_one_attempt(sleeps):
    stamina.set_active(False)
    try:
        result, attempts, waits = run(
            lambda policy, fn, idempotent: policy.call(fn), SCENARIOS["always busy"], False, sleeps
        )
    finally:
        stamina.set_active(True)
    assert isinstance(result, TransientSendError) and (attempts, waits) == (1, [])
