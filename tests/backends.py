"""Fixture helpers that run each backend for real, on free ports, in a temporary run folder.

Each launcher is a context manager yielding the backend's base URL once it is ready (serving
every served model), and stopping every process it started on exit.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from exporters.mar import ensure_archive
from models import registry
from models.artifacts import ModelFiles
from services.contract.dataplane import DataPlane
from services.flask.app import create_app
from services.lifecycle import bring_up
from services.mms import server as mms
from services.mms.engines import MXNET, ONNXRUNTIME
from services.mms.settings import MmsSettings
from services.process import (
    free_port,
    serving,
)


@contextmanager
def in_process_backend(run_dir: Path) -> Iterator[str]:
    """The Flask app in this process, on werkzeug's threaded server: the contract's fast tier
    (the same routes, data plane and TorchScript engine as the gunicorn backend)."""
    from services.flask.wsgi import handler  # made anew: the models served now, plugins too

    app = create_app(DataPlane([handler(spec) for spec in registry.served()]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def flask_backend(run_dir: Path, workers: int = 2) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "services.flask", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    env = {"POLYSERVE_RUN": str(run_dir)}
    with serving(command, run_dir / "flask.log", f"{url}/ping", env):
        yield url


def mms_settings(
    run_dir: Path, engine: str, store: Path | None = None, models: tuple[str, ...] | None = None
) -> MmsSettings:
    """MMS on free ports with everything it writes (logs, sockets, temp) under run_dir,
    serving `models` (default: every served model).

    Both ports are the nginx front's (inference, and management with its token); MMS itself
    listens on unix sockets in the run folder.
    """
    return MmsSettings(
        engine=engine,
        port=free_port(),
        management_port=free_port(),
        workers=1,
        folder=run_dir / "mms",
        models=models or tuple(registry.served_names()),
        store=store,
    )


@contextmanager
def mms_server(settings: MmsSettings) -> Iterator[MmsSettings]:
    """A running MMS behind its nginx front, every model's workers READY; all stopped on exit."""
    for model in settings.models:
        ensure_archive(registry.get(model), ModelFiles.of(model), settings.engine)
    lifecycle = mms.lifecycle(settings)
    bring_up(lifecycle)
    try:
        yield settings
    finally:
        lifecycle.supervisor.stop()


@contextmanager
def mms_backend(run_dir: Path, engine: str) -> Iterator[str]:
    with mms_server(mms_settings(run_dir, engine)) as settings:
        yield settings.inference_url


def mms_onnxruntime_backend(run_dir: Path) -> AbstractContextManager[str]:
    return mms_backend(run_dir, ONNXRUNTIME)


def mms_mxnet_backend(run_dir: Path) -> AbstractContextManager[str]:
    return mms_backend(run_dir, MXNET)
