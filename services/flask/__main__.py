"""Run the Flask backend under gunicorn in the foreground.

    python -m services.flask [--port PORT] [--workers N] [--app model|noop]

Serves every model of the registry (POLYSERVE_MODELS chooses), exporting the TorchScript
artifact of each first if it is missing. `--app noop` serves the ceiling
(services/flask/noop.py) under the same gunicorn configuration, for the comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from services.config import FLASK_PORT_VAR, FLASK_WORKERS_VAR, flask_port, flask_workers
from services.exports import export_if_stale

GUNICORN_CONFIG = Path(__file__).with_name("gunicorn.conf.py")
APPS = {"model": "services.flask.wsgi:app", "noop": "services.flask.noop:app"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.flask", description=__doc__)
    parser.add_argument("--port", type=int, help=f"default {flask_port()} (${FLASK_PORT_VAR})")
    parser.add_argument("--workers", type=int, help=f"default {flask_workers()}")
    parser.add_argument("--app", choices=APPS, default="model")
    args = parser.parse_args()
    if args.port is not None:
        os.environ[FLASK_PORT_VAR] = str(args.port)
    if args.workers is not None:
        os.environ[FLASK_WORKERS_VAR] = str(args.workers)
    flask_port(), flask_workers()  # fail here, loudly, on a bad value

    if args.app == "model":
        export_if_stale("torchscript")
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)]
    os.execv(sys.executable, [*gunicorn, APPS[args.app]])


if __name__ == "__main__":
    main()
