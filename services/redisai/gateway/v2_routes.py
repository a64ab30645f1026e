"""The Open Inference Protocol's routes on the RedisAI gateway: parse and format only; the
async v2 plane (services/contract/v2.py) does the rest, through each model's coalescer."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.contract import errors, v2
from services.redisai.gateway.fast_path import read_body


def respond(reply: v2.Reply) -> Response:
    status, body, content_type, headers = v2.http_body(reply)
    return Response(body, status, headers, media_type=content_type)


def v2_router(plane: v2.AsyncV2Plane) -> APIRouter:
    routes = APIRouter(prefix="/v2", tags=["Open Inference Protocol"])

    @routes.get("", response_class=Response)
    async def server() -> Response:
        """Server metadata: name, version, extensions."""
        return respond(v2.SERVER_METADATA)

    @routes.get("/health/live", response_class=Response)
    async def live() -> Response:
        return respond(v2.LIVE)

    @routes.get("/health/ready", response_class=Response)
    async def ready() -> Response:
        """Ready when every model answered its readiness probe."""
        return respond(await plane.ready())

    @routes.get("/models/{model}", response_class=Response)
    @routes.get("/models/{model}/versions/{version}", response_class=Response)
    async def metadata(model: str, version: str | None = None) -> Response:
        """A model's versions (its weights' sha256), platform, input and output tensors."""
        return respond(await plane.metadata(model, version))

    @routes.get("/models/{model}/ready", response_class=Response)
    @routes.get("/models/{model}/versions/{version}/ready", response_class=Response)
    async def model_ready(model: str, version: str | None = None) -> Response:
        return respond(await plane.model_ready(model, version))

    @routes.post("/models/{model}/infer", response_class=Response)
    @routes.post("/models/{model}/versions/{version}/infer", response_class=Response)
    async def infer(model: str, request: Request, version: str | None = None) -> Response:
        """Run the model on the request's input tensor (JSON or binary tensor data)."""
        try:
            body = await read_body(
                request.receive, request.headers.get("content-length"), v2.MAX_BODY_BYTES
            )
        except errors.PayloadTooLarge as error:
            return respond(v2.error_reply(error))
        return respond(await plane.infer(model, version, body, v2.Framing.of(request.headers)))

    return routes
