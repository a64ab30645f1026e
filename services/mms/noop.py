"""The MMS ceiling's handler, `services.mms.noop:handle`: MMS with the model taken out.

Packed into an archive of its own per model (exporters/mar_noop.py) and served under the
model's name by the same MMS configuration and nginx front (loadtest/ceiling_servers.py). Each
request's body is parsed as JSON and answered with a fixed body (what the model's readiness
probe expects), through the real handler's `respond` (same status, Content-Type and headers
per request): only the model's work is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from models.spec import InvalidInput, load_spec
from services.contract.errors import error_response
from services.contract.protocol import MAX_BODY_BYTES
from services.mms.handler import ARCHIVE_INFO, Answer, request_body, request_headers, respond

_fixed_answer: dict[str, object] | None = None


def handle(data: list[dict[str, Any]] | None, context: Any) -> list[bytes] | None:
    """MMS's entry point: read the spec on `data=None`, else answer the batch."""
    global _fixed_answer
    if data is None:
        info = json.loads((Path(context.system_properties["model_dir"]) / ARCHIVE_INFO).read_text())
        _fixed_answer = load_spec(info["spec"]).probe.expected
        return None
    answers: list[Answer] = []
    for idx, item in enumerate(data):
        try:
            orjson.loads(request_body(item, request_headers(context, idx), MAX_BODY_BYTES))
            answers.append(Answer.v1(200, _fixed_answer))
        except orjson.JSONDecodeError as error:
            invalid = InvalidInput(f"the body is not valid JSON ({error})")
            answers.append(Answer.v1(*error_response(invalid)))
        except Exception as error:  # noqa: BLE001 - one bad request must not sink the batch
            answers.append(Answer.v1(*error_response(error)))
    return respond(context, answers)
