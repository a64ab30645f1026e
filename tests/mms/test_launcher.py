"""`python -m services.mms start|status|stop` as a user runs it, on free ports."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import requests

from models.artifacts import REPO_ROOT, ModelFiles
from services.mms.plugin import override_dir
from services.process import free_port

PORT_VAR = "POLYSERVE_MMS_PORT"
MANAGEMENT_PORT_VAR = "POLYSERVE_MMS_MANAGEMENT_PORT"


def launcher(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.mms", command],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def launcher_env(run: Path) -> dict[str, str]:
    """A run folder of the test's own and free ports (both nginx's: MMS is on sockets)."""
    return {
        "POLYSERVE_RUN": str(run),
        PORT_VAR: str(free_port()),
        MANAGEMENT_PORT_VAR: str(free_port()),
    }


def test_start_waits_for_ready_workers_and_stop_leaves_nothing(
    fizzbuzz_files: ModelFiles, tmp_path: Path
) -> None:
    env = launcher_env(tmp_path)
    port = int(env[PORT_VAR])
    started = launcher("start", env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        # Ready means answering at once, without polling; through the front on `port`.
        answer = requests.post(
            f"http://127.0.0.1:{port}/predictions/fizzbuzz", data=b'{"input.1": 14}'
        )
        assert answer.json() == {"next_number": "FizzBuzz"}
        status = launcher("status", env)
        assert status.returncode == 0, status.stdout
        # RUNNING once each has stayed up for its start time, STARTING before
        assert re.search(r"^mms: mms (STARTING|RUNNING) pid \d+", status.stdout, re.M)
        assert re.search(r"^mms: front (STARTING|RUNNING) pid \d+", status.stdout, re.M)
        assert "READY of 2: fizzbuzz 2, digits 2" in status.stdout  # workers per model
        ours = _ours(tmp_path)
        names = " ".join(" ".join(_cmdline(p)) for p in ours)
        # supervisord, a reaper each, MMS's launcher, the JVM, a worker server and a worker
        # per model, nginx's master and its one worker
        assert len(ours) >= 10, names
        assert all(name in names for name in ("supervisord", "mms.model_server", "nginx"))
        # The JVM runs where our decoder of worker replies is, first on its class path.
        [jvm] = [p for p in ours if "com.amazonaws.ml.mms.ModelServer" in _cmdline(p)]
        assert jvm.cwd() == str(override_dir())
        assert _cmdline(jvm)[_cmdline(jvm).index("-cp") + 1].startswith(".:")
    finally:
        stopped = launcher("stop", env)
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    assert not _ours(tmp_path)
    assert launcher("status", env).returncode == 3


def _ours(run: Path) -> list[psutil.Process]:
    """supervisord (its configuration is in the run folder) and everything it leads."""
    supervisors = [p for p in psutil.process_iter() if str(run) in " ".join(_cmdline(p))
                   and "supervisord" in " ".join(_cmdline(p))]  # fmt: skip
    return [*supervisors, *(c for p in supervisors for c in _children(p))]


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def test_a_front_port_taken_fails_the_start_and_leaves_nothing(
    fizzbuzz_files: ModelFiles, tmp_path: Path
) -> None:
    env = launcher_env(tmp_path)
    port = int(env[PORT_VAR])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        started = launcher("start", env)
    assert started.returncode == 1
    assert "front exited while starting" in started.stderr
    assert "Address already in use" in started.stderr
    assert not any(str(tmp_path) in " ".join(_cmdline(p)) for p in psutil.process_iter())


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
