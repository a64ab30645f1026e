"""Run the RedisAI gateway under uvicorn in the foreground.

    python -m services.redisai.gateway [--port PORT] [--workers N] [--app gateway|noop]

Redis is found through POLYSERVE_REDIS_URL (default redis://127.0.0.1:6379/0). `--app noop`
serves the raw-ASGI ceiling (noop.py) under the same uvicorn settings, for the comparison.
"""

from __future__ import annotations

import argparse

import uvicorn

from services.config import bind_host, gateway_port, gateway_workers, redis_timeout_s, redis_url

# name -> (import string, whether it is a factory)
APPS = {
    "gateway": ("services.redisai.gateway.asgi:app_from_environment", True),
    "noop": ("services.redisai.gateway.noop:app", False),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.redisai.gateway", description=__doc__)
    parser.add_argument("--port", type=int, default=gateway_port())
    parser.add_argument("--workers", type=int, default=gateway_workers())
    parser.add_argument("--app", choices=APPS, default="gateway")
    args = parser.parse_args()
    redis_url(), redis_timeout_s()  # fail here, loudly, on a bad value
    app, factory = APPS[args.app]
    uvicorn.run(
        app,
        factory=factory,
        host=bind_host(),
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
        timeout_keep_alive=5,
    )


if __name__ == "__main__":
    main()
