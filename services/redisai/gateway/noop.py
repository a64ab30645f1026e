"""The gateway's ceiling: a raw ASGI app under the same uvicorn settings, no FastAPI, no Redis.

`python -m services.redisai.gateway --app noop`. It reads the body and parses the JSON like
the real route, then answers a fixed body: the most any Python ASGI gateway can serve here.
"""

from __future__ import annotations

import json

from starlette.types import Receive, Scope, Send

FIXED_ANSWER = b'{"next_number":"FizzBuzz"}'
HEADERS = [(b"content-type", b"application/json"), (b"x-backend", b"noop")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # lifespan and the rest: nothing to set up
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    answer = FIXED_ANSWER
    if scope["method"] == "POST":
        json.loads(body)
    else:
        answer = b'{"status":"Healthy"}'
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": answer})
