"""Requests/second of the real WhatsApp webhook against a bare Flask endpoint, and end to end.

    .venv/bin/python bench/webhook_bench.py [--seconds 10] [--connections 50] [--generator auto]

1. The same gunicorn settings serve, one after the other, a bare Flask app that only parses the
   JSON body and `run_webhook:app` (signature check, parsing, dedupe and queueing on a real
   redis-server started here). Each is loaded on 127.0.0.1 with signed Meta payloads, every one
   with its own message id (a pool sized from the warm-up; any reuse is reported as "repeats"),
   by wrk when it is on the PATH, else by a pure-Python asyncio generator.
2. End to end with the rules brain: `iagente worker` sending through a local fake Graph API.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(BENCH)]

from _common import (  # noqa: E402
    Children,
    ChildError,
    Load,
    group_cpu_seconds,
    have_wrk,
    run_python,
    run_wrk,
)

PATH = "/webhook/whatsapp"
SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "1122334455667"
RATIO_TARGET, P99_TARGET_MS = 0.5, 50.0


def bare_app():
    """The baseline: same server, same body, no signature, no Redis; gunicorn calls this."""
    from flask import Flask, jsonify, request

    app = Flask("bare")

    @app.post(PATH)
    def parse():
        payload = json.loads(request.get_data(cache=False))
        return jsonify(accepted=int(isinstance(payload, dict)), duplicates=0, statuses=0)

    return app


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "TWILIO_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT), str(BENCH)]),
        REDIS_URL=redis_url,
        VAR_DIR=str(var_dir),
        AGENT_BRAIN="rules",
        WHATSAPP_APP_SECRET=SECRET,
        LOG_LEVEL="WARNING",
        **extra,
    )
    env.pop("OPENAI_API_KEY", None)
    return env


def start_gunicorn(
    children: Children, name: str, target: str, env: dict, args, cwd: Path
) -> tuple[int, subprocess.Popen]:
    port = free_port()
    argv = [
        sys.executable, "-m", "gunicorn", "-w", str(args.workers), "--threads", str(args.threads),
        "-b", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5",
        "--worker-connections", str(args.worker_connections), "--log-level", "warning", target,
    ]
    proc = children.spawn(name, argv, env, cwd)
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
    from tests.signed import meta_headers, meta_text

    pool = []
    for n in range(count):
        body = meta_text(phones[n % len(phones)], text, f"wamid.bench.{tag}.{n}")
        pool.append((meta_headers(body, SECRET), body))
    return pool


# --- part 1: requests per second -----------------------------------------------------------------


def measure(target: str, port: int, pgid: int, generator: str, args, workdir: Path) -> dict:
    phones = [f"+3460{n:07d}" for n in range(args.load_phones)]

    def load(pool: list, seconds: float) -> Load:
        if generator == "wrk":
            return run_wrk(port, PATH, pool, connections=args.connections, seconds=seconds,
                           workdir=workdir)
        return run_python(port, PATH, pool, connections=args.connections, seconds=seconds)

    warm_pool = signed(phones, f"{target}.{generator}.warm", int(args.warmup * 4000))
    warm = load(warm_pool, args.warmup)
    # Enough distinct message ids for twice the warm-up's pace: a reused id is a duplicate,
    # which the webhook answers without queueing (cheaper, so it would flatter the result).
    size = min(args.max_pool, int(max(2 * warm.rps, 3000) * args.seconds))
    pool = signed(phones, f"{target}.{generator}.run", size)
    cpu_before = group_cpu_seconds(pgid)
    result = load(pool, args.seconds)
    cpu_after = group_cpu_seconds(pgid)
    # Per process, busiest first: gunicorn's workers do not always share the connections evenly.
    server_cpu = sorted(
        ((cpu_after[pid] - cpu_before.get(pid, 0.0)) / result.seconds for pid in cpu_after),
        reverse=True,
    )
    return {"target": target, "load": result, "server_cpu": server_cpu}


def print_table(rows: list[dict], args) -> bool:
    """The table and the verdicts; False when a request failed."""
    print(
        f"\nlatency/throughput: gunicorn -w {args.workers} --threads {args.threads}, "
        f"{args.connections} connections, {args.seconds:g} s per target after "
        f"{args.warmup:g} s warm-up, {os.cpu_count()} CPUs\n"
    )
    header = (f"{'target':7} {'gen':6} {'requests':>9} {'rps':>8} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'errors':>6} {'repeats':>7} {'gen cpu':>7}  server cpu % by process")
    print(header)
    print("-" * len(header))
    ok = True
    for row in rows:
        load: Load = row["load"]
        cpu = "+".join(f"{c * 100:.0f}" for c in row["server_cpu"] if c >= 0.005) or "?"
        print(f"{row['target']:7} {load.generator:6} {load.requests:>9} {load.rps:>8.0f} "
              f"{load.p50_ms:>7.2f} {load.p99_ms:>7.2f} {load.errors:>6} {load.repeats:>7} "
              f"{load.generator_cpu / load.seconds * 100:>6.0f}%  {cpu}")
        ok &= load.errors == 0
    print(f"(cpu: % of one core; the {os.cpu_count()} cores are shared by the generator, "
          "redis-server and gunicorn, whose processes are listed busiest first)")
    by = {(r["target"], r["load"].generator): r["load"] for r in rows}
    for gen in dict.fromkeys(r["load"].generator for r in rows):
        real, bare = by.get(("real", gen)), by.get(("bare", gen))
        if real is None or bare is None:
            continue
        ratio = real.rps / bare.rps if bare.rps else 0.0
        print(f"\n[{gen}] real/bare rps: {ratio:.2f}x "
              f"(target >= {RATIO_TARGET}x: {'PASS' if ratio >= RATIO_TARGET else 'FAIL'})")
        print(f"[{gen}] real p99: {real.p99_ms:.1f} ms at {args.connections} connections "
              f"(target < {P99_TARGET_MS:g} ms: {'PASS' if real.p99_ms < P99_TARGET_MS else 'FAIL'})")
        if real.repeats:
            print(f"[{gen}] note: {real.repeats} real requests reused a message id "
                  "(answered as duplicates, which skips the queueing)")
    if not ok:
        print("\nFAIL: some requests got errors (see the errors column)")
    return ok


# --- part 2: end to end --------------------------------------------------------------------------


def wait_for_consumers(client, count: int, timeout: float, children: Children, workers) -> None:
    """Until `count` worker threads wait on the queue: only then are they really listening.
    (Redis 6.2 lists a consumer only once it got an entry, so ask CLIENT LIST instead.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in workers:
            if proc.poll() is not None:
                raise ChildError(f"{name} exited ({proc.returncode}):\n{children.log_tail(name)}")
        reading = [c for c in client.client_list() if c.get("cmd") in ("xreadgroup", "xautoclaim")]
        if len(reading) >= count:
            return
        time.sleep(0.1)
    tail = children.log_tail(workers[0][0])
    raise ChildError(f"the worker did not read the queue within {timeout:g} s:\n{tail}")


def end_to_end(children: Children, env: dict, redis_url: str, args, tmp: Path) -> bool:
    import redis

    from integrations.conversation_store import ConversationStore
    from tests.fake_providers import FakeProviders

    client = redis.Redis.from_url(redis_url)
    client.flushall()  # part 1 left tens of thousands of unanswered messages queued
    port, _ = start_gunicorn(children, "real-e2e", "run_webhook:app", env, args, tmp)
    store = ConversationStore(client)
    rounds, texts = args.rounds, ["Hola", "sí", "Soy Ana, 35 años, no fumo", "150.000 €"]
    phones = [f"+3461{n:07d}" for n in range(args.phones)]
    with FakeProviders() as providers:
        worker_env = child_env(
            redis_url, tmp / "var",
            WHATSAPP_API_URL=f"{providers.url}/v23.0", WHATSAPP_TOKEN="bench-token",
            WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WORKER_THREADS=str(args.worker_threads),
        )
        argv = [sys.executable, "-m", "webhooks.cli", "worker"]
        workers = [
            (f"worker{n}", children.spawn(f"worker{n}", argv, worker_env, tmp))
            for n in range(args.worker_procs)
        ]
        wait_for_consumers(client, args.worker_procs * args.worker_threads, 60, children, workers)
        warm = signed(["+34619999999"], "e2e.warm", 1)[0]
        print(f"warm-up post: {post(port, *warm)}", file=sys.stderr)
        if len(sent := providers.wait_for(1, timeout=30)) != 1:
            print(f"FAIL: {len(sent)} replies to the warm-up message: {sent}")
            print(children.log_tail("worker0"))
            return False

        local = threading.local()
        posted_at: dict[tuple[str, int], float] = {}
        answers: dict[tuple[str, int], tuple[int, dict]] = {}

        def send(phone: str, rnd: int) -> None:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            ((headers, body),) = signed([phone], f"e2e.{rnd}.{phone}", 1, texts[rnd % len(texts)])
            posted_at[phone, rnd] = time.perf_counter()
            try:
                answers[phone, rnd] = post(port, headers, body, local.conn)
            except (OSError, http.client.HTTPException) as exc:
                answers[phone, rnd] = (0, {"error": repr(exc)})
                local.conn.close()
                del local.conn

        replies: dict[str, list[float]] = defaultdict(list)
        seen, complete = 1, 0  # the warm-up reply is providers.sent[0]
        deadline = time.monotonic() + args.e2e_timeout
        with ThreadPoolExecutor(max_workers=args.posters) as pool:
            started = time.perf_counter()
            for phone in phones:
                pool.submit(send, phone, 0)
            while complete < len(phones) and time.monotonic() < deadline:
                with providers.changed:
                    providers.changed.wait_for(lambda: len(providers.sent) > seen, timeout=0.5)
                    new, seen = providers.sent[seen:], len(providers.sent)
                now = time.perf_counter()
                for record in new:
                    phone = "+" + record["json"].get("to", "")
                    replies[phone].append(now)
                    got = len(replies[phone])
                    if got == rounds:
                        complete += 1
                    elif got < rounds:
                        pool.submit(send, phone, got)
                if any(status != 200 for status, _ in list(answers.values())):
                    break
            elapsed = time.perf_counter() - started
            time.sleep(args.grace)  # room for a stray duplicate reply to show up
        late = providers.sent[seen:]

    return report_e2e(
        phones, rounds, answers, replies, late, posted_at, elapsed, store, args
    )


def report_e2e(phones, rounds, answers, replies, late, posted_at, elapsed, store, args) -> bool:
    expected = len(phones) * rounds
    refused = {k: v for k, v in answers.items() if v[0] != 200 or v[1].get("accepted") != 1}
    accepted = len(answers) - len(refused)
    for record in late:
        replies["+" + record["json"].get("to", "")].append(float("inf"))
    missing = sum(max(0, rounds - len(replies[p])) for p in phones)
    extra = sum(max(0, len(replies[p]) - rounds) for p in phones)
    strangers = sum(len(v) for p, v in replies.items() if p not in set(phones))
    disordered = []
    for phone in phones:
        transcript = store.transcript(phone)
        ids = [f"wamid.bench.e2e.{r}.{phone}.0" for r in range(rounds)]
        shape = [(e["direction"], e.get("id")) for e in transcript]
        want = [pair for i in ids for pair in (("in", i), ("out", None))]
        if shape != want or any(e.get("status") != "accepted" for e in transcript[1::2]):
            disordered.append(phone)
    latency = [
        (replies[p][r] - posted_at[p, r]) * 1000
        for p in phones for r in range(rounds)
        if r < len(replies[p]) and (p, r) in posted_at and replies[p][r] != float("inf")
    ]
    q = statistics.quantiles(latency, n=100) if len(latency) > 1 else [float("nan")] * 99
    print(
        f"\nend to end (rules brain, {args.worker_procs} worker process(es) × "
        f"{args.worker_threads} threads, fake Graph API): {len(phones)} phones × {rounds} rounds "
        f"= {expected} messages in {elapsed:.2f} s: {accepted / elapsed:.1f} messages/s; "
        f"post→reply p50 {q[49]:.0f} ms, p99 {q[98]:.0f} ms"
    )
    ok = not refused and accepted == expected and not (missing or extra or strangers or disordered)
    print(
        f"check: {accepted}/{expected} accepted, {sum(map(len, replies.values()))} replies, "
        f"{missing} missing, {extra} duplicate, {strangers} to unknown phones, "
        f"{len(disordered)} transcripts out of order: {'PASS' if ok else 'FAIL'}"
    )
    for (phone, rnd), answer in list(refused.items())[:5]:
        print(f"  refused {phone} round {rnd}: {answer}")
    for phone in disordered[:5]:
        print(f"  transcript {phone}: {[(e['direction'], e.get('id')) for e in store.transcript(phone)]}")
    return ok


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None):
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--seconds", type=float, default=10, help="measured load per target")
    p.add_argument("--warmup", type=float, default=2, help="warm-up load per target")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--generator", choices=["auto", "wrk", "python", "both"], default="auto")
    p.add_argument("--workers", type=int, default=2, help="gunicorn -w")
    p.add_argument("--threads", type=int, default=4, help="gunicorn --threads")
    p.add_argument(
        "--worker-connections", type=int, default=None,
        help="gunicorn --worker-connections (default: connections / workers, see README)",
    )
    p.add_argument("--load-phones", type=int, default=1000, help="distinct senders under load")
    p.add_argument("--max-pool", type=int, default=300_000, help="most distinct bodies per run")
    p.add_argument("--phones", type=int, default=200, help="end to end: distinct phones")
    p.add_argument("--rounds", type=int, default=2, help="end to end: messages per phone")
    p.add_argument("--worker-procs", type=int, default=1, help="end to end: `iagente worker`s")
    p.add_argument("--worker-threads", type=int, default=4, help="end to end: WORKER_THREADS")
    p.add_argument("--posters", type=int, default=8, help="end to end: posting threads")
    p.add_argument("--e2e-timeout", type=float, default=120)
    p.add_argument("--grace", type=float, default=1.0, help="wait for stray replies after")
    p.add_argument("--skip-e2e", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the logs and data directory")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    if args.generator == "wrk" and not have_wrk():
        p.error("wrk is not on the PATH (apt-get install wrk), use --generator python")
    if args.worker_connections is None:
        args.worker_connections = -(-args.connections // args.workers)
    if args.generator == "auto":
        args.generator = "wrk" if have_wrk() else "python"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from integrations.redis_server import RedisProcess

    generators = ["wrk", "python"] if args.generator == "both" else [args.generator]

    def terminate(*_):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, terminate)
    tmp = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    try:
        # Children stop first: a worker whose Redis went away first dies with tracebacks.
        with RedisProcess(tmp / "redis") as redis_server, Children(tmp) as children:
            env = child_env(redis_server.url, tmp / "var")
            rows = []
            for target, app in (("bare", "webhook_bench:bare_app()"), ("real", "run_webhook:app")):
                port, server = start_gunicorn(children, target, app, env, args, tmp)
                for gen in generators:
                    rows.append(measure(target, port, server.pid, gen, args, tmp))
                    print(f"  measured {target} with {gen}", file=sys.stderr)
                # Alone on the CPUs while the next one is measured; and a graceful stop finishes
                # the requests still queued when the load ended, before Redis is emptied below.
                children.stop(server)
            load_ok = print_table(rows, args)
            e2e_ok = args.skip_e2e or end_to_end(children, env, redis_server.url, args, tmp)
        missed = any(
            r["load"].p99_ms >= P99_TARGET_MS for r in rows if r["target"] == "real"
        ) or any(
            real["load"].rps < RATIO_TARGET * bare["load"].rps
            for real in rows for bare in rows
            if real["target"] == "real" and bare["target"] == "bare"
            and real["load"].generator == bare["load"].generator
        )
        return 0 if load_ok and e2e_ok and not (args.strict and missed) else 1
    except KeyboardInterrupt:
        print("\ninterrupted: stopped everything this bench started", file=sys.stderr)
        return 130
    except ChildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"logs and data kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
