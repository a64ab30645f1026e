"""The three backends of the local stack, described uniformly for `python -m services`.

Each backend is driven through its own command (`python -m services.<name> start|stop`), so
the stack adds no second way of starting anything; it only knows ports, URLs, and each
backend's lifecycle (its supervisor, what healthy means).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field

from services.config import LOCALHOST, Settings
from services.flask import server as flask_server
from services.lifecycle import Lifecycle
from services.mms import server as mms_server
from services.mms.settings import MmsSettings
from services.redisai import server as redisai_server
from services.redisai.cluster import local_redis

BACKENDS = ("flask", "mms", "redisai")


@dataclass(frozen=True)
class Backend:
    name: str
    lifecycle: Lifecycle
    management_url: str | None
    ports: dict[str, int]
    """What listens where, by name: checked before anything starts."""
    environment: dict[str, str] = field(default_factory=dict)
    """Settings its command gets beyond this process's environment (a Redis Cluster's size)."""

    @property
    def url(self) -> str:
        return self.lifecycle.url

    def pids(self) -> list[int]:
        """Every process of the backend now: each supervised program's tree."""
        return self.lifecycle.supervisor.pids()

    def healthy(self) -> bool:
        return self.lifecycle.ready()

    def run(self, action: str) -> int:
        command = [sys.executable, "-m", f"services.{self.name}", action]
        return subprocess.call(command, env={**os.environ, **self.environment})


def backends(settings: Settings) -> dict[str, Backend]:
    mms = MmsSettings.from_settings(settings)
    redis = local_redis(settings)
    return {
        "flask": Backend(
            "flask", flask_server.lifecycle(settings), None, {"flask": settings.flask_port},
        ),
        "mms": Backend(
            "mms", mms_server.lifecycle(mms), mms.management_url,
            {"mms inference": mms.port, "mms management": mms.management_port},
        ),
        "redisai": Backend(
            "redisai", redisai_server.lifecycle(redis, settings),
            f"redis://{LOCALHOST}:{settings.redis_port}",
            {**redis.ports(), "gateway": settings.gateway_port},
            settings.environment("redis_cluster_masters"),
        ),
    }  # fmt: skip


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOCALHOST, port)) == 0
