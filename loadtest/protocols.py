"""What the load sends and how each answer is checked, in each protocol.

v1 asks with the contract's bodies (the model's codec); v2 asks the Open Inference Protocol
with the same items as tensors (the codec's decoding of them) and checks the output tensor
by encoding it back into the answer v1 would give, so both are held to the same examples;
v2-binary is v2 with its binary tensor data extension, the input and the output as raw
little-endian bytes after the JSON.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from models.spec import ModelSpec, Request

PROTOCOLS = ("v1", "v2", "v2-binary")
JSON_HEADERS = {"Content-Type": "application/json"}
HEADER_LENGTH = "Inference-Header-Content-Length"  # the JSON's length, binary data after it


@dataclass(frozen=True)
class Ask:
    """One request to send, and the check its answer (status, body) must pass."""

    path: str
    body: bytes
    check: Callable[[int, bytes], bool]
    headers: Mapping[str, str] = field(default_factory=lambda: JSON_HEADERS)

    def send(self, url: str, timeout_s: float) -> tuple[int, bytes]:
        """POSTs it to the server at `url`: (status, body). OSError when the server does not
        answer, urllib's HTTPError (one) when it answers 4xx or 5xx."""
        # With its own headers: urllib's default Content-Type is a form, which TorchServe (a
        # peer) decodes as form fields, losing a JSON body.
        request = urllib.request.Request(
            f"{url}{self.path}", self.body, dict(self.headers), method="POST"
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, response.read()


def v2_path(spec: ModelSpec) -> str:
    return f"/v2/models/{spec.name}/infer"


def v2_body(spec: ModelSpec, inputs: np.ndarray) -> bytes:
    tensor = {"name": spec.input.name, "datatype": spec.input.datatype, "shape": list(inputs.shape)}
    return json.dumps({"inputs": [{**tensor, "data": inputs.reshape(-1).tolist()}]}).encode()


def v2_binary_body(spec: ModelSpec, inputs: np.ndarray) -> tuple[bytes, dict[str, str]]:
    """The body (JSON, then the input's bytes; the output asked as bytes too) and its headers."""
    data = inputs.astype(spec.input.dtype.newbyteorder("<")).tobytes()
    tensor = {"name": spec.input.name, "datatype": spec.input.datatype, "shape": list(inputs.shape)}
    document = {
        "inputs": [{**tensor, "parameters": {"binary_data_size": len(data)}}],
        "parameters": {"binary_data_output": True},
    }
    text = json.dumps(document).encode()
    headers = {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(len(text))}
    return text + data, headers


def v2_outputs(spec: ModelSpec, body: bytes) -> np.ndarray:
    """The output tensor of an answer, as JSON data or as the binary data after the JSON."""
    document, end = json.JSONDecoder().raw_decode(body.decode("latin-1"))  # bytes as they are
    [output] = document["outputs"]
    if "data" in output:
        values = np.asarray(output["data"], dtype=spec.output.dtype)
    else:
        values = np.frombuffer(body[end:], dtype=spec.output.dtype.newbyteorder("<"))
    return values.reshape(output["shape"])


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
    return _v2_ask(
        spec,
        protocol,
        request.inputs,
        lambda status, body: (
            status == 200 and codec.agrees(_v2_answer(spec, request, body), expected)
        ),
    )


def _v2_ask(
    spec: ModelSpec, protocol: str, inputs: np.ndarray, check: Callable[[int, bytes], bool]
) -> Ask:
    if protocol == "v2-binary":
        body, headers = v2_binary_body(spec, inputs)
        return Ask(v2_path(spec), body, check, headers)
    return Ask(v2_path(spec), v2_body(spec, inputs), check)


def ask_probe(spec: ModelSpec, protocol: str) -> Ask:
    """The model's readiness probe (what wrk and the ceilings are driven with)."""
    if protocol == "v1":
        return Ask(
            f"/predictions/{spec.name}",
            json.dumps(spec.probe.document).encode(),
            lambda status, body: status == 200 and spec.probe.answered_by(json.loads(body)),
        )
    request = spec.probe_request()
    return _v2_ask(
        spec,
        protocol,
        request.inputs,
        lambda status, body: (
            status == 200 and spec.probe.answered_by(_v2_answer(spec, request, body))
        ),
    )


def ask_fixed(spec: ModelSpec, protocol: str, rows: int = 1) -> Ask:
    """The one request a fixed load repeats: the readiness probe, or as many rows as `rows`
    in one batch, the model's examples in turn (its answers checked item by item)."""
    if rows == 1:
        return ask_probe(spec, protocol)
    examples = spec.examples()
    chosen = [examples[i % len(examples)] for i in range(rows)]
    return ask_items(spec, protocol, [e.item for e in chosen], [e.answer for e in chosen], True)


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
        if protocol != "v1":  # the Open Inference Protocol's error shape
            return set(error) == {"error"}
        return error.get("code") == 400 and error.get("type") == "InvalidInput"

    return check
