"""Deploy TorchScript artifacts into a running Redis with our RedisAI module.

    python -m exporters redisai [--model NAME] [--redis URL] [--batchsize N ...]
    python -m exporters redisai --cluster [URL] ...      (exporters/redisai_cluster.py)

Every served model (or the one named), each AI.MODELSTORE'd under its name, TAG = the weights'
sha256 (from the manifest), with the auto-batching options given (per model: deploy them one
at a time with --model). Idempotent: a model already stored with the same tag and options is
left alone. Each stored model is then checked with its readiness probe.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, fields

import numpy as np
import redis
from redis.cluster import RedisCluster

from exporters.pipeline import ensure_exported
from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from services.config import Settings
from services.redisai.gateway.redis_model import REDISAI_TYPES


class DeployError(RuntimeError):
    """The server cannot take or serve the model; the message says why."""


@dataclass(frozen=True)
class Batching:
    batchsize: int = 0
    minbatchsize: int = 0
    minbatchtimeout: int = 0

    @classmethod
    def of_meta(cls, meta: dict[bytes, object]) -> Batching:
        """The batching a model was stored with, from its `AI.MODELGET ... META` reply."""
        return cls(*(int(str(meta[field.name.encode()])) for field in fields(cls)))

    def arguments(self) -> list[object]:
        if not self.batchsize:
            return []
        arguments: list[object] = ["BATCHSIZE", self.batchsize]
        if self.minbatchsize:
            arguments += ["MINBATCHSIZE", self.minbatchsize]
            if self.minbatchtimeout:
                arguments += ["MINBATCHTIMEOUT", self.minbatchtimeout]
        return arguments


def require_module(client: redis.Redis) -> None:
    if not any(module.get(b"name") == b"ai" for module in client.module_list()):
        raise DeployError(
            "this Redis has no RedisAI module loaded "
            "(start it with `python -m services.redisai start`, or --loadmodule redisai.so)"
        )


def stored_meta(client: redis.Redis, key: str) -> dict[bytes, object] | None:
    try:
        meta = client.execute_command("AI.MODELGET", key, "META")
    except redis.ResponseError:
        return None  # no such model (or another type: MODELSTORE reports that)
    return dict(zip(meta[::2], meta[1::2], strict=True))


def is_current(meta: dict[bytes, object] | None, tag: str, batching: Batching) -> bool:
    return (
        meta is not None and meta.get(b"tag") == tag.encode() and Batching.of_meta(meta) == batching
    )


def verify(client: redis.Redis, spec: ModelSpec, key: str | None = None) -> None:
    """Run the model's readiness probe through the model stored at `key` (default: its
    name); DeployError unless right. One read-only DAG, as the gateway asks: it writes no key
    (two deployments at once do not share tensors), and its one key, the model's, routes it
    on a Redis Cluster."""
    key = key or spec.name
    request = spec.probe_request()
    inputs = request.inputs
    replies = client.execute_command(
        "AI.DAGEXECUTE_RO", "ROUTING", key,
        "|>", "AI.TENSORSET", "input", REDISAI_TYPES[spec.input.datatype], *inputs.shape,
        "BLOB", inputs.tobytes(),
        "|>", "AI.MODELEXECUTE", key, "INPUTS", 1, "input", "OUTPUTS", 1, "output",
        "|>", "AI.TENSORGET", "output", "BLOB",
    )  # fmt: skip
    # An op's error comes back as its reply (the ops after it answer NA).
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            raise reply
    blob = replies[-1]
    outputs = np.frombuffer(blob, dtype=spec.output.dtype).reshape(
        len(inputs), *spec.output.shape[1:]
    )
    answer = spec.codec.encode(request, outputs)
    if not spec.probe.answered_by(answer):
        raise DeployError(f"the stored {key} answers its probe {answer}")


def deploy(
    client: redis.Redis, spec: ModelSpec, files: ModelFiles, batching: Batching = Batching()
) -> bool:
    """Store the model unless it is already there as asked; True if it was (re)stored."""
    require_module(client)
    return store(client, spec, files, batching, spec.name)


def store(
    client: redis.Redis, spec: ModelSpec, files: ModelFiles, batching: Batching, key: str
) -> bool:
    """The model at `key` unless it is there as asked already, then checked; True if stored."""
    stored = False
    if not is_current(stored_meta(client, key), files.version, batching):
        blob = files.torchscript.read_bytes()
        client.execute_command(
            "AI.MODELSTORE", key, "TORCH", "CPU", "TAG", files.version,
            *batching.arguments(), "BLOB", blob,
        )  # fmt: skip
        stored = True
    verify(client, spec, key)
    return stored


def deploy_all(
    client: redis.Redis, specs: list[ModelSpec], batching: Batching = Batching()
) -> dict[str, bool]:
    """Each model, exported first where needed; model -> whether it was (re)stored."""
    return {spec.name: deploy(client, spec, exported(spec), batching) for spec in specs}


def exported(spec: ModelSpec) -> ModelFiles:
    """The model's files, its TorchScript exported first if missing or stale."""
    files = ModelFiles.of(spec.name)
    ensure_exported(spec, files, ["torchscript"])
    return files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporters redisai", description=__doc__)
    parser.add_argument("--model", help="one model (default: every served one)")
    parser.add_argument("--redis", help="default: $POLYSERVE_REDIS_URL, else the local Redis")
    parser.add_argument(
        "--cluster", nargs="?", const="", metavar="URL",
        help="the Redis is a Redis Cluster (URL: any node's; default: --redis's): a copy of "
        "each model on every master (also: POLYSERVE_REDIS_CLUSTER=true)",
    )  # fmt: skip
    parser.add_argument("--batchsize", type=int, default=0)
    parser.add_argument("--minbatchsize", type=int, default=0)
    parser.add_argument("--minbatchtimeout", type=int, default=0, help="milliseconds")
    args = parser.parse_args(argv)
    if min(args.batchsize, args.minbatchsize, args.minbatchtimeout) < 0:
        parser.error("batching options cannot be negative")

    specs = [registry.get(args.model)] if args.model else registry.served()
    batching = Batching(args.batchsize, args.minbatchsize, args.minbatchtimeout)
    settings = Settings.load()
    url = args.cluster or args.redis or settings.gateway_redis_url()
    try:
        if args.cluster is not None or settings.redis_cluster:
            report_cluster(url, specs, batching)
        else:
            report_single(url, specs, batching)
    except (DeployError, redis.RedisError) as error:
        print(f"cannot deploy: {error}", file=sys.stderr)
        return 1
    return 0


def report_single(url: str, specs: list[ModelSpec], batching: Batching) -> None:
    where = redis.connection.parse_url(url)
    server = f"{where.get('host', where.get('path', 'redis'))}:{where.get('port', '')}".rstrip(":")
    with redis.Redis.from_url(url, socket_timeout=30) as client:
        for name, stored in deploy_all(client, specs, batching).items():
            print(f"{_outcome(stored)}: {name} in {server}, checked")


def report_cluster(url: str, specs: list[ModelSpec], batching: Batching) -> None:
    from exporters.redisai_cluster import deploy_to_cluster  # it builds on this module

    with RedisCluster.from_url(url, socket_timeout=30) as client:
        for name, copies in deploy_to_cluster(client, specs, batching).items():
            for key, stored in copies:
                where = client.get_node_from_key(key).name
                print(f"{_outcome(stored)}: {name} as {key} on {where}, checked")


def _outcome(stored: bool) -> str:
    return "stored" if stored else "already current"
