"""The RedisAI backend on a Redis Cluster (3 masters, 3 replicas), real servers throughout:
the module's keys as the cluster routes them, the deployment's copies, and the gateway
through a failover, a slot migration and a new master. (The contract suites run against the
same backend: tests/contract's `redisai-cluster`.)"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from redis.cluster import RedisCluster
from redis.exceptions import MovedError

from exporters.redisai import Batching, verify
from exporters.redisai_cluster import deploy_to_cluster
from models import registry
from models.fizzbuzz.spec import SPEC
from services.process import http_ok, wait_until
from services.redisai.cluster import cluster_info
from services.redisai.copies import INDEX_KEY, index_keys
from services.redisai.gateway.cluster import INDEX_EVERY_S
from tests.redisai.cluster_stack import CLUSTER_SETTINGS, PASSWORD, ClusterStack, redis_cluster
from tests.redisai.stack import gateway

CROSSSLOT = "Keys in request don't hash to the same slot"
FAILOVER_WITHIN_S = 15
LOAD_CONNECTIONS = 8
FAILED_REQUESTS_BOUND = LOAD_CONNECTIONS
"""A request fails only if it was on a connection to the killed master and no other copy
answered it in time: at most one a load connection."""


@contextmanager
def deployed_cluster(run_dir: Path) -> Iterator[ClusterStack]:
    with redis_cluster(run_dir, spares=2) as stack:
        with stack.client() as client:
            deploy_to_cluster(client, registry.served(), Batching())
        yield stack


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, served_files: object
) -> Iterator[ClusterStack]:
    """One cluster for the tests that change nothing a later test looks at."""
    with deployed_cluster(tmp_path_factory.mktemp("shared-cluster")) as stack:
        yield stack


@pytest.fixture
def stack(tmp_path: Path, served_files: object) -> Iterator[ClusterStack]:
    """A cluster of the test's own, for the tests that kill, move or delete."""
    with deployed_cluster(tmp_path) as stack:
        yield stack


@pytest.fixture
def gateway_url(stack: ClusterStack, tmp_path: Path) -> Iterator[str]:
    with gateway(stack.url, tmp_path, settings=CLUSTER_SETTINGS) as url:
        wait_until(lambda: http_ok(f"{url}/ping"), 30, "gateway /ping", tmp_path / "gateway.log")
        yield url


def node(stack: ClusterStack, port: int) -> redis.Redis:
    return redis.Redis(port=port, password=PASSWORD, socket_timeout=30)


def copies(client: RedisCluster, model: str = "fizzbuzz") -> list[str]:
    return index_keys(client.hget(INDEX_KEY, model))


def calls(client: RedisCluster, key: str) -> int:
    info = client.execute_command("AI.INFO", key)
    return int(dict(zip(info[::2], info[1::2], strict=True))[b"calls"])


def ask_fizzbuzz(url: str) -> requests.Response:
    return requests.post(f"{url}/predictions/fizzbuzz", data='{"input.1": 14}', timeout=10)


def test_each_master_holds_a_copy_and_a_second_deployment_changes_nothing(
    shared: ClusterStack,
) -> None:
    with shared.client() as client:
        masters = {master.name for master in client.get_primaries()}
        for spec in registry.served():
            keys = copies(client, spec.name)
            assert {client.get_node_from_key(key).name for key in keys} == masters
            assert len(keys) == len(masters)
        again = deploy_to_cluster(client, registry.served(), Batching())
    assert all(not stored for model in again.values() for _, stored in model)


def test_commands_across_slots_are_refused_with_redis_own_error(shared: ClusterStack) -> None:
    with shared.client() as client:
        key = copies(client)[0]
        tag = key[key.index("{") :]
        owner = client.get_node_from_key(key)
    here = node(shared, owner.port)
    here.execute_command("AI.TENSORSET", f"x{tag}", "FLOAT", 1, 10, "VALUES", *[0] * 10)
    refused = [
        ("AI.MODELEXECUTE", key, "INPUTS", 1, "x{elsewhere}", "OUTPUTS", 1, f"y{tag}"),
        ("AI.DAGEXECUTE", "LOAD", 1, f"x{tag}", "PERSIST", 1, "y{elsewhere}",
         "|>", "AI.MODELEXECUTE", key, "INPUTS", 1, f"x{tag}", "OUTPUTS", 1, "y{elsewhere}"),
        ("AI.DAGEXECUTE_RO", "LOAD", 1, "x{elsewhere}",
         "|>", "AI.MODELEXECUTE", key, "INPUTS", 1, "x{elsewhere}", "OUTPUTS", 1, "y"),
    ]  # fmt: skip
    for command in refused:
        with pytest.raises(redis.ResponseError, match=CROSSSLOT):
            here.execute_command(*command)
    # One slot: served, and PERSIST writes the output beside the model.
    here.execute_command(
        "AI.DAGEXECUTE", "LOAD", 1, f"x{tag}", "PERSIST", 1, f"y{tag}",
        "|>", "AI.MODELEXECUTE", key, "INPUTS", 1, f"x{tag}", "OUTPUTS", 1, f"y{tag}",
    )  # fmt: skip
    assert here.execute_command("AI.TENSORGET", f"y{tag}", "META")[-1] == [1, 4]


def test_a_replica_serves_read_only_runs_and_redirects_writes(shared: ClusterStack) -> None:
    with shared.client() as client:
        key = copies(client)[0]
        slot = client.keyslot(key)
        # CLUSTER SLOTS lists a replica once gossip has its replication offset (not 0).
        wait_until(lambda: _replica_listed(client, key), 15, "a replica in CLUSTER SLOTS",
                   shared.log(shared.cluster.nodes[0]))  # fmt: skip
        replica = client.get_node_from_key(key, replica=True)
        master = client.get_node_from_key(key)
    assert replica.server_type == "replica"
    reader = node(shared, replica.port)
    reader.execute_command("READONLY")
    reply = reader.execute_command(
        "AI.DAGEXECUTE_RO", "ROUTING", key,
        "|>", "AI.TENSORSET", "x", "FLOAT", 1, 10, "VALUES", *[0] * 10,
        "|>", "AI.MODELEXECUTE", key, "INPUTS", 1, "x", "OUTPUTS", 1, "y",
        "|>", "AI.TENSORGET", "y", "META",
    )  # fmt: skip
    assert reply[-1][-1] == [1, 4]
    tag = key[key.index("{") :]
    with pytest.raises(MovedError, match=f"^{slot} 127.0.0.1:{master.port}$"):  # MOVED
        reader.execute_command("AI.MODELEXECUTE", key, "INPUTS", 1, f"x{tag}",
                               "OUTPUTS", 1, f"y{tag}")  # fmt: skip


def _replica_listed(client: RedisCluster, key: str) -> bool:
    client.nodes_manager.initialize()
    return client.get_node_from_key(key, replica=True) is not None


class Load:
    """LOAD_CONNECTIONS clients asking the gateway without pause; every answer recorded."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.outcomes: list[tuple[float, int]] = []  # (when, HTTP status; 0: no answer)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._ask) for _ in range(LOAD_CONNECTIONS)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def _ask(self) -> None:
        with requests.Session() as session:
            while not self.stopping.is_set():
                try:
                    status = session.post(
                        f"{self.url}/predictions/fizzbuzz", data='{"input.1": 14}', timeout=10
                    ).status_code
                except requests.RequestException:
                    status = 0
                self.outcomes.append((time.monotonic(), status))

    def statuses(self, after: float = 0.0) -> Counter[int]:
        return Counter(status for when, status in self.outcomes if when >= after)


def test_a_killed_master_fails_over_and_the_gateway_keeps_serving(
    stack: ClusterStack, gateway_url: str
) -> None:
    with stack.client() as client:
        victim = client.get_node_from_key(copies(client)[1])
    survivor = next(node for node in stack.cluster.nodes if node.port != victim.port)
    with Load(gateway_url) as load:
        time.sleep(1)
        killed_at = time.monotonic()
        stack.kill(victim.port)
        wait_until(
            lambda: cluster_info(survivor).get("cluster_state") == "ok"
            and _promoted_instead_of(stack, victim.port),
            FAILOVER_WITHIN_S, "the replica's promotion", stack.log(survivor),
        )  # fmt: skip
        promoted_after_s = time.monotonic() - killed_at
        time.sleep(3)  # the gateway's slot map follows the promotion
    before, during = load.statuses(), load.statuses(after=killed_at)
    served_at_the_end = load.statuses(after=time.monotonic() - 2.5)
    print(f"promoted after {promoted_after_s:.1f} s; answers since the kill: {dict(during)}")
    assert set(before) <= {200, 503}
    assert before[200] > 100
    assert sum(during.values()) - during[200] <= FAILED_REQUESTS_BOUND
    assert set(served_at_the_end) == {200}
    # No model lost: every copy answers its probe, the promoted replica's too.
    with RedisCluster.from_url(stack.url, socket_timeout=30) as client:
        for spec in registry.served():
            for key in copies(client, spec.name):
                verify(client, spec, key)
    assert http_ok(f"{gateway_url}/ping")


def test_a_copy_deleted_is_passed_over_and_put_back_by_the_gateway(
    stack: ClusterStack, gateway_url: str
) -> None:
    with stack.client() as client:
        deleted = copies(client)[0]
        client.execute_command("AI.MODELDEL", deleted)
        assert all(ask_fizzbuzz(gateway_url).status_code == 200 for _ in range(20))
        # The gateway runs the deployment, which stores the copy again under its key.
        wait_until(lambda: _stored(client, deleted), 60, "the copy's redeployment",
                   stack.log(stack.cluster.nodes[0]))  # fmt: skip
        assert copies(client)[0] == deleted


def _stored(client: RedisCluster, key: str) -> bool:
    try:
        client.execute_command("AI.MODELGET", key, "META")
    except redis.ResponseError:
        return False
    return True


def _promoted_instead_of(stack: ClusterStack, dead_port: int) -> bool:
    """Every slot is served again by a master that answers (the dead one's replica)."""
    survivor = next(node for node in stack.cluster.nodes if node.port != dead_port)
    try:
        slot_map = node(stack, survivor.port).execute_command("CLUSTER", "SLOTS")
    except redis.RedisError:
        return False
    return all(int(master[1]) != dead_port for _, _, master, *_ in slot_map)


def test_a_new_master_gets_its_copy_and_a_moving_slot_is_followed(
    stack: ClusterStack, gateway_url: str
) -> None:
    """The slot of the first master's copy moves to a new master, half-way (ASK) then for
    good (MOVED), while the gateway is asked; a second deployment gives the first master a
    copy again; the gateway then sends requests to all four."""
    new, new_replica = stack.spare(0), stack.spare(1)
    for spare in (new, new_replica):
        stack.start(spare)
    seed = f"127.0.0.1:{stack.cluster.nodes[0].port}"
    _redis_cli("--cluster", "add-node", f"127.0.0.1:{new.port}", seed)
    new_id = node(stack, new.port).execute_command("CLUSTER", "MYID").decode()
    with stack.client() as client:
        moving = copies(client)[0]
        source = client.get_node_from_key(moving)
        slot = client.keyslot(moving)
    old, target = node(stack, source.port), node(stack, new.port)
    old_id = old.execute_command("CLUSTER", "MYID").decode()
    wait_until(lambda: _all_know(stack, new_id), 15, "the new master's introduction",
               stack.log(new))  # fmt: skip
    _redis_cli("--cluster", "add-node", f"127.0.0.1:{new_replica.port}", seed,
               "--cluster-slave", "--cluster-master-id", new_id)  # fmt: skip

    target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", old_id)
    old.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", new_id)
    keys = old.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100)
    old.execute_command("MIGRATE", "127.0.0.1", new.port, "", 0, 5000,
                        "AUTH", PASSWORD, "KEYS", *keys)  # fmt: skip
    half_way = [ask_fizzbuzz(gateway_url).status_code for _ in range(30)]  # ASK for `moving`
    for each in (target, old):
        each.execute_command("CLUSTER", "SETSLOT", slot, "NODE", new_id)
    wait_until(lambda: _everyone_says(stack, slot, new.port), 15,
               "the slot's new owner known to every node", stack.log(new))  # fmt: skip
    moved = [ask_fizzbuzz(gateway_url).status_code for _ in range(30)]  # MOVED, then the map
    assert set(half_way) == set(moved) == {200}

    with stack.client() as client:
        client.nodes_manager.initialize()
        assert client.get_node_from_key(moving).port == new.port
        redeployed = deploy_to_cluster(client, [SPEC], Batching())["fizzbuzz"]
        keys_now = copies(client)
        owners = {client.get_node_from_key(key).port for key in keys_now}
        assert len(keys_now) == len(owners) == 4
        assert moving in keys_now  # kept where the resharding put it
        assert sum(stored for _, stored in redeployed) == 1  # the first master's new copy
        time.sleep(INDEX_EVERY_S + 0.5)  # the gateway reads the index again
        ask_fizzbuzz(gateway_url)  # ...starting with this request
        time.sleep(0.5)
        before = {key: calls(client, key) for key in keys_now}
        assert all(ask_fizzbuzz(gateway_url).status_code == 200 for _ in range(40))
        after = {key: calls(client, key) for key in keys_now}
    assert all(after[key] > before[key] for key in keys_now), (before, after)


def _everyone_says(stack: ClusterStack, slot: int, port: int) -> bool:
    """Every node's CLUSTER SLOTS gives `slot` to the master on `port`."""
    for each in (*stack.cluster.nodes, stack.spare(0)):
        slot_map = node(stack, each.port).execute_command("CLUSTER", "SLOTS")
        owners = [int(master[1]) for first, last, master, *_ in slot_map if first <= slot <= last]
        if owners != [port]:
            return False
    return True


def _all_know(stack: ClusterStack, node_id: str) -> bool:
    """Every node of the cluster has heard of `node_id`, and it of them (redis-cli's checks
    want all to agree), and it has learned every slot's owner: until then its cluster state is
    `fail` and it answers a MIGRATE into it with CLUSTERDOWN."""
    info = cluster_info(stack.spare(0))
    known = info.get("cluster_known_nodes")
    return (
        known == str(len(stack.cluster.nodes) + 1)
        and info.get("cluster_state") == "ok"
        and all(
            node_id in node(stack, each.port).execute_command("CLUSTER", "NODES").decode()
            for each in stack.cluster.nodes
        )
    )


def _redis_cli(*arguments: str) -> None:
    done = subprocess.run(
        ["redis-cli", *arguments],
        env={**os.environ, "REDISCLI_AUTH": PASSWORD},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
