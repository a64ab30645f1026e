"""The ASGI entry point uvicorn loads in each worker (settings from services.config)."""

from __future__ import annotations

from starlette.types import ASGIApp

from models import registry
from services.config import (
    gateway_calls_in_flight,
    gateway_coalesce_rows,
    redis_timeout_s,
    redis_url,
)
from services.redisai.gateway.app import create_app


def app_from_environment() -> ASGIApp:
    return create_app(
        redis_url(),
        redis_timeout_s(),
        registry.served(),
        gateway_coalesce_rows(),
        gateway_calls_in_flight(),
    )
