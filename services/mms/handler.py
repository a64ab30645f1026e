"""The entry point MMS calls inside every model's archive: `services.mms.handler:handle`.

Travels inside the .mar with the shared contract modules and the model's spec and codec, so a
worker validates, decodes and renders exactly like the other backends without the repository
on its path.
MMS calls `handle(None, context)` once when a worker loads the model (an exception there
fails the worker visibly), then `handle(batch, context)` with up to batch_size requests: each
request gets its own status and contract body, and the whole batch is one engine call.
"""

from __future__ import annotations

import json
import logging
import os
from http import HTTPStatus
from pathlib import Path
from typing import Any

import numpy as np

from models.spec import InvalidInput, Request, load_spec
from services.contract.errors import MethodNotAllowed, PayloadTooLarge, error_response
from services.contract.handler import ModelHandler, split_rows
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render
from services.mms.engines import load_predictor

log = logging.getLogger(__name__)

ARCHIVE_INFO = "polyserve.json"  # by exporters/mar.py: model, spec, version, engine, file
BACKEND = "mms"
BATCH_HEADER = "X-Batch-Size"  # how many requests the handler call that answered this one served
DECODE_SWITCH = "MMS_DECODE_INPUT_REQUEST"  # set by MMS from decode_input_request

Reply = tuple[int, object]


class BatchHandler:
    """Answers a batch of MMS requests through the shared ModelHandler."""

    def __init__(self, handler: ModelHandler) -> None:
        self.handler = handler

    @classmethod
    def load(cls, model_dir: Path) -> BatchHandler:
        if os.environ.get(DECODE_SWITCH) != "false":
            # Otherwise MMS json-decodes JSON bodies itself and a malformed one kills the
            # worker before the handler sees it: the contract needs the raw bytes.
            raise RuntimeError(f"{DECODE_SWITCH} is not false: set decode_input_request=false")
        info = json.loads((model_dir / ARCHIVE_INFO).read_text())
        spec = load_spec(info["spec"])
        predictor = load_predictor(info["engine"], model_dir / info["model_file"], spec.input.name)
        handler = ModelHandler(spec, predictor, info["version"])
        if not handler.answers_correctly():
            raise RuntimeError(f"{spec.name} on {info['engine']} fails its readiness probe")
        log.info("loaded %s on %s from %s", spec.name, info["engine"], info["spec"])
        return cls(handler)

    def answer(self, batch: list[dict[str, Any]], context: Any) -> list[bytes]:
        replies: list[Reply | None] = [None] * len(batch)
        accepted: list[tuple[int, Request]] = []
        for idx, item in enumerate(batch):
            try:
                body = request_body(item, request_headers(context, idx))
                accepted.append((idx, self.handler.decode(body)))
            except Exception as error:  # noqa: BLE001 - one bad request must not sink the batch
                replies[idx] = error_response(error)
        if accepted:
            try:
                requests = [request for _, request in accepted]
                for (idx, request), outputs in zip(accepted, self.predict(requests), strict=True):
                    replies[idx] = (200, self.handler.encode(request, outputs))
            except Exception as error:  # noqa: BLE001 - the engine failed: a contract 500 each
                for idx, _ in accepted:
                    replies[idx] = error_response(error)
        return respond(context, [reply for reply in replies if reply is not None])

    def predict(self, requests: list[Request]) -> list[np.ndarray]:
        """Outputs for every request from one engine call over all their rows."""
        if len(requests) == 1:
            return [self.handler.predict(requests[0])]
        outputs = self.handler.predictor(np.concatenate([r.inputs for r in requests]))
        return split_rows(outputs, [len(request.inputs) for request in requests])


def request_headers(context: Any, idx: int) -> dict[str, str]:
    """The HTTP headers of request `idx` as MMS passes them (it mixes in per-field dicts)."""
    headers = context.get_all_request_header(idx) or {}
    return {name: value for name, value in headers.items() if isinstance(value, str)}


def request_body(item: dict[str, Any], headers: dict[str, str]) -> bytes:
    """The raw body of one request as MMS hands it over, or the contract error it deserves."""
    # Through the nginx front (services/mms/nginx.conf) only POSTs arrive, each with a framed
    # body sent as application/json. The two checks below are for MMS reached directly.
    if "body" not in item:
        # MMS parses form-encoded bodies itself; a JSON body sent that way is lost on the way.
        raise InvalidInput(
            "MMS decoded this form-encoded body itself and the JSON in it was lost (MMS "
            "reached without its nginx front); send it as Content-Type: application/json"
        )
    body = item["body"]
    data = body.encode() if isinstance(body, str) else bytes(body)
    if not data and "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        # MMS hands /predictions to the handler whatever the method, and not the method
        # itself. The client framed no body at all (Netty then adds a lower-case
        # content-length; a client's own keeps its spelling): a GET, not an empty POST.
        raise MethodNotAllowed()
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(MAX_BODY_BYTES)
    return data


def respond(context: Any, replies: list[Reply]) -> list[bytes]:
    """Set each request's status and headers on the context; return the bodies in order."""
    for idx, (status, _) in enumerate(replies):
        context.set_response_status(status, HTTPStatus(status).phrase, idx)
        context.set_response_content_type(idx, CONTENT_TYPE)
        context.set_response_header(idx, BACKEND_HEADER, BACKEND)
        context.set_response_header(idx, BATCH_HEADER, str(len(replies)))
    return [render(body) for _, body in replies]


_batch_handler: BatchHandler | None = None


def handle(data: list[dict[str, Any]] | None, context: Any) -> list[bytes] | None:
    """MMS's entry point: load on `data=None`, else answer the batch."""
    global _batch_handler
    if data is None:
        _batch_handler = BatchHandler.load(Path(context.system_properties["model_dir"]))
        return None
    if _batch_handler is None:
        raise RuntimeError("handle() called before the model was loaded")
    try:
        return _batch_handler.answer(data, context)
    except Exception as error:  # noqa: BLE001 - never MMS's bare 503 "Prediction failed"
        return respond(context, [error_response(error)] * len(data))
