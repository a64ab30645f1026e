"""The RedisAI backend on this machine: redis-server with the module, the model, the gateway.

    python -m services.redisai start [--batchsize N [--minbatchsize M [--minbatchtimeout MS]]]
    python -m services.redisai stop
    python -m services.redisai status

`start` runs redis-server (127.0.0.1, protected mode, data under run/redisai), waits until
the module answers, deploys every served model (exporting it first if needed), starts the
gateway and waits until its /ping is healthy. `stop` stops what `start` started, and nothing else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.config import (
    GATEWAY_PORT_VAR,
    LOCALHOST,
    REDIS_URL_VAR,
    RunFiles,
    gateway_port,
    redis_port,
)
from services.exports import run_exporter
from services.process import (
    http_ok,
    pidfile_process,
    spawn,
    stop_pidfile,
    wait_until,
    write_pidfile,
)
from services.redisai.server import RedisSettings, start_redis

SERVICE = "redisai"


def data_dir(run: RunFiles) -> Path:
    return run.folder / "data"


def start(batching: list[str]) -> None:
    """Redis, then every served model deployed with the batching options (`--batchsize N
    ...`, as `python -m exporters redisai` takes them), then the gateway."""
    run = RunFiles(SERVICE)
    settings = RedisSettings.from_environment(redis_port(), data_dir(run))
    if pidfile_process(run.pid("redis")) is None:
        write_pidfile(run.pid("redis"), start_redis(settings, run.log("redis")))
    # The URL (and any password in it) by environment, not on a command line `ps` shows.
    run_exporter("redisai", *batching, env={REDIS_URL_VAR: settings.local_url()})
    url = f"http://{LOCALHOST}:{gateway_port()}"
    if pidfile_process(run.pid("gateway")) is None:
        command = [sys.executable, "-m", "services.redisai.gateway"]
        env = {GATEWAY_PORT_VAR: str(gateway_port()), REDIS_URL_VAR: settings.local_url()}
        gateway = spawn(command, run.log("gateway"), env=env)
        write_pidfile(run.pid("gateway"), gateway)
        wait_until(lambda: http_ok(f"{url}/ping"), 60, "gateway", run.log("gateway"), gateway)
    print(f"redisai: redis on {LOCALHOST}:{settings.port}, gateway on {url}")


def stop() -> None:
    run = RunFiles(SERVICE)
    for name in ("gateway", "redis"):
        stopped = stop_pidfile(run.pid(name))
        print(f"redisai: {name} {'stopped' if stopped else 'was not running'}")


def status() -> int:
    run = RunFiles(SERVICE)
    running = {name: pidfile_process(run.pid(name)) for name in ("redis", "gateway")}
    healthy = http_ok(f"http://{LOCALHOST}:{gateway_port()}/ping")
    for name, process in running.items():
        print(f"redisai: {name} {'pid ' + str(process.pid) if process else 'not running'}")
    print(f"redisai: gateway /ping {'healthy' if healthy else 'not healthy'}")
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.redisai", description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--batchsize", type=int, default=0)
    parser.add_argument("--minbatchsize", type=int, default=0)
    parser.add_argument("--minbatchtimeout", type=int, default=0)
    args = parser.parse_args(argv)
    if args.action == "start":
        options = ("batchsize", "minbatchsize", "minbatchtimeout")
        start([f"--{name}={getattr(args, name)}" for name in options])
        return 0
    if args.action == "stop":
        stop()
        return 0
    return status()


if __name__ == "__main__":
    sys.exit(main())
