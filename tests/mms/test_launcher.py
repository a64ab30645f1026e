"""`python -m services.mms start|status|stop` as a user runs it, on free ports."""

from __future__ import annotations

import json
import os
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


def test_start_waits_for_ready_workers_and_stop_leaves_nothing(
    fizzbuzz_files: ModelFiles, tmp_path: Path
) -> None:
    port, management_port = free_port_below(MAX_PORT), free_port_below(MAX_PORT)
    env = {
        "POLYSERVE_RUN": str(tmp_path),
        PORT_VAR: str(port),
        MANAGEMENT_PORT_VAR: str(management_port),
    }
    started = launcher("start", env)
    state_file = tmp_path / "mms" / "state.json"
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        # Ready means answering at once, without polling.
        answer = requests.post(
            f"http://127.0.0.1:{port}/predictions/fizzbuzz", data=b'{"input.1": 14}'
        )
        assert answer.json() == {"next_number": "FizzBuzz"}
        status = launcher("status", env)
        assert status.returncode == 0
        assert json.loads(status.stdout)["workers"][0]["status"] == "READY"
        group = json.loads(state_file.read_text())["pid"]
        members = [p for p in psutil.process_iter() if _group_of(p) == group]
        assert len(members) >= 4  # MMS's start script, the JVM, the model's server, a worker
    finally:
        stopped = launcher("stop", env)
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    assert not any(_group_of(p) == group for p in psutil.process_iter())
    assert not state_file.exists()
    assert not (tmp_path / "mms" / "tmp").exists()  # sockets and unpacked archives are gone
    assert launcher("status", env).returncode == 3


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, psutil.Error):
        return None
