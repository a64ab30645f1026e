"""Models imported from bare files, served by every backend through the Open Inference Protocol.

For this folder's tests the artifacts folder is a fresh one (POLYSERVE_ARTIFACTS) holding only
the models imported here, and only they are served (POLYSERVE_MODELS): the README's example
(an ONNX multilayer perceptron), a small ONNX convolutional network, and a TorchScript file
described by flags. The test process, the exporters and every backend it starts see the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from exporters.importer import import_model
from models import registry
from models.spec import ModelSpec, TensorSpec
from tests.contract.conftest import BACKENDS
from tests.readme import OWN_MODEL_SECTION, python_blocks

ARTIFACTS_VAR = "POLYSERVE_ARTIFACTS"
README_EXAMPLE = "iris"  # the name the README's example imports its model under
MODELS = (README_EXAMPLE, "cnn", "scripted")


def small_cnn(path: Path) -> Path:
    torch.manual_seed(0)
    layers = [
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
        torch.nn.LogSoftmax(dim=1),
    ]
    torch.onnx.export(
        torch.nn.Sequential(*layers).eval(),
        (torch.randn(1, 1, 8, 8),),
        str(path),
        dynamo=False,
        input_names=["image"],
        output_names=["log_probabilities"],
        dynamic_axes={"image": {0: "batch"}, "log_probabilities": {0: "batch"}},
    )
    return path


def scripted_mlp(path: Path) -> Path:
    torch.manual_seed(1)
    layers = [torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)]
    torch.jit.save(torch.jit.script(torch.nn.Sequential(*layers).eval()), str(path))
    return path


@pytest.fixture(scope="package")
def imported_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModelSpec]]:
    folder = tmp_path_factory.mktemp("imported")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv(ARTIFACTS_VAR, str(folder / "artifacts"))
        environment.setenv(registry.MODELS_VAR, ",".join(MODELS))
        with contextlib.chdir(folder):
            exec(python_blocks(OWN_MODEL_SECTION)[0], {})  # writes iris.onnx, as for a user
        import_model(README_EXAMPLE, folder / "iris.onnx")
        import_model("cnn", small_cnn(folder / "cnn.onnx"))
        declared = TensorSpec("features", "FP32", (-1, 6))
        import_model("scripted", scripted_mlp(folder / "scripted.pt"), declared, "scores")
        yield {name: registry.get(name) for name in MODELS}


@pytest.fixture(scope="package", params=MODELS)
def model(request: pytest.FixtureRequest, imported_models: dict[str, ModelSpec]) -> ModelSpec:
    """The v2 suite's model: each imported one in turn."""
    return imported_models[request.param]


@pytest.fixture(scope="package", params=list(BACKENDS))
def backend_url(
    request: pytest.FixtureRequest,
    imported_models: dict[str, ModelSpec],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with BACKENDS[request.param](tmp_path_factory.mktemp(f"imported-{request.param}")) as url:
        yield url
