"""The local stack as a user runs it (`python -m services up|status|down`), on free ports and
a temporary run folder, so a stack a developer has up is untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.process import free_port

BACKENDS = ("flask", "mms", "redisai")
PORT_VARS = (
    "POLYSERVE_FLASK_PORT",
    "POLYSERVE_MMS_PORT",
    "POLYSERVE_MMS_MANAGEMENT_PORT",
    "POLYSERVE_REDIS_PORT",
    "POLYSERVE_GATEWAY_PORT",
)


def services(action: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services", action],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@contextmanager
def local_stack(run: Path) -> Iterator[dict]:
    """`services up` in `run` on free ports; `services down` at the end."""
    ports = {var: str(free_port()) for var in PORT_VARS}
    env = {**os.environ, **ports, "POLYSERVE_RUN": str(run)}
    started = services("up", env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield {"env": env, "ports": ports, "run": run, "up": started.stdout}
    finally:
        services("down", env)


def urls(ports: dict[str, str]) -> dict[str, str]:
    return {
        "flask": f"http://127.0.0.1:{ports['POLYSERVE_FLASK_PORT']}",
        "mms": f"http://127.0.0.1:{ports['POLYSERVE_MMS_PORT']}",
        "redisai": f"http://127.0.0.1:{ports['POLYSERVE_GATEWAY_PORT']}",
    }
