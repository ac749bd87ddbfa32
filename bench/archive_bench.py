"""The archive drainer's CPU per operation, operations/s and SQL statements per operation.

    .venv/bin/python -m bench.archive_bench [--phones 100] [--rounds 3] [--postgres] [--profile 20]
        [--save-ops FILE | --ops FILE] [--arrival stream|burst|single]

1. Record: one real `Worker` thread (with the archive on, its drainer not running) answers a
   whole 9-message sale over Meta's WhatsApp on a real redis-server; the 9 `turn` operations it
   left in the archive outbox are what every phone of the measurement replays (the template's
   phone replaced by each phone's own, so every natural key is new). `--save-ops FILE` keeps them
   and `--ops FILE` replays them, so two trees (HEAD in a `git worktree`, and the change) write
   the very same operations and print the same digest of the database's contents.
2. Drain: a real `ArchiveDrainer.run` thread on a fresh database (a SQLite file; `--postgres` also
   a database of a pgserver PostgreSQL). Turn by turn, one operation per phone is pushed and
   scheduled as the worker does, and the drainer works the outbox empty before the next turn
   (how it runs in production: a phone's next turn comes long after its last one was drained).
   `--arrival` says how the phones are marked due: one by one as they are pushed (`stream`, the
   default), all in one command (`burst`: many phones waiting at once, production under load),
   or one phone at a time, the next once it was drained (`single`: a quiet service).
   The drainer thread's own CPU time (`time.thread_time`: the pushing, Redis and the database
   server don't count) per operation, best and median of `--rounds`; operations/s while it
   drains; SQL statements (a counting round before the timed ones), Redis commands (`INFO
   commandstats`) per operation and operations per transaction.

Every round checks that the outbox ended empty with nothing set aside and that the database holds
every phone's sale; the digest (sha256 over every phone's export, ids left out) is the same for
two trees that wrote the same contents. Exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import logging
import pstats
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import cast

TEMPLATE = "+34699000000"


def record_sale(redis_url: str) -> list[str]:
    """The archive operations one whole sale leaves in the outbox, as the worker wrote them."""
    from bench.worker_bench import SALE, queue_turn
    from testkit.stack import running
    from webhooks.turns.worker import Worker

    with running(redis_url) as stack:
        services, providers = stack.services, stack.providers
        archive = services.archive
        assert archive is not None
        worker = Worker(
            services.conversations,
            services.queue,
            services.channels,
            name="bench",
            block_ms=50,
            archive=archive,
        )
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,))
        thread.start()
        try:
            for turn in range(len(SALE)):
                queue_turn(services, "meta", [TEMPLATE], turn)
                with providers.changed:
                    answered = providers.changed.wait_for(
                        lambda t=turn: len(providers.sent) > t,  # type: ignore[misc]
                        60,
                    )
                    if not answered:
                        raise SystemExit(f"recording: no reply to message {turn}")
        finally:
            stop.set()
            thread.join()
        key = archive.outbox.key(TEMPLATE)
        raw = cast(list[bytes], services.redis.lrange(key, 0, -1))
        ops = [json.loads(op) for op in raw]
        services.redis.flushall()
    # The fake Graph API numbers its message ids; Meta's are unique, and so are they here once
    # each phone's own number replaces the template's.
    for n, op in enumerate(ops):
        for message in op["messages"]:
            if message["direction"] == "out":
                message["provider_ids"] = [f"wamid.{TEMPLATE}.{n}"]
    return [json.dumps(op, ensure_ascii=False) for op in ops]


def with_statuses(ops: list[str]) -> list[str]:
    """Each turn followed by Meta's sent, delivered and read callbacks for its reply."""
    from webhooks.records.ops import status_op

    found = []
    for op in ops:
        found.append(op)
        turn = json.loads(op)
        at = datetime.fromisoformat(turn["at"]).timestamp()
        for message in turn["messages"]:
            for wamid in message.get("provider_ids", []) if message["direction"] == "out" else []:
                for status, later in (("sent", 1), ("delivered", 2), ("read", 30)):
                    update = {"message_id": wamid, "status": status, "timestamp": int(at + later)}
                    found.append(json.dumps(status_op(update)))
    return found


@contextmanager
def databases(postgres: bool, scratch: Path) -> Iterator[list[tuple[str, object]]]:
    """(name, factory of a fresh DATABASE_URL) for SQLite, and PostgreSQL when asked."""
    made = [0]

    def sqlite() -> str:
        made[0] += 1
        return f"sqlite:///{scratch}/archive-{made[0]}.sqlite3"

    found: list[tuple[str, object]] = [("SQLite", sqlite)]
    if not postgres:
        yield found
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        import pgserver

        data = tempfile.mkdtemp(prefix="archive-bench-pg-")
        server = pgserver.get_server(data, cleanup_mode="stop")
    from testkit.databases import fresh_postgres

    dropping: list[Iterator[str]] = []

    def postgresql() -> str:
        fresh = fresh_postgres(server.get_uri())
        dropping.append(fresh)
        return next(fresh)

    try:
        yield [*found, ("PostgreSQL", postgresql)]
    finally:
        for fresh in dropping:
            next(fresh, None)  # drops the database
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


class Round:
    """One drain of `phones` × the sale on a fresh database, measured in the drainer thread."""

    def __init__(self, client, url: str, ops: list[str], phones: list[str]) -> None:
        """A drainer (health noted, no retention job) on a fresh migrated database at `url`."""
        from integrations.archive.database import database_url, make_engine
        from integrations.archive.erasure import RetentionPolicy
        from integrations.archive.store import ArchiveStore
        from integrations.redis.health import HealthBook
        from integrations.redis.outbox import Outbox
        from webhooks.records.drainer import ArchiveDrainer

        self.redis, self.ops, self.phones = client, ops, phones
        self.engine = make_engine(database_url(url, Path()))
        self.store = ArchiveStore(self.engine).ready()
        outbox = Outbox(client, name="archive")
        # No retention job in the timed thread (unconverted_days=0: never due).
        policy = RetentionPolicy(unconverted_days=0)
        self.drainer = ArchiveDrainer(
            self.store, outbox, policy, client, health=HealthBook(client), poll_seconds=0.005
        )
        self.outbox = outbox
        self.polls = 0  # the bench's own ZADD and ZCARD calls, left out of the Redis commands

    def run(
        self, profiler: cProfile.Profile | None = None, arrival: str = "stream"
    ) -> tuple[float, float, int]:
        """Drain every turn of every phone: (drainer CPU s, seconds spent draining, operations).

        `arrival`: "stream" marks the phones due one by one as the worker does (the drainer
        finds as many waiting as were marked since its last look), "burst" all at once (the
        production case under load: many phones waiting), "single" one phone at a time, the
        next only once it was drained (a quiet service: one phone waiting).
        """
        stop, cpu = threading.Event(), []

        def drainer() -> None:
            start = time.thread_time()
            if profiler:
                profiler.enable()
            try:
                self.drainer.run(stop)
            finally:
                if profiler:
                    profiler.disable()
                cpu.append(time.thread_time() - start)

        thread = threading.Thread(target=drainer, name="archive-bench")
        thread.start()
        draining, count, self.polls = 0.0, 0, 0
        try:
            for op in self.ops:
                waves = [[phone] for phone in self.phones] if arrival == "single" else [self.phones]
                for wave in waves:
                    pipe = self.redis.pipeline(transaction=False)
                    for phone in wave:
                        self.outbox.push(pipe, phone, [json.loads(op.replace(TEMPLATE, phone))])
                    pipe.execute()
                    started = time.perf_counter()
                    if arrival == "burst":  # every phone marked at once, as under load
                        self.redis.zadd(self.outbox.due_key, dict.fromkeys(wave, time.time()))
                        self.polls += 1
                    else:
                        for phone in wave:
                            self.outbox.schedule(phone)
                        self.polls += len(wave)
                    while self.redis.zcard(self.outbox.due_key):
                        self.polls += 1
                        time.sleep(0.002)
                    self.polls += 1
                    draining += time.perf_counter() - started
                    count += len(wave)
        finally:
            stop.set()
            thread.join()
        return cpu[0], draining, count

    def check(self, phones: list[str]) -> tuple[bool, str]:
        """Outbox empty, nothing set aside, every sale exported whole; a digest of the contents."""
        backlog = self.outbox.backlog()
        ok = backlog["pending"] == 0 and backlog["dead"] == 0
        for phone in phones:
            found = self.store.export(phone)
            turns = sum(json.loads(op)["op"] == "turn" for op in self.ops)
            ok &= len(found["messages"]) == 2 * turns and len(found["conversations"]) == 1
            ok &= len(found["deliveries"]) == (turns if len(self.ops) > turns else 0)
        return ok, contents(self.engine)

    def close(self) -> None:
        """Dispose of the engine; empty Redis for the next round."""
        self.engine.dispose()
        self.redis.flushall()


def contents(engine) -> str:
    """A digest of every table's rows as the database stores them (as text), ids left out.

    A row's customer and conversation are named by their natural keys (phone, key): the ids
    depend on the order the phones were drained in, which is random.
    """
    from sqlalchemy import Text, cast, select

    from integrations.archive.models import Base

    tables = Base.metadata.tables
    customers, conversations = tables["customers"], tables["conversations"]
    named = {
        "customer_id": lambda column: (
            select(customers.c.phone).where(customers.c.id == column).scalar_subquery()
        ),
        "conversation_id": lambda column: (
            select(conversations.c.key).where(conversations.c.id == column).scalar_subquery()
        ),
    }
    digest = hashlib.sha256()
    with engine.connect() as db:
        for table in Base.metadata.sorted_tables:
            columns = [
                named[c.key](c) if c.key in named else cast(c, Text)
                for c in table.columns
                if c.key != "id"
            ]
            rows = sorted(repr(tuple(row)) for row in db.execute(select(*columns)))
            digest.update(repr((table.name, rows)).encode())
    return digest.hexdigest()[:16]


def count_statements(engine) -> list[int]:
    """Counters of the SQL statements (executemany counts once) and the commits `engine` runs."""
    from sqlalchemy import event

    seen = [0, 0]

    def statement(*_args) -> None:
        seen[0] += 1

    def commit(*_args) -> None:
        seen[1] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    return seen


def main(argv: list[str] | None = None) -> int:
    """Record a sale, drain it for every phone on each database; 1 if a check failed."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--phones", type=int, default=100, help="customers, each a whole sale")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds (best and median shown)")
    p.add_argument("--postgres", action="store_true", help="also on a pgserver PostgreSQL")
    p.add_argument("--profile", type=int, default=0, help="print the drainer's top N functions")
    p.add_argument("--statuses", action="store_true", help="and each reply's 3 statuses")
    p.add_argument("--ops", type=Path, help="replay these recorded operations (JSON)")
    p.add_argument("--save-ops", type=Path, help="save the recorded operations here (JSON)")
    p.add_argument(
        "--arrival",
        choices=("stream", "burst", "single"),
        default="stream",
        help="phones marked due one by one (default), all at once, or one waiting at a time",
    )
    args = p.parse_args(argv)

    import redis

    from integrations.redis.server import RedisProcess
    from webhooks import logs

    # Production's JSON lines at INFO, formatted in full and thrown away.
    logging.getLogger().handlers = [logs.handler(io.StringIO(), json_lines=True)]
    logs.configure("INFO")
    logging.getLogger().setLevel("INFO")

    tmp = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    ok = True
    try:
        with RedisProcess(tmp / "redis") as server:
            if args.ops:
                ops = json.loads(args.ops.read_text())
            else:
                ops = record_sale(server.url)
                if args.save_ops:
                    args.save_ops.write_text(json.dumps(ops))
            turns = len(ops)
            if args.statuses:
                ops = with_statuses(ops)
            client = redis.Redis.from_url(server.url)
            client.flushall()
            phones = [f"+34698{n:06d}" for n in range(1, args.phones + 1)]
            print(
                f"{turns} turn operations of a whole sale"
                f"{', each with 3 delivery statuses' if args.statuses else ''} × {len(phones)} "
                f"phones, one drainer thread, one operation per phone in the outbox at a time, "
                f"arrival {args.arrival}"
            )
            with databases(args.postgres, tmp) as found:
                for name, fresh in found:
                    # Warm-up and counting round: imports, caches, statements per operation.
                    first = Round(client, fresh(), ops, phones[:20])  # type: ignore[operator]
                    statements = count_statements(first.engine)
                    client.config_resetstat()
                    _, _, counted = first.run(arrival=args.arrival)
                    commands = client.info("commandstats")
                    # The bench's own: one RPUSH per operation, its ZADDs and ZCARD polls.
                    calls = sum(v["calls"] for v in commands.values()) - counted - first.polls
                    per_op_sql, per_op_redis = statements[0] / counted, calls / counted
                    per_commit = counted / max(statements[1], 1)
                    passed, _ = first.check(phones[:20])  # its reads are not counted
                    first.close()
                    cpu_ms, rates, digests = [], [], set()
                    for _ in range(args.rounds):
                        timed = Round(client, fresh(), ops, phones)  # type: ignore[operator]
                        cpu, wall, n = timed.run(arrival=args.arrival)
                        good, digest = timed.check(phones)
                        passed &= good
                        digests.add(digest)
                        timed.close()
                        cpu_ms.append(cpu * 1000 / n)
                        rates.append(n / wall)
                    if args.profile:  # a round of its own: the profiler slows what it watches
                        profiler = cProfile.Profile(time.thread_time)
                        profiled = Round(client, fresh(), ops, phones)  # type: ignore[operator]
                        profiled.run(profiler, args.arrival)
                        profiled.close()
                        out = io.StringIO()
                        stats = pstats.Stats(profiler, stream=out)
                        stats.sort_stats("cumulative").print_stats(args.profile)
                        print(out.getvalue())
                    print(
                        f"{name}: drainer CPU per operation {min(cpu_ms):.3f} ms at best, median "
                        f"{statistics.median(cpu_ms):.3f} "
                        f"({' '.join(f'{x:.3f}' for x in cpu_ms)}); "
                        f"{statistics.median(rates):.0f} operations/s (median); "
                        f"{per_op_sql:.2f} SQL statements and {per_op_redis:.2f} Redis commands "
                        f"per operation, {per_commit:.1f} operations per transaction; "
                        f"contents {' '.join(sorted(digests))}; "
                        f"{'PASS' if passed else 'FAIL'}"
                    )
                    ok &= passed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
