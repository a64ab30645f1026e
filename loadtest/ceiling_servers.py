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
from services.config import LOCALHOST, Settings
from services.lifecycle import bring_up
from services.mms import server as mms_server
from services.mms.settings import MmsSettings
from services.process import free_port, serving


@dataclasses.dataclass(frozen=True)
class Served:
    url: str
    pids: Callable[[], list[int]]
    """The ceiling's processes now: what its CPU time is read from."""


@contextmanager
def _noop(settings: Settings, command: list[str], name: str) -> Iterator[Served]:
    """`command` with `--app noop --port PORT`, in the foreground until the block ends."""
    port = free_port()
    url = f"http://{LOCALHOST}:{port}"
    command = [sys.executable, *command, "--app", "noop", "--port", str(port)]
    folder = settings.folder("ceilings")
    env = settings.replace(run=folder).environment("run")
    log = folder / f"{name}.log"
    with serving(command, log, f"{url}/ping", env) as process:
        yield Served(url, trees_of(process.pid))


@contextmanager
def _mms_noop(settings: Settings) -> Iterator[Served]:
    """The backend's own MMS settings (workers, config, front) serving the no-op archives."""
    live = MmsSettings.from_settings(settings)
    archives = [ensure_noop_archive(spec, ModelFiles.of(spec.name)) for spec in registry.served()]
    noop = dataclasses.replace(
        live,
        engine=NOOP,
        port=free_port(),
        management_port=free_port(),
        folder=settings.folder("ceilings") / "mms-noop",
        store=archives[0].parent,
        host=LOCALHOST,
    )
    lifecycle = mms_server.lifecycle(noop)
    bring_up(lifecycle)
    try:
        reapers = (lifecycle.supervisor.pid(name) for name in ("mms", "front"))
        yield Served(noop.inference_url, trees_of(*(pid for pid in reapers if pid)))
    finally:
        lifecycle.supervisor.stop()


CEILINGS: dict[str, tuple[str, Callable[[Settings], AbstractContextManager[Served]]]] = {
    "flask": (
        "no-op Flask view, same gunicorn",
        lambda settings: _noop(settings, ["-m", "services.flask", "serve"], "flask-noop"),
    ),
    "mms": ("no-op handler archive, same MMS and nginx", _mms_noop),
    "redisai": (
        "raw ASGI app, same uvicorn",
        lambda settings: _noop(settings, ["-m", "services.redisai.gateway"], "asgi-noop"),
    ),
}
