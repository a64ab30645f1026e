"""The RedisAI backend's HTTP side: FastAPI routes that parse and format, nothing more.

The body is read raw (with the contract's size limit) and handed to the data plane, whose
one handler runs the model in Redis through RedisModel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.contract import errors
from services.contract.dataplane import AsyncDataPlane, Reply
from services.contract.handler import AsyncModelHandler
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render
from services.redisai.gateway import schemas
from services.redisai.gateway.redis_model import RedisModel

BACKEND = "redisai"
MODEL = "fizzbuzz"
STARLETTE_ERRORS = {404: errors.RouteNotFound, 405: errors.MethodNotAllowed}
BACKEND_HEADER_LINE = (BACKEND_HEADER.lower().encode(), BACKEND.encode())


def respond(reply: Reply) -> Response:
    status, body = reply
    return Response(render(body), status_code=status, media_type=CONTENT_TYPE)


async def read_body(request: Request) -> bytes:
    """The whole body, or PayloadTooLarge as soon as it passes the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(MAX_BODY_BYTES)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise errors.PayloadTooLarge(MAX_BODY_BYTES)
    return bytes(body)


class BackendHeader:
    """Adds X-Backend to every response, error pages included (a thin ASGI wrapper)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", []),
                    (BACKEND_HEADER.lower().encode(), b"redisai"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)


def create_app(redis_url: str, timeout_s: float, pool_size: int = 64) -> FastAPI:
    client = aioredis.Redis.from_url(
        redis_url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        max_connections=pool_size,
        health_check_interval=30,
    )
    plane = AsyncDataPlane([AsyncModelHandler(MODEL, RedisModel(client, MODEL, timeout_s))])

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
        """Answer FizzBuzz for N + 1, for one N or a list of them."""
        try:
            body = await read_body(request)
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

    app.add_middleware(BackendHeader)
    return app
