"""webhook_bench's end-to-end part: customers through web app, queue and workers to the reply."""

from __future__ import annotations

import contextlib
import http.client
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._common import (
    ChildError,
    Children,
    group_cpu_seconds,
    group_rss_mb,
)
from bench._webhook_stack import (
    PATH,
    PHONE_NUMBER_ID,
    REAL,
    SALE,
    TEXTS,
    child_env,
    post,
    redis_cpu,
    signed,
    start_gunicorn,
)

# --harness: what posts the customers' messages and plays Meta's Graph API end to end.
HARNESSES = {
    "lean": "posting and Graph API in one thread: bench/_poster.py, bench/_graph_sink.py",
    "fake": "posting threads on http.client, testkit.fake_providers",
}


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
    from integrations.redis.conversations import ConversationStore
    from testkit.fake_providers import FakeProviders

    client.flushall()  # part 1 left tens of thousands of unanswered messages queued
    port, web = start_gunicorn(children, "real-e2e", REAL, env, args, tmp)
    with GraphSink() if args.harness == "lean" else FakeProviders() as providers:
        workers = _start_workers(children, client, redis_url, tmp, providers.url, args)
        if not _warmed_up(port, providers, children, workers):
            return False
        traffic = Traffic(port, [f"+3461{n:07d}" for n in range(args.phones)], args)
        pids = [web.pid, *(p.pid for p in workers.values())]
        before = _usage(pids, client)
        elapsed = _drive(traffic, providers, args)
        after = _usage(pids, client)
        time.sleep(args.grace)  # room for a stray duplicate reply to show up
        late = [record for record in providers.sent[1:] if id(record) not in traffic.handled]
        sink_errors = list(getattr(providers, "errors", ()))  # FakeProviders drops such requests
    for record in late:
        traffic.replies["+" + record["json"].get("to", "")].append(float("inf"))
    print(
        f"\nend to end, rules brain, {args.worker_procs} worker process(es) × "
        f"{args.worker_threads} threads, replies to a local fake Graph API "
        f"({HARNESSES[args.harness]}):"
    )
    answered = sum(
        1 for status, body in traffic.answers.values() if status == 200 and body.get("accepted")
    )
    _print_usage(["web", *workers], before, after, elapsed, answered)
    store = ConversationStore(client)
    ok = check_e2e(
        traffic.phones, traffic.answers, traffic.replies, traffic.posted_at, elapsed, store, args
    )
    for problem in sink_errors[:5]:
        print(f"    the fake Graph API refused a request: {problem}")
    if sink_errors:
        print(f"  FAIL: the fake Graph API refused {len(sink_errors)} requests")
    return ok and not sink_errors


def _start_workers(
    children: Children, client, redis_url: str, tmp: Path, providers_url: str, args
) -> dict:
    """`iagente worker` processes sending to the fake Graph API, once they all read the queue."""
    worker_env = child_env(
        redis_url,
        tmp / "var",
        WHATSAPP_API_URL=f"{providers_url}/v23.0",
        WHATSAPP_TOKEN="bench-token",
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WORKER_THREADS=str(args.worker_threads),
        BENCH_STUB_GRAPH=args.stub_graph or "",
    )
    entry = "bench._stub_graph" if args.stub_graph else "webhooks.cli"
    argv = [sys.executable, "-m", entry, "worker"]
    workers = {
        f"worker{n}": children.spawn(f"worker{n}", argv, worker_env, tmp)
        for n in range(args.worker_procs)
    }
    wait_for_readers(client, args.worker_procs * args.worker_threads, children, workers)
    return workers


def _warmed_up(port: int, providers, children: Children, workers: dict) -> bool:
    """One message through the whole service before the measured run; False (said) if none."""
    post(port, *signed(["+34619999999"], "e2e.warm", 1)[0])
    if len(sent := providers.wait_for(1, timeout=30)) == 1:
        return True
    print(f"FAIL: {len(sent)} replies to the warm-up message")
    for problem in getattr(providers, "errors", ()):
        print(f"  the fake Graph API refused a request: {problem}")
    for name in workers:
        print(f"--- {name}\n{children.log_tail(name)}")
    return False


class Traffic:
    """The customers of a run: what each one posts and when, the webhook's answers, the replies.

    Each customer writes the sale's next message when the reply to the last one arrives; while
    the run lasts (`--e2e-seconds`), a customer who is done is followed by a new one.
    """

    def __init__(self, port: int, phones: list[str], args) -> None:
        """Customers `phones`, posting to the web app on `port`."""
        self.port, self.phones, self.args = port, phones, args
        self.script = SALE if args.e2e_seconds else TEXTS
        self.posted_at: dict[tuple[str, int], float] = {}
        self.answers: dict[tuple[str, int], tuple[int, dict]] = {}
        self.refused: list[tuple[str, int]] = []  # posts that ended without a 200: the run stops
        self.replies: dict[str, list[float]] = defaultdict(list)
        self.handled: set[int] = set()  # ids of the reply records counted in `replies`
        self.complete = 0
        self.finished = threading.Event()  # every phone has had all its replies
        self.until = time.monotonic() + args.e2e_seconds
        # How the next message is posted: set by `_drive` for the harness.
        self.post_next: Callable[[tuple[str, int]], object] = lambda key: None
        self._local = threading.local()

    def request(self, key: tuple[str, int]) -> tuple[dict, bytes]:
        """The signed webhook of a phone's `turn`-th message, posted from now on."""
        phone, turn = key
        text = self.script[turn % len(self.script)]
        ((headers, body),) = signed([phone], f"e2e.{turn}.{phone}", 1, text)
        self.posted_at[key] = time.perf_counter()
        return headers, body

    def settle(self, key: tuple[str, int], result: tuple[int, dict], attempt: int) -> None:
        """How the webhook answered the post of `key` (on its `attempt`-th try)."""
        status, answer = self.answers[key] = result
        if status == 200 and answer.get("duplicates") == 1 and attempt == 2:
            self.answers[key] = (status, {**answer, "accepted": 1})  # the first got in
        if status != 200:
            self.refused.append(key)

    def send(self, phone: str, turn: int) -> None:
        """--harness fake: a posting thread's POST, on its own http.client connection."""
        local = self._local
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers, body = self.request((phone, turn))
        for attempt in (1, 2):
            try:
                result = post(self.port, headers, body, local.conn)
                break
            except (OSError, http.client.HTTPException) as exc:
                result = (0, {"error": repr(exc)})
                local.conn.close()
                local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                # gunicorn closes a keep-alive connection idle for 2 s; the same signed body
                # again is safe (a repeat is answered as a duplicate, never queued).
                if attempt == 2 or not isinstance(exc, ConnectionError | EOFError):
                    break
        self.settle((phone, turn), result, attempt)

    def arrived(self, records: list[dict], now: float) -> None:
        """Replies reached the Graph API: their customers write again, or new ones come."""
        turns = self.args.turns
        for record in records:
            self.handled.add(id(record))
            phone = "+" + record["json"].get("to", "")
            self.replies[phone].append(now)
            got = len(self.replies[phone])
            if got == turns:
                self.complete += 1
                if time.monotonic() < self.until:
                    self.phones.append(f"+3462{len(self.phones):07d}")
                    self.post_next((self.phones[-1], 0))
            elif got < turns:
                self.post_next((phone, got))
        if self.complete >= len(self.phones):
            self.finished.set()


def _drive(traffic: Traffic, providers, args) -> float:
    """Post the first messages and run until every customer is answered; the seconds it took."""
    from bench._graph_sink import GraphSink
    from bench._poster import Posters

    deadline = traffic.until + args.e2e_timeout
    first = [(phone, 0) for phone in traffic.phones]
    with contextlib.ExitStack() as stack:
        posters = None
        if isinstance(providers, GraphSink):
            # Posting, answering the workers and reacting to each reply all happen in the
            # sink's one thread: no thread wakes another per message.
            posters = Posters(
                providers, traffic.port, PATH, args.posters, traffic.request, traffic.settle
            )
            traffic.post_next = posters.submit
            providers.on_message = lambda record: traffic.arrived([record], time.perf_counter())
            started = time.perf_counter()
            providers.call_soon(lambda: [traffic.post_next(key) for key in first])
        else:
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=args.posters))
            traffic.post_next = lambda key: pool.submit(traffic.send, *key)
            started = time.perf_counter()
            for key in first:
                traffic.post_next(key)
        seen = 1  # providers.sent[0] is the warm-up's reply
        # Not a scan of every answer per reply for a refused post (it grew with the run).
        while not traffic.finished.is_set() and not traffic.refused:
            if time.monotonic() >= deadline:
                break
            if posters is not None:
                traffic.finished.wait(0.5)
                for key in posters.overdue(10.0):  # the posting threads' socket timeout
                    traffic.answers[key] = (0, {"error": "no answer within 10 s"})
                    traffic.refused.append(key)
                continue
            with providers.changed:

                def grew(seen: int = seen) -> bool:
                    return len(providers.sent) > seen

                providers.changed.wait_for(grew, timeout=0.5)
                new, seen = providers.sent[seen:], len(providers.sent)
            traffic.arrived(new, time.perf_counter())
        elapsed = time.perf_counter() - started
        if posters is not None:
            providers.on_message = None
    return elapsed


def _usage(pids: list[int], client) -> tuple[list[float], list[float]]:
    """CPU seconds of the web app, each worker, Redis and this process; RSS MB of the first."""
    cpu = [sum(group_cpu_seconds(pid).values()) for pid in pids]
    cpu += [redis_cpu(client), time.process_time()]
    return cpu, [sum(group_rss_mb(pid).values()) for pid in pids]


def _print_usage(
    names: list[str],
    before: tuple[list[float], list[float]],
    after: tuple[list[float], list[float]],
    elapsed: float,
    answered: int,
) -> None:
    """Each process's share of a core, the CPU per message, and memory at start and end."""
    (cpu_before, rss_before), (cpu_after, rss_after) = before, after
    cpu = [(b - a) / elapsed * 100 for a, b in zip(cpu_before, cpu_after, strict=True)]
    print(
        f"  cpu % during the run: web {cpu[0]:.0f}, worker "
        f"{'+'.join(f'{c:.0f}' for c in cpu[1:-2])}, redis {cpu[-2]:.0f}, "
        f"bench (posting + fake API) {cpu[-1]:.0f}"
    )
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
    print(
        "  memory (RSS MB) at start → end: "
        + ", ".join(
            f"{name} {a:.0f} → {b:.0f}"
            for name, a, b in zip(names, rss_before, rss_after, strict=True)
        )
    )


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
