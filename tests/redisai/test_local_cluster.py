"""`python -m services up --redis-cluster N`: the local cluster's nodes, their configuration,
and the backend under supervisord for real (nodes joined by the supervised joiner, models
deployed, a killed node restarted)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from services.config import Settings
from services.lifecycle import bring_up
from services.process import free_port, wait_until
from services.redisai.cluster import LocalCluster, local_redis
from services.redisai.copies import INDEX_KEY
from services.redisai.server import CLUSTER_BUS_OFFSET, RedisSettings, lifecycle
from services.stack import backends
from services.supervision import Supervisor
from tests.redisai.cluster_stack import PASSWORD, consecutive_free_ports


def cluster_settings(run: Path, masters: int, port: int = 7000) -> Settings:
    return Settings.load(run=run, redis_port=port, redis_password=PASSWORD,
                         redis_cluster_masters=masters)  # fmt: skip


def test_n_masters_make_2n_nodes_on_consecutive_ports_each_with_its_folder(
    tmp_path: Path,
) -> None:
    cluster = LocalCluster.from_settings(cluster_settings(tmp_path, 3))
    assert [node.port for node in cluster.nodes] == list(range(7000, 7006))
    assert cluster.masters == 3
    assert len({node.data_dir for node in cluster.nodes}) == 6
    assert cluster.folder == tmp_path / "redisai"  # one supervisord, as with a single Redis
    names = [program.name for program in cluster.programs()]
    assert names == [f"redis-{port}" for port in range(7000, 7006)] + ["cluster"]
    ports = cluster.ports()
    assert ports["redis 7005 cluster bus"] == 7005 + CLUSTER_BUS_OFFSET
    assert len(ports) == 12


def test_a_cluster_node_s_configuration(tmp_path: Path) -> None:
    [node, *_] = LocalCluster.from_settings(cluster_settings(tmp_path, 1)).nodes
    config = node.config()
    for line in ('"cluster-enabled" "yes"', '"cluster-port" "17000"',
                 '"cluster-require-full-coverage" "no"', f'"masterauth" "{PASSWORD}"'):  # fmt: skip
        assert line in config
    assert "unixsocket" not in config  # redirections name TCP addresses
    single = RedisSettings.from_settings(cluster_settings(tmp_path, 0)).config()
    assert "cluster-enabled" not in single
    assert '"TORCH_ONEDNN" "0"' in single  # the stack's default: small models run better
    on = RedisSettings.from_settings(cluster_settings(tmp_path, 0).replace(torch_onednn=True))
    assert '"TORCH_ONEDNN" "1"' in on.config()


def test_the_settings_pick_the_local_redis_and_the_gateway_follows(tmp_path: Path) -> None:
    assert isinstance(local_redis(cluster_settings(tmp_path, 0)), RedisSettings)
    settings = cluster_settings(tmp_path, 2)
    cluster = local_redis(settings)
    assert isinstance(cluster, LocalCluster)
    gateway = cluster.gateway_settings(settings)
    assert gateway.redis_cluster
    assert gateway.redis_url == f"redis://:{PASSWORD}@127.0.0.1:7000/0"
    redisai = backends(settings)["redisai"]
    assert redisai.environment == {"POLYSERVE_REDIS_CLUSTER_MASTERS": "2"}
    assert set(redisai.ports.values()) >= {7000, 7003, 17003}


@pytest.fixture
def supervised(tmp_path: Path, served_files: object) -> Iterator[tuple[Settings, LocalCluster]]:
    """The RedisAI backend on a 1-master cluster, started as `services up` starts it."""
    settings = cluster_settings(tmp_path, 1, consecutive_free_ports(2))
    settings = settings.replace(gateway_port=free_port())
    cluster = LocalCluster.from_settings(settings)
    backend = lifecycle(cluster, settings)
    bring_up(backend)
    try:
        yield settings, cluster
    finally:
        backend.supervisor.stop()


def test_the_supervised_cluster_is_joined_deployed_and_heals_a_killed_node(
    supervised: tuple[Settings, LocalCluster],
) -> None:
    settings, cluster = supervised
    url = f"http://127.0.0.1:{settings.gateway_port}/predictions/fizzbuzz"
    assert requests.post(url, data='{"input.1": 14}', timeout=10).json() == {
        "next_number": "FizzBuzz"
    }
    master, replica = cluster.nodes
    with redis.Redis(port=replica.port, password=PASSWORD) as client:
        assert client.info("replication")["role"] == "slave"
    with redis.RedisCluster(host="127.0.0.1", port=master.port, password=PASSWORD) as client:
        assert client.hget(INDEX_KEY, "fizzbuzz") == b"fizzbuzz{0}"  # the one master's tag
    supervisor = lifecycle(cluster, settings).supervisor
    pid = {state.name: state.pid for state in supervisor.states()}[f"redis-{master.port}"]
    os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: requests.post(url, data='{"input.1": 14}', timeout=10).status_code == 200,
        30, "the gateway after the master's restart", cluster.folder / "logs" / "gateway.log",
    )  # fmt: skip
    # The gateway can answer again before supervisord counts the new process RUNNING (its
    # startsecs): the restart is waited for, not read once.
    wait_until(
        lambda: _running_again(supervisor, f"redis-{master.port}", pid),
        10, "the restarted master RUNNING", cluster.folder / "logs" / "supervisord.log",
    )  # fmt: skip


def _running_again(supervisor: Supervisor, program: str, old_pid: int) -> bool:
    state = next((state for state in supervisor.states() if state.name == program), None)
    return state is not None and state.pid != old_pid and state.state == "RUNNING"
