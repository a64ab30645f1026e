"""The RedisAI backend for tests: redis-server with the module, the model, the gateway."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from exporters.redisai import deploy_all
from models import registry
from services import metrics
from services.process import free_port, http_ok, serving, stop_group, wait_until
from services.redisai.server import RedisSettings, start_redis


@dataclass
class RedisStack:
    settings: RedisSettings
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.settings.port}/0"

    def start(self) -> None:
        self.process = start_redis(self.settings, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process.pid)
            self.process = None


@contextmanager
def redis_with_module(run_dir: Path) -> Iterator[RedisStack]:
    stack = RedisStack(RedisSettings(free_port(), run_dir / "data"), run_dir / "redis.log")
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@contextmanager
def gateway(
    redis_url: str,
    run_dir: Path,
    timeout_ms: int = 2000,
    settings: dict[str, str] | None = None,
    workers: int = 1,
) -> Iterator[str]:
    """The gateway on a free port, its metrics in run_dir/metrics (emptied first); `settings`
    are more environment variables for it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "services.redisai.gateway", "--port", str(port)]
    command += ["--workers", str(workers)]
    metrics_dir = run_dir.resolve() / "metrics"
    metrics.reset(metrics_dir)
    env = {
        "POLYSERVE_REDIS_URL": redis_url,
        "POLYSERVE_REDIS_TIMEOUT_MS": str(timeout_ms),
        metrics.MULTIPROC_VAR: str(metrics_dir),
    }
    env.update(settings or {})
    with serving(command, run_dir / "gateway.log", f"{url}/openapi.json", env):
        yield url


@contextmanager
def redisai_backend(run_dir: Path, gateway_workers: int = 1) -> Iterator[str]:
    """The whole backend, every served model deployed: what the contract suite runs against."""
    with redis_with_module(run_dir) as redis_stack:
        with redis_stack.settings.client() as client:
            deploy_all(client, registry.served())
        with gateway(redis_stack.url, run_dir, workers=gateway_workers) as url:
            wait_until(lambda: http_ok(f"{url}/ping"), 30, "gateway /ping", run_dir / "gateway.log")
            yield url
