"""The Flask backend: routes that parse and format; the data plane does the rest."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from services.contract import errors
from services.contract.dataplane import DataPlane, Reply
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render

BACKEND = "flask"

# Werkzeug's own HTTP errors, as the contract's domain errors.
HTTP_ERRORS = {
    NotFound: errors.RouteNotFound,
    MethodNotAllowed: errors.MethodNotAllowed,
    RequestEntityTooLarge: lambda: errors.PayloadTooLarge(MAX_BODY_BYTES),
}


def _respond(reply: Reply) -> Response:
    status, body = reply
    return Response(render(body), status=status, content_type=CONTENT_TYPE)


def create_app(plane: DataPlane) -> Flask:
    app = Flask("polyserve")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.post("/predictions/<model>")
    def predictions(model: str) -> Response:
        return _respond(plane.predict(model, request.get_data(cache=False)))

    @app.get("/ping")
    def ping() -> Response:
        return _respond(plane.ping())

    @app.get("/models")
    def models() -> Response:
        return _respond(plane.models())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        domain_error = HTTP_ERRORS.get(type(error))
        if domain_error is None:
            status = error.code or 500
            return _respond((status, errors.error_body(status, error.name, error.description)))
        return _respond(errors.error_response(domain_error()))

    @app.after_request
    def tag_backend(response: Response) -> Response:
        response.headers[BACKEND_HEADER] = BACKEND
        return response

    return app
