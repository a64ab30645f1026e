"""The RedisAI backend on a Redis Cluster for tests: the local cluster's nodes (the same
configurations as `python -m services up --redis-cluster N`), each a plain process here so a
test can kill one for good (a lost machine: supervisord would restart it), the models
deployed one copy a master, and the gateway."""

from __future__ import annotations

import dataclasses
import random
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from redis.cluster import RedisCluster

from exporters.redisai import Batching
from exporters.redisai_cluster import deploy_to_cluster
from models import registry
from services.config import Settings
from services.process import http_ok, port_is_free, spawn, stop_group, wait_until
from services.redisai.cluster import LocalCluster
from services.redisai.server import CLUSTER_BUS_OFFSET, RedisSettings
from tests.redisai.stack import gateway

PASSWORD = "cluster-test"
CLUSTER_SETTINGS = {"POLYSERVE_REDIS_CLUSTER": "true"}


@dataclass
class ClusterStack:
    cluster: LocalCluster
    run_dir: Path
    processes: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.cluster.nodes[0].tcp_url()

    def client(self) -> RedisCluster:
        return RedisCluster.from_url(self.url, socket_timeout=30)

    def start(self, node: RedisSettings, wait: bool = True) -> None:
        """The node's process, and (`wait`) until its module answers: a spare is asked to
        join the cluster right after."""
        node.write_config()
        self.processes[node.port] = spawn(node.command(), self.log(node))
        if wait:
            node.wait_serving(self.log(node))

    def spare(self, index: int) -> RedisSettings:
        """A node not in the cluster (yet), on a port after its nodes' (see `spares`)."""
        last = self.cluster.nodes[-1]
        port = last.port + 1 + index
        return dataclasses.replace(last, port=port, data_dir=last.data_dir.parent / str(port))

    def kill(self, port: int) -> None:
        """kill -9 of the node: it stays down."""
        self.processes.pop(port).kill()

    def log(self, node: RedisSettings) -> Path:
        return self.run_dir / f"redis-{node.port}.log"

    def stop(self) -> None:
        for process in self.processes.values():
            stop_group(process.pid)
        self.processes.clear()


def _ephemeral_start() -> int:
    """Where the kernel's ports for outgoing connections begin (32768 unless tuned)."""
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def consecutive_free_ports(count: int) -> int:
    """The first of `count` free loopback ports in a row whose cluster-bus ports are free too,
    all below the ephemeral range: a node started later (a spare) must still find its bus
    port free, and any outgoing connection may take a port in that range meanwhile."""
    last_first = _ephemeral_start() - CLUSTER_BUS_OFFSET - count
    for _ in range(100):
        first = random.randrange(20000, last_first)
        ports = [*range(first, first + count)]
        if all(port_is_free(p) and port_is_free(p + CLUSTER_BUS_OFFSET) for p in ports):
            return first
    raise RuntimeError(f"no {count} free ports in a row")


@contextmanager
def redis_cluster(run_dir: Path, masters: int = 3, spares: int = 0) -> Iterator[ClusterStack]:
    """A cluster of `masters` masters with a replica each, serving every slot; the ports of
    `spares` more nodes free after theirs."""
    settings = Settings.load(
        run=run_dir,
        redis_port=consecutive_free_ports(2 * masters + spares),
        redis_password=PASSWORD,
        redis_cluster_masters=masters,
    )
    stack = ClusterStack(LocalCluster.from_settings(settings), run_dir)
    try:
        for node in stack.cluster.nodes:
            stack.start(node, wait=False)  # they load side by side; `join` waits for each
        stack.cluster.join(stack.log(stack.cluster.nodes[0]))
        stack.cluster.wait_serving(stack.log(stack.cluster.nodes[0]))
        yield stack
    finally:
        stack.stop()


@contextmanager
def redisai_cluster_backend(run_dir: Path) -> Iterator[str]:
    """The whole backend on a 3-master cluster, every served model deployed on each."""
    with redis_cluster(run_dir) as stack:
        with stack.client() as client:
            deploy_to_cluster(client, registry.served(), Batching())
        with gateway(stack.url, run_dir, settings=CLUSTER_SETTINGS) as url:
            wait_until(lambda: http_ok(f"{url}/ping"), 30, "gateway /ping", run_dir / "gateway.log")
            yield url
