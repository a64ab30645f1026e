"""The gateway's hot path: POST /predictions/{model} answered in plain ASGI.

FastAPI's middleware and routing layers cost more per request than the whole model run in
Redis (profiled with py-spy under wrk), so predictions skip them. Everything else (/ping, the
OpenAPI page, unknown routes, wrong methods) goes on to the FastAPI app, which also documents
the prediction route.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.contract import errors
from services.contract.dataplane import AsyncDataPlane, Reply
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render

PREFIX = "/predictions/"


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


class PredictionFastPath:
    def __init__(self, plane: AsyncDataPlane, backend: str, app: ASGIApp) -> None:
        self.plane = plane
        self.app = app
        self.backend_header = (BACKEND_HEADER.lower().encode(), backend.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        model = self._model(scope)
        if model is None:
            await self.app(scope, receive, self._tagged(send))
            return
        try:
            body = await read_body(receive, _header(scope, b"content-length"))
        except errors.PayloadTooLarge as error:
            reply: Reply = errors.error_response(error)
        else:
            reply = await self.plane.predict(model, body)
        status, document = reply
        payload = render(document)
        headers = [
            (b"content-type", CONTENT_TYPE.encode()),
            (b"content-length", str(len(payload)).encode()),
            self.backend_header,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    def _model(scope: Scope) -> str | None:
        """The model name when this is a prediction request, else None."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path: str = scope["path"]
        model = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        return model if model and "/" not in model else None

    def _tagged(self, send: Send) -> Send:
        """`send` adding X-Backend to the response: FastAPI's pages carry it too."""

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.backend_header]}
            await send(message)

        return tagged
