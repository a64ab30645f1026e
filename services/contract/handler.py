"""The one handler shape every backend serves through: decode, predict, encode.

A backend supplies only a predictor (how its engine turns the input tensor into the output
tensor) and the model's version; decoding and encoding go through the contract and the
model's codec. Engines called in process use ModelHandler; engines behind a network hop
(RedisAI) use AsyncModelHandler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import numpy as np

from models.spec import ModelSpec, Request
from services.contract.protocol import parse_body

Predictor = Callable[[np.ndarray], np.ndarray]
"""The model's input tensor (a batch of rows) -> its output tensor (a row each)."""
AsyncPredictor = Callable[[np.ndarray], Awaitable[np.ndarray]]


def split_rows(stacked: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    """Undo a stacking of several requests' rows: views of `counts[i]` rows each, in order.

    Plain slicing: np.split's bookkeeping cost more than the model run for small batches.
    """
    parts, start = [], 0
    for count in counts:
        parts.append(stacked[start : start + count])
        start += count
    return parts


def predict_stacked(predict: Predictor, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Several requests' input rows through one call of `predict`: each request's own output
    rows, in order (no copy for a request alone)."""
    if len(inputs) == 1:
        return [predict(inputs[0])]
    stacked = predict(np.concatenate(inputs))
    counts = [len(rows) for rows in inputs]
    if len(stacked) != sum(counts):  # never silently short rows for someone
        raise RuntimeError(f"the model answered {len(stacked)} rows for {sum(counts)}")
    return split_rows(stacked, counts)


class _Codec:
    """decode, encode and the readiness probe: the same for every engine."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.probe_request = spec.probe_request()

    def decode(self, body: bytes) -> Request:
        return parse_body(body, self.spec.codec)

    def encode(self, request: Request, outputs: np.ndarray) -> object:
        return self.spec.codec.encode(request, outputs)

    def probe_answered_right(self, outputs: np.ndarray) -> bool:
        return self.spec.probe.answered_by(self.encode(self.probe_request, outputs))


class ModelHandler(_Codec):
    def __init__(self, spec: ModelSpec, predictor: Predictor, version: str) -> None:
        super().__init__(spec)
        self.predictor = predictor
        self.version = version

    def predict(self, request: Request) -> np.ndarray:
        return self.predictor(request.inputs)

    def handle(self, body: bytes) -> object:
        request = self.decode(body)
        return self.encode(request, self.predict(request))

    def answers_correctly(self) -> bool:
        """Readiness: the model really answered its probe, and answered it right."""
        return self.probe_answered_right(self.predict(self.probe_request))


class AsyncModelHandler(_Codec):
    def __init__(
        self,
        spec: ModelSpec,
        predictor: AsyncPredictor,
        version: Callable[[], Awaitable[str]],
    ) -> None:
        super().__init__(spec)
        self.predictor = predictor
        self.version = version
        """The version of the model the engine holds now (RedisAI: its stored TAG)."""

    async def predict(self, request: Request) -> np.ndarray:
        return await self.predictor(request.inputs)

    async def handle(self, body: bytes) -> object:
        request = self.decode(body)
        return self.encode(request, await self.predict(request))

    async def answers_correctly(self) -> bool:
        return self.probe_answered_right(await self.predict(self.probe_request))
