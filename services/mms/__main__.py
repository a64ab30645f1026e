"""Run the MMS backend: `python -m services.mms start|stop|status [--engine E]`.

start  builds each served model's archive if it is missing or stale, starts MMS and its
       nginx front in the background and waits until every model's workers are READY (per
       the management API) and /ping, through the front, says Healthy.
stop   stops every process start started (nginx, the JVM, the Python workers) and removes
       their temp files and sockets.
status prints each model's workers as the management API describes them.

Settings: POLYSERVE_MMS_ENGINE (onnxruntime|mxnet), POLYSERVE_MMS_PORT (8080, the front),
POLYSERVE_BIND_HOST (127.0.0.1), POLYSERVE_MMS_MANAGEMENT_PORT (8081, always 127.0.0.1),
POLYSERVE_MMS_WORKERS, POLYSERVE_RUN (run folder).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from services.exports import export_if_stale
from services.mms import server
from services.mms.engines import ENGINES
from services.mms.front import FrontError
from services.mms.settings import MmsSettings
from services.process import StartupError


def _recorded(settings: MmsSettings) -> MmsSettings | None:
    """The settings of the server the state file records, if one is."""
    try:
        state = json.loads(settings.state_file.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return dataclasses.replace(
        settings,
        engine=state["engine"],
        port=state["port"],
        management_port=state["management_port"],
        models=tuple(state.get("models", settings.models)),
    )


def start(settings: MmsSettings) -> int:
    running = _recorded(settings)
    if running is not None and server.management_answers(running):
        print(f"MMS is already running on {running.inference_url}", file=sys.stderr)
        return 1
    export_if_stale("mar", "--engine", settings.engine)
    try:
        started = server.start(settings)
        server.wait_ready(settings, started)
    except (StartupError, FrontError) as error:
        server.stop(settings)
        print(error, file=sys.stderr)
        return 1
    print(f"MMS ({settings.engine}) ready: inference {settings.inference_url}, "
          f"management {settings.management_url}; logs in {settings.log_dir}")  # fmt: skip
    return 0


def stop(settings: MmsSettings) -> int:
    print("MMS stopped" if server.stop(settings) else "MMS was not running")
    return 0


def status(settings: MmsSettings) -> int:
    running = _recorded(settings)
    if running is None or not server.management_answers(running):
        print("MMS is not running")
        return 3
    descriptions = {model: server.describe(running, model) for model in running.models}
    print(json.dumps(descriptions, indent=2))
    return 0 if server.is_ready(running) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.mms",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--engine", choices=ENGINES, help="default: $POLYSERVE_MMS_ENGINE")
    args = parser.parse_args(argv)
    settings = MmsSettings.from_env(args.engine)
    return {"start": start, "stop": stop, "status": status}[args.command](settings)


if __name__ == "__main__":
    sys.exit(main())
