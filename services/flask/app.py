"""The Flask backend: routes that parse and format; the data plane does the rest.

The contract (v1) and the Open Inference Protocol (v2, services/flask/v2_routes.py) side by
side; the body limit is v2's, and v1's own is checked by its route. GET /metrics answers
every worker's metrics (services/metrics.py), recorded by services/flask/measured.py. When
the models' requests are batched, answers say how many requests their call served
(services/flask/batching.py).
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from services.contract import errors, v2
from services.contract.batcher import Batcher
from services.contract.dataplane import DataPlane, Reply
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render
from services.flask.batching import tag_batch_size
from services.flask.measured import CountedRequests
from services.flask.v2_routes import respond as respond_v2
from services.flask.v2_routes import v2_blueprint
from services.metrics import exposition, recorder

BACKEND = "flask"

# Werkzeug's own HTTP errors, as the contract's domain errors.
HTTP_ERRORS = {
    NotFound: errors.RouteNotFound,
    MethodNotAllowed: errors.MethodNotAllowed,
    RequestEntityTooLarge: lambda: errors.PayloadTooLarge(v2.MAX_BODY_BYTES),
}
PLATFORM = "pytorch_torchscript"


def _respond(reply: Reply) -> Response:
    status, body = reply
    return Response(render(body), status=status, content_type=CONTENT_TYPE)


def create_app(plane: DataPlane) -> Flask:
    app = Flask("polyserve")
    app.config["MAX_CONTENT_LENGTH"] = v2.MAX_BODY_BYTES
    # Only the contract's methods and paths: no automatic OPTIONS answer, and no redirect of
    # `//` to `/` (a 308 a POST may not follow); both are a 405 or 404 in the contract's shape.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.url_map.merge_slashes = False
    app.register_blueprint(v2_blueprint(v2.V2Plane(plane, PLATFORM)))
    app.wsgi_app = CountedRequests(app.wsgi_app, recorder(plane.handlers))

    @app.post("/predictions/<model>")
    def predictions(model: str) -> Response:
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES:
            return _respond(errors.error_response(errors.PayloadTooLarge(MAX_BODY_BYTES)))
        return _respond(plane.predict(model, body))

    @app.get("/ping")
    def ping() -> Response:
        return _respond(plane.ping())

    @app.get("/models")
    def models() -> Response:
        return _respond(plane.models())

    @app.get("/metrics")
    def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        domain_error = HTTP_ERRORS.get(type(error))
        if request.path.startswith("/v2"):  # the protocol's own error shape
            described = domain_error() if domain_error else error
            return respond_v2((error.code or 500, {"error": str(described)}, b""))
        if domain_error is None:
            status = error.code or 500
            return _respond((status, errors.error_body(status, error.name, error.description)))
        return _respond(errors.error_response(domain_error()))

    @app.after_request
    def tag_backend(response: Response) -> Response:
        response.headers[BACKEND_HEADER] = BACKEND
        return response

    # Told by the handlers themselves, so the header and the batching cannot disagree.
    if any(isinstance(h.predictor, Batcher) for h in plane.handlers.values()):
        app.after_request(tag_batch_size)

    return app
