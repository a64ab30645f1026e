"""One server on a port, for `loadtest variants` to measure what polyserve's nginx front costs
the MMS backend, and how MMS then stands beside TorchServe (docs/performance.md):

    python -m loadtest variants --connections 64 --model digits \\
        --server 'python -m loadtest.front_cost --port {port} --serve $SERVE' \\
        'front:SERVE=front' 'direct:SERVE=direct' 'torchserve:SERVE=torchserve'

front       the MMS backend as `python -m services.mms serve` runs it: nginx on the port, MMS
            behind it on its unix socket
direct      the same MMS with its own inference API on the port: none of the front's limits
            or error answers, so for this measurement only
torchserve  TorchServe in `compare --peers torchserve`'s batched configuration

Each serves every served model until stopped (SIGTERM); MMS in a run folder of its own
(<run>/front-cost/<serve>), beside the stack's.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys

from loadtest.peers import torchserve
from loadtest.peers.registry import TORCHSERVE
from models import registry
from services.config import Settings
from services.exports import export_if_stale
from services.lifecycle import run_action
from services.mms import server
from services.mms.settings import TCP_PORT_LIMIT, MmsSettings
from services.process import free_port

SERVES = ("front", "direct", "torchserve")


def serve_mms(port: int, direct: bool, settings: Settings) -> int:
    """The MMS backend in the foreground; `direct`: MMS itself on `port`, the front aside."""
    front_port = free_port() if direct else port
    mms = MmsSettings.from_settings(
        settings.replace(mms_port=front_port, mms_management_port=free_port())
    )
    if direct:
        mms = dataclasses.replace(mms, direct_port=port)
    export_if_stale("mar", "--engine", mms.engine)
    return run_action(server.lifecycle(mms), "serve")


def serve_torchserve(port: int, settings: Settings) -> int:
    batched = next(config for config in TORCHSERVE if config.batch_size > 1)
    # SIGTERM leaves the `with` block, which stops TorchServe (in a process group of its own).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with torchserve.serve(batched, registry.served_names(), settings, port=port):
        signal.pause()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.front_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, required=True, help=f"below {TCP_PORT_LIMIT}")
    parser.add_argument("--serve", choices=SERVES, required=True)
    args = parser.parse_args(argv)
    if args.port >= TCP_PORT_LIMIT:
        parser.error(f"--port must be below {TCP_PORT_LIMIT}: MMS refuses the ones above")
    settings = Settings.load()
    if args.serve == "torchserve":
        return serve_torchserve(args.port, settings)  # its venv where compare installs it
    mms_run = settings.replace(run=settings.run / "front-cost" / args.serve)
    return serve_mms(args.port, args.serve == "direct", mms_run)


if __name__ == "__main__":
    sys.exit(main())
