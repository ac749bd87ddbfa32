"""webhook_bench --inprocess: the bare, floor and real apps called in this thread, no server."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from bench._common import (
    ChildError,
)
from bench._webhook_stack import PATH, bare_app, child_env, floor_app, signed


def wsgi_environ(headers: dict[str, str], body: bytes) -> dict:
    """The WSGI environ of one signed POST, as gunicorn would hand it to the app."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(PATH, method="POST", headers=list(headers.items()), data=body)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call_apps(apps: dict, round_no: int, count: int, chunk: int = 50) -> dict[str, float]:
    """Each app called `count` times, `chunk` requests at a time in turn: CPU per request, in µs.

    Turns of a few milliseconds let the machine's drift (other users, clock speed) hit every app
    alike. Every call gets a message id of its own (a reused one would be answered as a
    duplicate, which skips the queueing); every answer must be a 200 with the message accepted.
    """
    phones = [f"+3460{n:07d}" for n in range(50)]
    environs = {
        name: [wsgi_environ(h, b) for h, b in signed(phones, f"{name}.{round_no}", count)]
        for name in apps
    }
    spent = dict.fromkeys(apps, 0.0)
    bodies: dict[str, list[bytes]] = {name: [] for name in apps}
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    for first in range(0, count, chunk):
        for name, app in apps.items():
            batch, answers = environs[name][first : first + chunk], bodies[name]
            started = time.thread_time()
            answers.extend(b"".join(app(environ, start_response)) for environ in batch)
            spent[name] += time.thread_time() - started
    refused = [s for s in statuses if s != "200 OK"]
    unaccepted = [b for each in bodies.values() for b in each if b'"accepted":1' not in b]
    if refused or unaccepted:
        raise ChildError(f"answers not an accepted 200: {refused[:3]} {unaccepted[:3]}")
    return {name: seconds / count * 1e6 for name, seconds in spent.items()}


def profile_real(app, count: int, top: int, sort: str) -> None:
    """A cProfile of the real app (thread CPU) over `count` requests: `top` rows by `sort`."""
    import cProfile
    import pstats

    environs = [wsgi_environ(h, b) for h, b in signed(["+34600001111"], "profile", count)]
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for environ in environs:
        b"".join(app(environ, lambda *_: None))
    profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(top)


def in_process(args, tmp: Path) -> int:
    """--inprocess: bare, floor and real called directly in this thread, taking turns by round.

    No sockets, no gunicorn, no other thread: the CPU each app spends on a request, which the
    machine's other users change far less than requests/s. The real app logs its INFO line to a
    file, as under gunicorn.
    """
    import logging

    from integrations.redis.server import RedisProcess

    with RedisProcess(tmp / "redis") as server:
        os.environ.update(child_env(server.url, tmp / "var"))
        os.chdir(tmp)  # no stray .env file gets read, as for the children
        from webhooks.app import create_app
        from webhooks.settings import load_settings

        logging.getLogger().handlers.clear()  # logs.configure installs its own, on stderr
        sys.stderr.flush()
        with open(tmp / "real.log", "w") as log_file:
            saved_stderr, sys.stderr = sys.stderr, log_file
            try:
                real = create_app(load_settings())
                apps = {"bare": bare_app(), "floor": floor_app(), "real": real}
            finally:
                sys.stderr = saved_stderr
            spent: dict[str, list[float]] = {name: [] for name in apps}
            for round_no in range(args.inprocess_rounds):
                for name, us in call_apps(apps, round_no, args.inprocess_requests).items():
                    spent[name].append(us)
            if args.profile:
                profile_real(apps["real"], args.inprocess_requests, args.profile, args.profile_sort)
    print(
        f"\none thread, WSGI apps called directly: {args.inprocess_rounds} rounds of "
        f"{args.inprocess_requests} requests per app, thread CPU per request (µs)\n"
    )
    print(f"{'app':6} {'median':>7} {'min':>7}  by round")
    for name, values in spent.items():
        rounds = " ".join(f"{v:.0f}" for v in values)
        print(f"{name:6} {statistics.median(values):>7.0f} {min(values):>7.0f}  {rounds}")
    med = {name: statistics.median(values) for name, values in spent.items()}
    print(
        f"\nreal - floor: {med['real'] - med['floor']:.0f} µs; real / floor: "
        f"{med['real'] / med['floor']:.2f}x; bare / real: {med['bare'] / med['real']:.2f}x "
        f"(bare / floor: {med['bare'] / med['floor']:.2f}x)"
    )
    return 0
