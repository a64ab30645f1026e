"""Starting, watching and stopping the processes of a backend.

Shared by the service launchers and the test fixtures: a process is started in its own
session (so stopping it takes its children too), its output goes to a log file, and
readiness is a predicate polled with a deadline, not a sleep.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import psutil

from models.artifacts import REPO_ROOT


class StartupError(RuntimeError):
    """A service did not become ready; the message carries the tail of its log."""


def spawn(
    command: Sequence[str], log_file: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def free_port(below: int | None = None) -> int:
    """A free loopback port: the kernel's choice (its ephemeral range), or one picked at
    random from 20000 up to `below` for a server that refuses the high ones."""
    if below is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    while True:
        port = random.randrange(20000, below)
        if port_is_free(port):
            return port


def port_is_free(port: int) -> bool:
    """Whether a loopback port can be bound now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def log_tail(log_file: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def wait_until(
    ready: Callable[[], bool],
    timeout: float,
    what: str,
    log_file: Path,
    process: subprocess.Popen | None = None,
) -> None:
    """Poll `ready` until it holds; fail early if `process` exits, or at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StartupError(f"{what} exited with {process.returncode}:\n{log_tail(log_file)}")
        if ready():
            return
        time.sleep(0.2)
    raise StartupError(f"{what} not ready after {timeout:.0f}s:\n{log_tail(log_file)}")


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def stop_group(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM the process group led by pid, then SIGKILL what is left after `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _group_alive(pid):
                return
            time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    # Reap the leader if it is our child: a zombie would still count as a member.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def serving(
    command: Sequence[str],
    log_file: Path,
    ready_url: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Iterator[subprocess.Popen]:
    """Run a server for the duration of a `with` block: ready on entry, stopped on exit."""
    process = spawn(command, log_file, env)
    try:
        wait_until(lambda: http_ok(ready_url), timeout, command[-1], log_file, process)
        yield process
    finally:
        stop_group(process.pid)


def tree_pids(leaders: Iterable[psutil.Process]) -> list[int]:
    """The leaders' pids and all their descendants'; a leader gone meanwhile is left out."""
    pids: list[int] = []
    for leader in leaders:
        try:
            pids += [leader.pid, *(child.pid for child in leader.children(recursive=True))]
        except psutil.Error:
            continue
    return pids
