"""The ASGI entry point uvicorn loads in each worker process, with that process's settings."""

from __future__ import annotations

from starlette.types import ASGIApp

from models import registry
from services.config import Settings
from services.redisai.gateway.app import create_app


def app_from_environment() -> ASGIApp:
    return create_app(Settings.load(), registry.served())
