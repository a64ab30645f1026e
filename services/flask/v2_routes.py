"""The Open Inference Protocol's routes on the Flask backend: parse and format only; the v2
plane (services/contract/v2.py) does the rest."""

from __future__ import annotations

from flask import Blueprint, Response, request

from services.contract.v2 import LIVE, SERVER_METADATA, Framing, Reply, V2Plane, http_body


def respond(reply: Reply) -> Response:
    status, body, content_type, headers = http_body(reply)
    return Response(body, status=status, content_type=content_type, headers=headers)


def v2_blueprint(plane: V2Plane) -> Blueprint:
    routes = Blueprint("v2", __name__, url_prefix="/v2")

    @routes.get("")
    def server() -> Response:
        return respond(SERVER_METADATA)

    @routes.get("/health/live")
    def live() -> Response:
        return respond(LIVE)

    @routes.get("/health/ready")
    def ready() -> Response:
        return respond(plane.ready())

    @routes.get("/models/<model>")
    @routes.get("/models/<model>/versions/<version>")
    def metadata(model: str, version: str | None = None) -> Response:
        return respond(plane.metadata(model, version))

    @routes.get("/models/<model>/ready")
    @routes.get("/models/<model>/versions/<version>/ready")
    def model_ready(model: str, version: str | None = None) -> Response:
        return respond(plane.model_ready(model, version))

    @routes.post("/models/<model>/infer")
    @routes.post("/models/<model>/versions/<version>/infer")
    def infer(model: str, version: str | None = None) -> Response:
        body = request.get_data(cache=False)
        return respond(plane.infer(model, version, body, Framing.of(request.headers)))

    return routes
