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
import os
import shutil
import signal
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bench._common import (
    ChildError,
    Children,
    Load,
    group_cpu_seconds,
    have_wrk,
    run_python,
    run_wrk,
)
from bench._e2e import HARNESSES, end_to_end
from bench._inprocess import in_process
from bench._webhook_stack import PATH, REAL, SALE, child_env, redis_cpu, signed, start_gunicorn

RATIO_TARGET, P99_TARGET_MS = 0.7, 50.0
TARGETS = {"bare": "bench._webhook_stack:bare_app()", "real": REAL}
# --floor: the bare endpoint plus the one Redis write an accepted message needs.
FLOOR = "bench._webhook_stack:floor_app()"


# --- servers and requests ------------------------------------------------------------------------


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


# --- in one thread: CPU per request without gunicorn ---------------------------------------------


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
        "--stub-graph",
        choices=["none", "trivial"],
        help="end to end: workers with no graph, or a one-node one (bench/_stub_graph.py)",
    )
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
