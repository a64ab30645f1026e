"""The Flask backend's processes: gunicorn behind an nginx front, both under supervisord,
and what ready means.

`python -m services.flask` (services/flask/__main__.py) drives it; the tests and the
comparison's ceiling use the same programs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from services.config import FLASK_WORKERS_VAR, LOCALHOST, bind_host, run_dir
from services.flask.front import render_config
from services.lifecycle import Lifecycle
from services.nginx import front_program
from services.process import http_ok
from services.supervision import Program, Supervisor

GUNICORN_CONFIG = Path(__file__).with_name("gunicorn.conf.py")
APPS = {"model": "services.flask.wsgi:app", "noop": "services.flask.noop:app"}


def folder(app: str = "model") -> Path:
    """The run folder: run/flask, or run/flask-noop for the comparison's ceiling."""
    return run_dir("flask" if app == "model" else f"flask-{app}")


def socket(app: str = "model") -> Path:
    """gunicorn's unix socket, which only the front connects to."""
    return folder(app) / "gunicorn.sock"


def supervisor(port: int, workers: int, app: str = "model") -> Supervisor:
    """gunicorn serving `app` on a unix socket, behind nginx on `port`."""
    gunicorn = Program(
        "gunicorn",
        (sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
         "--bind", f"unix:{socket(app)}", APPS[app]),
        env={FLASK_WORKERS_VAR: str(workers)},
        start_s=2,
        stale=(socket(app),),
    )
    front = front_program(config_file(app), temp_dir(app))
    return Supervisor(folder(app), (gunicorn, front))


def config_file(app: str) -> Path:
    return folder(app) / "nginx.conf"


def temp_dir(app: str) -> Path:
    return folder(app) / "nginx"


def write_front_config(port: int, app: str) -> None:
    temp_dir(app).mkdir(parents=True, exist_ok=True)
    config = render_config(host=bind_host(), port=port, socket=socket(app),
                           temp_dir=temp_dir(app), pid_file=folder(app) / "nginx.pid")  # fmt: skip
    config_file(app).write_text(config)


def lifecycle(port: int, workers: int, app: str = "model") -> Lifecycle:
    url = f"http://{LOCALHOST}:{port}"
    return Lifecycle(
        name="flask" if app == "model" else f"flask-{app}",
        supervisor=supervisor(port, workers, app),
        url=url,
        prepare=lambda: write_front_config(port, app),
        ready=lambda: http_ok(f"{url}/ping"),
        start_timeout_s=60,
    )
