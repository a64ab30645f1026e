"""`python -m services.mms start|status|stop` as a user runs it, on free ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import requests

from models.artifacts import REPO_ROOT, ModelFiles
from services.mms.settings import MANAGEMENT_PORT_VAR, MAX_PORT, PORT_VAR
from tests.backends import free_port_below


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
    """A run folder of the test's own and free ports (MMS takes none above MAX_PORT)."""
    return {
        "POLYSERVE_RUN": str(run),
        PORT_VAR: str(free_port_below(MAX_PORT)),
        MANAGEMENT_PORT_VAR: str(free_port_below(MAX_PORT)),
    }


def test_start_waits_for_ready_workers_and_stop_leaves_nothing(
    fizzbuzz_files: ModelFiles, tmp_path: Path
) -> None:
    env = launcher_env(tmp_path)
    port = int(env[PORT_VAR])
    started = launcher("start", env)
    state_file = tmp_path / "mms" / "state.json"
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        # Ready means answering at once, without polling; through the front on `port`.
        answer = requests.post(
            f"http://127.0.0.1:{port}/predictions/fizzbuzz", data=b'{"input.1": 14}'
        )
        assert answer.json() == {"next_number": "FizzBuzz"}
        status = launcher("status", env)
        assert status.returncode == 0
        described = json.loads(status.stdout)
        assert set(described) == {"fizzbuzz", "digits"}
        assert all(d["workers"][0]["status"] == "READY" for d in described.values())
        state = json.loads(state_file.read_text())
        group, front = state["mms"]["pid"], state["front"]["pid"]
        members = [p for p in psutil.process_iter() if _group_of(p) == group]
        assert len(members) >= 4  # MMS's start script, the JVM, the model's server, a worker
        nginx = [p for p in psutil.process_iter() if _group_of(p) == front]
        assert len(nginx) == 2  # the nginx master and its one worker
    finally:
        stopped = launcher("stop", env)
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    assert not any(_group_of(p) in (group, front) for p in psutil.process_iter())
    assert not state_file.exists()
    assert not (tmp_path / "mms" / "tmp").exists()  # sockets, archives, nginx's files: gone
    assert launcher("status", env).returncode == 3


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, psutil.Error):
        return None


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
    assert "nginx front exited" in started.stderr
    assert "Address already in use" in started.stderr
    assert not (tmp_path / "mms" / "state.json").exists()
    assert not (tmp_path / "mms" / "tmp").exists()
    assert not any(str(tmp_path) in " ".join(_cmdline(p)) for p in psutil.process_iter())


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
