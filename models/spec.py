"""What a model declares to be served by polyserve: one ModelSpec, in `models/<name>/spec.py`.

A spec names the model's tensors, its codec (request JSON -> input tensor -> answer JSON), its
readiness probe, and the callables that build, train and check it. This module and a model's
spec and codec modules import numpy only (torch is imported when a network or training
callable is called), so they travel inside MMS archives and the gateway never loads torch.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from torch import nn


class InvalidInput(ValueError):
    """The request is not something the model accepts; the message says what is."""


def json_kind(value: object) -> str:
    """What a parsed JSON value is, as an error message names it ("a string")."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is a subclass of int in Python
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a non-integer number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


# Open Inference Protocol datatype names, and the numpy dtype each is held in.
DATATYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "UINT8": np.dtype(np.uint8),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
}


@dataclass(frozen=True)
class TensorSpec:
    """One input or output tensor: its name in every export, datatype and shape (-1: batch)."""

    name: str
    datatype: str
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.datatype not in DATATYPES:
            raise ValueError(f"tensor {self.name}: unknown datatype {self.datatype!r}")
        if not self.shape or self.shape[0] != -1 or any(d < 1 for d in self.shape[1:]):
            raise ValueError(f"tensor {self.name}: shape must be (-1, fixed sizes...)")

    @property
    def dtype(self) -> np.dtype:
        return DATATYPES[self.datatype]

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


@dataclass(frozen=True)
class Request:
    """A validated request: the model's input tensor and what answering it needs."""

    inputs: np.ndarray
    """One row per item, batch dimension first, in the input tensor's dtype."""
    items: Sequence[Any]
    """The validated items, in request order (what `Codec.encode` may need besides outputs)."""
    batch: bool
    """A list was sent, so a list is answered."""


class Codec(ABC):
    """Request JSON -> input tensor (`decode`), output tensor -> answer JSON (`encode`).

    A request is a JSON object whose `field` holds one item or a list of 1 to `max_batch`
    items; every other field is ignored. Subclasses say what an item is (`is_batch`,
    `validate_item`, `to_inputs`) and what each answer is (`answers`).
    """

    field: str
    """The request's field holding the item or the list of items."""
    noun: tuple[str, str]
    """What an item is called, singular and plural: in error messages."""
    max_batch: int
    example: str
    """A valid request body, shown in error messages."""

    @property
    def accepted(self) -> str:
        """What the field accepts, said in every error message about it."""
        return f"{self.describe_item()}, or a list of 1 to {self.max_batch} {self.noun[1]}"

    @abstractmethod
    def describe_item(self) -> str:
        """One item as the messages describe it ("an integer from 0 to 1022")."""

    @abstractmethod
    def is_batch(self, value: object) -> bool:
        """Whether the field's value is a list of items rather than one item."""

    @abstractmethod
    def validate_item(self, value: object) -> Any:
        """One item as sent, checked; raises InvalidInput saying what is accepted."""

    @abstractmethod
    def to_inputs(self, items: list[Any]) -> np.ndarray:
        """The input tensor for validated items: one row each."""

    @abstractmethod
    def answers(self, request: Request, outputs: np.ndarray) -> list[object]:
        """One answer per item, from the output tensor's rows."""

    def decode(self, document: object) -> Request:
        """A parsed request body -> the validated request; raises InvalidInput."""
        if not isinstance(document, dict):
            raise InvalidInput(f"the body must be a JSON object like {self.example}")
        if self.field not in document:
            raise InvalidInput(f'the body has no "{self.field}" field; expected {self.accepted}')
        value = document[self.field]
        if not self.is_batch(value):
            items = [self.validate_item(value)]
            return Request(self.to_inputs(items), items, batch=False)
        assert isinstance(value, list)
        if not value:
            raise InvalidInput(f"the list of {self.noun[1]} is empty; expected {self.accepted}")
        if len(value) > self.max_batch:
            raise InvalidInput(
                f"{len(value)} {self.noun[1]} in one request; at most {self.max_batch} are accepted"
            )
        items = [self.validate_item(item) for item in value]
        return Request(self.to_inputs(items), items, batch=True)

    def encode(self, request: Request, outputs: np.ndarray) -> object:
        """The answer JSON for a request, from the output tensor."""
        return self.reply(self.answers(request, outputs), request.batch)

    def reply(self, answers: list[object], batch: bool) -> object:
        """The answer body for these per-item answers: a list for a list, else the one."""
        return answers if batch else answers[0]

    def document(self, items: list[object], batch: bool) -> dict[str, object]:
        """A request body asking about `items`: the inverse of `decode`, for clients and tests."""
        return {self.field: items if batch else items[0]}

    def probe_request(self, probe: Probe) -> Request:
        """The readiness probe's request (a codec without v1 bodies builds it otherwise)."""
        return self.decode(probe.document)

    def agrees(self, answer: object, expected: object) -> bool:
        """Whether an answer is the expected one (a codec with float answers allows for the
        last bits engines differ in)."""
        return answer == expected


@dataclass(frozen=True)
class Probe:
    """The readiness probe: a request, and what its answer must hold (every key of
    `expected`, with that value), before a backend calls the model ready."""

    document: dict[str, object]
    expected: dict[str, object]

    def answered_by(self, answer: object) -> bool:
        return isinstance(answer, dict) and all(
            answer.get(key) == value for key, value in self.expected.items()
        )


@dataclass(frozen=True)
class Example:
    """One item and the answer a correct backend gives when asked about it alone."""

    item: object
    answer: object


MAX_BATCH_REQUESTS = 64
MAX_BATCH_DELAY_MS = 1000


@dataclass(frozen=True)
class Batching:
    """Server-side batching: one model call answers up to `size` requests, the first of
    which waits at most `delay_ms` for the others to arrive (size 1: a call per request)."""

    size: int = 1
    delay_ms: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.size <= MAX_BATCH_REQUESTS:
            raise ValueError(f"a batch of {self.size} requests; 1 to {MAX_BATCH_REQUESTS}")
        if not 0 <= self.delay_ms <= MAX_BATCH_DELAY_MS:
            raise ValueError(f"a batch delay of {self.delay_ms} ms; 0 to {MAX_BATCH_DELAY_MS}")

    def __str__(self) -> str:
        return f"batch {self.size}/{self.delay_ms} ms" if self.size > 1 else "unbatched"

    def overridden(self, size: int | None, delay_ms: int | None) -> Batching:
        """This batching with a setting's size and delay over it, each where one is given."""
        return Batching(
            self.size if size is None else size,
            self.delay_ms if delay_ms is None else delay_ms,
        )


@dataclass(frozen=True)
class Serving:
    """How the backends serve a model unless the settings say otherwise: its serving
    defaults, chosen per model from measurements (docs/performance.md)."""

    mms: Batching = Batching()
    """MMS's batch_size and max_batch_delay when it registers the model."""
    flask: Batching = Batching()
    """The Flask workers' batcher (services/contract/batcher.py)."""


MMS_BATCHED = Serving(mms=Batching(size=8, delay_ms=2))
"""The shipped models' serving: batched on MMS (twice the requests/s of unbatched at 64
connections, more at 8 too), the Flask workers unbatched (docs/performance.md)."""


@dataclass(frozen=True)
class ModelSpec:
    """Everything polyserve needs to train, export, serve and check one model."""

    name: str
    codec: Codec
    input: TensorSpec
    output: TensorSpec
    probe: Probe
    network: Callable[[], nn.Module]
    """A new, untrained network (its weights are loaded from the model's weights file)."""
    train: Callable[[list[str]], int]
    """The training command: `train(["--out", DIR])` writes weights.pt and manifest.json."""
    check_inputs: Callable[[], np.ndarray]
    """The inputs every export is checked on against the eager network."""
    examples: Callable[[], list[Example]]
    """Items with the answers a correct backend gives: the tests' and load tests' checks."""
    serving: Serving = Serving()
    imported: bool = False
    """Brought as a bare file (models/imported.py): no weights, no v1 codec; the import made
    its files, which are never re-exported."""

    def probe_request(self) -> Request:
        return self.codec.probe_request(self.probe)

    def tensors(self) -> dict[str, list[dict[str, object]]]:
        return {"inputs": [self.input.as_dict()], "outputs": [self.output.as_dict()]}


def load_spec(reference: str) -> ModelSpec:
    """The spec at `module:attribute` (how registries and archives name one)."""
    module_name, _, attribute = reference.partition(":")
    spec = getattr(importlib.import_module(module_name), attribute or "SPEC", None)
    if not isinstance(spec, ModelSpec):
        raise ValueError(f"{reference} is not a ModelSpec")
    return spec
