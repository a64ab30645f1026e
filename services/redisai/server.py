"""The RedisAI backend's processes: redis-server with our module, and the gateway.

redis-server is bound to 127.0.0.1 with protected mode on and a password, its data files
(RDB, AOF) under the run folder; both run under supervisord. `lifecycle` is what
`python -m services.redisai serve|start|stop|status` drives.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import redis

from services import metrics
from services.config import (
    LOCALHOST,
    REDISAI_MODULE,
    Settings,
    write_private,
)
from services.exports import run_exporter
from services.lifecycle import Lifecycle
from services.process import http_ok, spawn, wait_until
from services.supervision import Program, Supervisor

UNIX_PATH_MAX = 100  # sun_path holds 108 bytes on Linux
CLUSTER_BUS_OFFSET = 10000  # Redis's default: a cluster node talks to the others on port + this


@dataclass(frozen=True)
class RedisSettings:
    port: int
    data_dir: Path
    password: str | None = None
    module: Path = REDISAI_MODULE
    threads_per_queue: int = 1
    intra_op_threads: int = 1
    onednn: bool = False
    appendonly: bool = True
    """Every write logged (fsync each second), so deployed models survive a crash."""
    cluster_node_timeout_ms: int | None = None
    """A node of a Redis Cluster (services/redisai/cluster.py), declared failed by the others
    after this long without an answer; None: a Redis on its own."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisSettings:
        return cls(
            port=settings.redis_port,
            data_dir=settings.folder("redisai") / "data",
            password=settings.local_redis_password(),
            module=settings.redisai_module,
            threads_per_queue=settings.redisai_threads,
            intra_op_threads=settings.redisai_intra_op,
            onednn=settings.torch_onednn,
        )

    @property
    def folder(self) -> Path:
        """The run folder: supervisord's files, the data folder."""
        return self.data_dir.parent

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
            ("loadmodule", str(self.module_path()),
             "THREADS_PER_QUEUE", str(self.threads_per_queue),
             "INTRA_OP_PARALLELISM", str(self.intra_op_threads),
             "INTER_OP_PARALLELISM", "1",
             "TORCH_ONEDNN", str(int(self.onednn))),
        ]  # fmt: skip
        if self.cluster_node_timeout_ms is not None:
            directives += [
                ("cluster-enabled", "yes"),
                ("cluster-config-file", "nodes.conf"),
                ("cluster-port", str(self.port + CLUSTER_BUS_OFFSET)),
                ("cluster-node-timeout", str(self.cluster_node_timeout_ms)),
                # Every master holds every model: the others serve on while one's slots
                # wait for its replica's promotion.
                ("cluster-require-full-coverage", "no"),
            ]
            if self.password:  # a replica authenticates to its master
                directives.append(("masterauth", self.password))
        if self.unix_socket is not None:
            # Owner-only: the co-located gateway skips the TCP stack through it.
            directives += [("unixsocket", str(self.unix_socket)), ("unixsocketperm", "700")]
        if self.password:
            directives.append(("requirepass", self.password))
        return "".join(" ".join(map(_quoted, line)) + "\n" for line in directives)

    def module_path(self) -> Path:
        if not self.module.is_file():
            raise SystemExit(f"the RedisAI module is not built: {self.module} (run `make setup`)")
        return self.module

    def write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        write_private(self.config_file, self.config())
        return self.config_file

    def command(self) -> list[str]:
        return [shutil.which("redis-server") or "redis-server", str(self.config_file)]

    @property
    def unix_socket(self) -> Path | None:
        """The socket in the data folder, unless its path is too long for a socket address
        or the node is a cluster's (whose clients follow redirections to TCP addresses)."""
        if self.cluster_node_timeout_ms is not None:
            return None
        path = self.data_dir.resolve() / "redis.sock"
        return path if len(str(path)) < UNIX_PATH_MAX else None

    def local_url(self) -> str:
        """The URL a gateway on this machine uses (the password, if any, inside it)."""
        if self.unix_socket is None:
            return self.tcp_url()
        auth = f":{self.password}@" if self.password else ""
        return f"unix://{auth}{self.unix_socket}?db=0"

    def tcp_url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{LOCALHOST}:{self.port}/0"

    # What the backend's lifecycle asks of its Redis, a single one here or a cluster
    # (services/redisai/cluster.py).
    def ports(self) -> dict[str, int]:
        return {"redis": self.port}

    def programs(self) -> tuple[Program, ...]:
        stale = (self.unix_socket,) if self.unix_socket else ()
        return (Program("redis", tuple(self.command()), stale=stale),)

    def write_configs(self) -> None:
        self.write_config()

    def wait_serving(self, log: Path, timeout_s: float = 30) -> None:
        wait_until(lambda: module_answers(self), timeout_s, "redis-server", log)

    def gateway_settings(self, settings: Settings) -> Settings:
        """`settings` pointed at this Redis, by its fastest way from this machine."""
        return settings.replace(redis_url=self.local_url())

    def client(self, timeout_s: float = 2.0) -> redis.Redis:
        return redis.Redis(
            host=LOCALHOST,
            port=self.port,
            password=self.password,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
        )


def module_answers(settings: RedisSettings) -> bool:
    """Ready means the module answers a cheap AI command, not merely that Redis is up. A
    read-only one: a replica refuses the rest (AI.CONFIG is a write)."""
    try:
        with settings.client() as client:
            client.execute_command("AI._MODELSCAN")
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


def gateway_metrics_dir(local_redis: LocalRedis) -> Path:
    """The gateway's workers' multiprocess metrics files (services/metrics.py): emptied when
    the backend starts, kept when supervisord restarts the gateway."""
    return local_redis.folder.resolve() / "metrics"


class LocalRedis(Protocol):
    """The backend's Redis: a single one (RedisSettings) or a cluster (LocalCluster)."""

    @property
    def folder(self) -> Path: ...
    def ports(self) -> dict[str, int]: ...
    def programs(self) -> tuple[Program, ...]: ...
    def write_configs(self) -> None: ...
    def wait_serving(self, log: Path) -> None: ...
    def gateway_settings(self, settings: Settings) -> Settings: ...


def supervisor(local_redis: LocalRedis, gateway_settings: Settings) -> Supervisor:
    """redis-server(s), and the gateway with `gateway_settings` (their URL the local Redis's)."""
    gateway = Program(
        "gateway",
        (sys.executable, "-m", "services.redisai.gateway"),
        # The gateway's settings, its Redis's URL (and the password in it) among them, by
        # environment: not on a command line `ps` shows.
        env={**gateway_settings.environment(),
             metrics.MULTIPROC_VAR: str(gateway_metrics_dir(local_redis))},
        start_s=2,
    )  # fmt: skip
    return Supervisor(local_redis.folder, (*local_redis.programs(), gateway))


def lifecycle(local_redis: LocalRedis, settings: Settings,
              deploy_options: tuple[str, ...] = ()) -> Lifecycle:  # fmt: skip
    """Redis first; once its module answers (a cluster: once it serves every slot), every
    served model deployed (`python -m exporters redisai DEPLOY_OPTIONS`, a no-op for a model
    already there); ready when the gateway's /ping (every model's probe, through Redis) is
    healthy. A gateway started by `serve` deploys what is missing itself."""
    url = f"http://{LOCALHOST}:{settings.gateway_port}"
    local = local_redis.gateway_settings(settings)
    processes = supervisor(local_redis, local)

    def prepare() -> None:
        local_redis.write_configs()
        metrics.reset(gateway_metrics_dir(local_redis))

    def deploy() -> None:
        local_redis.wait_serving(processes.program_log(local_redis.programs()[0].name))
        run_exporter("redisai", *deploy_options,
                     env=local.environment("redis_url", "redis_cluster"))  # fmt: skip

    return Lifecycle(
        name="redisai",
        supervisor=processes,
        url=url,
        prepare=prepare,
        after_start=deploy,
        ready=lambda: http_ok(f"{url}/ping"),
        start_timeout_s=60,
    )
