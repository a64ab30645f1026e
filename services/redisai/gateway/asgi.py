"""The ASGI entry point uvicorn loads in each worker process, with that process's settings."""

from __future__ import annotations

from starlette.types import ASGIApp

from models import registry
from services.config import Settings
from services.redisai.gateway.app import create_app


def app_from_environment() -> ASGIApp:
    settings = Settings.load()
    return create_app(
        settings.gateway_redis_url(),
        settings.redis_timeout_ms / 1000,
        registry.served(),
        settings.gateway_coalesce_rows,
        settings.gateway_calls_in_flight,
    )
