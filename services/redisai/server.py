"""redis-server with our RedisAI module: its command line, readiness, start and stop.

Bound to 127.0.0.1 with protected mode on; data files (RDB, AOF) under the run folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis

from models.artifacts import REPO_ROOT
from services.config import LOCALHOST, ensure_redis_password, env_int
from services.process import spawn, wait_until

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

    def command(self) -> list[str]:
        server = shutil.which("redis-server") or "redis-server"
        command = [
            server,
            "--port", str(self.port),
            "--bind", LOCALHOST,
            "--protected-mode", "yes",
            "--dir", str(self.data_dir),
            "--dbfilename", "dump.rdb",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
            "--daemonize", "no",
            "--loadmodule", str(module_path()),
            "THREADS_PER_QUEUE", str(self.threads_per_queue),
            "INTRA_OP_PARALLELISM", str(self.intra_op_threads),
            "INTER_OP_PARALLELISM", "1",
        ]  # fmt: skip
        if self.unix_socket is not None:
            # Owner-only: the co-located gateway skips the TCP stack through it.
            command += ["--unixsocket", str(self.unix_socket), "--unixsocketperm", "700"]
        if self.password:
            command += ["--requirepass", self.password]
        return command

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


def start_redis(settings: RedisSettings, log_file: Path, timeout: float = 30) -> subprocess.Popen:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    process = spawn(settings.command(), log_file)
    wait_until(lambda: module_answers(settings), timeout, "redis-server", log_file, process)
    return process
