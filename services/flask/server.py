"""The Flask backend's processes: gunicorn behind an nginx front, both under supervisord,
and what ready means.

`python -m services.flask` (services/flask/__main__.py) drives it; the tests and the
comparison's ceiling use the same programs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from services import metrics
from services.config import LOCALHOST, Settings
from services.flask.front import render_config
from services.lifecycle import Lifecycle
from services.nginx import front_program
from services.process import http_ok
from services.supervision import Program, Supervisor

GUNICORN_CONFIG = Path(__file__).with_name("gunicorn.conf.py")
APPS = {"model": "services.flask.wsgi:app", "noop": "services.flask.noop:app"}


def folder(settings: Settings, app: str = "model") -> Path:
    """The run folder: run/flask, or run/flask-noop for the comparison's ceiling."""
    return settings.folder("flask" if app == "model" else f"flask-{app}")


def socket(settings: Settings, app: str = "model") -> Path:
    """gunicorn's unix socket, which only the front connects to."""
    return folder(settings, app) / "gunicorn.sock"


def metrics_dir(settings: Settings, app: str = "model") -> Path:
    """gunicorn's workers' multiprocess metrics files (services/metrics.py): emptied when the
    backend starts, kept when supervisord or gunicorn restarts a process."""
    return folder(settings, app).resolve() / "metrics"


def supervisor(settings: Settings, app: str = "model") -> Supervisor:
    """gunicorn serving `app` on a unix socket, behind nginx on the Flask port."""
    gunicorn = Program(
        "gunicorn",
        (sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
         "--bind", f"unix:{socket(settings, app)}", APPS[app]),
        env={**settings.environment("run", "flask_workers", "flask_threads", "flask_batch_size",
                                    "flask_batch_delay_ms", "metrics"),
             metrics.MULTIPROC_VAR: str(metrics_dir(settings, app))},
        start_s=2,
        stale=(socket(settings, app),),
    )  # fmt: skip
    front = front_program(config_file(settings, app), temp_dir(settings, app))
    return Supervisor(folder(settings, app), (gunicorn, front))


def config_file(settings: Settings, app: str) -> Path:
    return folder(settings, app) / "nginx.conf"


def temp_dir(settings: Settings, app: str) -> Path:
    return folder(settings, app) / "nginx"


def prepare(settings: Settings, app: str) -> None:
    """Before supervisord starts: the front's configuration, and no metrics yet."""
    write_front_config(settings, app)
    metrics.reset(metrics_dir(settings, app))


def write_front_config(settings: Settings, app: str) -> None:
    temp_dir(settings, app).mkdir(parents=True, exist_ok=True)
    config = render_config(host=settings.bind_host, port=settings.flask_port,
                           socket=socket(settings, app), temp_dir=temp_dir(settings, app),
                           pid_file=folder(settings, app) / "nginx.pid")  # fmt: skip
    config_file(settings, app).write_text(config)


def lifecycle(settings: Settings, app: str = "model") -> Lifecycle:
    url = f"http://{LOCALHOST}:{settings.flask_port}"
    return Lifecycle(
        name="flask" if app == "model" else f"flask-{app}",
        supervisor=supervisor(settings, app),
        url=url,
        prepare=lambda: prepare(settings, app),
        ready=lambda: http_ok(f"{url}/ping"),
        start_timeout_s=60,
    )
