"""Deployed models survive a crash of the local redis-server: it logs every write (AOF,
fsync each second), so after `kill -9` and a plain restart on the same data folder every
model is there and answers its probe, with no redeployment."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from exporters.redisai import deploy_all, stored_meta, verify
from models import registry
from models.artifacts import ModelFiles
from tests.redisai.stack import redis_with_module


def test_models_survive_a_kill_9_of_redis(
    tmp_path: Path, served_files: dict[str, ModelFiles]
) -> None:
    with redis_with_module(tmp_path) as stack:
        with stack.settings.client() as client:
            deploy_all(client, registry.served())
        assert stack.process is not None
        os.kill(stack.process.pid, signal.SIGKILL)
        stack.process.wait(timeout=30)
        stack.start()  # the same port and data folder, nothing deployed
        with stack.settings.client() as client:
            for spec in registry.served():
                meta = stored_meta(client, spec.name)
                assert meta is not None, f"{spec.name} was lost"
                assert meta[b"tag"] == served_files[spec.name].version.encode()
                verify(client, spec)  # the stored model answers its readiness probe
