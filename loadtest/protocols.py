"""What the load sends and how each answer is checked, in either protocol.

v1 asks with the contract's bodies (the model's codec); v2 asks the Open Inference Protocol
with the same items as tensors (the codec's decoding of them) and checks the output tensor
by encoding it back into the answer v1 would give, so both are held to the same examples.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.spec import ModelSpec, Request

PROTOCOLS = ("v1", "v2")


@dataclass(frozen=True)
class Ask:
    """One request to send, and the check its answer (status, body) must pass."""

    path: str
    body: bytes
    check: Callable[[int, bytes], bool]


def v2_path(spec: ModelSpec) -> str:
    return f"/v2/models/{spec.name}/infer"


def v2_body(spec: ModelSpec, inputs: np.ndarray) -> bytes:
    tensor = {"name": spec.input.name, "datatype": spec.input.datatype, "shape": list(inputs.shape)}
    return json.dumps({"inputs": [{**tensor, "data": inputs.reshape(-1).tolist()}]}).encode()


def v2_outputs(spec: ModelSpec, body: bytes) -> np.ndarray:
    [output] = json.loads(body)["outputs"]
    return np.asarray(output["data"], dtype=spec.output.dtype).reshape(output["shape"])


def _v2_answer(spec: ModelSpec, request: Request, body: bytes) -> object:
    """A v2 answer turned into the v1 answer to the same request."""
    return spec.codec.encode(request, v2_outputs(spec, body))


def ask_items(spec: ModelSpec, protocol: str, items: list, answers: list, batch: bool) -> Ask:
    """Ask about `items`, whose correct answers are `answers`."""
    codec = spec.codec
    document = codec.document(items, batch)
    expected = codec.reply(answers, batch)
    if protocol == "v1":
        return Ask(
            f"/predictions/{spec.name}",
            json.dumps(document).encode(),
            lambda status, body: status == 200 and codec.agrees(json.loads(body), expected),
        )
    request = codec.decode(document)
    return Ask(
        v2_path(spec),
        v2_body(spec, request.inputs),
        lambda status, body: (
            status == 200 and codec.agrees(_v2_answer(spec, request, body), expected)
        ),
    )


def ask_probe(spec: ModelSpec, protocol: str) -> Ask:
    """The model's readiness probe (what wrk and the ceilings are driven with)."""
    if protocol == "v1":
        return Ask(
            f"/predictions/{spec.name}",
            json.dumps(spec.probe.document).encode(),
            lambda status, body: status == 200 and spec.probe.answered_by(json.loads(body)),
        )
    request = spec.probe_request()
    return Ask(
        v2_path(spec),
        v2_body(spec, request.inputs),
        lambda status, body: (
            status == 200 and spec.probe.answered_by(_v2_answer(spec, request, body))
        ),
    )


def bad_asks(spec: ModelSpec, protocol: str) -> list[Ask]:
    """Requests every model refuses with a 400 in the protocol's error shape."""
    if protocol == "v1":
        field = spec.codec.field
        documents = [{field: value} for value in ("14", None, True, {"a": 1}, [])]
        bodies = [json.dumps(d).encode() for d in documents]
        bodies += [b"not json", json.dumps({"no-such-field": 1}).encode()]
        path = f"/predictions/{spec.name}"
    else:
        good = json.loads(v2_body(spec, spec.probe_request().inputs))["inputs"][0]
        wrong = [{**good, "name": "nope"}, {**good, "datatype": "BYTES"}, {**good, "shape": [1]}]
        bodies = [json.dumps({"inputs": [entry]}).encode() for entry in wrong]
        bodies += [b"not json", json.dumps({"inputs": []}).encode()]
        path = v2_path(spec)
    return [Ask(path, body, _refused(protocol)) for body in bodies]


def _refused(protocol: str) -> Callable[[int, bytes], bool]:
    def check(status: int, body: bytes) -> bool:
        if status != 400:
            return False
        error = json.loads(body)
        if protocol == "v2":
            return set(error) == {"error"}
        return error.get("code") == 400 and error.get("type") == "InvalidInput"

    return check
