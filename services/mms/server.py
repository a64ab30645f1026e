"""Start, watch and stop one MMS server (JVM front end plus its Python workers).

The server runs in its own session, so stopping its process group takes the JVM and every
worker with it. Readiness needs two answers, since neither of MMS's own can be trusted alone:
the management API must list the configured number of workers as READY (its READY only
means the worker's thread is alive, even while the model fails to load and the worker is
restarted over and over), and the /ping of our plugin must say Healthy (it reports a model
healthy once a worker has really loaded it; MMS's own /ping answers 200 whatever happens).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

from services.mms.plugin import ensure_plugin
from services.mms.settings import MODEL, MmsSettings
from services.process import StartupError, http_ok, log_tail, spawn, stop_group, wait_until

READY = "READY"
LOAD_FAILED = "Load model failed"  # what MMS logs each time a worker dies while loading
START_TIMEOUT = 120.0


def command(settings: MmsSettings) -> list[str]:
    """MMS's own launcher, kept in the foreground so it leads the process group."""
    return [
        sys.executable, "-m", "mms.model_server", "--start", "--foreground",
        "--mms-config", str(settings.config_file),
        "--model-store", str(settings.model_store),
    ]  # fmt: skip


def prepare(settings: MmsSettings) -> None:
    if not (settings.model_store / f"{MODEL}.mar").exists():
        raise FileNotFoundError(f"no archive in {settings.model_store}: run exporters mar first")
    ensure_plugin()
    shutil.rmtree(settings.tmp_dir, ignore_errors=True)  # sockets of a server killed earlier
    settings.tmp_dir.mkdir(parents=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    settings.config_file.write_text(settings.render_config())


def start(settings: MmsSettings) -> subprocess.Popen:
    """Start MMS in the background and record it in the state file; does not wait."""
    prepare(settings)
    process = spawn(command(settings), settings.log_dir / "server.log", settings.environment())
    state = {"pid": process.pid, "engine": settings.engine, "port": settings.port,
             "management_port": settings.management_port}  # fmt: skip
    settings.state_file.write_text(json.dumps(state) + "\n")
    return process


def management(settings: MmsSettings, method: str, path: str, timeout: float = 30) -> Any:
    """One management API call; returns the decoded JSON, or raises HTTPError/OSError."""
    request = urllib.request.Request(f"{settings.management_url}{path}", method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def describe(settings: MmsSettings, model: str = MODEL) -> dict[str, Any] | None:
    """GET /models/<model>, or None while the server or the model is not there."""
    try:
        reply = management(settings, "GET", f"/models/{model}", timeout=5)
    except (OSError, urllib.error.URLError, ValueError):
        return None
    return reply[0] if isinstance(reply, list) else reply


def ready_workers(settings: MmsSettings, model: str = MODEL) -> int:
    description = describe(settings, model) or {}
    return sum(worker.get("status") == READY for worker in description.get("workers", []))


def is_ready(settings: MmsSettings) -> bool:
    return ready_workers(settings) >= settings.workers and http_ok(f"{settings.inference_url}/ping")


def load_failed(settings: MmsSettings) -> bool:
    """Whether a worker failed to load the model (MMS then retries it forever)."""
    try:
        return LOAD_FAILED in (settings.log_dir / "server.log").read_text(errors="replace")
    except FileNotFoundError:
        return False


def _ready_or_failed(settings: MmsSettings) -> bool:
    if load_failed(settings):
        log = settings.log_dir / "server.log"
        raise StartupError(f"a worker failed to load the model; see {log}:\n{log_tail(log)}")
    return is_ready(settings)


def wait_ready(settings: MmsSettings, process: subprocess.Popen | None = None) -> None:
    wait_until(
        lambda: _ready_or_failed(settings),
        START_TIMEOUT,
        f"MMS ({settings.engine}) workers",
        settings.log_dir / "server.log",
        process,
    )


def stop(settings: MmsSettings, pid: int | None = None) -> bool:
    """Stop the server `pid` leads (default: the state file's) and clean its temp files.

    False when there was none to stop.
    """
    if pid is None:
        try:
            pid = int(json.loads(settings.state_file.read_text())["pid"])
        except (FileNotFoundError, ValueError, KeyError):
            return False
    stop_group(pid)
    settings.state_file.unlink(missing_ok=True)
    shutil.rmtree(settings.tmp_dir, ignore_errors=True)
    return True
