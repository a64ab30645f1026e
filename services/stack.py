"""The three backends of the local stack, described uniformly for `python -m services`.

Each backend is driven through its own command (`python -m services.<name> start|stop`), so
the stack adds no second way of starting anything; it only knows ports, URLs, and where each
backend records the processes it started.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from services.config import (
    LOCALHOST,
    RunFiles,
    backend_urls,
    flask_port,
    gateway_port,
    redis_port,
)
from services.mms import server as mms_server
from services.mms.settings import MmsSettings
from services.process import http_ok, pidfile_process, tree_pids


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    management_url: str | None
    ports: dict[str, int]
    """What listens where, by name: checked before anything starts."""
    module: str
    """The package whose `start|stop` command runs this backend."""
    leaders: Callable[[], list[psutil.Process]]
    """The live processes this backend's start recorded (each leads a process group)."""
    log: Path
    detail: Callable[[], str] = lambda: ""
    """Health beyond /ping, where the backend has more to say (MMS: its workers)."""

    def run(self, action: str) -> int:
        return subprocess.call([sys.executable, "-m", self.module, action])

    def pids(self) -> list[int]:
        return tree_pids(self.leaders())

    def healthy(self) -> bool:
        return http_ok(f"{self.url}/ping")


def _from_pidfiles(*paths: Path) -> Callable[[], list[psutil.Process]]:
    return lambda: [p for p in map(pidfile_process, paths) if p is not None]


def _mms_leaders(settings: MmsSettings) -> Callable[[], list[psutil.Process]]:
    """MMS's JVM launcher and its nginx front, as the state file records them."""

    def leaders() -> list[psutil.Process]:
        found = []
        for pid in mms_server.recorded_pids(settings):
            try:
                found.append(psutil.Process(pid))
            except psutil.Error:
                continue
        return found

    return leaders


def _mms_workers(settings: MmsSettings) -> str:
    ready = (f"{m} {mms_server.ready_workers(settings, m)}" for m in settings.models)
    return f"workers READY of {settings.workers}: {', '.join(ready)}"


def backends() -> dict[str, Backend]:
    urls = backend_urls()
    mms = MmsSettings.from_env()
    flask_run, redis_run = RunFiles("flask"), RunFiles("redisai")
    return {
        "flask": Backend(
            "flask", urls["flask"], None, {"flask": flask_port()}, "services.flask.server",
            _from_pidfiles(flask_run.pid("gunicorn")), flask_run.log("gunicorn"),
        ),
        "mms": Backend(
            "mms", mms.inference_url, mms.management_url,
            {"mms inference": mms.port, "mms management": mms.management_port}, "services.mms",
            _mms_leaders(mms), mms.log_dir,
            lambda: _mms_workers(mms),
        ),
        "redisai": Backend(
            "redisai", urls["redisai"], f"redis://{LOCALHOST}:{redis_port()}",
            {"redis": redis_port(), "gateway": gateway_port()}, "services.redisai",
            _from_pidfiles(redis_run.pid("redis"), redis_run.pid("gateway")),
            redis_run.log("gateway"),
        ),
    }  # fmt: skip


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOCALHOST, port)) == 0
