"""The RedisAI backend's processes: redis-server with our module, and the gateway.

redis-server is bound to 127.0.0.1 with protected mode on and a password, its data files
(RDB, AOF) under the run folder; both run under supervisord. `lifecycle` is what
`python -m services.redisai serve|start|stop|status` drives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import redis

from models.artifacts import REPO_ROOT
from services.config import (
    GATEWAY_PORT_VAR,
    LOCALHOST,
    REDIS_URL_VAR,
    ensure_redis_password,
    env_int,
    write_private,
)
from services.exports import run_exporter
from services.lifecycle import Lifecycle
from services.process import http_ok, spawn, wait_until
from services.supervision import Program, Supervisor

MODULE_PATH_VAR = "POLYSERVE_REDISAI_MODULE"
UNIX_PATH_MAX = 100  # sun_path holds 108 bytes on Linux
DEFAULT_MODULE = REPO_ROOT / "services" / "redisai" / "module" / "build" / "redisai.so"


def module_path() -> Path:
    path = Path(os.environ.get(MODULE_PATH_VAR) or DEFAULT_MODULE)
    if not path.is_file():
        raise SystemExit(f"the RedisAI module is not built: {path} (run `make setup`)")
    return path


@dataclass(frozen=True)
class RedisSettings:
    port: int
    data_dir: Path
    password: str | None = None
    threads_per_queue: int = 1
    intra_op_threads: int = 1
    appendonly: bool = True
    """Every write logged (fsync each second), so deployed models survive a crash."""

    @classmethod
    def from_environment(cls, port: int, data_dir: Path) -> RedisSettings:
        return cls(
            port=port,
            data_dir=data_dir,
            password=ensure_redis_password(),
            threads_per_queue=env_int("POLYSERVE_REDISAI_THREADS", 1, minimum=1, maximum=64),
            intra_op_threads=env_int("POLYSERVE_REDISAI_INTRA_OP", 1, minimum=1, maximum=64),
        )

    @property
    def config_file(self) -> Path:
        """redis.conf, written owner-only: it holds the password (never on a command line)."""
        return self.data_dir / "redis.conf"

    def config(self) -> str:
        directives: list[tuple[str, ...]] = [
            ("port", str(self.port)),
            ("bind", LOCALHOST),
            ("protected-mode", "yes"),
            ("dir", str(self.data_dir.resolve())),
            ("dbfilename", "dump.rdb"),
            ("appendonly", "yes" if self.appendonly else "no"),
            ("appendfsync", "everysec"),
            ("daemonize", "no"),
            ("loadmodule", str(module_path()),
             "THREADS_PER_QUEUE", str(self.threads_per_queue),
             "INTRA_OP_PARALLELISM", str(self.intra_op_threads),
             "INTER_OP_PARALLELISM", "1"),
        ]  # fmt: skip
        if self.unix_socket is not None:
            # Owner-only: the co-located gateway skips the TCP stack through it.
            directives += [("unixsocket", str(self.unix_socket)), ("unixsocketperm", "700")]
        if self.password:
            directives.append(("requirepass", self.password))
        return "".join(" ".join(map(_quoted, line)) + "\n" for line in directives)

    def write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        write_private(self.config_file, self.config())
        return self.config_file

    def command(self) -> list[str]:
        return [shutil.which("redis-server") or "redis-server", str(self.config_file)]

    @property
    def unix_socket(self) -> Path | None:
        """The socket in the data folder, unless its path is too long for a socket address."""
        path = self.data_dir.resolve() / "redis.sock"
        return path if len(str(path)) < UNIX_PATH_MAX else None

    def local_url(self) -> str:
        """The URL a gateway on this machine uses (the password, if any, inside it)."""
        auth = f":{self.password}@" if self.password else ""
        if self.unix_socket is None:
            return f"redis://{auth}{LOCALHOST}:{self.port}/0"
        return f"unix://{auth}{self.unix_socket}?db=0"

    def client(self, timeout_s: float = 2.0) -> redis.Redis:
        return redis.Redis(
            host=LOCALHOST,
            port=self.port,
            password=self.password,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
        )


def module_answers(settings: RedisSettings) -> bool:
    """Ready means the module answers a cheap AI command, not merely that Redis is up."""
    try:
        with settings.client() as client:
            client.execute_command("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE")
        return True
    except redis.RedisError:
        return False


def _quoted(value: str) -> str:
    """One argument of a redis.conf line (double quotes: paths may hold spaces)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def start_redis(settings: RedisSettings, log_file: Path, timeout: float = 30) -> subprocess.Popen:
    settings.write_config()
    process = spawn(settings.command(), log_file)
    wait_until(lambda: module_answers(settings), timeout, "redis-server", log_file, process)
    return process


def supervisor(settings: RedisSettings, gateway_port: int, folder: Path) -> Supervisor:
    redis_server = Program(
        "redis",
        tuple(settings.command()),
        stale=(settings.unix_socket,) if settings.unix_socket else (),
    )
    gateway = Program(
        "gateway",
        (sys.executable, "-m", "services.redisai.gateway"),
        # The URL (and the password in it) by environment, not on a command line `ps` shows.
        env={GATEWAY_PORT_VAR: str(gateway_port), REDIS_URL_VAR: settings.local_url()},
        start_s=2,
    )
    return Supervisor(folder, (redis_server, gateway))


def lifecycle(settings: RedisSettings, gateway_port: int, folder: Path,
              deploy_options: tuple[str, ...] = ()) -> Lifecycle:  # fmt: skip
    """Redis first; once its module answers, every served model deployed (`python -m
    exporters redisai DEPLOY_OPTIONS`, a no-op for a model already there); ready when the
    gateway's /ping (every model's probe, through Redis) is healthy. A gateway started by
    `serve` deploys what is missing itself."""
    url = f"http://{LOCALHOST}:{gateway_port}"
    processes = supervisor(settings, gateway_port, folder)

    def deploy() -> None:
        log = processes.program_log("redis")
        wait_until(lambda: module_answers(settings), 30, "redis-server", log)
        run_exporter("redisai", *deploy_options, env={REDIS_URL_VAR: settings.local_url()})

    return Lifecycle(
        name="redisai",
        supervisor=processes,
        url=url,
        prepare=settings.write_config,
        after_start=deploy,
        ready=lambda: http_ok(f"{url}/ping"),
        start_timeout_s=60,
    )
