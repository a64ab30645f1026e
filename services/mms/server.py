"""One MMS server (JVM front end, Python workers) and its nginx front, under supervisord.

Two supervised programs: MMS's launcher (which runs the JVM, which runs the workers) and
nginx; a killed JVM or nginx is restarted, and its reaper stops what it left behind.
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
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from models import registry
from services import metrics, nginx
from services.contract.protocol import describe as model_description
from services.contract.protocol import render
from services.lifecycle import Lifecycle
from services.metrics import MULTIPROC_VAR
from services.mms.handler import ARCHIVE_INFO
from services.mms.plugin import ensure_plugin, override_dir
from services.mms.settings import MmsSettings
from services.process import StartupError, http_ok, log_tail
from services.supervision import Program, Supervisor, reaper_record

READY = "READY"
LOAD_FAILED = "Load model failed"  # what MMS logs each time a worker dies while loading
START_TIMEOUT = 120.0


def command(settings: MmsSettings) -> list[str]:
    """MMS's own launcher, kept in the foreground: its exit is the server's."""
    return [
        sys.executable, "-m", "mms.model_server", "--start", "--foreground",
        "--mms-config", str(settings.config_file),
        "--model-store", str(settings.model_store),
    ]  # fmt: skip


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
    nginx.nginx_binary()  # missing nginx stops the start before anything runs
    shutil.rmtree(settings.tmp_dir, ignore_errors=True)  # sockets of a server killed earlier
    (settings.front_temp_dir).mkdir(parents=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    metrics.reset(settings.metrics_dir)
    settings.models_file.write_text(models)
    settings.config_file.write_text(settings.render_config())
    settings.write_nginx_config()  # owner-only: it holds the management token


def supervisor(settings: MmsSettings) -> Supervisor:
    """MMS (its launcher, the JVM, the Python workers), the nginx front and the workers'
    metrics exporter, supervised."""
    mms = Program(
        "mms",
        tuple(command(settings)),
        env=settings.environment(),
        start_s=3,
        stop_wait_s=30,
        stale=(settings.socket,),
        directory=override_dir(),  # first on the JVM's class path: services/mms/plugin.py
    )
    front = nginx.front_program(settings.nginx_config, settings.front_temp_dir)
    exporter = Program(
        "metrics",
        (sys.executable, "-m", "services.mms.metrics_app",
         "--socket", str(settings.metrics_socket),
         "--record", str(reaper_record(settings.folder, "mms")),
         "--management", str(settings.management_socket),
         "--models", str(settings.models_file)),
        env={MULTIPROC_VAR: str(settings.metrics_dir)},
        stale=(settings.metrics_socket,),
    )  # fmt: skip
    return Supervisor(settings.folder, (mms, front, exporter, *registrar(settings)))


def registrar(settings: MmsSettings) -> tuple[Program, ...]:
    """The program that registers the batched models (services/mms/registrar.py), if any."""
    if not settings.batched:
        return ()
    models = (f"{model}={b.size}/{b.delay_ms}" for model, b in settings.batched.items())
    command = (sys.executable, "-m", "services.mms.registrar",
               "--management", str(settings.management_socket),
               "--workers", str(settings.workers), *models)  # fmt: skip
    return (Program("registrar", command),)


def management_headers(settings: MmsSettings) -> dict[str, str]:
    """The front asks every management call for the bearer token (none before a first start
    made one: the call then gets its 401, like any caller without it)."""
    token = settings.management_token
    return {"Authorization": f"Bearer {token}"} if token else {}


def management(settings: MmsSettings, method: str, path: str, timeout: float = 30) -> Any:
    """One management API call; returns the decoded JSON, or raises HTTPError/OSError."""
    request = urllib.request.Request(
        f"{settings.management_url}{path}", method=method, headers=management_headers(settings)
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


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


def load_failed(log: Path, log_offset: int = 0) -> bool:
    """Whether a worker failed to load the model (MMS then retries it forever).

    Looks at MMS's output from `log_offset` on: a failure of an earlier start does not count.
    """
    try:
        with open(log, "rb") as output:
            output.seek(log_offset)
            return LOAD_FAILED.encode() in output.read()
    except FileNotFoundError:
        return False


def lifecycle(settings: MmsSettings) -> Lifecycle:
    """MMS's serve|start|stop|status (services.lifecycle); ready once every model's workers
    are READY and /ping says every model has loaded, failed once a worker failed to load."""
    processes = supervisor(settings)
    output = processes.program_log("mms")
    offset = [0]

    def prepare_start() -> None:
        prepare(settings)
        offset[0] = output.stat().st_size if output.exists() else 0

    def ready() -> bool:
        if load_failed(output, offset[0]):
            raise StartupError(f"a worker failed to load a model; see {output}:\n"
                               f"{log_tail(output)}")  # fmt: skip
        return is_ready(settings)

    return Lifecycle(
        name="mms",
        supervisor=processes,
        url=settings.inference_url,
        prepare=prepare_start,
        ready=ready,
        detail=lambda: workers_detail(settings),
        start_timeout_s=START_TIMEOUT,
    )


def workers_detail(settings: MmsSettings) -> str:
    ready = (f"{m} {ready_workers(settings, m)}" for m in settings.models)
    return f"(workers READY of {settings.workers}: {', '.join(ready)})"
