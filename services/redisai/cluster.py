"""The RedisAI backend's Redis as a Redis Cluster on this machine.

    python -m services up --redis-cluster 3      (POLYSERVE_REDIS_CLUSTER_MASTERS=3)

N masters, each with one replica: 2N redis-servers with our module, on 127.0.0.1 ports
redis_port .. redis_port + 2N - 1 (each one's cluster bus on its port + 10000), each with a
data folder of its own (run/redisai/cluster/<port>: AOF, RDB, the cluster's nodes.conf), all
under the backend's supervisord. Beside them runs `python -m services.redisai.cluster`: once
every node answers, it joins them at the first start with Redis's own tool, `redis-cli
--cluster create ... --cluster-replicas 1` (by hand below 3 masters, which it refuses; later
starts find the cluster in each node's nodes.conf), then idles, so that `serve` gets a
cluster as `start` does. The gateway and the exporter get the first node's URL and follow the
cluster from there (POLYSERVE_REDIS_CLUSTER); the models are deployed by `start`, or by the
gateway when it finds them missing.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis

from services.config import LOCALHOST, Settings
from services.process import wait_until
from services.redisai.server import CLUSTER_BUS_OFFSET, LocalRedis, RedisSettings, module_answers
from services.supervision import Program, Supervisor

NODE_TIMEOUT_MS = 5000
"""A master silent this long is failed over to its replica (Redis's default is 15 s)."""
CREATE_TIMEOUT_S = 60
SLOTS = 16384
REDIS_CLI_MIN_MASTERS = 3


@dataclass(frozen=True)
class LocalCluster:
    nodes: tuple[RedisSettings, ...]
    """Every node, the masters-to-be first (redis-cli makes the first N masters)."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """The settings that describe the cluster, for the program that joins it."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalCluster:
        single = RedisSettings.from_settings(settings)
        ports = range(single.port, single.port + 2 * settings.redis_cluster_masters)
        nodes = tuple(
            dataclasses.replace(
                single,
                port=port,
                data_dir=single.folder / "cluster" / str(port),
                cluster_node_timeout_ms=NODE_TIMEOUT_MS,
            )
            for port in ports
        )
        described = ("run", "redis_port", "redis_password", "redis_cluster_masters")
        return cls(nodes, settings.environment(*described))

    @property
    def folder(self) -> Path:
        """The backend's run folder (run/redisai), as with a single Redis: one supervisord."""
        return self.nodes[0].folder.parent

    @property
    def masters(self) -> int:
        return len(self.nodes) // 2

    def ports(self) -> dict[str, int]:
        """Every port the nodes listen on, clients' and the cluster bus's, by name."""
        ports = {}
        for node in self.nodes:
            ports[f"redis {node.port}"] = node.port
            ports[f"redis {node.port} cluster bus"] = node.port + CLUSTER_BUS_OFFSET
        return ports

    def programs(self) -> tuple[Program, ...]:
        nodes = tuple(Program(f"redis-{node.port}", tuple(node.command())) for node in self.nodes)
        joiner = Program("cluster", (sys.executable, "-m", __name__), env=self.environment)
        return (*nodes, joiner)

    def write_configs(self) -> None:
        for node in self.nodes:
            node.write_config()

    def wait_serving(self, log: Path, timeout_s: float = CREATE_TIMEOUT_S) -> None:
        """Until the cluster serves every slot (the program `cluster` creates it)."""
        wait_until(self.serving, timeout_s, "the Redis Cluster", log)

    def join(self, log: Path, timeout_s: float = CREATE_TIMEOUT_S) -> None:
        """Once every node's module answers, the cluster created if it never was."""
        for node in self.nodes:
            wait_until(lambda node=node: module_answers(node), timeout_s, "redis-server", log)
        if not self.created():
            self.create(log)

    def gateway_settings(self, settings: Settings) -> Settings:
        """`settings` pointed at the cluster (its first node, with the password)."""
        return settings.replace(redis_url=self.nodes[0].tcp_url(), redis_cluster=True)

    def created(self) -> bool:
        """The first node knows the others (nodes.conf keeps that across restarts)."""
        return cluster_info(self.nodes[0]).get("cluster_known_nodes", "1") != "1"

    def create(self, log: Path) -> None:
        """Redis's own tool, `redis-cli --cluster create --cluster-replicas 1`, as compose and
        Kubernetes run it; it refuses fewer than 3 masters, and the 1- and 2-master clusters
        are measured too (docs/redis-cluster.md), so those are joined by hand."""
        if self.masters < REDIS_CLI_MIN_MASTERS:
            self._create_by_hand(log)
            return
        addresses = [f"{LOCALHOST}:{node.port}" for node in self.nodes]
        command = ["redis-cli", "--cluster", "create", *addresses,
                   "--cluster-replicas", "1", "--cluster-yes"]  # fmt: skip
        environment = dict(os.environ)
        if self.nodes[0].password:  # by environment: never on a command line `ps` shows
            environment["REDISCLI_AUTH"] = self.nodes[0].password
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{done.stdout}{done.stderr}")

    def _create_by_hand(self, log: Path) -> None:
        """What redis-cli does: each master takes an equal range of the slots and an epoch
        of its own, the first node meets the others, each replica follows its master."""
        masters, replicas = self.nodes[: self.masters], self.nodes[self.masters :]
        for index, node in enumerate(self.nodes):
            with node.client() as client:
                client.execute_command("CLUSTER", "SET-CONFIG-EPOCH", index + 1)
                if index < self.masters:
                    first = SLOTS * index // self.masters
                    last = SLOTS * (index + 1) // self.masters - 1
                    client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
        with self.nodes[0].client() as client:
            for node in self.nodes[1:]:
                client.execute_command("CLUSTER", "MEET", LOCALHOST, node.port)
        wait_until(self._all_met, CREATE_TIMEOUT_S, "the nodes' meeting", log)
        for master, replica in zip(masters, replicas, strict=True):
            with master.client() as client:
                master_id = client.execute_command("CLUSTER", "MYID").decode()
            with replica.client() as client:
                client.execute_command("CLUSTER", "REPLICATE", master_id)

    def _all_met(self) -> bool:
        return all(
            cluster_info(node).get("cluster_known_nodes") == str(len(self.nodes))
            for node in self.nodes
        )

    def serving(self) -> bool:
        """Every node says the cluster is ok (every slot served) and it has all its masters,
        and each master's replica is in sync with it."""
        infos = [cluster_info(node) for node in self.nodes]
        return all(
            info.get("cluster_state") == "ok" and info.get("cluster_size") == str(self.masters)
            for info in infos
        ) and all(replicated(node) for node in self.nodes)


def replicated(node: RedisSettings) -> bool:
    """A master has a replica connected; a replica's link to its master is up."""
    try:
        with node.client() as client:
            info = client.info("replication")
    except redis.RedisError:
        return False
    if info.get("role") == "master":
        return int(info.get("connected_slaves", 0)) >= 1
    return info.get("master_link_status") == "up"


def cluster_info(node: RedisSettings) -> dict[str, str]:
    """CLUSTER INFO's fields ({} when the node does not answer)."""
    try:
        with node.client() as client:
            text = client.execute_command("CLUSTER", "INFO").decode()
    except redis.RedisError:
        return {}
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


def local_redis(settings: Settings) -> LocalRedis:
    """The backend's Redis as the settings ask: a cluster (POLYSERVE_REDIS_CLUSTER_MASTERS)
    or a single one."""
    if settings.redis_cluster_masters:
        return LocalCluster.from_settings(settings)
    return RedisSettings.from_settings(settings)


def main() -> None:
    """The supervised program beside the nodes: joins them, then idles (supervisord keeps
    programs running; this one has no more to do)."""
    settings = Settings.load()
    cluster = LocalCluster.from_settings(settings)
    cluster.join(Supervisor(cluster.folder, cluster.programs()).log)
    print(f"the Redis Cluster of {cluster.masters} masters is formed", flush=True)
    signal.pause()


if __name__ == "__main__":
    main()
