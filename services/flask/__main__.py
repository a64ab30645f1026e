"""The Flask backend: gunicorn (gthread workers) behind nginx, both under supervisord.

    python -m services.flask serve [--port PORT] [--workers N] [--app model|noop]
    python -m services.flask start|stop|status

`serve` runs in the foreground until stopped (Ctrl-C, SIGTERM); `start` runs the same in
the background and waits until /ping answers; `stop` stops what `start` started, also after
a crash; `status` says what the supervisor knows. Both serve every model of the registry
(POLYSERVE_MODELS chooses), exporting the TorchScript artifact of each first where missing
or stale. `--app noop` serves the ceiling (services/flask/noop.py) under the same gunicorn
configuration, for the comparison.
"""

from __future__ import annotations

import sys

from services.config import Settings
from services.exports import export_if_stale
from services.flask import server
from services.lifecycle import action_parser, run_action, starting


def main(argv: list[str] | None = None) -> int:
    parser = action_parser("python -m services.flask", __doc__)
    parser.add_argument("--port", type=int, default=None, help="default $POLYSERVE_FLASK_PORT")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--app", choices=server.APPS, default="model")
    args = parser.parse_args(argv)
    settings = Settings.load(flask_port=args.port, flask_workers=args.workers)

    lifecycle = server.lifecycle(settings, args.app)
    if args.app == "model" and starting(lifecycle, args.action):
        export_if_stale("torchscript")
    return run_action(lifecycle, args.action)


if __name__ == "__main__":
    sys.exit(main())
