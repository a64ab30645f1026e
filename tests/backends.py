"""Fixture helpers that run each backend for real, on free ports, in a temporary run folder.

Each launcher is a context manager yielding the backend's base URL once it is ready,
and stopping every process it started on exit.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.process import http_ok, spawn, stop_group, wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def flask_backend(run_dir: Path, workers: int = 2) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = run_dir / "flask.log"
    command = [
        sys.executable,
        "-m",
        "services.flask",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = spawn(command, log, env={"POLYSERVE_RUN": str(run_dir)})
    try:
        wait_until(lambda: http_ok(f"{url}/ping"), 60, "gunicorn", log, process)
        yield url
    finally:
        stop_group(process.pid)
