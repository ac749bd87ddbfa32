"""A worker thread outlives a Redis outage instead of dying with it."""

import threading

import redis

from webhooks.queue import MessageQueue
from webhooks.worker import Worker


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
