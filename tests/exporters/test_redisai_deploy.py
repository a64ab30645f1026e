"""Deploying into RedisAI: idempotent, tagged, options kept, refused without the module."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import torch

from exporters.redisai import Batching, DeployError, deploy, stored_meta, verify
from models import registry
from models.artifacts import ModelFiles
from models.fizzbuzz.spec import SPEC
from services.process import free_port, spawn, stop_group, wait_until
from tests.redisai.stack import RedisStack, redis_with_module


@pytest.fixture
def redis_stack(tmp_path: Path) -> Iterator[RedisStack]:
    with redis_with_module(tmp_path) as stack:
        yield stack


def meta(client: redis.Redis) -> dict[bytes, object]:
    reply = client.execute_command("AI.MODELGET", "fizzbuzz", "META")
    return dict(zip(reply[::2], reply[1::2], strict=True))


def test_deploy_stores_tagged_model_once(
    redis_stack: RedisStack, fizzbuzz_files: ModelFiles
) -> None:
    with redis_stack.settings.client() as client:
        assert deploy(client, SPEC, fizzbuzz_files) is True
        assert deploy(client, SPEC, fizzbuzz_files) is False  # idempotent
        sha = json.loads(fizzbuzz_files.manifest.read_text())["weights_sha256"]
        assert meta(client)[b"tag"] == sha.encode()
        assert meta(client)[b"backend"] == b"TORCH"


def test_deploy_with_batching_restores_with_new_options(
    redis_stack: RedisStack, fizzbuzz_files: ModelFiles
) -> None:
    with redis_stack.settings.client() as client:
        deploy(client, SPEC, fizzbuzz_files)
        assert deploy(client, SPEC, fizzbuzz_files, Batching(8, 2, 5)) is True
        stored = meta(client)
        assert (stored[b"batchsize"], stored[b"minbatchsize"], stored[b"minbatchtimeout"]) == (
            8,
            2,
            5,
        )


def test_deploy_refuses_a_redis_without_the_module(
    tmp_path: Path, fizzbuzz_files: ModelFiles
) -> None:
    port = free_port()
    server = shutil.which("redis-server") or "redis-server"
    command = [
        server,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--dir",
        str(tmp_path),
    ]
    process = spawn(command, tmp_path / "plain.log")
    client = redis.Redis(port=port)
    try:
        wait_until(lambda: _pings(client), 10, "plain redis", tmp_path / "plain.log", process)
        with pytest.raises(DeployError, match="no RedisAI module"):
            deploy(client, SPEC, fizzbuzz_files)
        assert client.dbsize() == 0
    finally:
        client.close()
        stop_group(process.pid)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_the_command_deploys_once_then_reports_current(redis_stack: RedisStack) -> None:
    command = [sys.executable, "-m", "exporters", "redisai", "--redis", redis_stack.url]
    first = subprocess.run([*command, "--batchsize", "4"], capture_output=True, text=True)
    again = subprocess.run([*command, "--batchsize", "4"], capture_output=True, text=True)
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    served = registry.served_names()
    assert [line.split(":")[0] for line in first.stdout.splitlines()] == ["stored"] * len(served)
    assert [line.split()[2] for line in again.stdout.splitlines()] == served
    assert all(line.startswith("already current") for line in again.stdout.splitlines())
    with redis_stack.settings.client() as client:
        assert meta(client)[b"batchsize"] == 4
        for name in served:  # every model, each under its own key, tagged with its version
            model_meta = stored_meta(client, name)
            assert model_meta is not None
            assert model_meta[b"tag"] == ModelFiles.of(name).version.encode()


def test_one_model_can_be_deployed_with_its_own_batching(redis_stack: RedisStack) -> None:
    command = [sys.executable, "-m", "exporters", "redisai", "--redis", redis_stack.url]
    assert subprocess.run(command, capture_output=True).returncode == 0
    one = subprocess.run([*command, "--model", "digits", "--batchsize", "8"], capture_output=True)
    assert one.returncode == 0, one.stderr
    with redis_stack.settings.client() as client:
        assert Batching.of_meta(stored_meta(client, "digits") or {}) == Batching(8)
        assert Batching.of_meta(stored_meta(client, "fizzbuzz") or {}) == Batching()


def test_a_stored_model_that_fails_its_probe_is_refused_and_no_key_is_left(
    redis_stack: RedisStack, fizzbuzz_files: ModelFiles
) -> None:
    """verify() runs the probe in one read-only DAG: a model that answers wrong is a
    DeployError, one that cannot run the input raises Redis's error; neither writes a key."""
    with redis_stack.settings.client() as client:
        deploy(client, SPEC, fizzbuzz_files)
        says_a_number = torch.nn.Linear(10, 4).eval()  # whatever it is asked: "number"
        torch.nn.init.zeros_(says_a_number.weight)
        torch.nn.init.constant_(says_a_number.bias, 0.0)
        with torch.no_grad():
            says_a_number.bias[0] = 1.0
        buffer = io.BytesIO()
        torch.jit.save(torch.jit.script(says_a_number), buffer)
        client.execute_command("AI.MODELSTORE", "fizzbuzz", "TORCH", "CPU", "BLOB",
                               buffer.getvalue())  # fmt: skip
        with pytest.raises(DeployError, match="answers its probe"):
            verify(client, SPEC)
        wrong_shape = torch.jit.script(torch.nn.Linear(3, 4).eval())
        buffer = io.BytesIO()
        torch.jit.save(wrong_shape, buffer)
        client.execute_command("AI.MODELSTORE", "fizzbuzz", "TORCH", "CPU", "BLOB",
                               buffer.getvalue())  # fmt: skip
        with pytest.raises(redis.ResponseError):
            verify(client, SPEC)
        assert client.keys("*") == [b"fizzbuzz"]
