"""The one handler shape every backend serves through: load, decode, predict, encode.

A backend supplies only a Predictor (how its engine turns encoded inputs into logits);
decoding and encoding go through the contract and the model's codec.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.fizzbuzz import codec
from services.contract.protocol import PredictionRequest, format_response, parse_request

Predictor = Callable[[np.ndarray], np.ndarray]
"""Encoded inputs [N, 10] float32 -> logits [N, 4]."""

READINESS_PROBE = [codec.MAX_NUMBER]


class ModelHandler:
    def __init__(self, name: str, predictor: Predictor) -> None:
        self.name = name
        self.predictor = predictor

    @staticmethod
    def decode(body: bytes) -> PredictionRequest:
        return parse_request(body)

    def predict(self, request: PredictionRequest) -> np.ndarray:
        return self.predictor(codec.encode(request.numbers)).argmax(axis=1)

    @staticmethod
    def encode(request: PredictionRequest, labels: np.ndarray) -> dict[str, object]:
        return format_response(request, labels.tolist())

    def handle(self, body: bytes) -> dict[str, object]:
        request = self.decode(body)
        return self.encode(request, self.predict(request))

    def answers_correctly(self) -> bool:
        """Readiness: the model really answered a probe, and answered it right."""
        request = PredictionRequest(READINESS_PROBE, batch=True)
        labels = self.predict(request).tolist()
        return format_response(request, labels)["next_number"] == [
            codec.answer(n) for n in READINESS_PROBE
        ]
