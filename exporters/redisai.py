"""Deploy the TorchScript artifact into a running Redis with our RedisAI module.

    python -m exporters redisai --model fizzbuzz [--redis URL] [--batchsize N ...]

AI.MODELSTORE under the model's name, TAG = the weights' sha256 (from the manifest), with the
auto-batching options given. Idempotent: a model already stored with the same tag and
options is left alone. The stored model is then checked on a few numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, fields

import numpy as np
import redis

from exporters.pipeline import ensure_exported
from models import registry
from models.artifacts import ModelFiles
from models.fizzbuzz import codec
from services.config import redis_url

CHECK_NUMBERS = [0, 2, 4, 14, 1022]


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


def verify(client: redis.Redis, key: str) -> None:
    """Run a few numbers through the stored model and compare with the arithmetic rule."""
    bits = codec.encode(CHECK_NUMBERS)
    source, target = f"polyserve:deploy:{key}:in", f"polyserve:deploy:{key}:out"
    try:
        client.execute_command("AI.TENSORSET", source, "FLOAT", *bits.shape, "BLOB", bits.tobytes())
        client.execute_command("AI.MODELEXECUTE", key, "INPUTS", 1, source, "OUTPUTS", 1, target)
        blob = client.execute_command("AI.TENSORGET", target, "BLOB")
    finally:
        client.delete(source, target)
    labels = np.frombuffer(blob, dtype=np.float32).reshape(len(CHECK_NUMBERS), -1).argmax(axis=1)
    answers = [codec.decode(n, int(label)) for n, label in zip(CHECK_NUMBERS, labels, strict=True)]
    expected = [codec.answer(n) for n in CHECK_NUMBERS]
    if answers != expected:
        raise DeployError(f"the stored model answers {answers}, expected {expected}")


def deploy(client: redis.Redis, files: ModelFiles, batching: Batching = Batching()) -> bool:
    """Store the model unless it is already there as asked; True if it was (re)stored."""
    require_module(client)
    tag = json.loads(files.manifest.read_text())["weights_sha256"]
    stored = False
    if not is_current(stored_meta(client, files.name), tag, batching):
        blob = files.torchscript.read_bytes()
        client.execute_command(
            "AI.MODELSTORE", files.name, "TORCH", "CPU", "TAG", tag, *batching.arguments(),
            "BLOB", blob,
        )  # fmt: skip
        stored = True
    verify(client, files.name)
    return stored


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporters redisai", description=__doc__)
    parser.add_argument("--model", default="fizzbuzz", choices=list(registry.MODELS))
    parser.add_argument("--redis", default=redis_url(), help="default: $POLYSERVE_REDIS_URL")
    parser.add_argument("--batchsize", type=int, default=0)
    parser.add_argument("--minbatchsize", type=int, default=0)
    parser.add_argument("--minbatchtimeout", type=int, default=0, help="milliseconds")
    args = parser.parse_args(argv)
    if min(args.batchsize, args.minbatchsize, args.minbatchtimeout) < 0:
        parser.error("batching options cannot be negative")

    spec = registry.get(args.model)
    files = ModelFiles.of(spec.name)
    ensure_exported(spec, files, ["torchscript"])
    batching = Batching(args.batchsize, args.minbatchsize, args.minbatchtimeout)
    try:
        with redis.Redis.from_url(args.redis, socket_timeout=30) as client:
            stored = deploy(client, files, batching)
    except (DeployError, redis.RedisError) as error:
        print(f"cannot deploy: {error}", file=sys.stderr)
        return 1
    where = redis.connection.parse_url(args.redis)
    server = f"{where.get('host', where.get('path', 'redis'))}:{where.get('port', '')}".rstrip(":")
    print(f"{'stored' if stored else 'already current'}: {files.name} in {server}, checked")
    return 0
