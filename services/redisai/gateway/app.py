"""The RedisAI backend's HTTP side: routes that parse and format, nothing more.

Inference (v1 and v2) takes the plain-ASGI fast path (fast_path.py); FastAPI serves /ping,
/models, /metrics, the v2 metadata and health routes, the error pages for unknown routes and
wrong methods, and the OpenAPI page documenting both protocols.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from models.spec import ModelSpec
from services.config import Settings, variable
from services.contract import errors, v2
from services.contract.dataplane import AsyncDataPlane, Reply
from services.contract.protocol import CONTENT_TYPE, render
from services.metrics import deferred_records_written, exposition, recorder
from services.redisai.gateway import schemas
from services.redisai.gateway.cluster import ClusterClient, ClusterStore
from services.redisai.gateway.fast_path import PredictionFastPath, read_body
from services.redisai.gateway.measured import model_handler, until_ready
from services.redisai.gateway.module_stats import ModuleStats
from services.redisai.gateway.redeploy import Redeployer
from services.redisai.gateway.redis_model import RedisModel, SingleStore, Store
from services.redisai.gateway.resp import RespClient
from services.redisai.gateway.v2_routes import respond as respond_v2
from services.redisai.gateway.v2_routes import v2_router

BACKEND = "redisai"
STARLETTE_ERRORS = {404: errors.RouteNotFound, 405: errors.MethodNotAllowed}
PLATFORM = "redisai_torchscript"


def respond(reply: Reply) -> Response:
    status, body = reply
    return Response(render(body), status_code=status, media_type=CONTENT_TYPE)


def connect(settings: Settings, connections: int) -> Store:
    """The settings' Redis, a single one or a cluster, with `connections` to each node."""
    url, timeout_s = settings.gateway_redis_url(), settings.redis_timeout_ms / 1000
    if settings.redis_cluster:
        client = ClusterClient(url, timeout_s, connections, settings.redis_replica_reads)
        return ClusterStore(client)
    return SingleStore(RespClient(url, timeout_s, connections))


def create_app(settings: Settings, specs: list[ModelSpec]) -> ASGIApp:
    """The gateway serving `specs`. With gateway_coalesce_rows, requests for a model waiting
    together share Redis calls, at most gateway_calls_in_flight at once per model; the client
    has that many connections per model (to each node), so one model's runs never queue
    behind another's. A model Redis has lost is deployed again by the gateway itself
    (redeploy.py)."""
    timeout_s = settings.redis_timeout_ms / 1000
    coalesce_rows = settings.gateway_coalesce_rows
    calls_in_flight = settings.gateway_calls_in_flight
    store = connect(settings, calls_in_flight * len(specs))
    redeployer = Redeployer({
        variable("redis_url"): settings.gateway_redis_url(),
        variable("redis_cluster"): str(settings.redis_cluster),
    })  # fmt: skip
    stored = [RedisModel(store, spec, timeout_s, redeployer.model_missing) for spec in specs]
    metrics = recorder((spec.name for spec in specs), deferred=True)
    handlers = [model_handler(m, coalesce_rows, calls_in_flight, metrics) for m in stored]
    plane = AsyncDataPlane(handlers)
    module_stats = ModuleStats(connect(settings, 1), [spec.name for spec in specs])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # How each model is stored (its batching), should it have to be deployed again, and
        # whether it answers: this worker's say on the ready gauge from its start.
        starting = asyncio.create_task(until_ready(handlers))
        yield
        starting.cancel()
        metrics.flush()
        await redeployer.aclose()
        await store.aclose()
        await module_stats.aclose()

    app = FastAPI(
        title="polyserve — RedisAI gateway",
        version="1.1",
        summary="The polyserve HTTP contract (services/CONTRACT.md), served by RedisAI",
        lifespan=lifespan,
    )

    @app.post(
        "/predictions/{model}",
        responses=schemas.prediction_responses(specs),
        openapi_extra=schemas.prediction_request_body(specs),
        response_class=Response,
    )
    async def predictions(model: str, request: Request) -> Response:
        """Ask a model about one item or a list of them (see GET /models for what is served).

        Served by the fast path; declared here so the OpenAPI page documents it.
        """
        try:
            body = await read_body(request.receive, request.headers.get("content-length"))
        except errors.PayloadTooLarge as error:
            return respond(errors.error_response(error))
        return respond(await plane.predict(model, body))

    @app.get("/ping", responses=schemas.PING_RESPONSES, response_class=Response)
    async def ping() -> Response:
        """Healthy when every model in Redis answers its probe correctly."""
        return respond(await plane.ping())

    @app.get("/models", responses=schemas.MODELS_RESPONSES, response_class=Response)
    async def models() -> Response:
        """The served models: name, version (the weights' sha256), input and output tensors."""
        return respond(await plane.models())

    @app.get("/metrics", response_class=Response)
    async def metrics_page() -> Response:
        """Prometheus metrics (docs/metrics.md): every worker's requests and Redis calls,
        summed, and the RedisAI module's own figures per model."""
        figures = await module_stats.figures()
        await deferred_records_written()
        # In a thread: reading every worker's files and every process's figures takes a few ms.
        body, content_type = await asyncio.to_thread(exposition, extras=(figures,))
        return Response(body, media_type=content_type)

    v2_plane = v2.AsyncV2Plane(plane, PLATFORM)
    app.include_router(v2_router(v2_plane))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> Response:
        """A bug: the contract's 500 (logged), not Starlette's plain-text one."""
        if request.url.path.startswith("/v2"):
            return respond_v2(v2.error_reply(error))
        return respond(errors.error_response(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        domain_error = STARLETTE_ERRORS.get(error.status_code)
        if request.url.path.startswith("/v2"):  # the protocol's own error shape
            message = str(domain_error() if domain_error else error.detail)
            return respond_v2((error.status_code, {"error": message}, b""))
        if domain_error is None:
            body = errors.error_body(error.status_code, "HTTPException", str(error.detail))
            return respond((error.status_code, body))
        return respond(errors.error_response(domain_error()))

    return PredictionFastPath(plane, v2_plane, BACKEND, app, metrics)
