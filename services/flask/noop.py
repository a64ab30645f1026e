"""The Flask ceiling: what gunicorn + Flask cost with no model at all.

Served by the same gunicorn configuration as the real app (`python -m services.flask --app
noop`); it reads and parses the JSON body like the real route, then answers a fixed body per
model: what the model's readiness probe expects.
"""

from __future__ import annotations

import orjson
from flask import Flask, Response, request

from models import registry
from services.contract.protocol import CONTENT_TYPE, render

FIXED_ANSWERS = {spec.name: render(spec.probe.expected) for spec in registry.served()}

app = Flask("polyserve-noop")


@app.post("/predictions/<model>")
def predictions(model: str) -> Response:
    orjson.loads(request.get_data(cache=False))
    return Response(FIXED_ANSWERS[model], content_type=CONTENT_TYPE)


@app.get("/ping")
def ping() -> Response:
    return Response(b'{"status":"Healthy"}', content_type=CONTENT_TYPE)
