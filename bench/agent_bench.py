"""Turns per second of the funnel (rules brain) on RedisSaver against LangGraph's InMemorySaver.

    .venv/bin/python -m bench.agent_bench [--conversations 200] [--turns 10] [--long 100]
    .venv/bin/python -m bench.agent_bench --langgraph [--conversations 30] [--rounds 5]

Both savers run the same compiled graph with durability="exit" (what the service uses), in the
same process and run; the Redis one talks to a real redis-server started here on 127.0.0.1.
Also measured: the whole service turn (lock + graph + transcript), the storage one conversation
uses after --long turns, and how a turn late in a long conversation compares with an early one.

`--langgraph` measures what LangGraph itself costs a turn: the CPU (`time.thread_time`) of a
graph turn on InMemorySaver against the same node functions called in the same order by a plain
loop that follows the graph's own edges, routers and Commands (the nodes' work alone). Both
must end every turn in the same state, with a fixed clock; rounds alternate the two.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import redis
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.channels.binop import BinaryOperatorAggregate
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.brains.rules import RulesBrain
from agent.context import AgentContext, utc_now
from agent.graph import build_graph
from agent.quote import QuoteEngine
from agent.state import AgentState
from integrations.redis.saver import RedisSaver
from integrations.redis.server import RedisProcess
from webhooks.services import build_services
from webhooks.settings import Settings

SALE = [
    "Hola",
    "sí",
    "Soy Ana, tengo 35 años, no fumo",
    "150.000 €",
    "20 años",
    "para mi familia, tengo dos hijos",
    "sí",  # the read-back is right
    "la 2",
    "sí",  # the option confirmed
]
ROW = "{name:34} {turns:>6} {tps:>9.1f} {p50:>8.2f} {p99:>8.2f}"
CHATTER = ["gracias", "¿puedo cancelar?", "¿qué cubre?", "vale", "¿cómo se paga?"]


def script(turns: int) -> list[str]:
    """The first `turns` messages of a conversation: the sale, then small talk."""
    return (SALE + [CHATTER[i % len(CHATTER)] for i in range(turns)])[:turns]


def run_graph(graph, context, conversations: int, turns: int, tag: str) -> list[float]:
    """Seconds per turn, for `conversations` × `turns` turns."""
    times = []
    texts = script(turns)
    for c in range(conversations):
        config = {"configurable": {"thread_id": f"+3460{tag}{c:06d}"}}
        for text in texts:
            start = time.perf_counter()
            graph.invoke(
                {"messages": [HumanMessage(text)]}, config, context=context, durability="exit"
            )
            times.append(time.perf_counter() - start)
    return times


def summary(name: str, times: list[float]) -> dict:
    """One table row: turns, turns per second, p50 and p99 in ms."""
    total = sum(times)
    q = statistics.quantiles(times, n=100)
    return {
        "name": name,
        "turns": len(times),
        "tps": len(times) / total,
        "p50": q[49] * 1000,
        "p99": q[98] * 1000,
    }


def bare_turn(
    builder: StateGraph[Any, Any, Any, Any], state: dict, turn_input: dict, runtime: Runtime[Any]
) -> int:
    """One turn of the graph's nodes called directly, updating `state` in place; nodes run."""
    reducers = {
        k: c.operator for k, c in builder.channels.items() if isinstance(c, BinaryOperatorAggregate)
    }

    def apply(update: dict) -> None:
        for key, value in update.items():
            state[key] = reducers[key](state.get(key, []), value) if key in reducers else value

    apply(turn_input)
    node: Any = next(end for start, end in builder.edges if start == START)
    runs = 0
    while node != END:
        out = cast(Any, builder.nodes[node].runnable).func(state, runtime)
        runs += 1
        update, goto = (out.update, out.goto) if isinstance(out, Command) else (out, None)
        apply(update or {})
        if goto is None and (branches := builder.branches.get(node)):
            (branch,) = branches.values()  # older trees: one conditional edge per node
            goto = cast(Any, branch.path).func(state)
        node = goto or next(end for start, end in builder.edges if start == node)
    return runs


def langgraph_cost(conversations: int, rounds: int) -> None:
    """Print the CPU of a graph turn against the same nodes called directly (see --langgraph)."""
    at = utc_now()
    context = AgentContext(brain=RulesBrain(), quotes=QuoteEngine(), clock=lambda: at)
    builder = build_graph()
    graph = builder.compile(checkpointer=InMemorySaver())
    runtime = Runtime(context=context)
    texts = script(10)

    def graph_run(tag: str) -> list[dict]:
        ends = []
        for c in range(conversations):
            config: RunnableConfig = {"configurable": {"thread_id": f"{tag}{c}"}}
            for text in texts:
                turn: AgentState = {
                    "messages": [HumanMessage(text, id=f"{c}:{text}")],
                    "channel": "whatsapp",
                }
                ends.append(graph.invoke(turn, config, context=context, durability="exit"))
        return ends

    def bare_run(tag: str) -> tuple[list[dict], int]:
        ends, runs = [], 0
        for c in range(conversations):
            state: dict = {}
            for text in texts:
                turn = {"messages": [HumanMessage(text, id=f"{c}:{text}")], "channel": "whatsapp"}
                runs += bare_turn(builder, state, turn, runtime)
                ends.append(dict(state))
        return ends, runs

    def plain(states: list[dict]) -> list[dict]:
        # AIMessages get random ids: compare what they say
        return [
            {**s, "messages": [(m.type, m.text) for m in s.get("messages", [])]} for s in states
        ]

    bare_ends, runs = bare_run("w")
    same = plain(graph_run("w")) == plain(bare_ends)
    cpu: dict[str, list[float]] = {"graph": [], "bare": []}
    for r in range(rounds):
        for name, run in (("graph", graph_run), ("bare", bare_run)):
            start = time.thread_time()
            run(f"{name}{r}")
            cpu[name].append((time.thread_time() - start) * 1000 / (conversations * len(texts)))
    graph_ms, bare_ms = statistics.median(cpu["graph"]), statistics.median(cpu["bare"])
    print(
        f"LangGraph turn, {conversations}×{len(texts)} turns, median of {rounds} rounds: "
        f"{graph_ms:.3f} ms CPU, the nodes alone {bare_ms:.3f} ms "
        f"({runs / (conversations * len(texts)):.2f} node steps a turn); LangGraph's own "
        f"{graph_ms - bare_ms:.3f} ms, {graph_ms / bare_ms:.2f}x the nodes; "
        f"same states: {'PASS' if same else 'FAIL'}"
    )


def conversation_bytes(client: redis.Redis, phone: str) -> int:
    """Bytes Redis holds for one phone's conversation (every key tagged with it)."""
    return sum(
        client.memory_usage(k, samples=0) or 0 for k in client.scan_iter(match=f"*{{{phone}}}*")
    )


def main() -> int:
    """Measure turns in memory and on Redis, and what a conversation costs in Redis memory."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, help="default 200; 30 with --langgraph")
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--long", type=int, default=100)
    parser.add_argument("--langgraph", action="store_true", help="LangGraph's own cost, only")
    parser.add_argument("--rounds", type=int, default=5, help="--langgraph rounds")
    args = parser.parse_args()
    if args.langgraph:
        langgraph_cost(args.conversations or 30, args.rounds)
        return 0
    args.conversations = args.conversations or 200

    context = AgentContext(brain=RulesBrain(), quotes=QuoteEngine())
    with tempfile.TemporaryDirectory() as tmp, RedisProcess(Path(tmp)) as server:
        client = redis.Redis.from_url(server.url)
        settings = Settings(_env_file=None, redis_url=server.url, agent_brain="rules")
        memory = build_graph().compile(checkpointer=InMemorySaver())
        on_redis = build_graph().compile(
            checkpointer=RedisSaver(
                client, ttl_seconds=settings.ttl_seconds, keep_last=settings.checkpoints_kept
            )
        )
        run_graph(memory, context, 5, args.turns, "9")  # warm-up: imports, regex caches
        run_graph(on_redis, context, 5, args.turns, "8")

        rows = []
        for label, conversations, turns in (
            (f"{args.conversations}×{args.turns}", args.conversations, args.turns),
            (f"1×{args.long}", 1, args.long),
        ):
            mem = summary(
                f"InMemorySaver {label}", run_graph(memory, context, conversations, turns, "1")
            )
            red = summary(
                f"RedisSaver    {label}", run_graph(on_redis, context, conversations, turns, "2")
            )
            rows += [mem, red, {"ratio": red["tps"] / mem["tps"], "label": label}]

        service = build_services(settings, redis_client=client, brain=RulesBrain()).conversations
        service_times = []
        for c in range(args.conversations // 4):
            for text in script(args.turns):
                start = time.perf_counter()
                service.turn(f"+3461{c:07d}", text)
                service_times.append(time.perf_counter() - start)
        full = summary(f"service turn  {args.conversations // 4}×{args.turns}", service_times)

        phone = "+34699999999"
        per_turn = []
        for text in script(args.long):
            start = time.perf_counter()
            service.turn(phone, text)
            per_turn.append(time.perf_counter() - start)
        size = conversation_bytes(client, phone)
        early = statistics.median(per_turn[2:8])
        late = statistics.median(per_turn[-6:])

    print(f"{'run':34} {'turns':>6} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for row in rows:
        if "ratio" in row:
            label, ratio = row["label"], row["ratio"]
            verdict = "PASS" if ratio >= 0.5 else "FAIL"
            print(
                f"  RedisSaver / InMemorySaver ({label}): {ratio:.2f}x (target >= 0.5x: {verdict})"
            )
        else:
            print(ROW.format(**row))
    print(ROW.format(**full))
    verdict = "PASS" if size <= 64 * 1024 else "FAIL"
    print(f"Redis bytes, one conversation of {args.long} turns: {size} ({verdict}, limit 64 KiB)")
    verdict = "PASS" if late <= 1.5 * early else "FAIL"
    print(
        f"service turn near message 5: {early * 1000:.2f} ms, near message {args.long}: "
        f"{late * 1000:.2f} ms ({late / early:.2f}x, target <= 1.5x: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
