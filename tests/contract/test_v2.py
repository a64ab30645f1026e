"""The Open Inference Protocol (v2, REST) against a running backend, per model.

Knows the model only through its spec: the input tensor comes from the codec's decoding of
the readiness probe, and the output is checked by encoding it back and asking the probe.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib

import numpy as np
import pytest
import requests

from models import registry
from models.spec import ModelSpec
from services.contract.v2 import HEADER_LENGTH, MAX_BODY_BYTES

TIMEOUT = 60


def probe_inputs(model: ModelSpec) -> np.ndarray:
    return model.probe_request().inputs


def tensor(model: ModelSpec, inputs: np.ndarray, **changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": model.input.name,
        "shape": list(inputs.shape),
        "datatype": model.input.datatype,
        "data": inputs.reshape(-1).tolist(),
    }
    return {**entry, **changes}


def infer(url: str, model: ModelSpec, body: bytes | dict, **headers: str) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        f"{url}/v2/models/{model.name}/infer", data=data, headers=headers, timeout=TIMEOUT
    )


def outputs_of(response: requests.Response, model: ModelSpec) -> np.ndarray:
    """The response's one output tensor, from JSON or from the binary data after it."""
    assert response.status_code == 200, response.text
    length = response.headers.get(HEADER_LENGTH)
    document = json.loads(response.content[: int(length)] if length else response.content)
    [output] = document["outputs"]
    assert (output["name"], output["datatype"]) == (model.output.name, model.output.datatype)
    if "parameters" in output:
        blob = response.content[int(length) :]
        assert len(blob) == output["parameters"]["binary_data_size"]
        values = np.frombuffer(blob, dtype=model.output.dtype)
    else:
        values = np.asarray(output["data"], dtype=model.output.dtype)
    return values.reshape(output["shape"])


def assert_answers_the_probe(model: ModelSpec, outputs: np.ndarray) -> None:
    assert model.probe.answered_by(model.codec.encode(model.probe_request(), outputs))


def assert_v2_error(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    assert len(body["error"]) > 5
    return body["error"]


# --- server and model metadata ---------------------------------------------------------------


def test_server_metadata_names_the_binary_extension(backend_url: str) -> None:
    body = requests.get(f"{backend_url}/v2", timeout=TIMEOUT).json()
    assert body["name"] == "polyserve"
    assert "binary_tensor_data" in body["extensions"]


@pytest.mark.parametrize(
    ("path", "key"), [("/v2/health/live", "live"), ("/v2/health/ready", "ready")]
)
def test_health(backend_url: str, path: str, key: str) -> None:
    response = requests.get(f"{backend_url}{path}", timeout=TIMEOUT)
    assert (response.status_code, response.json()) == (200, {key: True})


def test_model_metadata_names_its_tensors_and_version(backend_url: str, model: ModelSpec) -> None:
    metadata = requests.get(f"{backend_url}/v2/models/{model.name}", timeout=TIMEOUT).json()
    listed = {m["name"]: m for m in requests.get(f"{backend_url}/models", timeout=TIMEOUT).json()}
    assert metadata["name"] == model.name
    assert metadata["versions"] == [listed[model.name]["version"]]
    assert {k: metadata[k] for k in ("inputs", "outputs")} == model.tensors()
    version = metadata["versions"][0]
    again = requests.get(
        f"{backend_url}/v2/models/{model.name}/versions/{version}", timeout=TIMEOUT
    )
    assert again.json() == metadata
    ready = requests.get(f"{backend_url}/v2/models/{model.name}/versions/{version}/ready")
    assert (ready.status_code, ready.json()) == (200, {"name": model.name, "ready": True})


# --- inference -------------------------------------------------------------------------------


def test_infer_with_flat_json_data(backend_url: str, model: ModelSpec) -> None:
    response = infer(backend_url, model, {"inputs": [tensor(model, probe_inputs(model))]})
    assert_answers_the_probe(model, outputs_of(response, model))
    document = response.json()
    assert document["model_name"] == model.name
    assert "id" not in document


def test_infer_with_nested_json_data_echoes_the_id(backend_url: str, model: ModelSpec) -> None:
    inputs = probe_inputs(model)
    body = {"id": "req-7", "inputs": [tensor(model, inputs, data=inputs.tolist())]}
    response = infer(backend_url, model, body)
    assert response.json()["id"] == "req-7"
    assert_answers_the_probe(model, outputs_of(response, model))


def test_binary_input_and_output_agree_with_json(backend_url: str, model: ModelSpec) -> None:
    inputs = np.repeat(probe_inputs(model), 3, axis=0)
    as_json = outputs_of(infer(backend_url, model, {"inputs": [tensor(model, inputs)]}), model)
    header = {
        "inputs": [
            {
                "name": model.input.name,
                "shape": list(inputs.shape),
                "datatype": model.input.datatype,
                "parameters": {"binary_data_size": inputs.nbytes},
            }
        ],
        "outputs": [{"name": model.output.name, "parameters": {"binary_data": True}}],
    }
    text = json.dumps(header).encode()
    response = infer(backend_url, model, text + inputs.tobytes(), **{HEADER_LENGTH: str(len(text))})
    assert response.headers[HEADER_LENGTH]
    np.testing.assert_allclose(outputs_of(response, model), as_json, rtol=1e-5, atol=1e-5)


def test_binary_data_output_for_every_output(backend_url: str, model: ModelSpec) -> None:
    body = {
        "inputs": [tensor(model, probe_inputs(model))],
        "parameters": {"binary_data_output": True},
    }
    response = infer(backend_url, model, body)
    assert HEADER_LENGTH in response.headers
    assert_answers_the_probe(model, outputs_of(response, model))


def test_the_requested_output_is_returned(backend_url: str, model: ModelSpec) -> None:
    body = {
        "inputs": [tensor(model, probe_inputs(model))],
        "outputs": [{"name": model.output.name}],
    }
    assert_answers_the_probe(model, outputs_of(infer(backend_url, model, body), model))


def test_the_largest_batch_is_accepted(backend_url: str, model: ModelSpec) -> None:
    inputs = np.repeat(probe_inputs(model)[:1], model.codec.max_batch, axis=0)
    text = json.dumps({"inputs": [{**tensor(model, inputs), "data": None}]})
    header = json.loads(text)
    del header["inputs"][0]["data"]
    header["inputs"][0]["parameters"] = {"binary_data_size": inputs.nbytes}
    blob = json.dumps(header).encode()
    response = infer(backend_url, model, blob + inputs.tobytes(), **{HEADER_LENGTH: str(len(blob))})
    assert outputs_of(response, model).shape[0] == model.codec.max_batch


# --- errors: the protocol's shape, never a 500 ------------------------------------------------


def without(entry: dict[str, object], key: str) -> dict[str, object]:
    return {k: v for k, v in entry.items() if k != key}


def bad_documents(model: ModelSpec) -> dict[str, object]:
    """Infer requests this model must refuse with a 400, by what is wrong with them."""
    good = tensor(model, probe_inputs(model))
    values = list(good["data"])  # type: ignore[call-overload]
    fixed = list(model.input.shape[1:])
    too_many = model.codec.max_batch + 1
    over = {"shape": [too_many, *fixed], "data": [0.0] * too_many * math.prod(fixed)}
    return {
        "not an object": [good],
        "no inputs": {"outputs": []},
        "inputs not a list": {"inputs": good},
        "no input at all": {"inputs": []},
        "two inputs": {"inputs": [good, good]},
        "input not an object": {"inputs": ["x"]},
        "unknown input name": {"inputs": [{**good, "name": "nope"}]},
        "no datatype": {"inputs": [without(good, "datatype")]},
        "wrong datatype": {"inputs": [{**good, "datatype": "INT64"}]},
        "FP16": {"inputs": [{**good, "datatype": "FP16"}]},
        "BYTES": {"inputs": [{**good, "datatype": "BYTES"}]},
        "shape not a list": {"inputs": [{**good, "shape": 3}]},
        "shape of the wrong rank": {"inputs": [{**good, "shape": [1]}]},
        "shape of wrong sizes": {"inputs": [{**good, "shape": [1, *[d + 1 for d in fixed]]}]},
        "shape with a boolean": {"inputs": [{**good, "shape": [True, *fixed]}]},
        "batch of zero": {"inputs": [{**good, "shape": [0, *fixed], "data": []}]},
        "batch over the limit": {"inputs": [{**good, **over}]},
        "too few values": {"inputs": [{**good, "data": values[:-1]}]},
        "too many values": {"inputs": [{**good, "data": [*values, 0.0]}]},
        "no data": {"inputs": [without(good, "data")]},
        "string values": {"inputs": [{**good, "data": ["1"] * len(values)}]},
        "boolean values": {"inputs": [{**good, "data": [True] * len(values)}]},
        "a boolean among numbers": {"inputs": [{**good, "data": [True, *values[1:]]}]},
        "a string among numbers": {"inputs": [{**good, "data": [*values[:-1], "1"]}]},
        "null values": {"inputs": [{**good, "data": [None] * len(values)}]},
        "values past the datatype's range": {"inputs": [{**good, "data": [10**40] * len(values)}]},
        "a float past the datatype's range": {"inputs": [{**good, "data": [1e39, *values[1:]]}]},
        "parameters not an object": {"inputs": [good], "parameters": []},
        "input parameters not an object": {"inputs": [{**good, "parameters": 1}]},
        "binary size without binary data": {
            "inputs": [{**without(good, "data"), "parameters": {"binary_data_size": 8}}]
        },
        "outputs not a list": {"inputs": [good], "outputs": {"name": model.output.name}},
        "outputs empty": {"inputs": [good], "outputs": []},
        "unknown output": {"inputs": [good], "outputs": [{"name": "nope"}]},
        "id not a string": {"inputs": [good], "id": 7},
    }


BAD_CASES = tuple(bad_documents(registry.get(registry.served_names()[0])))


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_requests_are_a_400(backend_url: str, model: ModelSpec, case: str) -> None:
    assert_v2_error(infer(backend_url, model, bad_documents(model)[case]), 400)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{", {}),
        (b"not json", {}),
        (b"[" * 5000, {}),
        (b'{"inputs": [{"data": [NaN]}]}', {}),
        (b"{}", {HEADER_LENGTH: "99"}),
        (b"{}", {HEADER_LENGTH: "two"}),
    ],
    ids=["truncated", "not json", "deep nesting", "NaN", "header past the body", "bad header"],
)
def test_bad_bodies_are_a_400(
    backend_url: str, model: ModelSpec, body: bytes, headers: dict
) -> None:
    assert_v2_error(infer(backend_url, model, body, **headers), 400)


def test_non_finite_values_are_a_400(backend_url: str, model: ModelSpec) -> None:
    text = json.dumps({"inputs": [tensor(model, probe_inputs(model))]})
    assert_v2_error(infer(backend_url, model, text.replace("0.0", "NaN", 1).encode()), 400)


def test_unknown_model_and_version_are_a_404(backend_url: str, model: ModelSpec) -> None:
    assert_v2_error(requests.get(f"{backend_url}/v2/models/nope", timeout=TIMEOUT), 404)
    wrong = f"{backend_url}/v2/models/{model.name}/versions/0/infer"
    body = json.dumps({"inputs": [tensor(model, probe_inputs(model))]})
    assert_v2_error(requests.post(wrong, data=body, timeout=TIMEOUT), 404)
    assert_v2_error(requests.get(f"{backend_url}/v2/models/{model.name}/versions/0"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/infer"), ("PUT", "/infer"), ("POST", ""), ("POST", "/ready")],
)
def test_wrong_methods_are_a_405(
    backend_url: str, model: ModelSpec, method: str, path: str
) -> None:
    url = f"{backend_url}/v2/models/{model.name}{path}"
    assert_v2_error(requests.request(method, url, timeout=TIMEOUT), 405)


def test_a_body_over_the_limit_is_a_413(backend_url: str, model: ModelSpec) -> None:
    assert_v2_error(infer(backend_url, model, b" " * (MAX_BODY_BYTES + 1)), 413)


def test_an_unknown_v2_route_is_a_404(backend_url: str) -> None:
    assert_v2_error(requests.get(f"{backend_url}/v2/nothing/here", timeout=TIMEOUT), 404)


# --- compressed bodies (tritonclient's request_compression_algorithm) ----------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_body_is_answered(backend_url: str, model: ModelSpec, encoding: str) -> None:
    body = json.dumps({"inputs": [tensor(model, probe_inputs(model))]}).encode()
    compress = gzip.compress if encoding == "gzip" else zlib.compress
    response = infer(backend_url, model, compress(body), **{"Content-Encoding": encoding})
    assert_answers_the_probe(model, outputs_of(response, model))


@pytest.mark.parametrize(
    ("body", "encoding", "status"),
    [
        (b"{}", "br", 415),
        (b"not gzip at all", "gzip", 400),
        (gzip.compress(b"{}")[:-12], "gzip", 400),
        (gzip.compress(b" " * (MAX_BODY_BYTES + 1)), "gzip", 413),
    ],
    ids=["unknown encoding", "not gzip", "cut short", "inflates past the limit"],
)
def test_bad_compressed_bodies(
    backend_url: str, model: ModelSpec, body: bytes, encoding: str, status: int
) -> None:
    assert_v2_error(infer(backend_url, model, body, **{"Content-Encoding": encoding}), status)
