"""What the Chatwoot mirror costs customers: reply latency with Chatwoot off, fast, slow and down.

    .venv/bin/python -m bench.chatwoot_bench [--customers 20] [--slow 0.5]

The web app (Flask test client), worker threads and the mirror's drainers in this process, a
real redis-server started here, a local fake Meta, and a fake Chatwoot in a process of its own
(it checks every request against Chatwoot's spec, which costs CPU a real Chatwoot would not
take from us). Each customer writes the sale script, waiting for each reply as a person
would; all customers write at once. For each Chatwoot setting the same run measures the time
from the signed webhook to the reply reaching (fake) Meta, and prints p50/p99 and their ratio to
the run without Chatwoot, then how long the mirror took to catch up after the last reply.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from integrations.redis.outbox import Outbox
from integrations.redis.server import RedisProcess
from testkit.stack import post_meta, running

ROOT = Path(__file__).resolve().parents[1]
SALE = ["Hola", "sí", "Soy Ana, 35 años, no fumo", "150.000 €", "20 años", "para mi familia", "sí"]
TOKEN = "bench-token"


def customer(stack, n: int, tag: str) -> list[float]:
    """Seconds from webhook to reply, for each message of one customer's sale."""
    phone, times = f"+346{tag}{n:05d}", []
    for i, text in enumerate(SALE):
        before = len(stack.providers.texts_to(phone))
        start = time.perf_counter()
        post_meta(stack, phone, text, f"wamid.{tag}.{n}.{i}")
        providers = stack.providers
        with providers.changed:  # notified on every message sent: no polling
            providers.changed.wait_for(lambda p=providers, b=before: len(p.texts_to(phone)) > b, 60)
        times.append(time.perf_counter() - start)
    return times


class ChatwootProcess:
    """The fake Chatwoot (testkit) in a child process; `violations` read when it stops."""

    CHILD = (
        "import sys, time\n"
        "from testkit.fake_chatwoot import FakeChatwoot\n"
        "with FakeChatwoot(token=sys.argv[1]) as fake:\n"
        "    fake.delay, fake.down = float(sys.argv[2]), sys.argv[3] == 'down'\n"
        "    print(fake.url, flush=True)\n"
        "    sys.stdin.read()\n"
        "    print(len(fake.violations), time.process_time(), flush=True)\n"
    )

    def __init__(self, *, delay: float = 0.0, down: bool = False) -> None:
        """Start the fake, answering after `delay` seconds, or 503 to everything if `down`."""
        self.down = down
        self._child: subprocess.Popen[str] = subprocess.Popen(
            [sys.executable, "-c", self.CHILD, TOKEN, str(delay), "down" if down else "up"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._child.stdin is not None and self._child.stdout is not None  # both PIPE
        self._stdin, self._stdout = self._child.stdin, self._child.stdout
        self.url = self._stdout.readline().strip()
        self.violations: int | None = None
        self.cpu = 0.0

    def stop(self) -> None:
        """Stop the fake and keep what it counted: spec violations and its CPU seconds."""
        self._stdin.close()
        violations, cpu = (self._stdout.readline() or "-1 0").split()
        self.violations, self.cpu = int(violations), float(cpu)
        self._child.wait(timeout=30)


def scenario(redis_url: str, chatwoot: ChatwootProcess | None, customers: int, tag: str) -> dict:
    """One run: `customers` writing the sale script at once, with `chatwoot` (None: off)."""
    settings: dict[str, object] = {}
    if chatwoot is not None:
        settings = {
            "chatwoot_base_url": chatwoot.url,
            "chatwoot_account_id": 1,
            "chatwoot_user_token": TOKEN,
            "chatwoot_inbox_id": 7,
        }
    redis.Redis.from_url(redis_url).flushdb()  # what an earlier setting left in the outbox
    cpu = time.process_time()
    with running(redis_url, **settings) as stack:
        stack.start_workers(4)
        with ThreadPoolExecutor(customers) as pool:
            runs = list(pool.map(lambda n: customer(stack, n, tag), range(customers)))
        replies_done = time.perf_counter()
        caught_up = None
        if chatwoot is not None and not chatwoot.down:
            outbox = Outbox(stack.services.redis)
            deadline = time.monotonic() + 300
            while outbox.backlog()["pending"] and time.monotonic() < deadline:
                time.sleep(0.05)
            caught_up = time.perf_counter() - replies_done
        pending = Outbox(stack.services.redis).backlog()["pending"]
    cpu = time.process_time() - cpu
    if chatwoot is not None:
        chatwoot.stop()
    return {
        "cpu": cpu,
        "chatwoot_cpu": chatwoot.cpu if chatwoot else 0.0,
        "times": [t for run in runs for t in run],
        "caught_up": caught_up,
        "pending": pending,
        "violations": chatwoot.violations if chatwoot else 0,
    }


def pooled(rounds: list[dict]) -> dict:
    """All rounds of one setting together: latency percentiles over every reply."""
    times = sorted(t for r in rounds for t in r["times"])
    caught = [r["caught_up"] for r in rounds if r["caught_up"] is not None]
    return {
        "replies": len(times),
        "p50": statistics.median(times) * 1000,
        "p99": times[int(len(times) * 0.99) - 1] * 1000,
        "caught_up": statistics.median(caught) if caught else None,
        "pending": sum(r["pending"] for r in rounds),
        "violations": sum(r["violations"] for r in rounds),
        "cpu": sum(r["cpu"] for r in rounds),
        "chatwoot_cpu": sum(r["chatwoot_cpu"] for r in rounds),
    }


def main() -> None:
    """Run every Chatwoot setting `--rounds` times, interleaved, and print the pooled table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--slow", type=float, default=0.2, help="seconds per Chatwoot answer")
    parser.add_argument("--rounds", type=int, default=3, help="settings interleaved, pooled")
    args = parser.parse_args()
    settings: dict[str, Callable[[], ChatwootProcess | None]] = {
        "off": lambda: None,
        "fast": ChatwootProcess,
        f"slow ({args.slow:g} s/call)": lambda: ChatwootProcess(delay=args.slow),
        "down (503)": lambda: ChatwootProcess(down=True),
    }
    runs: dict[str, list[dict]] = {name: [] for name in settings}
    with tempfile.TemporaryDirectory() as tmp, RedisProcess(Path(tmp)) as server:
        scenario(server.url, None, args.customers, "99")  # warm-up: imports, compiles, caches
        for r in range(args.rounds):
            for i, (name, chatwoot) in enumerate(settings.items()):
                runs[name].append(scenario(server.url, chatwoot(), args.customers, f"{r}{i}"))
    results = {name: pooled(rounds) for name, rounds in runs.items()}
    base = results["off"]
    print(
        f"{args.customers} customers × {len(SALE)} messages, all writing at once; "
        f"{args.rounds} rounds of the settings, interleaved, pooled"
    )
    print(
        f"{'chatwoot':22} {'replies':>7} {'p50 ms':>8} {'p99 ms':>8} {'p50 ×':>6} {'p99 ×':>6}"
        f" {'mirror caught up':>17} {'left':>5} {'spec':>5} {'our CPU':>8} {'cw CPU':>7}"
    )
    for name, row in results.items():
        caught = f"{row['caught_up']:.2f} s" if row["caught_up"] is not None else "-"
        print(
            f"{name:22} {row['replies']:>7} {row['p50']:>8.1f} {row['p99']:>8.1f}"
            f" {row['p50'] / base['p50']:>6.2f} {row['p99'] / base['p99']:>6.2f}"
            f" {caught:>17} {row['pending']:>5} {row['violations']:>5}"
            f" {row['cpu']:>7.1f}s {row['chatwoot_cpu']:>6.1f}s"
        )
    print("(× = ratio to the run without Chatwoot; left = operations still in the outbox;")
    print(" spec = requests the fake found against Chatwoot's OpenAPI spec; our CPU = this")
    print(" process (web, workers, drainers, fake Meta); cw CPU = the fake Chatwoot process)")


if __name__ == "__main__":
    main()
