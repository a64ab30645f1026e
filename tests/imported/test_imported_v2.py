"""Imported models on every backend: the v2 suite, its clients, and what only such a model does."""

from __future__ import annotations

import numpy as np
import requests

from exporters.importer import file_runner, source_file
from models.artifacts import ModelFiles
from models.imported import TOLERANCE
from models.spec import ModelSpec
from tests.contract import test_clients, test_v2
from tests.contract.test_v2 import TIMEOUT, infer, outputs_of, tensor

# The Open Inference Protocol suite and its clients' (the README's tritonclient call among
# them), unchanged: their tests run against this folder's fixtures.
for suite in (test_v2, test_clients):
    globals().update({name: test for name, test in vars(suite).items() if name.startswith("test_")})


def test_the_v1_route_points_to_the_protocol(backend_url: str, model: ModelSpec) -> None:
    response = requests.post(
        f"{backend_url}/predictions/{model.name}", data=b'{"x": 1}', timeout=TIMEOUT
    )
    assert response.status_code == 400
    assert f"/v2/models/{model.name}/infer" in response.json()["message"]


def test_models_lists_every_imported_model(
    backend_url: str, imported_models: dict[str, ModelSpec]
) -> None:
    listed = requests.get(f"{backend_url}/models", timeout=TIMEOUT).json()
    assert [entry["name"] for entry in listed] == sorted(imported_models)
    for entry in listed:
        assert {k: entry[k] for k in ("inputs", "outputs")} == imported_models[
            entry["name"]
        ].tensors()


def test_answers_agree_with_the_imported_file(backend_url: str, model: ModelSpec) -> None:
    """Fresh random rows (not the probe's): every engine within the import's tolerance."""
    rows = np.random.default_rng(7).uniform(-1, 1, (5, *model.input.shape[1:]))
    rows = rows.astype(model.input.dtype)
    outputs = outputs_of(infer(backend_url, model, {"inputs": [tensor(model, rows)]}), model)
    expected = file_runner(source_file(ModelFiles.of(model.name)))(rows)
    np.testing.assert_allclose(outputs, expected, rtol=TOLERANCE, atol=TOLERANCE)
