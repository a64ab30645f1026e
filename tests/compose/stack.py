"""Drive `docker compose` (v2 plugin or Debian's docker-compose 1.29) for the compose tests.

One `Stack` is one compose project: its own name, free host ports on 127.0.0.1 and a random
Redis password, so it never meets a stack a developer runs from the same checkout.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.artifacts import REPO_ROOT
from services.process import free_port

REQUIRE_VAR = "POLYSERVE_REQUIRE_DOCKER"
COMPOSE_VAR = "POLYSERVE_COMPOSE"  # e.g. "docker-compose" or "docker compose"
PROJECT = "polyserve-test"
HEALTHY_TIMEOUT_S = 300.0
PUBLISHED = {"flask": "POLYSERVE_FLASK_PORT", "mms": "POLYSERVE_MMS_PORT",
             "gateway": "POLYSERVE_GATEWAY_PORT",
             "gateway-cluster": "POLYSERVE_GATEWAY_CLUSTER_PORT",
             "prometheus": "POLYSERVE_PROMETHEUS_PORT"}  # fmt: skip
CLUSTER_NODES = tuple(f"redis-node-{index}" for index in range(6))
LONG_RUNNING = ("redis", "flask", "mms", "gateway", "prometheus", *CLUSTER_NODES,
                "gateway-cluster")  # fmt: skip
# The profiles each command takes: the tests run the Redis Cluster (profile `cluster`) beside
# the rest; locust (`loadtest`) only where it is meant, so `up` leaves it out.
PROFILES = {"up": ("cluster",), "run": ("loadtest", "cluster"),
            "build": ("loadtest", "cluster"), "down": ("loadtest", "cluster")}  # fmt: skip


class StackError(RuntimeError):
    """A compose command failed or a service did not become healthy; the message says why."""


def engine_problem() -> str | None:
    """Why no Docker engine can be used from here, or None when one answers."""
    if shutil.which("docker") is None:
        return "no docker CLI on PATH"
    try:
        result = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "`docker version` did not answer within 20 s"
    if result.returncode != 0:
        return f"no Docker engine answers: {result.stderr.strip()[-300:]}"
    return None


def compose_command() -> list[str]:
    """`docker compose` when the v2 plugin is there, else `docker-compose` (1.29)."""
    if os.environ.get(COMPOSE_VAR):
        return os.environ[COMPOSE_VAR].split()
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if probe.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise StackError("neither `docker compose` nor `docker-compose` is installed")


@dataclass
class Stack:
    command: list[str] = field(default_factory=compose_command)
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ports = {var: str(free_port()) for var in PUBLISHED.values()}
        self.env = {
            **os.environ,
            "COMPOSE_PROJECT_NAME": PROJECT,
            "POLYSERVE_PUBLISH_ADDRESS": "127.0.0.1",
            "REDIS_PASSWORD": secrets.token_hex(16),
            **ports,
            **self.env,
        }

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[PUBLISHED[service]]}"

    def run(
        self, *args: str, timeout: float = 600, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        profiles = [flag for name in PROFILES.get(args[0], ()) for flag in ("--profile", name)]
        command = [*self.command, *profiles, *args]
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise StackError(
                f"`{' '.join(command)}` exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def exec(self, service: str, *command: str, timeout: float = 120) -> str:
        return self.run("exec", "-T", service, *command, timeout=timeout).stdout

    def container(self, service: str) -> str:
        ids = self.run("ps", "-q", service).stdout.split()
        if not ids:
            raise StackError(f"no container for {service}")
        return ids[0]

    def inspect(self, service: str) -> dict:
        output = subprocess.run(
            ["docker", "inspect", self.container(service)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return json.loads(output)[0]

    def health(self, service: str) -> str:
        state = self.inspect(service)["State"]
        return state.get("Health", {}).get("Status", state["Status"])

    def wait_healthy(
        self, services: Sequence[str] = LONG_RUNNING, timeout: float = HEALTHY_TIMEOUT_S
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            health = {service: self.health(service) for service in services}
            if all(status == "healthy" for status in health.values()):
                return
            if time.monotonic() > deadline:
                raise StackError(f"not healthy after {timeout:.0f} s: {health}")
            time.sleep(2)

    def logs(self, tail: int = 40) -> str:
        return self.run("logs", "--no-color", "--tail", str(tail), check=False).stdout

    def down(self) -> None:
        self.run("down", "-v", "--remove-orphans", "--timeout", "20", check=False)
