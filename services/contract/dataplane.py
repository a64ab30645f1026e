"""Between the routes and the models: find the model, run the handler, map every error.

Routes call `predict`, `ping` and `models` and only format the (status, body) that comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Generic, TypeVar

from services.contract.errors import ModelNotFound, error_response
from services.contract.handler import AsyncModelHandler, ModelHandler
from services.contract.protocol import HEALTHY, UNHEALTHY, describe

log = logging.getLogger(__name__)

Reply = tuple[int, object]
H = TypeVar("H", ModelHandler, AsyncModelHandler)


class _Models(Generic[H]):
    def __init__(self, handlers: list[H]) -> None:
        self.handlers: Mapping[str, H] = {handler.name: handler for handler in handlers}

    def handler(self, model: str) -> H:
        handler = self.handlers.get(model)
        if handler is None:
            raise ModelNotFound(model)
        return handler

    @staticmethod
    def health(healthy: bool) -> Reply:
        return (200, HEALTHY) if healthy else (503, UNHEALTHY)


class DataPlane(_Models[ModelHandler]):
    def predict(self, model: str, body: bytes) -> Reply:
        try:
            return 200, self.handler(model).handle(body)
        except Exception as error:  # noqa: BLE001 - every failure becomes a contract reply
            return error_response(error)

    def ping(self) -> Reply:
        """Healthy only when every model answered its probe right."""
        try:
            healthy = bool(self.handlers) and all(
                handler.answers_correctly() for handler in self.handlers.values()
            )
        except Exception:
            log.exception("readiness probe failed")
            healthy = False
        return self.health(healthy)

    def models(self) -> Reply:
        return 200, [describe(h.spec, h.version) for h in self.handlers.values()]


class AsyncDataPlane(_Models[AsyncModelHandler]):
    async def predict(self, model: str, body: bytes) -> Reply:
        try:
            return 200, await self.handler(model).handle(body)
        except Exception as error:  # noqa: BLE001 - every failure becomes a contract reply
            return error_response(error)

    async def ping(self) -> Reply:
        try:
            healthy = bool(self.handlers)
            for handler in self.handlers.values():
                healthy = healthy and await handler.answers_correctly()
        except Exception as error:  # noqa: BLE001 - an engine that cannot answer is unhealthy
            log.warning("readiness probe failed: %s", error)
            healthy = False
        return self.health(healthy)

    async def models(self) -> Reply:
        try:
            return 200, [describe(h.spec, await h.version()) for h in self.handlers.values()]
        except Exception as error:  # noqa: BLE001 - an engine that cannot answer: its error
            return error_response(error)
