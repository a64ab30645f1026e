"""Run the RedisAI gateway under uvicorn in the foreground.

    python -m services.redisai.gateway [--port PORT] [--workers N] [--app gateway|noop]

Redis is found through POLYSERVE_REDIS_URL (default: the local one, with its password). `--app noop`
serves the raw-ASGI ceiling (noop.py) under the same uvicorn settings, for the comparison.
"""

from __future__ import annotations

import argparse
import copy
import logging
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from services.config import Settings
from services.redisai.gateway.http_protocol import GatewayHttpProtocol, NoopHttpProtocol

# name -> (import string, whether it is a factory, its HTTP protocol)
APPS = {
    "gateway": ("services.redisai.gateway.asgi:app_from_environment", True, GatewayHttpProtocol),
    "noop": ("services.redisai.gateway.noop:app", False, NoopHttpProtocol),
}


def log_config() -> dict[str, Any]:
    """uvicorn's logging, and the gateway's own loggers (services.*) through the same handler
    and format: its redeployments, the failures it answers with a 500 or a 503."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["services"] = {
        "handlers": ["default"],
        "level": logging.getLevelName(logging.INFO),
        "propagate": False,
    }
    return config


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.redisai.gateway", description=__doc__)
    parser.add_argument("--port", type=int, help="default: $POLYSERVE_GATEWAY_PORT")
    parser.add_argument("--workers", type=int, help="default: $POLYSERVE_GATEWAY_WORKERS")
    parser.add_argument("--app", choices=APPS, default="gateway")
    args = parser.parse_args()
    # Checked here, loudly, before uvicorn starts; each worker reads the same again.
    settings = Settings.load(gateway_port=args.port, gateway_workers=args.workers)
    app, factory, protocol = APPS[args.app]
    uvicorn.run(
        app,
        factory=factory,
        host=settings.bind_host,
        port=settings.gateway_port,
        workers=settings.gateway_workers,
        # Our connections: errors in the contract's JSON, limits on the head, and a request
        # asking to upgrade is served as plain HTTP/1.1 (http_protocol.py); so no WebSockets.
        http=protocol,
        ws="none",
        log_level="info",
        log_config=log_config(),
        access_log=False,
        timeout_keep_alive=5,  # http_protocol.IDLE_TIMEOUT_S is the same
    )


if __name__ == "__main__":
    main()
