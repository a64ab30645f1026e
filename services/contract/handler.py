"""The one handler shape every backend serves through: load, decode, predict, encode.

A backend supplies only a predictor (how its engine turns encoded inputs into logits);
decoding and encoding go through the contract and the model's codec. Engines called in
process use ModelHandler; engines behind a network hop (RedisAI) use AsyncModelHandler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import numpy as np

from models.fizzbuzz import codec
from services.contract.protocol import (
    OUTPUT_NAME,
    PredictionRequest,
    format_response,
    parse_request,
)

Predictor = Callable[[np.ndarray], np.ndarray]
"""Encoded inputs [N, 10] float32 -> logits [N, 4]."""
AsyncPredictor = Callable[[np.ndarray], Awaitable[np.ndarray]]

READINESS_PROBE = PredictionRequest([codec.MAX_NUMBER, 14], batch=True)


def split_rows(stacked: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    """Undo a stacking of several requests' rows: views of `counts[i]` rows each, in order.

    Plain slicing: np.split's bookkeeping cost more than the model run for small batches.
    """
    parts, start = [], 0
    for count in counts:
        parts.append(stacked[start : start + count])
        start += count
    return parts


class _Codec:
    """decode and encode: the same for every engine."""

    name: str

    @staticmethod
    def decode(body: bytes) -> PredictionRequest:
        return parse_request(body)

    @staticmethod
    def encoded(request: PredictionRequest) -> np.ndarray:
        return codec.encode(request.numbers)

    @staticmethod
    def encode(request: PredictionRequest, logits: np.ndarray) -> dict[str, object]:
        return format_response(request, logits.argmax(axis=1).tolist())

    @classmethod
    def probe_answered_right(cls, logits: np.ndarray) -> bool:
        answers = cls.encode(READINESS_PROBE, logits)[OUTPUT_NAME]
        return answers == [codec.answer(n) for n in READINESS_PROBE.numbers]


class ModelHandler(_Codec):
    def __init__(self, name: str, predictor: Predictor) -> None:
        self.name = name
        self.predictor = predictor

    def predict(self, request: PredictionRequest) -> np.ndarray:
        return self.predictor(self.encoded(request))

    def handle(self, body: bytes) -> dict[str, object]:
        request = self.decode(body)
        return self.encode(request, self.predict(request))

    def answers_correctly(self) -> bool:
        """Readiness: the model really answered a probe, and answered it right."""
        return self.probe_answered_right(self.predict(READINESS_PROBE))


class AsyncModelHandler(_Codec):
    def __init__(self, name: str, predictor: AsyncPredictor) -> None:
        self.name = name
        self.predictor = predictor

    async def predict(self, request: PredictionRequest) -> np.ndarray:
        return await self.predictor(self.encoded(request))

    async def handle(self, body: bytes) -> dict[str, object]:
        request = self.decode(body)
        return self.encode(request, await self.predict(request))

    async def answers_correctly(self) -> bool:
        return self.probe_answered_right(await self.predict(READINESS_PROBE))
