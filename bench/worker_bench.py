"""Worker CPU per message, and what a whole sale costs on each channel (messages, segments).

    .venv/bin/python -m bench.worker_bench [--phones 40] [--profile 20] [--commands] [--as-run]
        [--sms-only] [--outside-graph N]

1. CPU: K phones each go through a whole sale (9 messages: greeting to confirmed option) over
   Meta's WhatsApp. The messages are queued as the webhook queues them, and one worker thread
   (`Worker.run`, the real one) answers them through the local fake Graph API on a real
   redis-server. The worker thread's own CPU time (`time.thread_time`, which counts only that
   thread, so the fake API and the posting don't count) divided by the messages it answered is
   robust to a busy machine, unlike messages/s. Logging is at INFO to a discarded stream, as in
   production. `--profile N` prints the N costliest functions of that thread (cProfile,
   cumulative and own time); `--commands` the Redis commands per message (server side, the
   webhook's included) and the worker thread's round trips per message. The worker is built
   bare (no archive, no follow-ups), as the earlier measurements were, unless `--as-run`:
   then as `iagente worker` builds it (`run_workers`: the SQL archive's outbox, follow-ups,
   advisors' hours; their drainer and poller threads don't run). `--outside-graph N` measures
   only the worker's own work around a turn: N turns with a graph that costs nothing and no
   sender (`outside_graph`), best and median of `--rounds`, and its round trips per turn.
2. Cost of a sale: the same sale driven through Twilio SMS and through Meta's WhatsApp; each
   reply's characters and billed SMS segments (GSM-7: 160 characters in one segment, 153 per
   segment when split; anything outside GSM 03.38 makes the whole message UCS-2: 70, then 67).

Every run checks that each message got exactly one reply, in order; exit 1 otherwise.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

SALE = [
    "Hola",
    "sí",
    "Soy Ana, 35 años, no fumo",
    "150.000 €",
    "20 años",
    "para mi familia",
    "sí",
    "la 2",
    "sí",
]


def sms_segments(text: str) -> int:
    """Billed segments of one SMS body (GSM-7 if every character is in GSM 03.38, else UCS-2)."""
    from integrations.messaging.gsm import segments

    return segments(text)


def queue_turn(services, provider: str, phones: list[str], turn: int) -> None:
    """Queue message `turn` of the sale for every phone, as the webhook queues it."""
    from webhooks.inbound.messages import InboundMessage

    for phone in phones:
        services.queue.accept(
            InboundMessage(
                provider=provider,  # type: ignore[arg-type]
                channel="whatsapp" if provider == "meta" else "sms",
                phone=phone,
                message_id=f"bench.{provider}.{phone}.{turn}",
                kind="text",
                text=SALE[turn],
                timestamp=time.time(),
                our_number="1122334455667" if provider == "meta" else "+14155550100",
            )
        )


def drive(
    services,
    providers,
    provider: str,
    phones: list[str],
    worker_thread: Callable,
    *,
    as_run: bool = False,
) -> tuple[float, list[dict], int]:
    """The whole sale for `phones`; the worker thread's CPU seconds, what was sent, turns."""
    from webhooks.turns.worker import Worker

    extra = {}
    if as_run:  # what run_workers gives each worker thread
        extra = {
            "health": services.health,
            "archive": services.archive,
            "chatwoot": services.chatwoot,
            "voice": services.voice,
            "followups": services.followups,
            "advisors": services.advisors,
        }
    worker = Worker(
        services.conversations,
        services.queue,
        services.channels,
        name="bench",
        block_ms=50,
        **extra,
    )
    stop = threading.Event()
    cpu: list[float] = []
    thread = threading.Thread(target=worker_thread, args=(worker, stop, cpu))
    before = len(providers.sent)
    thread.start()
    try:
        for turn in range(len(SALE)):
            queue_turn(services, provider, phones, turn)
            want = before + len(phones) * (turn + 1)
            with providers.changed:
                if not providers.changed.wait_for(lambda w=want: len(providers.sent) >= w, 60):
                    raise SystemExit(f"turn {turn}: {len(providers.sent) - before} replies")
    finally:
        stop.set()
        thread.join()
    time.sleep(0.3)  # room for a stray duplicate reply to show up
    return cpu[0], providers.sent[before:], len(phones) * len(SALE)


class RoundTrips:
    """Counts the watched thread's Redis round trips (each packed write is one, pipelines too)."""

    _shared: RoundTrips | None = None

    @classmethod
    def shared(cls) -> RoundTrips:
        """The process's one counter (redis-py is patched once)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def __init__(self) -> None:
        """Patch redis-py's connection class once; only the watched thread is counted."""
        from redis.connection import AbstractConnection

        self.count = 0
        self._thread = 0
        send = AbstractConnection.send_packed_command

        def counted(connection, command, check_health=True):
            if threading.get_ident() == self._thread:
                self.count += 1
            return send(connection, command, check_health)

        AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]

    def watch(self) -> None:
        """Count the calling thread's round trips from now on."""
        self._thread = threading.get_ident()


def outside_graph(redis_url: str, scratch: Path, turns: int, as_run: bool) -> tuple[float, float]:
    """The worker's CPU (µs) and round trips per turn around a graph that costs nothing.

    `ConversationService.run_turn` is replaced by one that returns a mid-sale state at once,
    and no sender is configured (the reply is kept, not posted), so what is left of
    `Worker.handle` is the worker's own work: lock, inbox, state read, record, follow-up,
    statistics, acknowledgement.
    """
    from testkit.settings import settings_for
    from webhooks.inbound.messages import InboundMessage
    from webhooks.services import build_services
    from webhooks.turns.conversations import TurnResult
    from webhooks.turns.worker import Worker

    settings = settings_for(redis_url, database_url=f"sqlite:///{scratch}/outside.sqlite3")
    services = build_services(settings)
    state = {"stage": "NEEDS_ANALYSIS", "reply": "¿Qué edad tienes?", "turns": 2}
    state["consent"] = {"given": True}

    def run_turn(phone: str, text: str, **_: object) -> TurnResult:
        return TurnResult.of(phone, state)

    services.conversations.run_turn = run_turn  # type: ignore[method-assign]
    worker = Worker(
        services.conversations,
        services.queue,
        services.channels,
        name="outside",
        archive=services.archive if as_run else None,
        followups=services.followups if as_run else None,
    )
    services.queue.ensure_group()
    trips = RoundTrips.shared()
    trips.watch()
    phones = [f"+3469{n:07d}" for n in range(200)]
    cpu, counted = 0.0, 0
    for n in range(turns):
        phone = phones[n % len(phones)]
        message = InboundMessage("meta", "whatsapp", phone, f"outside.{n}", "text", "35 años")
        services.queue.accept(message)
        ((entry_id, fields),) = services.queue.read(worker.name, count=1, block_ms=10)
        before, start = trips.count, time.thread_time()
        worker.handle(entry_id, fields)
        cpu += time.thread_time() - start
        counted += trips.count - before
    services.redis.flushdb()
    return cpu * 1e6 / turns, counted / turns


def reply_text(record: dict) -> str:
    """The text a recorded send carried (Meta text or interactive body, Twilio Body)."""
    if record["provider"] == "twilio":
        return record["form"].get("Body", "")
    body = record["json"]
    if body.get("type") == "text":
        return body["text"]["body"]
    interactive = body.get("interactive", {})
    buttons = [b["reply"]["title"] for b in interactive.get("action", {}).get("buttons", [])] + [
        r["title"]
        for s in interactive.get("action", {}).get("sections", [])
        for r in s.get("rows", [])
    ]
    return "\n".join([interactive.get("body", {}).get("text", ""), *buttons])


def check_once_in_order(sent: list[dict], phones: list[str], store) -> bool:
    """Every phone got one reply per message, and its transcript reads in/out in order."""
    ok = len(sent) == len(phones) * len(SALE)
    for phone in phones:
        shape = [e["direction"] for e in store.transcript(phone)]
        ok &= shape == ["in", "out"] * len(SALE)
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the CPU measurement and the cost of a sale; 1 if a reply was missing or doubled."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--phones", type=int, default=40, help="customers, each a whole sale")
    p.add_argument("--rounds", type=int, default=3, help="CPU rounds (best and median shown)")
    p.add_argument("--profile", type=int, default=0, help="print the top N functions")
    p.add_argument("--commands", action="store_true", help="redis commands per message")
    p.add_argument("--as-run", action="store_true", help="the worker as run_workers builds it")
    p.add_argument(
        "--outside-graph", type=int, default=0, help="N turns around a stub graph: CPU, round trips"
    )
    p.add_argument("--sms-only", action="store_true", help="only the cost of a sale")
    p.add_argument("--show", action="store_true", help="print each reply of the sale")
    args = p.parse_args(argv)

    from integrations.redis.server import RedisProcess
    from testkit.stack import running
    from webhooks import logs

    # Production's JSON lines at INFO, formatted in full and thrown away.
    logging.getLogger().handlers = [logs.handler(io.StringIO(), json_lines=True)]
    logs.configure("INFO")
    logging.getLogger().setLevel("INFO")

    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    trips = RoundTrips.shared() if args.commands else None

    def worker_thread(worker, stop: threading.Event, cpu: list[float]) -> None:
        if trips:
            trips.watch()
        start = time.thread_time()
        if profiler:
            profiler.enable()
        try:
            worker.run(stop)
        finally:
            if profiler:
                profiler.disable()
            cpu.append(time.thread_time() - start)

    tmp = Path(tempfile.mkdtemp(prefix="worker-bench-"))
    ok = True
    try:
        with RedisProcess(tmp / "redis") as server, running(server.url) as stack:
            services = stack.services
            store = services.conversations.store
            if args.outside_graph:
                rounds = []
                for _ in range(args.rounds):
                    rounds.append(outside_graph(server.url, tmp, args.outside_graph, args.as_run))
                cpus = [cpu for cpu, _ in rounds]
                print(
                    f"outside the graph ({'as run' if args.as_run else 'bare'}): "
                    f"{args.outside_graph} turns × {args.rounds} rounds: "
                    f"{min(cpus):.0f} µs CPU per turn at best, "
                    f"median {statistics.median(cpus):.0f} "
                    f"({' '.join(f'{c:.0f}' for c in cpus)}); "
                    f"{rounds[0][1]:.2f} round trips per turn"
                )
                return 0
            if not args.sms_only:
                # Warm-up: imports, compiled regular expressions, connections.
                drive(
                    services,
                    stack.providers,
                    "meta",
                    ["+34600000000"],
                    worker_thread,
                    as_run=args.as_run,
                )
                if profiler:
                    profiler = cProfile.Profile(time.thread_time)
                services.redis.config_resetstat()
                per_message = []
                for r in range(args.rounds):
                    phones = [f"+346{r:02d}{n:06d}" for n in range(1, args.phones + 1)]
                    services.redis.config_resetstat()
                    if trips:
                        trips.count = 0
                    cpu, sent, messages = drive(
                        services, stack.providers, "meta", phones, worker_thread, as_run=args.as_run
                    )
                    commands = services.redis.info("commandstats")
                    calls = sum(v["calls"] for v in commands.values())
                    good = check_once_in_order(sent, phones, store)
                    ok &= good
                    per_message.append(cpu * 1000 / messages)
                print(
                    f"worker CPU: {args.phones} sales × {len(SALE)} messages over Meta WhatsApp, "
                    f"one worker thread, {args.rounds} rounds: "
                    f"{min(per_message):.2f} ms CPU per message at best, median "
                    f"{statistics.median(per_message):.2f} "
                    f"({' '.join(f'{x:.2f}' for x in per_message)}); "
                    f"one reply each, in order: {'PASS' if ok else 'FAIL'}"
                )
                print(f"redis commands per message: {calls / messages:.1f}")
                if trips:
                    per = trips.count / messages
                    print(f"worker thread's redis round trips per message: {per:.1f}")
                if args.commands:
                    for name, v in sorted(commands.items(), key=lambda kv: -kv[1]["calls"]):
                        print(f"  {name:28} {v['calls'] / messages:6.2f}")
                if profiler:
                    out = io.StringIO()
                    stats = pstats.Stats(profiler, stream=out)
                    stats.sort_stats("cumulative").print_stats(args.profile)
                    stats.sort_stats("tottime").print_stats(args.profile)
                    print(out.getvalue())
            print("\ncost of one whole sale (9 customer messages), per channel:")
            for provider, channel in (("meta", "whatsapp"), ("twilio", "sms")):
                phone = "+34699000001" if provider == "meta" else "+34699000002"
                _, sent, _ = drive(services, stack.providers, provider, [phone], worker_thread)
                bodies = [reply_text(r) for r in sent]
                if args.show:
                    for body in bodies:
                        print(f"--- {len(body)} characters, {sms_segments(body)} segments\n{body}")
                ok &= check_once_in_order(sent, [phone], store)
                segs = sum(sms_segments(b) for b in bodies)
                gsm = sum(sms_segments(b) and is_gsm(b) for b in bodies)
                print(
                    f"  {channel:8}: {len(bodies)} messages, {sum(map(len, bodies))} characters, "
                    f"{segs} segments if sent as SMS ({gsm}/{len(bodies)} GSM-7)"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def is_gsm(text: str) -> bool:
    """Whether `text` is all GSM 03.38 (one 7-bit alphabet, no UCS-2)."""
    from integrations.messaging.gsm import is_gsm7

    return is_gsm7(text)


if __name__ == "__main__":
    sys.exit(main())
