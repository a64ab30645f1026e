"""kill -9 of each long-lived process of the local stack, under load: the backend comes back
by itself, its models still there, and nothing the killed process started is left behind.

Each test sends correct FizzBuzz requests on 8 connections, kills one process, and waits
until it and everything it started are gone (nginx's and MMS's workers are stopped by the
program's reaper) and the backend is ready again (its supervisor restarts what died, MMS
and gunicorn respawn their own workers). The bound on failed requests: none answered before
the kill fails, and none sent once the backend is back; in between, a client backs off
50 ms after a failure, so the count says how long each connection saw the outage.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil
import pytest
import requests

from services.config import Settings
from services.stack import Backend, backends
from tests.mms.management import workers_under
from tests.stack.local import services, urls

CONNECTIONS = 8
RECOVERY_S = 15.0
BACKOFF_S = 0.05
REQUEST = b'{"input.1": 14}'
ANSWER = {"next_number": "FizzBuzz"}


@dataclass
class Load:
    """Correct requests on `CONNECTIONS` connections, each outcome timed."""

    url: str
    outcomes: list[tuple[float, float, bool]] = field(default_factory=list)
    """(sent, answered, correct) of each request."""
    stopping: threading.Event = field(default_factory=threading.Event)

    def _client(self) -> None:
        with requests.Session() as session:
            while not self.stopping.is_set():
                sent = time.monotonic()
                try:
                    reply = session.post(f"{self.url}/predictions/fizzbuzz", data=REQUEST,
                                         timeout=5)  # fmt: skip
                    ok = reply.status_code == 200 and reply.json() == ANSWER
                except (requests.RequestException, ValueError):
                    ok = False
                self.outcomes.append((sent, time.monotonic(), ok))
                if not ok:
                    time.sleep(BACKOFF_S)


@contextmanager
def load_on(url: str) -> Iterator[Load]:
    load = Load(url)
    clients = [threading.Thread(target=load._client) for _ in range(CONNECTIONS)]
    for client in clients:
        client.start()
    try:
        yield load
    finally:
        load.stopping.set()
        for client in clients:
            client.join()


def program_child(backend: Backend, program: str) -> psutil.Process:
    """The process a supervised program runs (its reaper's one child)."""
    reaper = backend.lifecycle.supervisor.pid(program)
    assert reaper is not None, f"{program} is not running"
    (child,) = psutil.Process(reaper).children()
    return child


def descendant_named(backend: Backend, program: str, name: str) -> psutil.Process:
    processes = program_child(backend, program).children(recursive=True)
    return next(p for p in processes if p.name() == name)


VICTIMS: dict[str, tuple[str, Callable[[Backend], psutil.Process]]] = {
    "gunicorn master": ("flask", lambda b: program_child(b, "gunicorn")),
    "gunicorn worker": ("flask", lambda b: program_child(b, "gunicorn").children()[0]),
    "nginx (MMS front)": ("mms", lambda b: program_child(b, "front")),
    "MMS JVM": ("mms", lambda b: descendant_named(b, "mms", "java")),
    "MMS worker": ("mms", lambda b: workers_under(program_child(b, "mms"))[0]),
    "redis-server": ("redisai", lambda b: program_child(b, "redis")),
    "gateway (uvicorn)": ("redisai", lambda b: program_child(b, "gateway")),
}


@pytest.fixture(scope="module")
def stack_backends(stack: dict) -> dict[str, Backend]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in stack["env"].items():
            patch.setenv(name, value)
        return backends(Settings.load())


def gone(processes: list[psutil.Process]) -> bool:
    """None of them runs any more (a zombie waiting for its parent counts as gone)."""
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


def answers_correctly(url: str) -> bool:
    try:
        reply = requests.post(f"{url}/predictions/fizzbuzz", data=REQUEST, timeout=2)
        return reply.status_code == 200 and reply.json() == ANSWER
    except (requests.RequestException, ValueError):
        return False


@pytest.mark.parametrize("victim", VICTIMS)
def test_a_killed_process_comes_back_by_itself(
    victim: str, stack: dict, stack_backends: dict[str, Backend]
) -> None:
    name, find = VICTIMS[victim]
    backend = stack_backends[name]
    url = urls(stack["ports"])[name]
    assert backend.lifecycle.ready()
    with load_on(url) as load:
        time.sleep(1)
        process = find(backend)
        left_behind = process.children(recursive=True)
        killed_at = time.monotonic()
        process.kill()
        # Back: what was killed is gone with all it started (a killed gunicorn master's
        # workers answer until its reaper stops them), and the backend is ready again.
        while not (gone([process, *left_behind]) and backend.lifecycle.ready()
                   and answers_correctly(url)):  # fmt: skip
            assert time.monotonic() - killed_at < RECOVERY_S, f"{name} not back after {victim}"
            time.sleep(0.1)
        back_at = time.monotonic()
        time.sleep(1)
    # Failed: only requests in flight at the kill or sent before the backend was back.
    failures = [(sent, done) for sent, done, ok in load.outcomes if not ok]
    outside = [(sent, done) for sent, done in failures if done < killed_at or sent > back_at]
    failed = len(failures)
    print(f"{victim}: back after {back_at - killed_at:.1f}s, {failed} of "
          f"{len(load.outcomes)} requests failed")  # fmt: skip
    assert outside == [], [(round(s - killed_at, 2), round(d - killed_at, 2)) for s, d in outside]
    assert sum(ok for sent, _, ok in load.outcomes if sent > back_at) > 0


def test_down_stops_everything_even_after_the_supervisors_were_killed(stack: dict) -> None:
    """Killing supervisord leaves its programs serving, unsupervised; `down` still finds
    them (through the reapers' records) and stops them all."""
    run = stack["run"]
    supervisors = [psutil.Process(int((run / b / "supervisord.pid").read_text()))
                   for b in ("flask", "mms", "redisai")]  # fmt: skip
    family = [child for s in supervisors for child in s.children(recursive=True)]
    for supervisor in supervisors:
        supervisor.kill()
    psutil.wait_procs(supervisors, timeout=10)
    assert all(answers_correctly(url) for url in urls(stack["ports"]).values())
    assert services("down", stack["env"]).returncode == 0
    _, alive = psutil.wait_procs(family, timeout=30)
    assert alive == []
