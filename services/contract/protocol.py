"""The HTTP contract, version 1.1, in code: request bodies in, response bodies out.

Documented in services/CONTRACT.md. Every backend parses and renders through here and the
model's codec, so the same request gets byte-for-byte the same body from each of them.
"""

from __future__ import annotations

import orjson

from models.spec import Codec, InvalidInput, ModelSpec, Request

MAX_BODY_BYTES = 64 * 1024
BACKEND_HEADER = "X-Backend"
CONTENT_TYPE = "application/json"
HEALTHY = {"status": "Healthy"}
UNHEALTHY = {"status": "Unhealthy"}


def parse_body(body: bytes, codec: Codec) -> Request:
    """A prediction body (JSON whatever the Content-Type says), decoded by the model's codec;
    raises InvalidInput."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:  # deep nesting too: orjson stops at 1024 levels
        raise InvalidInput(f"the body is not valid JSON ({error}); send {codec.example}") from None
    return codec.decode(document)


def describe(spec: ModelSpec, version: str) -> dict[str, object]:
    """One served model as `GET /models` lists it; `version` is its weights' sha256."""
    return {"name": spec.name, "version": version, **spec.tensors()}


def render(body: object) -> bytes:
    """The one JSON rendering every backend sends: compact, UTF-8, no trailing newline.

    orjson parses and renders these small bodies 4-18 times faster than the json module
    (docs/performance.md); its floats are the shortest that read back the same ("1e-5").
    """
    return orjson.dumps(body)
