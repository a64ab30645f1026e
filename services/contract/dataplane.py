"""Between the routes and the models: find the model, run the handler, map every error.

Routes of a synchronous backend call `predict` and `ping` and only format what comes back.
"""

from __future__ import annotations

import logging

from services.contract.errors import ModelNotFound, error_response
from services.contract.handler import ModelHandler
from services.contract.protocol import HEALTHY, UNHEALTHY

log = logging.getLogger(__name__)

Reply = tuple[int, dict[str, object]]


class DataPlane:
    def __init__(self, handlers: list[ModelHandler]) -> None:
        self.handlers = {handler.name: handler for handler in handlers}

    def predict(self, model: str, body: bytes) -> Reply:
        try:
            handler = self.handlers.get(model)
            if handler is None:
                raise ModelNotFound(model)
            return 200, handler.handle(body)
        except Exception as error:  # noqa: BLE001 - every failure becomes a contract reply
            return error_response(error)

    def ping(self) -> Reply:
        try:
            healthy = bool(self.handlers) and all(
                handler.answers_correctly() for handler in self.handlers.values()
            )
        except Exception:
            log.exception("readiness probe failed")
            healthy = False
        return (200, HEALTHY) if healthy else (503, UNHEALTHY)
