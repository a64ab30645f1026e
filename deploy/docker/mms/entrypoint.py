"""Run the MMS backend in the foreground of the mms container.

The same settings (POLYSERVE_MMS_*), rendered configuration and processes as the local stack
(`python -m services.mms start`, services/mms/server.py): MMS (JVM and Python workers) and
its nginx front, each in its own process group. The front listens on POLYSERVE_BIND_HOST
(0.0.0.0 in the image), the management API on the container's loopback only.
This process stays in front of them: it copies their log files to stdout, stops both on
SIGTERM/SIGINT, and exits (so the container restarts) when either of them exits.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from services.mms import server
from services.mms.settings import MmsSettings

POLL_S = 1.0


def follow(path: Path, stop: threading.Event) -> None:
    """Copy what is appended to `path` to stdout, from its current end, until `stop`."""
    while not path.exists() and not stop.is_set():
        time.sleep(POLL_S)
    with open(path, "rb") as log:
        while not stop.is_set():
            chunk = log.read()
            if chunk:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
            else:
                time.sleep(POLL_S)


def main() -> int:
    settings = MmsSettings.from_env()
    stopping = threading.Event()
    started = server.start(settings)  # needs the archive and plugin jar of the init job
    for name in ("server.log", "nginx.log"):
        threading.Thread(
            target=follow, args=(settings.log_dir / name, stopping), daemon=True
        ).start()

    def stop(signum: int, _frame: FrameType | None) -> None:
        print(f"mms: signal {signum}: stopping nginx and MMS", flush=True)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping.is_set():
        for name, process in (("MMS", started.mms), ("nginx", started.front)):
            if process.poll() is not None:
                print(f"mms: {name} exited with {process.returncode}", flush=True)
                code = 1
                stopping.set()
        stopping.wait(POLL_S)
    server.stop(settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
