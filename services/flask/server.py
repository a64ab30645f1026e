"""The Flask backend in the background: start (waiting for /ping), stop, and its files."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil

from services.config import LOCALHOST, RunFiles, flask_port
from services.process import (
    http_ok,
    pidfile_process,
    spawn,
    stop_pidfile,
    wait_until,
    write_pidfile,
)

RUN = RunFiles("flask")
PROCESS = "gunicorn"


def pid_file() -> Path:
    return RUN.pid(PROCESS)


def log_file() -> Path:
    return RUN.log(PROCESS)


def url() -> str:
    return f"http://{LOCALHOST}:{flask_port()}"


def running() -> psutil.Process | None:
    return pidfile_process(pid_file())


def start() -> None:
    if running() is not None:
        return
    process = spawn([sys.executable, "-m", "services.flask"], log_file())
    write_pidfile(pid_file(), process)
    wait_until(lambda: http_ok(f"{url()}/ping"), 60, "gunicorn", log_file(), process)


def stop() -> bool:
    return stop_pidfile(pid_file())


def main(argv: list[str] | None = None) -> int:
    """`python -m services.flask.server start|stop|status`: gunicorn in the background."""
    action = (argv if argv is not None else sys.argv[1:])[:1]
    if action == ["start"]:
        start()
        print(f"flask: ready on {url()}")
    elif action == ["stop"]:
        print(f"flask: {'stopped' if stop() else 'was not running'}")
    elif action == ["status"]:
        healthy = http_ok(f"{url()}/ping")
        print(f"flask: {'healthy' if healthy else 'not healthy'} on {url()}")
        return 0 if healthy else 1
    else:
        print("usage: python -m services.flask.server start|stop|status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
