"""Start, watch and stop one MMS server (JVM front end, Python workers) and its nginx front.

MMS and nginx each run in their own session, so stopping the two process groups takes the
JVM, every worker and every nginx process with them; the state file records both leaders.
nginx answers the contract's port and proxies to MMS's unix socket (services/mms/front.py).
Readiness needs two answers, since neither of MMS's own can be trusted alone:
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
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import registry
from services.contract.protocol import describe as model_description
from services.contract.protocol import render
from services.mms import front
from services.mms.handler import ARCHIVE_INFO
from services.mms.plugin import ensure_plugin
from services.mms.settings import MmsSettings
from services.process import (
    StartupError,
    http_ok,
    log_tail,
    process_record,
    recorded_process,
    spawn,
    stop_group,
    wait_until,
)

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


def front_command(settings: MmsSettings) -> list[str]:
    return front.command(settings.nginx_config, settings.tmp_dir / "nginx")


@dataclass(frozen=True)
class Started:
    """The two process group leaders one start made."""

    mms: subprocess.Popen
    front: subprocess.Popen
    log_offset: int = 0
    """Where this start's output begins in server.log, which every start appends to."""


def archive_version(archive: Path) -> str:
    """The version an archive was built with (its polyserve.json)."""
    with zipfile.ZipFile(archive) as mar:
        return str(json.loads(mar.read(ARCHIVE_INFO)).get("version", ""))


def models_lines(settings: MmsSettings) -> str:
    """`<name>\t<description>` per model, as the plugin's GET /models reads them."""
    lines = []
    for model in settings.models:
        archive = settings.model_store / f"{model}.mar"
        if not archive.exists():
            raise FileNotFoundError(f"no {archive} (run `python -m exporters mar`)")
        description = model_description(registry.get(model), archive_version(archive))
        lines.append(f"{model}\t{render(description).decode()}\n")
    return "".join(lines)


def prepare(settings: MmsSettings) -> None:
    models = models_lines(settings)
    ensure_plugin()
    front.nginx_binary()  # missing nginx stops the start before anything runs
    shutil.rmtree(settings.tmp_dir, ignore_errors=True)  # sockets of a server killed earlier
    (settings.tmp_dir / "nginx").mkdir(parents=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    settings.models_file.write_text(models)
    settings.config_file.write_text(settings.render_config())
    settings.nginx_config.write_text(settings.render_nginx_config())


def start(settings: MmsSettings) -> Started:
    """Start MMS and its front in the background, recorded in the state file; does not wait."""
    prepare(settings)
    log = settings.log_dir / "server.log"
    offset = log.stat().st_size if log.exists() else 0
    mms = spawn(command(settings), log, settings.environment())
    try:
        nginx = spawn(front_command(settings), settings.log_dir / "nginx.log")
    except OSError:
        stop_group(mms.pid)
        raise
    state = {"mms": process_record(mms), "front": process_record(nginx),
             "engine": settings.engine, "port": settings.port,
             "management_port": settings.management_port,
             "models": list(settings.models)}  # fmt: skip
    settings.state_file.write_text(json.dumps(state) + "\n")
    return Started(mms, nginx, offset)


def recorded_pids(settings: MmsSettings) -> list[int]:
    """The live group leaders the state file records (the front first, then MMS); a pid
    since reused by another process is not ours and is left out."""
    try:
        state = json.loads(settings.state_file.read_text())
    except (FileNotFoundError, ValueError):
        return []
    processes = (recorded_process(state.get(key, {})) for key in ("front", "mms"))
    return [process.pid for process in processes if process is not None]


def management(settings: MmsSettings, method: str, path: str, timeout: float = 30) -> Any:
    """One management API call; returns the decoded JSON, or raises HTTPError/OSError."""
    request = urllib.request.Request(f"{settings.management_url}{path}", method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def management_answers(settings: MmsSettings) -> bool:
    try:
        management(settings, "GET", "/models", timeout=5)
    except (OSError, urllib.error.URLError, ValueError):
        return False
    return True


def describe(settings: MmsSettings, model: str) -> dict[str, Any] | None:
    """GET /models/<model>, or None while the server or the model is not there."""
    try:
        reply = management(settings, "GET", f"/models/{model}", timeout=5)
    except (OSError, urllib.error.URLError, ValueError):
        return None
    return reply[0] if isinstance(reply, list) else reply


def ready_workers(settings: MmsSettings, model: str) -> int:
    description = describe(settings, model) or {}
    return sum(worker.get("status") == READY for worker in description.get("workers", []))


def is_ready(settings: MmsSettings) -> bool:
    """Every model has its workers READY, and /ping says every model has loaded."""
    every_model = all(ready_workers(settings, m) >= settings.workers for m in settings.models)
    return every_model and http_ok(f"{settings.inference_url}/ping")


def load_failed(settings: MmsSettings, log_offset: int = 0) -> bool:
    """Whether a worker failed to load the model (MMS then retries it forever).

    Looks at server.log from `log_offset` on: a failure of an earlier start does not count.
    """
    try:
        with open(settings.log_dir / "server.log", "rb") as log:
            log.seek(log_offset)
            return LOAD_FAILED.encode() in log.read()
    except FileNotFoundError:
        return False


def _ready_or_failed(settings: MmsSettings, started: Started | None) -> bool:
    if started is not None and started.front.poll() is not None:
        log = settings.log_dir / "nginx.log"
        code = started.front.returncode
        raise StartupError(f"the nginx front exited with {code}; see {log}:\n{log_tail(log)}")
    if load_failed(settings, started.log_offset if started else 0):
        log = settings.log_dir / "server.log"
        raise StartupError(f"a worker failed to load the model; see {log}:\n{log_tail(log)}")
    return is_ready(settings)


def wait_ready(settings: MmsSettings, started: Started | None = None) -> None:
    wait_until(
        lambda: _ready_or_failed(settings, started),
        START_TIMEOUT,
        f"MMS ({settings.engine}) workers",
        settings.log_dir / "server.log",
        started.mms if started else None,
    )


def stop(settings: MmsSettings) -> bool:
    """Stop the front and the server the state file records and clean their temp files.

    False when there was none to stop.
    """
    pids = recorded_pids(settings)
    for pid in pids:  # the front first: no request reaches a server that is going away
        stop_group(pid)
    settings.state_file.unlink(missing_ok=True)
    shutil.rmtree(settings.tmp_dir, ignore_errors=True)
    return bool(pids)
