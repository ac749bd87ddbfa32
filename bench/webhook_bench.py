"""Requests/second of the real WhatsApp webhook against a bare Flask endpoint, and end to end.

    .venv/bin/python -m bench.webhook_bench [--seconds 10] [--connections 50] [--generator auto]

1. Two gunicorns with the same settings serve a bare Flask app that only parses the JSON body,
   and `run_webhook:app` (signature, parsing, dedupe and queueing on a real redis-server started
   here). Both get signed Meta payloads, each with a message id of its own (any reuse is shown as
   "repeats"), from wrk when it is on the PATH, else from a pure-Python asyncio generator. The
   targets take turns in --load-rounds rounds, so that a shared machine's drift hits both alike.
   With --floor, a third target takes its turn too: the bare app plus the queue's one Redis write.
2. End to end with the rules brain: `iagente worker` answering through a local fake Graph API.
   K phones write once each, all at once; each phone writes again as soon as its reply arrived,
   so every message gets a reply of its own (a burst from one phone is answered once, by design).
   Checked: every post accepted, one reply per message, transcripts in order; exit 1 otherwise.

Everything started here (gunicorn, redis-server, worker, wrk) is stopped on exit, error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._common import (
    ChildError,
    Children,
    Load,
    group_cpu_seconds,
    group_rss_mb,
    have_wrk,
    run_python,
    run_wrk,
)

ROOT = Path(__file__).resolve().parents[1]
PATH = "/webhook/whatsapp"
SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "1122334455667"
RATIO_TARGET, P99_TARGET_MS = 0.7, 50.0
TARGETS = {"bare": "bench.webhook_bench:bare_app()", "real": "run_webhook:app"}
# --floor: the bare endpoint plus the one Redis write an accepted message needs.
FLOOR = "bench.webhook_bench:floor_app()"
TEXTS = ["Hola", "sí", "Soy Ana, 35 años, no fumo", "150.000 €", "20 años"]
# --e2e-seconds: each customer writes a whole sale, then a new customer takes their place.
SALE = [*TEXTS, "para mi familia", "sí", "la 2", "sí"]
# --harness: what posts the customers' messages and plays Meta's Graph API end to end.
HARNESSES = {
    "lean": "posting and Graph API in one thread: bench/_poster.py, bench/_graph_sink.py",
    "fake": "posting threads on http.client, testkit.fake_providers",
}


def bare_app():
    """The baseline: same server, same bodies, no signature, no Redis; gunicorn calls this."""
    from flask import Flask, jsonify, request

    app = Flask("bare")

    @app.post(PATH)
    def parse():
        payload = json.loads(request.get_data(cache=False))
        return jsonify(accepted=int(isinstance(payload, dict)), duplicates=0, statuses=0)

    return app


def floor_app():
    """The bare endpoint plus what an accepted message can't do without: the real queue's accept.

    No signature, no parsing into a message beyond the one field read, no log line, no hooks:
    what the real webhook costs above this is what the service adds to a durable write.
    """
    import redis
    from flask import Flask, jsonify, request

    from webhooks.inbound.messages import InboundMessage
    from webhooks.inbound.queue import MessageQueue

    queue = MessageQueue(redis.Redis.from_url(os.environ["REDIS_URL"]))
    app = Flask("floor")

    @app.post(PATH)
    def accept():
        payload = json.loads(request.get_data(cache=False))
        raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
        message = InboundMessage(
            provider="meta",
            channel="whatsapp",
            phone="+" + raw["from"],
            message_id=raw["id"],
            kind="text",
            text=raw["text"]["body"],
        )
        return jsonify(accepted=int(queue.accept(message)), duplicates=0, statuses=0)

    return app


# --- servers and requests ------------------------------------------------------------------------


def child_env(redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The service's configuration for a child: ours only, whatever the caller's shell has."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WHATSAPP_", "TWILIO_", "CHATWOOT_", "OPENAI_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),  # gunicorn imports bench.webhook_bench and run_webhook
        REDIS_URL=redis_url,
        VAR_DIR=str(var_dir),
        AGENT_BRAIN="rules",
        WHATSAPP_APP_SECRET=SECRET,
        LOG_LEVEL="INFO",  # what production runs with: one line per webhook and per turn
        # The pipeline's own speed: the typing pause's cost is bench/debounce_bench.py's.
        DEBOUNCE_SECONDS="0",
    )
    env.update(extra)
    return env


def start_gunicorn(
    children: Children, name: str, target: str, env: dict, args, cwd: Path
) -> tuple[int, subprocess.Popen]:
    """Start gunicorn on `target` on a free port; its port and process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-connections",
        str(args.worker_connections),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        target,
    ]
    proc = children.spawn(name, argv, env, cwd)  # cwd: no stray .env file gets read
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ChildError(f"{name} exited ({proc.returncode}):\n{children.log_tail(name)}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/webhook/status")  # any answer will do: the bare app has a 404
            conn.getresponse().read()
            return port, proc
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
        finally:
            conn.close()
    raise ChildError(f"{name} not answering on port {port}:\n{children.log_tail(name)}")


def post(port: int, headers: dict, body: bytes, conn=None) -> tuple[int, dict]:
    """POST `body` to the webhook; the status and the JSON answer."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", PATH, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if answer.status == 200 else {}
    finally:
        if own:
            conn.close()


def signed(phones: list[str], tag: str, count: int, text: str = "Hola") -> list[tuple]:
    """`count` signed Meta text webhooks from `phones` in turn, message ids unique per tag."""
    from testkit.signed import meta_headers, meta_text

    pool = []
    for n in range(count):
        body = meta_text(phones[n % len(phones)], text, f"wamid.bench.{tag}.{n}")
        pool.append((meta_headers(body, SECRET), body))
    return pool


def redis_cpu(client) -> float:
    """CPU seconds (user + system) Redis has used so far."""
    info = client.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


# --- part 1: requests per second -----------------------------------------------------------------


def load_phase(children: Children, env: dict, client, args, tmp: Path) -> list[dict]:
    """Part 1: load on the bare and the real webhook, one row per target and generator."""
    targets = {**TARGETS, "floor": FLOOR} if args.floor else TARGETS
    servers = {
        name: start_gunicorn(children, name, app, env, args, tmp) for name, app in targets.items()
    }
    phones = [f"+3460{n:07d}" for n in range(args.load_phones)]
    rows = []
    for gen in args.generators:

        def load(port: int, pool: list, seconds: float, gen=gen) -> Load:
            if gen == "wrk":
                return run_wrk(
                    port,
                    PATH,
                    pool,
                    connections=args.connections,
                    seconds=round(seconds),
                    workdir=tmp,
                )
            return run_python(port, PATH, pool, connections=args.connections, seconds=seconds)

        pace = {}
        for name, (port, _) in servers.items():
            warm = load(
                port,
                signed(phones, f"{name}.{gen}.warm", int(args.warmup * 5000)),
                max(1, args.warmup),
            )
            pace[name] = warm.rps
        rounds: dict[str, list[Load]] = {name: [] for name in servers}
        cpu: dict[str, defaultdict[int, float]] = {name: defaultdict(float) for name in servers}
        redis_seconds = dict.fromkeys(servers, 0.0)
        for r in range(args.load_rounds):
            for name, (port, proc) in servers.items():
                # Distinct ids for twice the warm-up's pace: a reused id is a duplicate, which
                # the webhook answers without queueing, and would flatter the result.
                size = min(args.max_pool, int(max(2 * pace[name], 3000) * args.round_seconds))
                pool = signed(phones, f"{name}.{gen}.{r}", size)
                before, redis_before = group_cpu_seconds(proc.pid), redis_cpu(client)
                rounds[name].append(load(port, pool, args.round_seconds))
                after = group_cpu_seconds(proc.pid)
                redis_seconds[name] += redis_cpu(client) - redis_before
                for pid, used in after.items():
                    cpu[name][pid] += used - before.get(pid, 0.0)
        for name in servers:
            total = Load.combined(rounds[name])
            rows.append(
                {
                    "target": name,
                    "load": total,
                    "rounds": [x.rps for x in rounds[name]],
                    # Per process, busiest first: do gunicorn's workers share the connections?
                    "server_cpu": sorted(
                        (s / total.seconds for s in cpu[name].values()), reverse=True
                    ),
                    "redis_cpu": redis_seconds[name] / total.seconds,
                }
            )
        print(f"  measured bare and real with {gen}", file=sys.stderr)
    # A graceful stop finishes the requests still queued when the load ended, before Redis is
    # emptied for part 2.
    for _, proc in servers.values():
        children.stop(proc)
    return rows


def print_table(rows: list[dict], args) -> bool:
    """The table and the verdicts; False when a request failed."""
    print(
        f"\nwebhook under load: gunicorn -w {args.workers} --threads {args.threads} "
        f"--worker-connections {args.worker_connections}, {args.connections} connections, "
        f"{args.load_rounds} alternating rounds of {args.round_seconds} s per target, after "
        f"{args.warmup:g} s warm-up, {os.cpu_count()} CPUs\n"
    )
    header = (
        f"{'target':6} {'gen':6} {'requests':>8} {'rps':>6} {'rps by round':>13} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6} {'repeats':>7}  cpu %: gen, redis, gunicorn processes"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for row in rows:
        load: Load = row["load"]
        by_round = "/".join(f"{x:.0f}" for x in row["rounds"])
        gunicorn = "+".join(f"{c * 100:.0f}" for c in row["server_cpu"] if c >= 0.005) or "?"
        print(
            f"{row['target']:6} {load.generator:6} {load.requests:>8} {load.rps:>6.0f} "
            f"{by_round:>13} {load.percentile_ms(50):>7.2f} {load.percentile_ms(99):>7.2f} "
            f"{load.errors:>6} {load.repeats:>7}  {load.generator_cpu / load.seconds * 100:.0f}, "
            f"{row['redis_cpu'] * 100:.0f}, {gunicorn}"
        )
        ok &= load.errors == 0
    by = {(r["target"], r["load"].generator): r["load"] for r in rows}
    by_row = {(r["target"], r["load"].generator): r for r in rows}
    for gen in args.generators:
        real, bare = by[("real", gen)], by[("bare", gen)]
        ratio = real.rps / bare.rps if bare.rps else 0.0
        p99 = real.percentile_ms(99)
        print(
            f"\n[{gen}] real/bare rps: {ratio:.2f}x "
            f"(target >= {RATIO_TARGET}x: {'PASS' if ratio >= RATIO_TARGET else 'FAIL'})"
        )
        print(
            f"[{gen}] real p99: {p99:.1f} ms at {args.connections} connections "
            f"(target < {P99_TARGET_MS:g} ms: {'PASS' if p99 < P99_TARGET_MS else 'FAIL'})"
        )
        # Throughput follows whatever else the machine runs; CPU per request does not.
        per_real, per_bare = (
            cpu_per_request_us(by_row[("real", gen)]),
            cpu_per_request_us(by_row[("bare", gen)]),
        )
        print(
            f"[{gen}] gunicorn + redis CPU per request: real {per_real:.0f} µs, bare "
            f"{per_bare:.0f} µs ({per_bare / per_real if per_real else 0:.2f}x the bare endpoint's "
            "throughput on a machine of its own)"
        )
        if ("floor", gen) in by:
            floor = by[("floor", gen)]
            print(
                f"[{gen}] floor (bare + the queue's one Redis write): "
                f"{floor.rps / bare.rps if bare.rps else 0:.2f}x the bare rps, p99 "
                f"{floor.percentile_ms(99):.1f} ms, CPU per request "
                f"{cpu_per_request_us(by_row[('floor', gen)]):.0f} µs"
            )
        if real.repeats:
            print(
                f"[{gen}] note: {real.repeats} real requests reused a message id "
                "(answered as duplicates, which skips the queueing)"
            )
    if not ok:
        print("\nFAIL: some requests got errors (see the errors column)")
    return ok


def cpu_per_request_us(row: dict) -> float:
    """Microseconds of gunicorn and Redis CPU per answered request."""
    load: Load = row["load"]
    seconds = (sum(row["server_cpu"]) + row["redis_cpu"]) * load.seconds
    return seconds / load.requests * 1e6 if load.requests else 0.0


def targets_missed(rows: list[dict]) -> bool:
    """Whether the real webhook missed the p99 or throughput target against the bare one."""
    by = {(r["target"], r["load"].generator): r["load"] for r in rows}
    return any(
        real.percentile_ms(99) >= P99_TARGET_MS or real.rps < RATIO_TARGET * by[("bare", gen)].rps
        for (target, gen), real in by.items()
        if target == "real"
    )


# --- part 2: end to end --------------------------------------------------------------------------


def wait_for_readers(client, count: int, children: Children, workers: dict) -> None:
    """Wait until `count` worker threads wait on the queue.

    Redis 6.2 lists a stream consumer only once it got an entry, so CLIENT LIST it is.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, proc in workers.items():
            if proc.poll() is not None:
                raise ChildError(f"{name} exited ({proc.returncode}):\n{children.log_tail(name)}")
        reading = [c for c in client.client_list() if c.get("cmd") in ("xreadgroup", "xautoclaim")]
        if len(reading) >= count:
            return
        time.sleep(0.1)
    tail = children.log_tail("worker0")
    raise ChildError(f"the worker did not read the queue within 60 s:\n{tail}")


def end_to_end(children: Children, env: dict, client, redis_url: str, args, tmp: Path) -> bool:
    """Part 2: customers through web app, queue and workers to the reply; True if all went well."""
    from bench._graph_sink import GraphSink
    from bench._poster import Posters
    from integrations.redis.conversations import ConversationStore
    from testkit.fake_providers import FakeProviders

    client.flushall()  # part 1 left tens of thousands of unanswered messages queued
    port, web = start_gunicorn(children, "real-e2e", TARGETS["real"], env, args, tmp)
    phones = [f"+3461{n:07d}" for n in range(args.phones)]
    with GraphSink() if args.harness == "lean" else FakeProviders() as providers:
        worker_env = child_env(
            redis_url,
            tmp / "var",
            WHATSAPP_API_URL=f"{providers.url}/v23.0",
            WHATSAPP_TOKEN="bench-token",
            WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
            WORKER_THREADS=str(args.worker_threads),
        )
        argv = [sys.executable, "-m", "webhooks.cli", "worker"]
        workers = {
            f"worker{n}": children.spawn(f"worker{n}", argv, worker_env, tmp)
            for n in range(args.worker_procs)
        }
        wait_for_readers(client, args.worker_procs * args.worker_threads, children, workers)
        post(port, *signed(["+34619999999"], "e2e.warm", 1)[0])
        if len(sent := providers.wait_for(1, timeout=30)) != 1:
            print(f"FAIL: {len(sent)} replies to the warm-up message")
            for problem in getattr(providers, "errors", ()):
                print(f"  the fake Graph API refused a request: {problem}")
            for name in workers:
                print(f"--- {name}\n{children.log_tail(name)}")
            return False

        script = SALE if args.e2e_seconds else TEXTS
        local = threading.local()
        posted_at: dict[tuple[str, int], float] = {}
        answers: dict[tuple[str, int], tuple[int, dict]] = {}
        refused: list[tuple[str, int]] = []  # posts that ended without a 200: the loop stops

        def request(key: tuple[str, int]) -> tuple[dict, bytes]:
            """The signed webhook of a phone's `turn`-th message, posted from now on."""
            phone, turn = key
            text = script[turn % len(script)]
            ((headers, body),) = signed([phone], f"e2e.{turn}.{phone}", 1, text)
            posted_at[key] = time.perf_counter()
            return headers, body

        def settle(key: tuple[str, int], result: tuple[int, dict], attempt: int) -> None:
            status, answer = answers[key] = result
            if status == 200 and answer.get("duplicates") == 1 and attempt == 2:
                answers[key] = (status, {**answer, "accepted": 1})  # the first got in
            if status != 200:
                refused.append(key)

        def send(phone: str, turn: int) -> None:
            """--harness fake: a posting thread's POST, on its own http.client connection."""
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers, body = request((phone, turn))
            for attempt in (1, 2):
                try:
                    result = post(port, headers, body, local.conn)
                    break
                except (OSError, http.client.HTTPException) as exc:
                    result = (0, {"error": repr(exc)})
                    local.conn.close()
                    local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    # gunicorn closes a keep-alive connection idle for 2 s; the same signed
                    # body again is safe (a repeat is answered as a duplicate, never queued).
                    if attempt == 2 or not isinstance(exc, ConnectionError | EOFError):
                        break
            settle((phone, turn), result, attempt)

        pids = [web.pid, *(p.pid for p in workers.values())]
        rss_before = [sum(group_rss_mb(pid).values()) for pid in pids]
        cpu_before = [sum(group_cpu_seconds(pid).values()) for pid in pids]
        cpu_before += [redis_cpu(client), time.process_time()]
        replies: dict[str, list[float]] = defaultdict(list)
        handled: set[int] = set()  # ids of the reply records counted in `replies`
        complete = 0
        finished = threading.Event()  # every phone has had all its replies
        # Sustained: new customers keep arriving until `until`; then the last ones finish.
        until = time.monotonic() + args.e2e_seconds
        deadline = until + args.e2e_timeout
        with contextlib.ExitStack() as stack:
            post_next: Callable[[tuple[str, int]], object]
            posters = None
            if isinstance(providers, GraphSink):
                # Posting, answering the workers and reacting to each reply all happen in the
                # sink's one thread: no thread wakes another per message.
                posters = Posters(providers, port, PATH, args.posters, request, settle)
                post_next = posters.submit
            else:
                pool = stack.enter_context(ThreadPoolExecutor(max_workers=args.posters))

                def post_next(key: tuple[str, int]) -> object:
                    return pool.submit(send, *key)

            def arrived(records: list[dict], now: float) -> None:
                """Replies reached the Graph API: their customers write again, or new ones come."""
                nonlocal complete
                for record in records:
                    handled.add(id(record))
                    phone = "+" + record["json"].get("to", "")
                    replies[phone].append(now)
                    got = len(replies[phone])
                    if got == args.turns:
                        complete += 1
                        if time.monotonic() < until:
                            phones.append(f"+3462{len(phones):07d}")
                            post_next((phones[-1], 0))
                    elif got < args.turns:
                        post_next((phone, got))
                if complete >= len(phones):
                    finished.set()

            first = [(phone, 0) for phone in phones]
            started = time.perf_counter()
            if isinstance(providers, GraphSink):
                providers.on_message = lambda record: arrived([record], time.perf_counter())
                providers.call_soon(lambda: [post_next(key) for key in first])
            else:
                for key in first:
                    post_next(key)
            seen = 1  # providers.sent[0] is the warm-up's reply
            # Not a scan of every answer per reply for a refused post (it grew with the run).
            while not finished.is_set() and not refused and time.monotonic() < deadline:
                if posters is not None:
                    finished.wait(0.5)
                    for key in posters.overdue(10.0):  # the posting threads' socket timeout
                        answers[key] = (0, {"error": "no answer within 10 s"})
                        refused.append(key)
                    continue
                with providers.changed:

                    def grew(seen: int = seen) -> bool:
                        return len(providers.sent) > seen

                    providers.changed.wait_for(grew, timeout=0.5)
                    new, seen = providers.sent[seen:], len(providers.sent)
                arrived(new, time.perf_counter())
            elapsed = time.perf_counter() - started
            if isinstance(providers, GraphSink):
                providers.on_message = None
        cpu_after = [sum(group_cpu_seconds(pid).values()) for pid in pids]
        cpu_after += [redis_cpu(client), time.process_time()]
        rss_after = [sum(group_rss_mb(pid).values()) for pid in pids]
        time.sleep(args.grace)  # room for a stray duplicate reply to show up
        late = [record for record in providers.sent[1:] if id(record) not in handled]
        sink_errors = list(getattr(providers, "errors", ()))  # FakeProviders drops such requests
    for record in late:
        replies["+" + record["json"].get("to", "")].append(float("inf"))
    cpu = [(b - a) / elapsed * 100 for a, b in zip(cpu_before, cpu_after, strict=True)]
    print(
        f"\nend to end, rules brain, {args.worker_procs} worker process(es) × "
        f"{args.worker_threads} threads, replies to a local fake Graph API "
        f"({HARNESSES[args.harness]}):"
    )
    print(
        f"  cpu % during the run: web {cpu[0]:.0f}, worker "
        f"{'+'.join(f'{c:.0f}' for c in cpu[1:-2])}, redis {cpu[-2]:.0f}, "
        f"bench (posting + fake API) {cpu[-1]:.0f}"
    )
    answered = sum(1 for status, body in answers.values() if status == 200 and body.get("accepted"))
    worker_cpu = sum(cpu_after[1:-2]) - sum(cpu_before[1:-2])
    print(
        f"  worker CPU per message: {worker_cpu * 1000 / max(answered, 1):.2f} ms "
        f"(all worker processes, /proc, {worker_cpu:.1f} s for {answered} messages)"
    )
    bench_cpu = cpu_after[-1] - cpu_before[-1]
    print(
        f"  bench CPU per message: {bench_cpu * 1000 / max(answered, 1):.2f} ms "
        f"(this process: posting, fake Graph API, main loop; {bench_cpu:.1f} s)"
    )
    names = ["web", *workers]
    print(
        "  memory (RSS MB) at start → end: "
        + ", ".join(
            f"{name} {a:.0f} → {b:.0f}"
            for name, a, b in zip(names, rss_before, rss_after, strict=True)
        )
    )
    ok = check_e2e(phones, answers, replies, posted_at, elapsed, ConversationStore(client), args)
    for problem in sink_errors[:5]:
        print(f"    the fake Graph API refused a request: {problem}")
    if sink_errors:
        print(f"  FAIL: the fake Graph API refused {len(sink_errors)} requests")
    return ok and not sink_errors


def check_e2e(phones, answers, replies, posted_at, elapsed, store, args) -> bool:
    """Report part 2 and whether every turn was answered once, in order, in time."""
    expected = len(phones) * args.turns
    refused = {k: v for k, v in answers.items() if v[0] != 200 or v[1].get("accepted") != 1}
    accepted = len(answers) - len(refused)
    missing = sum(max(0, args.turns - len(replies[p])) for p in phones)
    extra = sum(max(0, len(replies[p]) - args.turns) for p in phones)
    known = set(phones)
    strangers = sum(len(v) for p, v in replies.items() if p not in known)
    disordered = []
    for phone in phones:
        transcript = store.transcript(phone)
        shape = [(e["direction"], e.get("id")) for e in transcript]
        want = [
            pair
            for turn in range(args.turns)
            for pair in (("in", f"wamid.bench.e2e.{turn}.{phone}.0"), ("out", None))
        ]
        if shape != want or any(e.get("status") != "accepted" for e in transcript[1::2]):
            disordered.append((phone, shape))
    latency = sorted(
        (replies[p][t] - posted_at[p, t]) * 1000
        for p in phones
        for t in range(min(args.turns, len(replies[p])))
        if (p, t) in posted_at and replies[p][t] != float("inf")
    )
    q = statistics.quantiles(latency, n=100) if len(latency) > 1 else [float("nan")] * 99
    print(
        f"  {len(phones)} phones × {args.turns} messages = {expected} in {elapsed:.2f} s: "
        f"{accepted / elapsed:.1f} messages/s (accepted → reply at the fake Graph API); "
        f"post → reply p50 {q[49]:.0f} ms, p99 {q[98]:.0f} ms"
    )
    ok = not refused and accepted == expected and not (missing or extra or strangers or disordered)
    print(
        f"  check: {accepted}/{expected} accepted, {sum(map(len, replies.values()))} replies, "
        f"{missing} missing, {extra} duplicate, {strangers} to unknown phones, "
        f"{len(disordered)} transcripts not in/out in order: {'PASS' if ok else 'FAIL'}"
    )
    for (phone, turn), answer in list(refused.items())[:5]:
        print(f"    refused {phone} message {turn}: {answer}")
    for phone, shape in disordered[:5]:
        print(f"    transcript {phone}: {shape}")
    return ok


# --- in one thread: CPU per request without gunicorn ---------------------------------------------


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


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--seconds", type=float, default=10, help="measured load per target")
    p.add_argument("--warmup", type=float, default=2, help="warm-up load per target")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--generator", choices=["auto", "wrk", "python", "both"], default="auto")
    p.add_argument("--load-rounds", type=int, default=2, help="bare and real take turns")
    p.add_argument("--workers", type=int, default=2, help="gunicorn -w")
    p.add_argument("--threads", type=int, default=4, help="gunicorn --threads")
    p.add_argument(
        "--worker-connections",
        type=int,
        default=None,
        help="gunicorn --worker-connections (default: connections / workers; see bench/README)",
    )
    p.add_argument("--load-phones", type=int, default=1000, help="distinct senders under load")
    p.add_argument("--max-pool", type=int, default=300_000, help="most distinct bodies per run")
    p.add_argument("--phones", type=int, default=200, help="end to end: distinct phones")
    p.add_argument("--turns", type=int, default=2, help="end to end: messages per phone")
    p.add_argument("--worker-procs", type=int, default=1, help="end to end: `iagente worker`s")
    p.add_argument("--worker-threads", type=int, default=4, help="end to end: WORKER_THREADS")
    p.add_argument("--posters", type=int, default=8, help="end to end: posting threads")
    p.add_argument(
        "--e2e-seconds",
        type=float,
        default=0,
        help="end to end: keep new customers coming this long (each writes a whole sale)",
    )
    p.add_argument("--e2e-timeout", type=float, default=120)
    p.add_argument(
        "--harness",
        choices=list(HARNESSES),
        default="lean",
        help="end to end: post and play the Graph API leanly, or as before (see bench/README)",
    )
    p.add_argument("--grace", type=float, default=1.0, help="wait for stray replies after")
    p.add_argument(
        "--floor",
        action="store_true",
        help="also measure the bare endpoint plus the queue's one Redis write (floor_app)",
    )
    p.add_argument(
        "--inprocess",
        action="store_true",
        help="only CPU per request of bare, floor and real called in this thread (no gunicorn)",
    )
    p.add_argument("--inprocess-rounds", type=int, default=7, help="--inprocess: rounds per app")
    p.add_argument(
        "--inprocess-requests", type=int, default=2000, help="--inprocess: requests per round"
    )
    p.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="--inprocess: then print the N top entries of a cProfile of the real app",
    )
    p.add_argument("--profile-sort", choices=["cumulative", "tottime"], default="cumulative")
    p.add_argument("--skip-load", action="store_true")
    p.add_argument("--skip-e2e", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the logs and data directory")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed too")
    args = p.parse_args(argv)
    if args.generator == "wrk" and not have_wrk():
        p.error("wrk is not on the PATH (apt-get install wrk), or use --generator python")
    if args.generator == "auto":
        args.generator = "wrk" if have_wrk() else "python"
    args.generators = ["wrk", "python"] if args.generator == "both" else [args.generator]
    if args.e2e_seconds and args.turns == 2:
        args.turns = len(SALE)  # a whole sale per customer
    args.round_seconds = max(1, round(args.seconds / args.load_rounds))  # wrk: whole seconds
    if args.worker_connections is None:
        args.worker_connections = -(-args.connections // args.workers)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run both parts; exit status 0 if they passed, 1 if a check failed, 2 if a child failed."""
    args = parse_args(argv)
    import redis

    from integrations.redis.server import RedisProcess

    def terminate(*_):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, terminate)
    # Also when started from a script that ignores SIGINT for background jobs: redis-server,
    # which shares our process group, would still die of it while we went on without it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    tmp = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    try:
        if args.inprocess:
            return in_process(args, tmp)
        # Children stop before Redis does: a worker whose Redis vanished dies with tracebacks.
        with RedisProcess(tmp / "redis") as server, Children(tmp) as children:
            client = redis.Redis.from_url(server.url)
            env = child_env(server.url, tmp / "var")
            rows = [] if args.skip_load else load_phase(children, env, client, args, tmp)
            load_ok = not rows or print_table(rows, args)
            e2e_ok = args.skip_e2e or end_to_end(children, env, client, server.url, args, tmp)
            client.close()
        strict_ok = not (args.strict and rows and targets_missed(rows))
        return 0 if load_ok and e2e_ok and strict_ok else 1
    except KeyboardInterrupt:
        print("\ninterrupted: everything this bench started is stopped", file=sys.stderr)
        return 130
    except (ChildError, redis.RedisError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"logs and data kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
