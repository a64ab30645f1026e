"""The MMS backend: MMS (JVM front end, Python workers) behind its nginx front, supervised.

    python -m services.mms serve|start|stop|status [--engine onnxruntime|mxnet]

serve   runs it in the foreground until stopped (what the mms container runs).
start   runs the same in the background and waits until every model's workers are READY
        (per the management API) and /ping, through the front, says Healthy.
stop    stops everything start started (nginx, the JVM, the Python workers), also after a
        crash.
status  what the supervisor knows of each process, and each model's READY workers.
serve and start first build each served model's archive where missing or stale.

Settings: POLYSERVE_MMS_ENGINE (onnxruntime|mxnet), POLYSERVE_MMS_PORT (8080, the front),
POLYSERVE_BIND_HOST (127.0.0.1), POLYSERVE_MMS_MANAGEMENT_PORT (8081, always 127.0.0.1),
POLYSERVE_MMS_WORKERS, POLYSERVE_RUN (run folder).
"""

from __future__ import annotations

import sys

from services.config import Settings
from services.exports import export_if_stale
from services.lifecycle import action_parser, run_action, starting
from services.mms import server
from services.mms.engines import ENGINES
from services.mms.settings import MmsSettings


def main(argv: list[str] | None = None) -> int:
    parser = action_parser("python -m services.mms", __doc__)
    parser.add_argument("--engine", choices=ENGINES, help="default: $POLYSERVE_MMS_ENGINE")
    args = parser.parse_args(argv)
    settings = MmsSettings.from_settings(Settings.load(mms_engine=args.engine))
    lifecycle = server.lifecycle(settings)
    if starting(lifecycle, args.action):
        export_if_stale("mar", "--engine", settings.engine)
    return run_action(lifecycle, args.action)


if __name__ == "__main__":
    sys.exit(main())
