"""The ceilings each backend is measured against, served for the length of a comparison.

Each is the backend's own server stack with the model taken out, under the same settings:
- flask: a no-op view (services/flask/noop.py) under the same gunicorn configuration;
- mms: a no-op handler archive per model (services/mms/noop.py, exporters/mar_noop.py) served
  by the same MMS configuration and nginx front, on ports of its own below MMS's limit;
- redisai: a raw ASGI app (services/redisai/gateway/noop.py) under the same uvicorn settings.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from exporters.mar_noop import NOOP, ensure_noop_archive
from loadtest.cpu_time import trees_of
from models import registry
from models.artifacts import ModelFiles
from services.config import LOCALHOST, run_dir
from services.mms import server as mms_server
from services.mms.settings import MAX_PORT, MmsSettings
from services.process import free_port, free_port_below, serving


@dataclasses.dataclass(frozen=True)
class Served:
    url: str
    pids: Callable[[], list[int]]
    """The ceiling's processes now: what its CPU time is read from."""


@contextmanager
def _noop(module: str, name: str) -> Iterator[Served]:
    port = free_port()
    url = f"http://{LOCALHOST}:{port}"
    command = [sys.executable, "-m", module, "--app", "noop", "--port", str(port)]
    with serving(command, run_dir("ceilings") / f"{name}.log", f"{url}/ping") as process:
        yield Served(url, trees_of(process.pid))


@contextmanager
def _mms_noop() -> Iterator[Served]:
    """The backend's own MMS settings (workers, config, front) serving the no-op archives."""
    live = MmsSettings.from_env()
    archives = [ensure_noop_archive(spec, ModelFiles.of(spec.name)) for spec in registry.served()]
    settings = dataclasses.replace(
        live,
        engine=NOOP,
        port=free_port_below(MAX_PORT),
        management_port=free_port_below(MAX_PORT),
        folder=run_dir("ceilings") / "mms-noop",
        store=archives[0].parent,
        host=LOCALHOST,
    )
    started = mms_server.start(settings)
    try:
        mms_server.wait_ready(settings, started)
        yield Served(settings.inference_url, trees_of(started.mms.pid, started.front.pid))
    finally:
        mms_server.stop(settings)


CEILINGS: dict[str, tuple[str, Callable[[], AbstractContextManager[Served]]]] = {
    "flask": ("no-op Flask view, same gunicorn", lambda: _noop("services.flask", "flask-noop")),
    "mms": ("no-op handler archive, same MMS and nginx", _mms_noop),
    "redisai": (
        "raw ASGI app, same uvicorn",
        lambda: _noop("services.redisai.gateway", "asgi-noop"),
    ),
}
