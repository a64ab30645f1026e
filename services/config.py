"""Settings shared by every service, read from the environment and checked at start-up.

One place for the default ports and the run folder; each value can be overridden by the
environment variable named beside it, and a bad value stops the service with a clear message.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from models.artifacts import REPO_ROOT

LOCALHOST = "127.0.0.1"


class ConfigError(SystemExit):
    """A setting has a value the service cannot use."""


def env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={value} must be at least {minimum}{upper}")
    return value


def env_port(name: str, default: int) -> int:
    return env_int(name, default, minimum=1, maximum=65535)


def bind_host() -> str:
    """Where inference ports listen (POLYSERVE_BIND_HOST); management ports never follow it."""
    return os.environ.get("POLYSERVE_BIND_HOST", LOCALHOST)


def run_dir(service: str) -> Path:
    """Logs, pid files and sockets of one service (POLYSERVE_RUN, default <repo>/run)."""
    path = Path(os.environ.get("POLYSERVE_RUN", REPO_ROOT / "run")) / service
    path.mkdir(parents=True, exist_ok=True)
    return path


FLASK_PORT_VAR = "POLYSERVE_FLASK_PORT"
FLASK_WORKERS_VAR = "POLYSERVE_FLASK_WORKERS"


def flask_port() -> int:
    return env_port(FLASK_PORT_VAR, 5000)


def flask_workers() -> int:
    return env_int(FLASK_WORKERS_VAR, 2, minimum=1, maximum=64)


def flask_threads() -> int:
    """Threads per gunicorn worker (POLYSERVE_FLASK_THREADS)."""
    return env_int("POLYSERVE_FLASK_THREADS", 4, minimum=1, maximum=64)


REDIS_PORT_VAR = "POLYSERVE_REDIS_PORT"
REDIS_URL_VAR = "POLYSERVE_REDIS_URL"
REDIS_PASSWORD_VAR = "POLYSERVE_REDIS_PASSWORD"
GATEWAY_PORT_VAR = "POLYSERVE_GATEWAY_PORT"
GATEWAY_WORKERS_VAR = "POLYSERVE_GATEWAY_WORKERS"


def redis_port() -> int:
    return env_port(REDIS_PORT_VAR, 6379)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (secrets, configs holding them)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(file.fileno(), 0o600)  # a file that was there keeps its mode through O_CREAT
        file.write(text)


def secret(variable: str, path: Path) -> str | None:
    """The secret the environment variable gives, else the one kept at `path`, if any yet."""
    given = os.environ.get(variable)
    if given:
        return given
    return path.read_text().strip() if path.is_file() else None


def ensure_secret(variable: str, path: Path) -> str:
    """`variable`'s secret, or one generated at the first start and kept at `path` under
    run/ (mode 0600) for everything on this machine that needs it.

    secrets.token_hex: 128 random bits, not guessable. O_EXCL: a secret written meanwhile by
    another start is never overwritten.
    """
    existing = secret(variable, path)
    if existing:
        return existing
    made = secrets.token_hex(16)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(made)
    return made


def redis_password_file() -> Path:
    """Where the local Redis's generated password is kept (owner-only)."""
    return run_dir("redisai") / "redis.password"


def redis_password() -> str | None:
    """POLYSERVE_REDIS_PASSWORD, else the one generated for the local Redis, if any yet."""
    return secret(REDIS_PASSWORD_VAR, redis_password_file())


def ensure_redis_password() -> str:
    """The local Redis's password: POLYSERVE_REDIS_PASSWORD, or one generated at the first
    start (see ensure_secret)."""
    return ensure_secret(REDIS_PASSWORD_VAR, redis_password_file())


def redis_url() -> str:
    """The gateway's Redis: POLYSERVE_REDIS_URL (a password goes in it: redis://:pw@host/0),
    else the local one, with its password."""
    given = os.environ.get(REDIS_URL_VAR)
    if given:
        return given
    password = redis_password()
    auth = f":{password}@" if password else ""
    return f"redis://{auth}{LOCALHOST}:{redis_port()}/0"


def gateway_port() -> int:
    return env_port(GATEWAY_PORT_VAR, 8000)


def gateway_workers() -> int:
    """uvicorn workers (POLYSERVE_GATEWAY_WORKERS). One by default: on two cores, Redis and
    the module's worker thread need the other (2 workers served fewer requests than 1)."""
    return env_int(GATEWAY_WORKERS_VAR, 1, minimum=1, maximum=64)


def gateway_coalesce_rows() -> int:
    """At most this many input rows per Redis call of a gateway worker (0: one call a request)."""
    return env_int("POLYSERVE_GATEWAY_COALESCE_ROWS", 256, minimum=0, maximum=4096)


def gateway_calls_in_flight() -> int:
    """Redis calls one gateway worker has in flight at once while coalescing, and its
    connections to Redis (each can hold one model run: Redis holds back a connection's next
    command while its current one waits for a worker thread). One by default: a call then
    carries everything that queued during the last one, and for this small model that served
    more at 8 connections than 2 or 3 in flight (the same at 64)."""
    return env_int("POLYSERVE_GATEWAY_CALLS_IN_FLIGHT", 1, minimum=1, maximum=64)


def redis_timeout_s() -> float:
    """The deadline of every Redis call the gateway makes (POLYSERVE_REDIS_TIMEOUT_MS)."""
    return env_int("POLYSERVE_REDIS_TIMEOUT_MS", 2000, minimum=1) / 1000


def mms_port() -> int:
    return env_port("POLYSERVE_MMS_PORT", 8080)


MMS_TOKEN_VAR = "POLYSERVE_MMS_TOKEN"


def mms_token_file(folder: Path) -> Path:
    """Where the generated bearer token of MMS's management API is kept (owner-only)."""
    return folder / "management.token"


def mms_token(folder: Path) -> str | None:
    """POLYSERVE_MMS_TOKEN, else the token generated for the MMS run in `folder`, if any yet."""
    return secret(MMS_TOKEN_VAR, mms_token_file(folder))


def ensure_mms_token(folder: Path) -> str:
    """The management API's bearer token, generated at the first start (see ensure_secret)."""
    return ensure_secret(MMS_TOKEN_VAR, mms_token_file(folder))


def backend_urls() -> dict[str, str]:
    """Where each backend of the local stack answers the contract."""
    return {
        "flask": f"http://{LOCALHOST}:{flask_port()}",
        "mms": f"http://{LOCALHOST}:{mms_port()}",
        "redisai": f"http://{LOCALHOST}:{gateway_port()}",
    }
