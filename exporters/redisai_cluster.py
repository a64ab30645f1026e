"""Deploying into a Redis Cluster: a copy of every model on every master.

    python -m exporters redisai --cluster [URL] [--model NAME] [--batchsize N ...]
    (or POLYSERVE_REDIS_CLUSTER=true with POLYSERVE_REDIS_URL any node's URL)

Where the copies go and how the gateway finds them: services/redisai/copies.py. Every node
must have the module loaded. For each model, a master keeps the copy the index already lists
on it (a resharding moves slots with their keys, so a master may hold a copy it was not given,
or none); a master without one gets one under its own tag. Each copy is stored unless current
(the same sha256 TAG and batching, as on a single Redis) and checked with the model's probe;
then the index lists one copy per master. So a re-run after a failover (the promoted replica
has its master's keys) changes nothing, and one after a resharding fills the masters left
without a copy. A copy no longer indexed (two on one master after a resharding) is left alone.
"""

from __future__ import annotations

from redis.cluster import RedisCluster

from exporters.redisai import Batching, DeployError, exported, store
from models.spec import ModelSpec
from services.redisai.copies import INDEX_KEY, copy_key, first_tag, index_keys, index_value

Deployed = dict[str, list[tuple[str, bool]]]
"""model -> (a copy's key, whether it was (re)stored), one per master."""


def require_module_everywhere(client: RedisCluster) -> None:
    for node in client.get_nodes():
        modules = client.execute_command("MODULE LIST", target_nodes=node)
        if not any(module.get(b"name") == b"ai" for module in modules):
            raise DeployError(f"the cluster's node {node.name} has no RedisAI module loaded")


def copies_by_master(client: RedisCluster, model: str, indexed: list[str]) -> dict[str, str]:
    """Each master serving slots -> the key of its copy of `model`: one the index lists
    that now lives there, else one under the master's tag."""
    masters = sorted(node.name for node in client.get_primaries())
    copies: dict[str, str] = {}
    for key in indexed:
        owner = client.get_node_from_key(key).name
        if owner in masters:
            copies.setdefault(owner, key)
    for master in masters:
        if master not in copies:
            tag = first_tag(lambda key, master=master: client.get_node_from_key(key).name == master)
            copies[master] = copy_key(model, tag)
    return {master: copies[master] for master in masters}


def deploy_to_cluster(
    client: RedisCluster, specs: list[ModelSpec], batching: Batching
) -> Deployed:
    """Each model (exported first where needed) on every master, then indexed."""
    require_module_everywhere(client)
    deployed: Deployed = {}
    for spec in specs:
        files = exported(spec)
        indexed = index_keys(client.hget(INDEX_KEY, spec.name))
        keys = list(copies_by_master(client, spec.name, indexed).values())
        deployed[spec.name] = [(key, store(client, spec, files, batching, key)) for key in keys]
        client.hset(INDEX_KEY, spec.name, index_value(keys))
    return deployed
