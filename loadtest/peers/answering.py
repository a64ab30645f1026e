"""What a peer server does with the requests it is handed: polyserve's own work, nothing less.

Each body is decoded by the contract and the model's codec (services.contract.protocol), the
decoded ones run through the TorchScript module in one call (services.flask.model, with one
intra-op thread and oneDNN on or off as in polyserve's Flask workers), and each gets its own
answer: 200 and the codec's body, or the contract's error body for a bad one, which spoils
no other.
Imports the repository's models/ and services/contract/ (numpy), torch and nothing else, so a
peer's venv runs it with PYTHONPATH at the repository's root.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from models import registry
from models.spec import ModelSpec, Request
from services.contract.errors import error_response
from services.contract.handler import Predictor, predict_stacked
from services.contract.protocol import CONTENT_TYPE, parse_body, render
from services.flask.model import configure_torch, torchscript_predictor

ONEDNN_VARIABLE = "POLYSERVE_TORCH_ONEDNN"
"""Settings.torch_onednn's variable, as loadtest/peers/launch.py hands it to the peer servers
("True"/"False"; "1"/"0" by hand); their venvs have no pydantic to read Settings with."""


def onednn_from_environment() -> bool:
    """Whether the peer server was told to let torch use oneDNN (off when unset, as Settings)."""
    return os.environ.get(ONEDNN_VARIABLE, "").lower() in ("1", "true")


@dataclass(frozen=True)
class Answer:
    """One request's HTTP answer: status and contract body (always JSON)."""

    status: int
    body: bytes
    content_type: str = CONTENT_TYPE


Decoded = Request | Answer
"""A body decoded: the request to run, or already its (error) answer."""


class BatchAnswerer:
    """Answers a batch of contract request bodies for one model, with one model call."""

    def __init__(self, spec: ModelSpec, predictor: Predictor) -> None:
        self.spec = spec
        self.predictor = predictor

    @classmethod
    def load(cls, model: str, torchscript: Path) -> BatchAnswerer:
        """The model's spec from the registry and its TorchScript file, torch set up as in
        polyserve's Flask workers; fails unless the model answers its readiness probe right."""
        configure_torch(onednn_from_environment())
        answerer = cls(registry.get(model), torchscript_predictor(torchscript))
        probe = answerer.answer([render(answerer.spec.probe.document)])[0]
        if probe.status != 200 or not answerer.spec.probe.answered_by(json.loads(probe.body)):
            raise RuntimeError(f"{model} from {torchscript} fails its readiness probe: {probe}")
        return answerer

    def decode(self, body: bytes) -> Decoded:
        """The body's request, or the contract's error answer to it."""
        try:
            return parse_body(body, self.spec.codec)
        except Exception as error:  # noqa: BLE001 - one bad body must not sink the batch
            return _error(error)

    def decode_document(self, document: object) -> Decoded:
        """The same for a body the server parsed as JSON already (LitServe does)."""
        try:
            return self.spec.codec.decode(document)
        except Exception as error:  # noqa: BLE001 - one bad body must not sink the batch
            return _error(error)

    def answer(self, bodies: list[bytes]) -> list[Answer]:
        """An answer per body, in order."""
        return self.answer_decoded([self.decode(body) for body in bodies])

    def answer_decoded(self, decoded: list[Decoded]) -> list[Answer]:
        """An answer per decoded body, in order: the requests' from one model call."""
        requests = [item for item in decoded if isinstance(item, Request)]
        answered = iter(self.run(requests))
        return [item if isinstance(item, Answer) else next(answered) for item in decoded]

    def run(self, requests: list[Request]) -> list[Answer]:
        """The requests' answers from one model call over all their rows (a 500 each if it
        fails)."""
        if not requests:
            return []
        try:
            outputs = predict_stacked(self.predictor, [request.inputs for request in requests])
            codec = self.spec.codec
            return [
                Answer(200, render(codec.encode(request, rows)))
                for request, rows in zip(requests, outputs, strict=True)
            ]
        except Exception as error:  # noqa: BLE001 - the model failed: each gets the 500
            return [_error(error)] * len(requests)


def _error(error: Exception) -> Answer:
    """The contract's answer to a failure: 400 for bad input, 500 for the unexpected."""
    status, document = error_response(error)
    return Answer(status, render(document))
