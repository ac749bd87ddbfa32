"""What the typing pause adds to a reply's latency, and what it saves in replies, same run.

    .venv/bin/python -m bench.debounce_bench [--phones 40] [--pauses 0.5,2] [--rounds 2]

The web app (Flask's test client), worker threads and a real redis-server run in this process,
with the fake Meta of `testkit/fake_providers.py` and the rules brain. For each setting
(DEBOUNCE_SECONDS=0, the baseline, then each of `--pauses`), taking turns for `--rounds` rounds:

- **lone**: each phone writes one message; post → reply latency, p50 and p99, and what the pause
  adds to the baseline's (the whole pause, by design: nobody knows no second message is coming);
- **burst**: each phone writes three messages back to back ("Hola" / "quiero un seguro" / "para
  mi familia"); how many replies a phone gets (the pause's point: one).

Exit status 1 when a message goes unanswered or a lone message gets more than one reply.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from integrations.redis.server import RedisProcess
from testkit.stack import Stack, post_meta, running

BURST = ["Hola", "quiero un seguro", "para mi familia"]


def measure(stack: Stack, phones: list[str], texts: list[str], tag: str, timeout: float) -> dict:
    """Post `texts` from every phone at once; latency of each first reply and replies per phone."""
    posted: dict[str, float] = {}
    first: dict[str, float] = {}
    lock = threading.Lock()

    def send(phone: str) -> None:
        for n, text in enumerate(texts):
            post_meta(stack, phone, text, f"wamid.{tag}.{phone}.{n}")
        with lock:
            posted[phone] = time.perf_counter()  # the last message: what the pause counts from

    seen = len(stack.providers.sent)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for phone in phones:
            pool.submit(send, phone)
        deadline = time.monotonic() + timeout
        while len(first) < len(phones) and time.monotonic() < deadline:
            with stack.providers.changed:

                def grew(seen: int = seen) -> bool:
                    return len(stack.providers.sent) > seen

                stack.providers.changed.wait_for(grew, 0.2)
                new, seen = stack.providers.sent[seen:], len(stack.providers.sent)
            now = time.perf_counter()
            for record in new:
                first.setdefault("+" + record["json"].get("to", ""), now)
    time.sleep(0.5)  # room for a second reply to the same burst
    replies = {p: len(stack.providers.texts_to(p)) for p in phones}
    latency = [(first[p] - posted[p]) * 1000 for p in phones if p in first and p in posted]
    return {"latency": latency, "replies": replies}


def run_setting(url: str, pause: float, phones: int, tag: str, timeout: float) -> dict:
    """One setting: a lone message from every phone, then a burst from every (other) phone."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    with running(url, debounce_seconds=pause, debounce_max_seconds=max(8.0, pause)) as stack:
        stack.start_workers(4)
        post_meta(stack, "+34619999999", "Hola", f"wamid.{tag}.warm")
        stack.providers.wait_for(1, timeout=timeout)
        lone = measure(stack, [f"+3461{n:07d}" for n in range(phones)], ["Hola"], tag, timeout)
        burst_phones = [f"+3462{n:07d}" for n in range(phones)]
        burst = measure(stack, burst_phones, BURST, tag + "b", timeout)
    return {"lone": lone, "burst": burst}


def main(argv: list[str] | None = None) -> int:
    """Run every setting `--rounds` times; print the table; 1 if a check failed."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--phones", type=int, default=40)
    p.add_argument("--pauses", default="0.5,2", help="DEBOUNCE_SECONDS values besides 0")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args(argv)
    pauses = [0.0, *(float(x) for x in args.pauses.split(",") if x.strip())]
    pooled: dict[float, dict[str, list]] = {x: {"lone": [], "burst": []} for x in pauses}
    ok = True
    with (
        tempfile.TemporaryDirectory(prefix="debounce-bench-") as tmp,
        RedisProcess(Path(tmp)) as server,
    ):
        for round_ in range(args.rounds):
            for pause in pauses:
                tag = f"r{round_}p{pause}"
                got = run_setting(server.url, pause, args.phones, tag, args.timeout)
                pooled[pause]["lone"] += got["lone"]["latency"]
                pooled[pause]["burst"] += list(got["burst"]["replies"].values())
                lone_replies = list(got["lone"]["replies"].values())
                if any(n != 1 for n in lone_replies):
                    print(f"FAIL: pause {pause}: lone messages got {sorted(set(lone_replies))}")
                    ok = False
                if any(n == 0 for n in got["burst"]["replies"].values()):
                    print(f"FAIL: pause {pause}: a burst went unanswered")
                    ok = False
    base = statistics.median(pooled[0.0]["lone"])
    print(
        f"\n{args.phones} phones × {args.rounds} rounds, rules brain, 4 worker threads, "
        "fake Graph API; lone = one message, burst = three back to back"
    )
    print("DEBOUNCE_SECONDS | lone p50 ms | lone p99 ms | added p50 ms | replies per burst")
    for pause in pauses:
        lone = sorted(pooled[pause]["lone"])
        q = statistics.quantiles(lone, n=100) if len(lone) > 1 else [float("nan")] * 99
        replies = pooled[pause]["burst"]
        print(
            f"{pause:>16g} | {q[49]:>11.0f} | {q[98]:>11.0f} | {q[49] - base:>12.0f} | "
            f"{statistics.mean(replies):.2f} (max {max(replies)})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
