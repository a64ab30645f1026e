"""The handler TorchServe runs in each worker: `handle(data, context)`, a module-level function.

TorchServe calls `handle(None, context)` once when a worker loads the model, then
`handle(batch, context)` with up to batchSize requests, each a dict whose "body" holds the
raw request bytes (config.properties has decode_input_request=false). All the work is
loadtest/peers/answering.py's (the repository is on PYTHONPATH); this only translates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtest.peers.answering import Answer, BatchAnswerer

_answerer: BatchAnswerer | None = None


def load(context: Any) -> BatchAnswerer:
    """The model the archive's manifest names, from the TorchScript file archived with it."""
    model = context.manifest["model"]
    folder = Path(context.system_properties["model_dir"])
    return BatchAnswerer.load(model["modelName"], folder / model["serializedFile"])


def body_of(item: dict[str, Any]) -> bytes:
    """The request's raw body. One sent without Content-Type: application/json (urllib's
    default is a form) TorchServe's front decodes as form fields and, a JSON body not being
    one, hands over nothing: it is answered as an empty body."""
    body = item.get("body", b"")
    return body.encode() if isinstance(body, str) else bytes(body)


def respond(context: Any, answers: list[Answer]) -> list[bytes]:
    for idx, answer in enumerate(answers):
        context.set_response_status(answer.status, "", idx)
        context.set_response_content_type(idx, answer.content_type)
    return [answer.body for answer in answers]


def handle(data: list[dict[str, Any]] | None, context: Any) -> list[bytes] | None:
    global _answerer
    if data is None:
        _answerer = load(context)
        return None
    if _answerer is None:
        raise RuntimeError("handle() called before the model was loaded")
    return respond(context, _answerer.answer([body_of(item) for item in data]))
