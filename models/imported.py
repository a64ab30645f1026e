"""Models brought as a bare file (`python -m exporters import`): known by their tensors only.

Such a model has no codec of its own, so it is served through the Open Inference Protocol
only: its v1 route answers 400 pointing there. Its record (tensors, batch limit, the
readiness probe's input rows and the outputs the imported file gave for them) is kept in the
model's manifest and copied into its MMS archives; this module (numpy only) turns a record
into the ModelSpec every backend serves through, and travels inside those archives.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from models.artifacts import ModelFiles, artifacts_dir
from models.spec import Codec, Example, InvalidInput, ModelSpec, Probe, Request, TensorSpec

RECORD = "imported"  # the manifest's key holding the record
# How far an engine's outputs may stray from the imported file's own on the same inputs.
TOLERANCE = 1e-4

Record = dict[str, Any]


def close(actual: np.ndarray, expected: np.ndarray) -> bool:
    return actual.shape == expected.shape and bool(
        np.allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE)
    )


class TensorsOnlyCodec(Codec):
    """No v1 body is accepted; the readiness probe is decoded from its tensors."""

    noun = ("row", "rows")

    def __init__(self, name: str, input_spec: TensorSpec, max_batch: int) -> None:
        self.name = name
        self.input_spec = input_spec
        self.field = input_spec.name
        self.max_batch = max_batch
        self.example = f"POST /v2/models/{name}/infer"

    def decode(self, document: object) -> Request:
        raise InvalidInput(
            f"{self.name} is served through the Open Inference Protocol only: "
            f"POST /v2/models/{self.name}/infer with its {self.field!r} tensor"
        )

    def probe_request(self, probe: Probe) -> Request:
        rows = np.asarray(probe.document["inputs"], dtype=self.input_spec.dtype)
        return Request(rows, items=list(rows), batch=True)

    def encode(self, request: Request, outputs: np.ndarray) -> object:
        return {"outputs": outputs}

    # Only decode() and encode() are ever called: these complete the Codec interface.
    def describe_item(self) -> str:
        return f"a row of {self.input_spec.name}"

    def is_batch(self, value: object) -> bool:
        return True

    def validate_item(self, value: object) -> Any:
        return value

    def to_inputs(self, items: list[Any]) -> np.ndarray:
        return np.asarray(items, dtype=self.input_spec.dtype)

    def answers(self, request: Request, outputs: np.ndarray) -> list[object]:
        return list(outputs)


class RecordedProbe(Probe):
    """Ready when the engine gives the imported file's outputs for the recorded rows."""

    def answered_by(self, answer: object) -> bool:
        if not isinstance(answer, dict) or "outputs" not in answer:
            return False
        expected = np.asarray(self.expected["outputs"], dtype=np.float64)
        return close(np.asarray(answer["outputs"], dtype=np.float64), expected)


def tensor(entry: dict[str, Any]) -> TensorSpec:
    return TensorSpec(entry["name"], entry["datatype"], tuple(entry["shape"]))


def _not_trainable(name: str) -> Any:
    def refuse(*_: object) -> Any:
        raise RuntimeError(f"{name} was imported from a file: import it again to change it")

    return refuse


def spec_from_record(record: Record) -> ModelSpec:
    name = record["name"]
    input_spec, output_spec = tensor(record["input"]), tensor(record["output"])
    probe = RecordedProbe({"inputs": record["probe_inputs"]}, {"outputs": record["probe_outputs"]})
    rows = np.asarray(record["probe_inputs"], dtype=input_spec.dtype)
    return ModelSpec(
        name=name,
        codec=TensorsOnlyCodec(name, input_spec, record["max_batch"]),
        input=input_spec,
        output=output_spec,
        probe=probe,
        network=_not_trainable(name),
        train=_not_trainable(name),
        check_inputs=lambda: rows,
        examples=lambda: list[Example](),
        imported=True,
    )


def record_of(name: str) -> Record | None:
    """The import record of the model `name` in the artifacts folder, if it was imported."""
    manifest = ModelFiles.of(name).manifest
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text()).get(RECORD)


def imported_names() -> list[str]:
    """The models imported into the artifacts folder, by name."""
    root = artifacts_dir()
    if not root.is_dir():
        return []
    return sorted(path.name for path in root.iterdir() if record_of(path.name) is not None)


def __getattr__(name: str) -> ModelSpec:
    """`models.imported:NAME`, the registry's reference to an imported model's spec."""
    record = record_of(name) if not name.startswith("__") else None
    if record is None:
        raise AttributeError(f"no model {name!r} was imported")
    return spec_from_record(record)
