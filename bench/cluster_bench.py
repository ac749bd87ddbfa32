"""End to end on one Redis node and on a local 3-master Redis Cluster, in the same run.

    .venv/bin/python -m bench.cluster_bench [--phones 200] [--turns 5] [--worker-procs 2]

The end-to-end part of `bench/webhook_bench.py` (gunicorn web app, `iagente worker` processes,
signed webhooks in, replies at a local fake Graph API, every message checked answered once and
in order), run twice with the same options: on one redis-server, then with REDIS_CLUSTER=1 on
three `redis-server` masters on 127.0.0.1 (`integrations/redis/local_cluster.py`). Options are
webhook_bench's end-to-end ones.

For the cluster it also prints where the work landed, from each master's INFO commandstats:
commands and command time (usec) per node, and the stream of work's own commands (XADD,
XREADGROUP, XACK, XDEL, XAUTOCLAIM) per message. The stream is one key, so one master serves
all of them: 1e6 / (its stream usec per message) is the message rate at which that one key
would fill a Redis core by itself, the bound sharding the stream would lift.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import redis

from bench._common import Children
from bench._e2e import end_to_end
from bench._webhook_stack import child_env
from bench.webhook_bench import parse_args
from integrations.redis.keys import queue_key
from integrations.redis.local_cluster import LocalCluster
from integrations.redis.server import RedisProcess

STREAM_COMMANDS = ("xadd", "xreadgroup", "xack", "xdel", "xautoclaim")


class EveryNode:
    """A RedisCluster client whose INFO and CLIENT LIST cover every node (the bench's reads)."""

    def __init__(self, cluster: redis.RedisCluster) -> None:
        """Wrap `cluster`; every other attribute is the cluster client's."""
        self._cluster = cluster

    def __getattr__(self, name: str) -> Any:
        """The cluster client's own attribute."""
        return getattr(self._cluster, name)

    def info(self, section: str) -> dict[str, float]:
        """The numeric fields of INFO `section`, added up over the nodes."""
        total: dict[str, float] = {}
        for node_info in self.per_node(section).values():
            for key, value in node_info.items():
                if isinstance(value, int | float):
                    total[key] = total.get(key, 0) + value
        return total

    def per_node(self, section: str) -> dict[str, dict]:
        """INFO `section` of each node, by node name."""
        return self._cluster.info(section, target_nodes=redis.RedisCluster.ALL_NODES)

    def client_list(self) -> list[dict]:
        """CLIENT LIST of every node, one list."""
        # With several target nodes, redis-py answers {node name: that node's list}.
        answer = cast(
            dict[str, list[dict]],
            self._cluster.client_list(target_nodes=redis.RedisCluster.ALL_NODES),
        )
        return [c for clients in answer.values() for c in clients]


def command_stats(client: EveryNode) -> dict[str, dict[str, tuple[int, int]]]:
    """(calls, usec) of every command, by node."""
    return {
        node: {
            name.removeprefix("cmdstat_"): (int(stat["calls"]), int(stat["usec"]))
            for name, stat in info.items()
            if name.startswith("cmdstat_")
        }
        for node, info in client.per_node("commandstats").items()
    }


def report_nodes(before: dict, after: dict, client: EveryNode, messages: int) -> None:
    """Commands and command time per node during the run, and the stream's own share."""
    queue_node = client.get_node_from_key(queue_key("iagente")).name
    print("  where the work landed (INFO commandstats, during the end-to-end part):")
    for node in sorted(after):

        def moved(command: str, node: str = node) -> tuple[int, int]:
            calls, usec = after[node].get(command, (0, 0))
            calls0, usec0 = before.get(node, {}).get(command, (0, 0))
            return calls - calls0, usec - usec0

        totals = [moved(c) for c in after[node]]
        calls, usec = sum(c for c, _ in totals), sum(u for _, u in totals)
        stream = [moved(c) for c in STREAM_COMMANDS]
        stream_calls, stream_usec = sum(c for c, _ in stream), sum(u for _, u in stream)
        tag = " (the stream of work)" if node == queue_node else ""
        print(
            f"    {node}{tag}: {calls} commands, {usec / 1e6:.2f} s of command time; "
            f"stream commands {stream_calls} ({stream_usec / 1e6:.2f} s)"
        )
        if node == queue_node and messages:
            per_message = stream_usec / messages
            print(
                f"    stream per message: {stream_calls / messages:.1f} commands, "
                f"{per_message:.1f} µs of the queue node's time → that one key alone would fill "
                f"its core at ~{1e6 / max(per_message, 1e-9):,.0f} messages/s"
            )


@contextmanager
def redis_for(mode: str, data_dir: Path) -> Iterator[tuple[str, Any]]:
    """(URL, client) of a fresh single server or cluster."""
    if mode == "single":
        with RedisProcess(data_dir) as server:
            client = redis.Redis.from_url(server.url)
            yield server.url, client
            client.close()
    else:
        with LocalCluster(data_dir, masters=3) as cluster:
            cluster_client = cluster.client()
            yield cluster.url, EveryNode(cluster_client)
            cluster_client.close()


def main(argv: list[str] | None = None) -> int:
    """Both runs; 0 when both passed their checks."""
    # The Graph API and posting it always had (webhook_bench's lean harness is opt-in here).
    args = parse_args(
        ["--skip-load", "--harness", "fake", *(sys.argv[1:] if argv is None else argv)]
    )
    tmp = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    results = {}
    try:
        for mode in ("single", "cluster"):
            print(f"\n=== {mode}: {'one redis-server' if mode == 'single' else '3 masters'} ===")
            # end_to_end builds its workers' environment from ours (child_env).
            if mode == "cluster":
                os.environ["REDIS_CLUSTER"] = "1"
            else:
                os.environ.pop("REDIS_CLUSTER", None)
            run_dir = tmp / mode
            run_dir.mkdir()
            with redis_for(mode, run_dir / "redis") as (url, client):
                env = child_env(url, run_dir / "var")
                before = command_stats(client) if mode == "cluster" else {}
                with Children(run_dir) as children:
                    results[mode] = end_to_end(children, env, client, url, args, run_dir)
                if mode == "cluster":
                    report_nodes(before, command_stats(client), client, args.phones * args.turns)
    finally:
        os.environ.pop("REDIS_CLUSTER", None)
        shutil.rmtree(tmp, ignore_errors=True)
    verdicts = ", ".join(f"{mode} {'PASS' if ok else 'FAIL'}" for mode, ok in results.items())
    print(f"\nchecks: {verdicts}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
