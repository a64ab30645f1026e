"""LitServe 0.2.19 as a peer: loadtest/peers/litserve_server.py in LitServe's own venv, every
model at the contract's path in one LitServer, on 127.0.0.1 and a free port, logging at
WARNING. A configuration sets the inference workers per model (LitServe's
workers_per_device, on the one CPU device), max_batch_size and batch_timeout, the uvicorn
processes in front (num_api_servers; LitServe's default is one per worker) and whether
answers come back through ZeroMQ (fast_queue).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from loadtest.ceiling_servers import Served
from loadtest.peers.launch import serve_peer
from loadtest.peers.venv import ensure_venv, python_of
from services.config import LOCALHOST, Settings
from services.process import free_port

REQUIREMENTS = Path(__file__).resolve().parent / "requirements-litserve.txt"
SERVER = "loadtest.peers.litserve_server"


@dataclass(frozen=True)
class LitServeConfig:
    workers: int
    """Inference worker processes per model."""
    batch_size: int = 1
    """max_batch_size (1: no batching)."""
    batch_timeout_ms: float = 1.0
    """batch_timeout: how long a worker waits to fill a batch (unused without one)."""
    api_servers: int = 1
    """uvicorn processes taking the HTTP requests."""
    fast_queue: bool = False
    """Answers back from the workers through ZeroMQ rather than multiprocessing queues."""

    @property
    def label(self) -> str:
        batched = f" batch {self.batch_size}/{self.batch_timeout_ms:g}ms" * (self.batch_size > 1)
        zmq = " zmq" * self.fast_queue
        return f"litserve {self.workers}w {self.api_servers}api{zmq}{batched}"


def arguments(config: LitServeConfig, models: list[str], port: int) -> list[str]:
    """litserve_server's command line for this configuration."""
    batching = ["--batch", str(config.batch_size)]
    if config.batch_size > 1:
        batching += ["--batch-timeout-ms", f"{config.batch_timeout_ms:g}"]
    return [
        "-m", SERVER, "--host", LOCALHOST, "--port", str(port), "--models", ",".join(models),
        "--workers", str(config.workers), "--api-servers", str(config.api_servers), *batching,
        *["--fast-queue"] * config.fast_queue,
    ]  # fmt: skip


def install(settings: Settings) -> Path:
    """LitServe's venv (installed once)."""
    return ensure_venv(settings.folder("peers") / "litserve" / "venv", REQUIREMENTS)


@contextmanager
def serve(config: LitServeConfig, models: list[str], settings: Settings) -> Iterator[Served]:
    venv = install(settings)
    folder = settings.folder("peers") / "litserve"
    port = free_port()
    url = f"http://{LOCALHOST}:{port}"
    command = [str(python_of(venv)), *arguments(config, models, port)]
    with serve_peer(command, folder, url, "/health", models, settings) as served:
        yield served
