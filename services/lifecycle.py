"""One lifecycle for every backend: `python -m services.<backend> serve|start|stop|status`.

A backend describes itself as a `Lifecycle` (its supervisor, what to do before supervisord
starts, what to do once it runs, what ready means); `run_action` does the rest the same way
for each: `serve` in the foreground, `start` in the background waiting for readiness (and
stopping everything again if the backend does not get there), `stop`, and `status`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from services.process import StartupError, log_tail, wait_until
from services.supervision import Supervisor

# A program that exited before it counted as started: supervisord retries it with back-off
# (BACKOFF) and gives it up after START_RETRIES (FATAL); a start stops at the first.
FAILED_STARTS = ("BACKOFF", "FATAL")


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class Lifecycle:
    name: str
    supervisor: Supervisor
    url: str
    prepare: Callable[[], None]
    """Before supervisord starts: the configurations it and the programs read. (Exports are
    the backend's command's to bring up to date: `starting`.)"""
    ready: Callable[[], bool]
    """The backend serves every model correctly."""
    after_start: Callable[[], None] = field(default=_nothing)
    """Once supervisord runs, before waiting for readiness (RedisAI: deploy the models)."""
    detail: Callable[[], str] = field(default=lambda: "")
    """Health beyond /ping, where the backend has more to say (MMS: its workers)."""
    start_timeout_s: float = 120


def _ready_or_failed(lifecycle: Lifecycle) -> bool:
    for state in lifecycle.supervisor.states():
        if state.state in FAILED_STARTS:
            log = lifecycle.supervisor.program_log(state.name)
            raise StartupError(f"{state.name} exited while starting; see {log}:\n"
                               f"{log_tail(log)}")  # fmt: skip
    return lifecycle.ready()


def bring_up(lifecycle: Lifecycle) -> None:
    """Start the backend in the background and wait until it is ready; on failure stop
    everything again and raise StartupError (or the SystemExit of a refused setting)."""
    lifecycle.prepare()
    supervisor = lifecycle.supervisor
    try:
        supervisor.start()
        lifecycle.after_start()
        wait_until(lambda: _ready_or_failed(lifecycle), lifecycle.start_timeout_s,
                   lifecycle.name, supervisor.log)  # fmt: skip
    except BaseException:
        supervisor.stop()
        raise


def start(lifecycle: Lifecycle) -> int:
    if lifecycle.supervisor.running():
        print(f"{lifecycle.name}: already running on {lifecycle.url}")
        return 0
    try:
        bring_up(lifecycle)
    except (StartupError, SystemExit) as error:
        print(f"{lifecycle.name}: not started: {error}", file=sys.stderr)
        return 1
    print(f"{lifecycle.name}: ready on {lifecycle.url}; logs in {lifecycle.supervisor.log_dir}")
    return 0


def stop(lifecycle: Lifecycle) -> int:
    stopped = lifecycle.supervisor.stop()
    print(f"{lifecycle.name}: {'stopped' if stopped else 'was not running'}")
    return 0


def status(lifecycle: Lifecycle) -> int:
    states = lifecycle.supervisor.states()
    if not states:
        print(f"{lifecycle.name}: not running")
        return 3
    for state in states:
        print(f"{lifecycle.name}: {state.name} {state.state} pid {state.pid} "
              f"up {state.uptime_s}s restarts {state.restarts}")  # fmt: skip
    healthy = lifecycle.ready()
    print(f"{lifecycle.name}: {'healthy' if healthy else 'NOT healthy'} on {lifecycle.url} "
          f"{lifecycle.detail()}".rstrip())  # fmt: skip
    return 0 if healthy else 1


def serve(lifecycle: Lifecycle) -> int:
    lifecycle.prepare()
    lifecycle.supervisor.serve()  # does not return: supervisord takes this process over
    return 0


ACTIONS: dict[str, Callable[[Lifecycle], int]] = {
    "serve": serve, "start": start, "stop": stop, "status": status,
}  # fmt: skip
STARTING_ACTIONS = ("serve", "start")


def action_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """A backend command's arguments: the action, then whatever the backend adds."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=list(ACTIONS))
    return parser


def starting(lifecycle: Lifecycle, action: str) -> bool:
    """Whether `action` will start the backend (the caller then brings its exports up to
    date first)."""
    return action in STARTING_ACTIONS and not lifecycle.supervisor.running()


def run_action(lifecycle: Lifecycle, action: str) -> int:
    return ACTIONS[action](lifecycle)
