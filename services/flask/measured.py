"""What the Flask backend records (services/metrics.py, docs/metrics.md): each inference
request, each engine call, each model's readiness.

Requests are counted by a WSGI middleware around the Flask app, so the answers Flask's own
routing gives (a 405, a 404 for an unknown version) are counted like the routes' own. Each
engine call is recorded once with the requests it served: one, or with batching on
(flask_batch_size), as many as its batcher merged (services/contract/batcher.py). Readiness
probes run the engine too, but are no request: they bypass the timing and the batcher, and
their outcome sets the model's ready gauge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from models.spec import ModelSpec
from services.contract.batcher import Batcher, BatchLimits, Callers
from services.contract.errors import INTERNAL_ERROR
from services.contract.handler import ModelHandler, Predictor
from services.contract.routes import inference_route
from services.flask.batching import note_batch_size
from services.metrics import ServerMetrics, recorder

ENGINE = "torchscript"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def timed(engine: Predictor, model: str, metrics: ServerMetrics) -> Predictor:
    """`engine`, each call recorded as one request's engine call (failed ones too)."""

    def predict(inputs: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        try:
            return engine(inputs)
        finally:
            metrics.executed(model, ENGINE, 1, time.perf_counter() - started)

    return predict


def batched(
    engine: Predictor, model: str, metrics: ServerMetrics, limits: BatchLimits, callers: Callers
) -> Batcher:
    """`engine` behind a batcher: each call recorded once, with the requests it served, and
    each request's count noted for its X-Batch-Size header (services/flask/batching.py)."""

    def executed(requests: int, seconds: float) -> None:
        metrics.executed(model, ENGINE, requests, seconds)

    return Batcher(engine, limits, callers, executed, note_batch_size)


class MeasuredHandler(ModelHandler):
    """A ModelHandler whose requests' engine calls are timed (and with `batching`, merged:
    `callers` are the worker's threads), and whose readiness probe sets the model's ready
    gauge (run on the engine directly: a probe is not a request)."""

    def __init__(
        self,
        spec: ModelSpec,
        engine: Predictor,
        version: str,
        batching: BatchLimits | None = None,
        callers: Callers | None = None,
    ) -> None:
        self.metrics = recorder([spec.name])
        if batching is None:
            predictor = timed(engine, spec.name, self.metrics)
        else:
            predictor = batched(engine, spec.name, self.metrics, batching, callers or Callers())
        super().__init__(spec, predictor, version)
        self.engine = engine

    def answers_correctly(self) -> bool:
        ready = False
        try:
            ready = self.probe_answered_right(self.engine(self.probe_request.inputs))
        finally:  # an engine that raises is not ready either
            self.metrics.ready(self.name, ready)
        return ready


class CountedRequests:
    """WSGI middleware: every request to an inference route (services/contract/routes.py),
    whatever its method, counted once with its status and duration, and in flight meanwhile."""

    def __init__(self, app: WsgiApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        route = inference_route(environ["PATH_INFO"])
        if route is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        status = INTERNAL_ERROR[0]  # what the server answers should the app raise

        def counted_start(status_line: str, *args: Any) -> Any:
            nonlocal status
            status = int(status_line[:3])
            return start_response(status_line, *args)

        with self.metrics.in_flight():
            try:
                # Flask has its whole body by now (it starts the response inside the call):
                # counted before the server sends it, so a client that has its answer sees it.
                return self.app(environ, counted_start)
            finally:
                elapsed = time.perf_counter() - started
                self.metrics.answered(route.model, route.protocol, status, elapsed)
