"""The ASGI entry point uvicorn loads in each worker process, with that process's settings."""

from __future__ import annotations

import gc

from starlette.types import ASGIApp

from models import registry
from services.config import Settings
from services.redisai.gateway.app import create_app


def app_from_environment() -> ASGIApp:
    app = create_app(Settings.load(), registry.served())
    # What is loaded by now lives as long as the process: frozen, the collector's full
    # collections no longer scan it. Scanning it made the gateway's p99 at 64 connections
    # 40 ms instead of 9 (docs/performance.md); the Flask workers and MMS's do the same.
    gc.freeze()
    return app
