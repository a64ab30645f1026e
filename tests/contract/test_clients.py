"""The Open Inference Protocol's own clients against a running backend, per model:
tritonclient's HTTP client (in polyserve's venv) and kserve's v2 REST client (in its own,
tests/clients/venv.py). Both send what they send by default and read what they read."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from models.spec import ModelSpec
from tests.clients.venv import kserve_python
from tests.contract.test_v2 import assert_answers_the_probe, probe_inputs

KSERVE_CHECK = Path(__file__).parents[1] / "clients" / "kserve_check.py"


def test_tritonclient_health_and_metadata(
    client: triton.InferenceServerClient, model: ModelSpec
) -> None:
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready(model.name)
    assert not client.is_model_ready("no-such-model")
    metadata = client.get_model_metadata(model.name)
    assert {key: metadata[key] for key in ("inputs", "outputs")} == model.tensors()
    assert client.is_model_ready(model.name, metadata["versions"][0])


@pytest.mark.parametrize("binary_in", [True, False], ids=["binary in", "json in"])
@pytest.mark.parametrize("binary_out", [True, False], ids=["binary out", "json out"])
def test_tritonclient_infer(
    client: triton.InferenceServerClient, model: ModelSpec, binary_in: bool, binary_out: bool
) -> None:
    inputs = probe_inputs(model)
    tensor = triton.InferInput(model.input.name, list(inputs.shape), model.input.datatype)
    tensor.set_data_from_numpy(inputs, binary_data=binary_in)
    asked = triton.InferRequestedOutput(model.output.name, binary_data=binary_out)
    result = client.infer(model.name, [tensor], outputs=[asked], request_id="t1")
    assert result.get_response()["id"] == "t1"
    assert_answers_the_probe(model, result.as_numpy(model.output.name))


def test_tritonclient_errors_carry_the_status(
    client: triton.InferenceServerClient, model: ModelSpec
) -> None:
    inputs = probe_inputs(model)
    tensor = triton.InferInput(model.input.name, list(inputs.shape), model.input.datatype)
    tensor.set_data_from_numpy(inputs)
    with pytest.raises(InferenceServerException) as unknown:
        client.infer("no-such-model", [tensor])
    assert unknown.value.status() == "404"
    wrong = triton.InferInput(model.input.name, [1, 3], model.input.datatype)
    wrong.set_data_from_numpy(np.zeros((1, 3), dtype=model.input.dtype))
    with pytest.raises(InferenceServerException) as bad_shape:
        client.infer(model.name, [wrong])
    assert bad_shape.value.status() == "400"


def test_kserve_client(backend_url: str, model: ModelSpec) -> None:
    inputs = probe_inputs(model)
    request = {
        "url": backend_url,
        "model": model.name,
        "input": {
            "name": model.input.name,
            "datatype": model.input.datatype,
            "shape": list(inputs.shape),
            "data": inputs.reshape(-1).tolist(),
        },
        "output": model.output.name,
    }
    result = subprocess.run(
        [str(kserve_python()), str(KSERVE_CHECK)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert [report[key] for key in ("live", "ready", "model_ready", "unknown_ready")] == [
        True,
        True,
        True,
        False,
    ]
    assert len(report["outputs"]) == 4
    for flat in report["outputs"].values():
        shape = (len(inputs), *model.output.shape[1:])
        outputs = np.asarray(flat, dtype=model.output.dtype).reshape(shape)
        assert_answers_the_probe(model, outputs)
