"""The ceilings each backend is measured against, served for the length of a comparison.

Each is the backend's own server stack with the model taken out, under the same settings:
- flask: a no-op view (services/flask/noop.py) under the same gunicorn configuration;
- redisai: a raw ASGI app (services/redisai/gateway/noop.py) under the same uvicorn settings.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from services.config import LOCALHOST, run_dir
from services.process import serving


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


@contextmanager
def _noop(module: str, name: str) -> Iterator[str]:
    port = _free_port()
    url = f"http://{LOCALHOST}:{port}"
    command = [sys.executable, "-m", module, "--app", "noop", "--port", str(port)]
    with serving(command, run_dir("ceilings") / f"{name}.log", f"{url}/ping"):
        yield url


CEILINGS: dict[str, tuple[str, Callable[[], AbstractContextManager[str]]]] = {
    "flask": ("no-op Flask view, same gunicorn", lambda: _noop("services.flask", "flask-noop")),
    "redisai": (
        "raw ASGI app, same uvicorn",
        lambda: _noop("services.redisai.gateway", "asgi-noop"),
    ),
}
