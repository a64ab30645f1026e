"""What the gateway records around its engine (services/metrics.py, docs/metrics.md): each
Redis model call with the requests it carried, and each model's readiness.

A model's calls are timed by its coalescer (several requests a call), or here when every
request makes its own call. Readiness probes go to Redis directly, not through the
coalescer: a probe is no request, and its outcome sets the model's ready gauge. Each worker
probes each model from its start, once Redis holds it (the models may be deployed after the
gateway starts), until every one answers; then at each /ping and v2 ready call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

import numpy as np

from services.contract.handler import AsyncModelHandler, AsyncPredictor
from services.metrics import ServerMetrics
from services.redisai.gateway.coalescer import Coalescer, Executed
from services.redisai.gateway.redis_model import RedisModel

ENGINE = "redisai"
PROBE_RETRY_S = 1.0


def timed(predict: AsyncPredictor, executed: Executed) -> AsyncPredictor:
    """`predict`, each call reported as one request's (failed ones too)."""

    async def timed_predict(inputs: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        try:
            return await predict(inputs)
        finally:
            executed(1, time.perf_counter() - started)

    return timed_predict


class MeasuredHandler(AsyncModelHandler):
    """A model's handler: requests through `predictor` (its calls reported), the readiness
    probe on the model itself, its outcome on the ready gauge."""

    def __init__(
        self, model: RedisModel, predictor: AsyncPredictor, metrics: ServerMetrics
    ) -> None:
        super().__init__(model.spec, predictor, model.version)
        self.model = model
        self.metrics = metrics

    async def answers_correctly(self) -> bool:
        ready = False
        try:
            ready = self.probe_answered_right(await self.model(self.probe_request.inputs))
        finally:  # Redis down, the model missing: not ready either
            self.metrics.ready(self.name, ready)
        return ready

    async def ready_at_start(self) -> bool:
        """Noted how the model is stored and probed, if Redis holds it; whether it answered.
        (Probing a model not stored yet would report it missing: a redeployment.)"""
        if not await self.model.remember_deployment():
            self.metrics.ready(self.name, False)
            return False
        with contextlib.suppress(Exception):  # a failure has set the gauge already
            return await self.answers_correctly()
        return False


def model_handler(
    model: RedisModel, coalesce_rows: int, calls_in_flight: int, metrics: ServerMetrics
) -> MeasuredHandler:
    """The handler of a model in Redis: with `coalesce_rows`, requests waiting together share
    calls, at most `calls_in_flight` at once; else each request makes its own."""

    def executed(requests: int, seconds: float) -> None:
        metrics.executed(model.spec.name, ENGINE, requests, seconds)

    if coalesce_rows:
        predictor: AsyncPredictor = Coalescer(model, coalesce_rows, calls_in_flight, executed)
    else:
        predictor = timed(model, executed)
    return MeasuredHandler(model, predictor, metrics)


async def until_ready(handlers: Iterable[MeasuredHandler]) -> None:
    """From the worker's start, each model's `ready_at_start` every PROBE_RETRY_S until every
    one has answered."""
    waiting = list(handlers)
    while waiting:
        waiting = [handler for handler in waiting if not await handler.ready_at_start()]
        if waiting:
            await asyncio.sleep(PROBE_RETRY_S)
