"""The settings of every polyserve service process: one typed object, read from the
environment once at start (`Settings.load()`) and passed down from there.

Each field is the environment variable POLYSERVE_<FIELD> (`POLYSERVE_FLASK_PORT`); a bad
value stops the process with a message naming the variable. pydantic-settings does the
reading and the checking. What a launcher hands a child process it starts goes by the same
variables (`Settings.environment`), so the child reads the same settings the same way.
The models to serve (POLYSERVE_MODELS, POLYSERVE_PLUGINS, POLYSERVE_ARTIFACTS) belong to
`models/`, which the exporters and MMS's workers (their own venv) read too.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.artifacts import REPO_ROOT
from models.spec import MAX_BATCH_DELAY_MS, MAX_BATCH_REQUESTS

LOCALHOST = "127.0.0.1"
PREFIX = "POLYSERVE_"

Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=1, le=64)]
REDISAI_MODULE = REPO_ROOT / "services" / "redisai" / "module" / "build" / "redisai.so"


class ConfigError(SystemExit):
    """A setting has a value the service cannot use."""


class Settings(BaseSettings):
    # An empty variable (compose passes `${X:-}`) means the default.
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="ignore"
    )

    # Made absolute where it is read: nginx and supervisord take a relative path from
    # folders of their own.
    run: Annotated[Path, AfterValidator(Path.absolute)] = REPO_ROOT / "run"
    """Logs, sockets, rendered configs and secrets, a folder per service."""
    bind_host: str = LOCALHOST
    """Where inference ports listen; management ports and Redis never follow it."""

    flask_port: Port = 5000
    """The Flask backend's nginx front (gunicorn itself is on a unix socket)."""
    flask_workers: Count = 2
    flask_threads: Count = 4
    """Threads per gunicorn worker."""
    flask_batch_size: Annotated[int, Field(ge=1, le=MAX_BATCH_REQUESTS)] | None = None
    """The most requests one model call of a Flask worker serves, for every model: requests
    for the same model waiting in a worker's threads are answered by one call on their
    stacked rows (1: each request its own call). A call never serves more than the worker's
    threads, nor more input rows than the largest request the model accepts. Default: each
    model's own (its spec's `serving.flask`: unbatched unless it says)."""
    flask_batch_delay_ms: Annotated[int, Field(ge=0, le=MAX_BATCH_DELAY_MS)] | None = None
    """How long the first request of a batch waits for others to join it, for every model;
    default: each model's own."""

    mms_port: Port = 8080
    """The MMS backend's nginx front (MMS itself is on unix sockets)."""
    mms_management_port: Port = 8081
    """The front of MMS's management API: always on 127.0.0.1, with the bearer token."""
    mms_engine: Literal["onnxruntime", "mxnet"] = "onnxruntime"
    mms_workers: Annotated[int, Field(ge=1, le=16)] | None = None
    """Workers each model starts with; default: the committed config.properties'."""
    mms_batch_size: Annotated[int, Field(ge=1, le=MAX_BATCH_REQUESTS)] | None = None
    """The most requests one handler call of MMS serves, for every model (1: no batching);
    default: each model's own (its spec's `serving`)."""
    mms_batch_delay_ms: Annotated[int, Field(ge=0, le=MAX_BATCH_DELAY_MS)] | None = None
    """MMS's max_batch_delay for every model; default: each model's own."""
    mms_token: str | None = None
    """The management API's bearer token; default: generated into run/mms/management.token."""

    redis_port: Port = 6379
    redis_password: str | None = None
    """requirepass of the local Redis; default: generated into run/redisai/redis.password."""
    redis_url: str | None = None
    """The gateway's and the exporters' Redis; default: the local one, with its password."""
    redis_timeout_ms: Annotated[int, Field(ge=1)] = 2000
    """The deadline of every Redis call the gateway makes."""
    redis_cluster: bool = False
    """redis_url is a node of a Redis Cluster: the exporter stores a copy of each model on
    every master, and the gateway sends each request to a copy's node (docs/redis-cluster.md)."""
    redis_cluster_masters: Annotated[int, Field(ge=0, le=16)] = 0
    """The local RedisAI backend as a Redis Cluster of this many masters, each with one
    replica, on redis_port and the ports after it (0: a single Redis)."""
    redis_replica_reads: bool = False
    """On a cluster, the gateway sends model runs to the replicas too, not only the masters."""
    redisai_module: Path = REDISAI_MODULE
    redisai_threads: Count = 1
    """The module's THREADS_PER_QUEUE."""
    redisai_intra_op: Count = 1
    """The module's INTRA_OP_PARALLELISM."""

    torch_onednn: bool = False
    """Whether torch may run models through oneDNN, wherever polyserve runs torch: the
    module's TORCH_ONEDNN, and the Flask workers. Off: for models as small as the shipped
    ones oneDNN's fixed cost a call makes a batch of 2-16 rows dearer than without it, and
    the gateway's coalescing and the Flask batcher make such batches (docs/performance.md).
    On for models with large inputs or large batches."""

    metrics: bool = True
    """Record requests, engine calls and readiness for /metrics (off: only the process
    figures, for measuring what recording costs a request)."""

    gateway_port: Port = 8000
    gateway_workers: Count = 1
    """uvicorn workers. One: on two cores, Redis and the module's worker thread need the
    other (2 workers served fewer requests than 1)."""
    gateway_coalesce_rows: Annotated[int, Field(ge=0, le=4096)] = 256
    """At most this many input rows per Redis call of a gateway worker (0: one a request)."""
    gateway_calls_in_flight: Count = 1
    """Redis calls one gateway worker has in flight at once while coalescing, and its
    connections to Redis (each can hold one model run: Redis holds back a connection's next
    command while its current one waits for a worker thread). One: a call then carries
    everything that queued during the last one, and for this small model that served more at
    8 connections than 2 or 3 in flight (the same at 64)."""

    @classmethod
    def load(cls, **given: Any) -> Settings:
        """The environment's settings, with `given` (a command line's) over them."""
        try:
            return cls(**{name: value for name, value in given.items() if value is not None})
        except ValidationError as error:
            raise ConfigError(describe(error)) from None

    def replace(self, **changes: Any) -> Settings:
        """These settings with `changes` (checked like the environment's)."""
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as error:
            raise ConfigError(describe(error)) from None

    def environment(self, *names: str) -> dict[str, str]:
        """The variables that give a child process these settings' `names` (all if none)."""
        values = self.model_dump(include=set(names) if names else None, exclude_none=True)
        return {variable(name): str(value) for name, value in values.items()}

    def folder(self, service: str) -> Path:
        """The run folder of one service, made if missing."""
        path = self.run / service
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def redis_password_file(self) -> Path:
        return self.run / "redisai" / "redis.password"

    def local_redis_password(self) -> str | None:
        """POLYSERVE_REDIS_PASSWORD, else the one generated for the local Redis, if any yet."""
        return read_secret(self.redis_password_file, self.redis_password)

    def ensure_redis_password(self) -> str:
        """The local Redis's password, generated at its first start (see ensure_secret)."""
        self.folder("redisai")
        return ensure_secret(self.redis_password_file, self.redis_password)

    def gateway_redis_url(self) -> str:
        """POLYSERVE_REDIS_URL, else the local Redis with its password."""
        if self.redis_url:
            return self.redis_url
        password = self.local_redis_password()
        auth = f":{password}@" if password else ""
        return f"redis://{auth}{LOCALHOST}:{self.redis_port}/0"

    def backend_urls(self) -> dict[str, str]:
        """Where each backend of the local stack answers the contract."""
        return {
            "flask": f"http://{LOCALHOST}:{self.flask_port}",
            "mms": f"http://{LOCALHOST}:{self.mms_port}",
            "redisai": f"http://{LOCALHOST}:{self.gateway_port}",
        }


def variable(name: str) -> str:
    """The environment variable of a setting: POLYSERVE_FLASK_PORT for flask_port."""
    return PREFIX + name.upper()


def describe(error: ValidationError) -> str:
    """pydantic's findings, each under the variable the value came from."""
    return "; ".join(
        f"{variable(str(problem['loc'][0]))}={problem['input']!r}: {problem['msg']}"
        for problem in error.errors(include_url=False)
    )


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (secrets, configs holding them)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(file.fileno(), 0o600)  # a file that was there keeps its mode through O_CREAT
        file.write(text)


def read_secret(path: Path, given: str | None = None) -> str | None:
    """The `given` secret (the settings'), else the one kept at `path`, if one was made yet."""
    if given:
        return given
    return path.read_text().strip() if path.is_file() else None


def ensure_secret(path: Path, given: str | None = None) -> str:
    """The `given` secret, else the one kept at `path` under run/, generated (mode 0600) at
    the first call for everything on this machine that needs it.

    secrets.token_hex: 128 random bits, not guessable. O_EXCL: a secret written meanwhile by
    another start is never overwritten.
    """
    existing = read_secret(path, given)
    if existing:
        return existing
    made = secrets.token_hex(16)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(made)
    return made
