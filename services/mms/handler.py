"""The entry point MMS calls inside every model's archive: `services.mms.handler:handle`.

Travels inside the .mar with the shared contract modules and the model's spec and codec, so a
worker validates, decodes and renders exactly like the other backends without the repository
on its path.
MMS calls `handle(None, context)` once when a worker loads the model (an exception there
fails the worker visibly), then `handle(batch, context)` with up to batch_size requests: each
request gets its own status and contract body, and the whole batch is one engine call.
Each inference request is counted with its status and its time since the nginx front had it
(services.metrics, docs/metrics.md); each engine call with its time and its requests.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import numpy as np

from models import imported
from models.spec import InvalidInput, ModelSpec, load_spec
from services.contract import v2
from services.contract.dataplane import DataPlane
from services.contract.errors import (
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
    error_response,
)
from services.contract.handler import ModelHandler, predict_stacked
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render
from services.metrics import recorder
from services.mms.engines import MXNET, ONNXRUNTIME, load_predictor

log = logging.getLogger(__name__)

ARCHIVE_INFO = "polyserve.json"  # by exporters/mar.py: model, spec, version, engine, file
BACKEND = "mms"
BATCH_HEADER = "X-Batch-Size"  # how many requests the handler call that answered this one served
DECODE_SWITCH = "MMS_DECODE_INPUT_REQUEST"  # set by MMS from decode_input_request
# The nginx front (services/mms/nginx.conf) turns the Open Inference Protocol's model routes
# into POSTs to /predictions/{model} and says which call it was, and which version was asked.
V2_CALL_HEADER = "X-Polyserve-V2"  # infer | metadata | ready; absent: the v1 contract
V2_VERSION_HEADER = "X-Polyserve-Version"  # the {version} of /versions/{version}, if any
ARRIVAL_HEADER = "X-Polyserve-Arrival"  # when the front had the whole request (Unix time)
AGAIN_HEADER = "X-Polyserve-Again"  # the front asks again for a 400's body: counted already
PLATFORMS = {ONNXRUNTIME: "onnxruntime_onnx", MXNET: "mxnet_onnx"}


@dataclass(frozen=True)
class Answer:
    """One request's HTTP answer, as MMS is told to send it."""

    status: int
    body: bytes
    content_type: str = CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def v1(cls, status: int, document: object) -> Answer:
        return cls(status, render(document))

    @classmethod
    def v2(cls, reply: v2.Reply) -> Answer:
        status, body, content_type, headers = v2.http_body(reply)
        return cls(status, body, content_type, headers)


@dataclass(frozen=True)
class Pending:
    """A request that needs the engine: its input rows, and how to answer from its outputs."""

    inputs: np.ndarray
    answer: Callable[[np.ndarray], Answer]


def archive_spec(info: dict[str, Any]) -> ModelSpec:
    """The spec an archive's polyserve.json names (an imported model's: from its record)."""
    record = info.get(imported.RECORD)
    return imported.spec_from_record(record) if record else load_spec(info["spec"])


class BatchHandler:
    """Answers a batch of MMS requests, v1 and v2 alike, with one engine call."""

    def __init__(self, handler: ModelHandler, engine: str) -> None:
        self.handler = handler
        self.engine = engine
        self.v2 = v2.V2Plane(DataPlane([handler]), PLATFORMS[engine])
        self.metrics = recorder([handler.name])

    @classmethod
    def load(cls, model_dir: Path) -> BatchHandler:
        if os.environ.get(DECODE_SWITCH) != "false":
            # Otherwise MMS json-decodes JSON bodies itself and a malformed one kills the
            # worker before the handler sees it: the contract needs the raw bytes.
            raise RuntimeError(f"{DECODE_SWITCH} is not false: set decode_input_request=false")
        info = json.loads((model_dir / ARCHIVE_INFO).read_text())
        spec = archive_spec(info)
        predictor = load_predictor(info["engine"], model_dir / info["model_file"], spec.input.name)
        handler = ModelHandler(spec, predictor, info["version"])
        if not handler.answers_correctly():
            raise RuntimeError(f"{spec.name} on {info['engine']} fails its readiness probe")
        log.info("loaded %s on %s from %s", spec.name, info["engine"], info["spec"])
        loaded = cls(handler, info["engine"])
        loaded.metrics.ready(spec.name, True)
        return loaded

    def answer(self, batch: list[dict[str, Any]], context: Any) -> list[bytes]:
        started = time.time()
        with self.metrics.in_flight(len(batch)):
            answers = self.answers(batch, context)
        self.count(context, answers, started)
        return respond(context, answers)

    def answers(self, batch: list[dict[str, Any]], context: Any) -> list[Answer]:
        answers: list[Answer | None] = [None] * len(batch)
        pending: list[tuple[int, Pending]] = []
        for idx, item in enumerate(batch):
            received = self.receive(item, request_headers(context, idx))
            if isinstance(received, Answer):
                answers[idx] = received
            else:
                pending.append((idx, received))
        if pending:
            called = time.perf_counter()
            try:
                outputs = self.predict([request.inputs for _, request in pending])
                for (idx, request), rows in zip(pending, outputs, strict=True):
                    answers[idx] = request.answer(rows)
            except Exception as error:  # noqa: BLE001 - the engine failed: a 500 each
                for idx, _ in pending:
                    answers[idx] = failure(error, context, idx)
            elapsed = time.perf_counter() - called
            self.metrics.executed(self.handler.name, self.engine, len(pending), elapsed)
        return [answer for answer in answers if answer is not None]

    def count(self, context: Any, answers: list[Answer], started: float) -> None:
        """Each inference request (v1, v2 infer) with its status and its time since the front
        had it (since this call began, for a request that came without the front)."""
        now = time.time()
        for idx, answer in enumerate(answers):
            headers = request_headers(context, idx)
            call = headers.get(V2_CALL_HEADER)
            if call not in (None, "infer") or AGAIN_HEADER in headers:
                continue  # not inference (v2 metadata, readiness), or counted already
            try:
                arrival = float(headers[ARRIVAL_HEADER])
            except (KeyError, ValueError):
                arrival = started
            protocol = "v1" if call is None else "v2"
            self.metrics.answered(self.handler.name, protocol, answer.status, now - arrival)

    def receive(self, item: dict[str, Any], headers: dict[str, str]) -> Answer | Pending:
        """A request's answer when it needs no engine call, else what to run and how to answer."""
        call = headers.get(V2_CALL_HEADER)
        if call is None:
            return self.receive_v1(item, headers)
        name, version = self.handler.name, headers.get(V2_VERSION_HEADER)
        if call == "metadata":
            return Answer.v2(self.v2.metadata(name, version))
        if call == "ready":
            return Answer.v2(self.v2.model_ready(name, version))
        if call != "infer":
            return Answer.v2(v2.error_reply(RouteNotFound()))
        try:
            model = self.v2.model(name, version)
            body = request_body(item, headers, v2.MAX_BODY_BYTES)
            request = model.parse(body, v2.Framing.of(headers))
        except Exception as error:  # noqa: BLE001 - one bad request must not sink the batch
            return Answer.v2(v2.error_reply(error))
        return Pending(
            request.inputs,
            lambda outputs: Answer.v2((200, *model.render(request, outputs))),
        )

    def receive_v1(self, item: dict[str, Any], headers: dict[str, str]) -> Answer | Pending:
        try:
            request = self.handler.decode(request_body(item, headers, MAX_BODY_BYTES))
        except Exception as error:  # noqa: BLE001 - one bad request must not sink the batch
            return Answer.v1(*error_response(error))
        return Pending(
            request.inputs,
            lambda outputs: Answer.v1(200, self.handler.encode(request, outputs)),
        )

    def predict(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Outputs for every request from one engine call over all their rows."""
        return predict_stacked(self.handler.predictor, inputs)


def request_headers(context: Any, idx: int) -> dict[str, str]:
    """The HTTP headers of request `idx` as MMS passes them (it mixes in per-field dicts).

    Netty keeps each header's spelling as sent; the nginx front sets those read here."""
    headers = context.get_all_request_header(idx) or {}
    return {name: value for name, value in headers.items() if isinstance(value, str)}


def request_body(item: dict[str, Any], headers: dict[str, str], limit: int) -> bytes:
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
    if len(data) > limit:
        raise PayloadTooLarge(limit)
    return data


def respond(context: Any, answers: list[Answer]) -> list[bytes]:
    """Set each request's status and headers on the context; return the bodies in order."""
    for idx, answer in enumerate(answers):
        context.set_response_status(answer.status, HTTPStatus(answer.status).phrase, idx)
        context.set_response_content_type(idx, answer.content_type)
        context.set_response_header(idx, BACKEND_HEADER, BACKEND)
        context.set_response_header(idx, BATCH_HEADER, str(len(answers)))
        for name, value in answer.headers.items():
            context.set_response_header(idx, name, value)
    return [answer.body for answer in answers]


_batch_handler: BatchHandler | None = None


def handle(data: list[dict[str, Any]] | None, context: Any) -> list[bytes] | None:
    """MMS's entry point: load on `data=None`, else answer the batch."""
    global _batch_handler
    if data is None:
        _batch_handler = BatchHandler.load(Path(context.system_properties["model_dir"]))
        # Loaded for the process's life: kept out of full collections, as the gateway's (asgi.py).
        gc.freeze()
        return None
    if _batch_handler is None:
        raise RuntimeError("handle() called before the model was loaded")
    try:
        return _batch_handler.answer(data, context)
    except Exception as error:  # noqa: BLE001 - never MMS's bare 503 "Prediction failed"
        return respond(context, [failure(error, context, idx) for idx in range(len(data))])


def failure(error: Exception, context: Any, idx: int) -> Answer:
    """The error answer for request `idx`, in the shape of the protocol it came in."""
    if V2_CALL_HEADER in request_headers(context, idx):
        return Answer.v2(v2.error_reply(error))
    return Answer.v1(*error_response(error))
