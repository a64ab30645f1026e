"""The HTTP contract, version 1, in code: request parsing and response rendering.

Documented in services/CONTRACT.md. Every backend parses and renders through here, so the
same request gets byte-for-byte the same body from each of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from models.fizzbuzz import codec
from models.fizzbuzz.codec import InvalidInput

MAX_BODY_BYTES = 64 * 1024
INPUT_NAME = "input.1"
OUTPUT_NAME = "next_number"
BACKEND_HEADER = "X-Backend"
CONTENT_TYPE = "application/json"
HEALTHY = {"status": "Healthy"}
UNHEALTHY = {"status": "Unhealthy"}


@dataclass(frozen=True)
class PredictionRequest:
    numbers: list[int]
    batch: bool  # a list was sent, so a list is answered


def parse_request(body: bytes) -> PredictionRequest:
    """Parse a prediction body (JSON whatever the Content-Type says) or raise InvalidInput."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        raise InvalidInput(
            f'the body is not valid JSON ({error}); send {{"{INPUT_NAME}": <number or list>}}'
        ) from None
    if not isinstance(document, dict):
        raise InvalidInput(f'the body must be a JSON object like {{"{INPUT_NAME}": 14}}')
    if INPUT_NAME not in document:
        raise InvalidInput(f'the body has no "{INPUT_NAME}" field; expected {codec.ACCEPTED}')
    value = document[INPUT_NAME]
    return PredictionRequest(codec.validate(value), batch=isinstance(value, list))


def format_response(request: PredictionRequest, labels: Sequence[int]) -> dict[str, object]:
    answers = [
        codec.decode(n, int(label)) for n, label in zip(request.numbers, labels, strict=True)
    ]
    return {OUTPUT_NAME: answers if request.batch else answers[0]}


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # made once: json.dumps makes one a call


def render(body: dict[str, object]) -> bytes:
    """The one JSON rendering every backend sends: compact, no trailing newline."""
    return _COMPACT.encode(body).encode()
