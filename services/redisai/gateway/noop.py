"""The gateway's ceiling: a raw ASGI app under the same uvicorn settings, no FastAPI, no Redis.

`python -m services.redisai.gateway --app noop`. It reads the body and parses the JSON like
the real route, then answers a fixed body per model (what its readiness probe expects): the
most any Python ASGI gateway can serve here.
"""

from __future__ import annotations

import orjson
from starlette.types import Receive, Scope, Send

from models import registry
from services.contract.protocol import render
from services.contract.routes import PREFIX

FIXED_ANSWERS = {spec.name: render(spec.probe.expected) for spec in registry.served()}
HEADERS = [(b"content-type", b"application/json"), (b"x-backend", b"noop")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # lifespan and the rest: nothing to set up
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    answer = b'{"status":"Healthy"}'
    if scope["method"] == "POST":
        orjson.loads(body)
        answer = FIXED_ANSWERS[scope["path"][len(PREFIX) :]]
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": answer})
