"""The gateway's hot path: POST /predictions/{model} and the Open Inference Protocol's
POST /v2/models/{model}[/versions/{version}]/infer, answered in plain ASGI.

FastAPI's middleware and routing layers cost more per request than the whole model run in
Redis (profiled with py-spy under wrk), so inference skips them (for v2 they took the gateway
from 2,043 to 514 FizzBuzz requests/s under the same Locust load). Everything else (/ping,
metadata, the OpenAPI page, unknown routes, wrong methods) goes on to the FastAPI app, which
also documents both routes.

Every request to an inference route is counted here (services/metrics.py) with its status and
duration, those FastAPI answers too (a wrong method's 405).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.contract import errors, routes, v2
from services.contract.dataplane import AsyncDataPlane, Reply
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render
from services.contract.routes import Route
from services.metrics import ServerMetrics

Answer = tuple[int, bytes, str, dict[str, str]]
"""(status, body, content type, more headers)."""


async def read_body(
    receive: Receive, content_length: str | None, limit: int = MAX_BODY_BYTES
) -> bytes:
    """The whole request body, or PayloadTooLarge as soon as it passes `limit`."""
    if content_length and content_length.isdigit() and int(content_length) > limit:
        raise errors.PayloadTooLarge(limit)
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > limit:
            raise errors.PayloadTooLarge(limit)
    return body


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def inference_route(scope: Scope) -> Route | None:
    """The inference request this is, else None (for the FastAPI app)."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    return routes.inference_route(scope["path"])


def _internal_error(route: Route, error: Exception) -> Answer:
    """The answer to an unexpected failure (logged), in the route's protocol."""
    if route.protocol == "v2":
        return v2.http_body(v2.error_reply(error))
    status, document = errors.error_response(error)
    return status, render(document), CONTENT_TYPE, {}


class PredictionFastPath:
    def __init__(
        self,
        plane: AsyncDataPlane,
        v2_plane: v2.AsyncV2Plane,
        backend: str,
        app: ASGIApp,
        metrics: ServerMetrics,
    ) -> None:
        self.plane = plane
        self.v2_plane = v2_plane
        self.app = app
        self.backend_header = (BACKEND_HEADER.lower().encode(), backend.encode())
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = inference_route(scope)
        if route is None:
            await self.app(scope, receive, self._tagged(send, scope))
            return
        started = time.perf_counter()
        with self.metrics.in_flight():
            status, payload, content_type, extra = await self._answer(route, scope, receive)
            self._count(route, status, started)  # before it is sent: an answer is counted
            headers = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(payload)).encode()),
                self.backend_header,
                *((name.lower().encode(), value.encode()) for name, value in extra.items()),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})

    async def _answer(self, route: Route, scope: Scope, receive: Receive) -> Answer:
        try:
            if route.protocol == "v1":
                return await self._v1(route, scope, receive)
            return await self._v2(route, scope, receive)
        except Exception as error:  # noqa: BLE001 - a bug: the contract's 500, not uvicorn's text
            return _internal_error(route, error)

    def _count(self, route: Route, status: int, started: float) -> None:
        self.metrics.answered(route.model, route.protocol, status, time.perf_counter() - started)

    async def _v1(self, route: Route, scope: Scope, receive: Receive) -> Answer:
        try:
            body = await read_body(receive, _header(scope, b"content-length"))
        except errors.PayloadTooLarge as error:
            reply: Reply = errors.error_response(error)
        else:
            reply = await self.plane.predict(route.model, body)
        status, document = reply
        return status, render(document), CONTENT_TYPE, {}

    async def _v2(self, route: Route, scope: Scope, receive: Receive) -> Answer:
        limit = v2.MAX_BODY_BYTES
        try:
            body = await read_body(receive, _header(scope, b"content-length"), limit)
        except errors.PayloadTooLarge as error:
            return v2.http_body(v2.error_reply(error))
        framing = v2.Framing(
            _header(scope, v2.HEADER_LENGTH.lower().encode()),
            _header(scope, v2.CONTENT_ENCODING.lower().encode()),
        )
        return v2.http_body(await self.v2_plane.infer(route.model, route.version, body, framing))

    def _tagged(self, send: Send, scope: Scope) -> Send:
        """`send` adding X-Backend to the response (FastAPI's pages carry it too), and counting
        it if it answers an inference route (by another method than POST)."""
        started = time.perf_counter()
        counted = routes.inference_route(scope["path"]) if scope["type"] == "http" else None

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.backend_header]}
                if counted is not None:
                    self._count(counted, message["status"], started)
            await send(message)

        return tagged
