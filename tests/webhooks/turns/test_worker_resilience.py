"""A worker thread outlives a Redis outage instead of dying with it."""

import threading
import time

import redis

from testkit.stack import post_meta, running
from webhooks.inbound.queue import MessageQueue
from webhooks.turns.worker import Worker


def test_the_worker_loop_survives_an_unreachable_redis():
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    worker = Worker(service=None, queue=MessageQueue(dead), channels=None, block_ms=100)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    thread.join(timeout=1.5)
    assert thread.is_alive()  # still retrying, not crashed
    stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive()


def test_a_message_that_found_the_phone_locked_is_answered_as_soon_as_the_lock_is_let_go(
    redis_url, redis_client
):
    """Not after the 30 s a stale notification takes to be claimed again.

    The lock's holder (an agent's reply being sent, an operator closing the conversation) nudges
    the queue.
    """
    with running(redis_url, claim_idle_seconds=30) as stack:
        stack.start_workers(2)
        phone = "+34633000001"
        held = stack.service.locked(phone)
        with held:
            post_meta(stack, phone, "Hola", "wamid.locked.1")
            queue = stack.services.queue
            missed = stack.service.store.keys(phone).of("missed")
            deadline = time.monotonic() + 10
            while not redis_client.exists(missed):
                assert time.monotonic() < deadline, "no worker tried the phone"
                time.sleep(0.01)
            assert stack.providers.texts_to(phone) == []
        queue.nudge(phone)
        started = time.monotonic()
        assert stack.providers.wait_for(1, timeout=10)
        assert time.monotonic() - started < 5
        assert len(stack.providers.texts_to(phone)) == 1
