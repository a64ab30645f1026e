"""The RedisAI backend's HTTP side: routes that parse and format, nothing more.

Predictions take the plain-ASGI fast path (fast_path.py); FastAPI serves /ping, the error
pages for unknown routes and wrong methods, and the OpenAPI page documenting the contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from services.contract import errors
from services.contract.dataplane import AsyncDataPlane, Reply
from services.contract.handler import AsyncModelHandler, AsyncPredictor
from services.contract.protocol import CONTENT_TYPE, render
from services.redisai.gateway import schemas
from services.redisai.gateway.coalescer import Coalescer
from services.redisai.gateway.fast_path import PredictionFastPath, read_body
from services.redisai.gateway.redis_model import RedisModel
from services.redisai.gateway.resp import RespClient

BACKEND = "redisai"
MODEL = "fizzbuzz"
STARLETTE_ERRORS = {404: errors.RouteNotFound, 405: errors.MethodNotAllowed}


def respond(reply: Reply) -> Response:
    status, body = reply
    return Response(render(body), status_code=status, media_type=CONTENT_TYPE)


def create_app(
    redis_url: str,
    timeout_s: float,
    coalesce_rows: int = 0,
    calls_in_flight: int = 1,
) -> ASGIApp:
    """The gateway. With `coalesce_rows`, requests waiting together share Redis calls, at most
    `calls_in_flight` at once; that is also the number of connections to Redis."""
    client = RespClient(redis_url, timeout_s, connections=calls_in_flight)
    predictor: AsyncPredictor = RedisModel(client, MODEL, timeout_s)
    if coalesce_rows:
        predictor = Coalescer(predictor, coalesce_rows, calls_in_flight)
    plane = AsyncDataPlane([AsyncModelHandler(MODEL, predictor)])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = FastAPI(
        title="polyserve — RedisAI gateway",
        version="1",
        summary="The polyserve HTTP contract (services/CONTRACT.md), served by RedisAI",
        lifespan=lifespan,
    )

    @app.post(
        "/predictions/{model}",
        responses=schemas.PREDICTION_RESPONSES,
        openapi_extra=schemas.PREDICTION_REQUEST_BODY,
        response_class=Response,
    )
    async def predictions(model: str, request: Request) -> Response:
        """Answer FizzBuzz for N + 1, for one N or a list of them.

        Served by the fast path; declared here so the OpenAPI page documents it.
        """
        try:
            body = await read_body(request.receive, request.headers.get("content-length"))
        except errors.PayloadTooLarge as error:
            return respond(errors.error_response(error))
        return respond(await plane.predict(model, body))

    @app.get("/ping", responses=schemas.PING_RESPONSES, response_class=Response)
    async def ping() -> Response:
        """Healthy when the model in Redis answers a probe correctly."""
        return respond(await plane.ping())

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> Response:
        domain_error = STARLETTE_ERRORS.get(error.status_code)
        if domain_error is None:
            body = errors.error_body(error.status_code, "HTTPException", str(error.detail))
            return respond((error.status_code, body))
        return respond(errors.error_response(domain_error()))

    return PredictionFastPath(plane, BACKEND, app)
