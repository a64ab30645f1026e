"""Exporters: the artifacts agree with the eager model, and a divergent export is refused."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from exporters.onnx_file import OPSET, export_onnx, run_onnx
from exporters.parity import ParityError, check_parity
from exporters.torchscript import export_torchscript
from models import registry
from models.artifacts import ModelFiles
from models.fizzbuzz.network import FizzBuzzNet
from models.spec import ModelSpec
from models.weights import eager_outputs, load_network

SPEC = registry.get("fizzbuzz")


def test_torchscript_artifacts_match_eager(
    model: ModelSpec, served_files: dict[str, ModelFiles]
) -> None:
    files = served_files[model.name]
    inputs = model.check_inputs()
    scripted = torch.jit.load(str(files.torchscript))
    with torch.no_grad():
        exported = scripted(torch.from_numpy(inputs)).numpy()
    check_parity("torchscript", eager_outputs(load_network(model, files.weights), inputs), exported)


@pytest.mark.parametrize("which", ["onnx", "onnx_for_mxnet"])
def test_onnx_artifacts_match_eager(
    model: ModelSpec, served_files: dict[str, ModelFiles], which: str
) -> None:
    import onnx

    files = served_files[model.name]
    path: Path = getattr(files, which)
    onnx_model = onnx.load(str(path))
    assert onnx_model.opset_import[0].version == OPSET
    assert onnx_model.graph.input[0].name == model.input.name
    batch_dim = onnx_model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param
    assert not batch_dim.dim_value
    weights_as_inputs = {i.name for i in onnx_model.graph.input} & {
        i.name for i in onnx_model.graph.initializer
    }
    assert bool(weights_as_inputs) == (which == "onnx_for_mxnet")
    inputs = model.check_inputs()
    expected = eager_outputs(load_network(model, files.weights), inputs)
    check_parity(which, expected, run_onnx(model, path.read_bytes(), inputs))


def test_check_parity_catches_each_kind_of_difference() -> None:
    logits = np.array([[0.0, 1.0], [2.0, 0.0]], dtype=np.float32)
    check_parity("same", logits, logits.copy())
    with pytest.raises(ParityError, match="shape"):
        check_parity("shape", logits, logits[:1])
    with pytest.raises(ParityError, match="other class"):
        check_parity("class", logits, logits[:, ::-1].copy())
    with pytest.raises(ParityError, match="logits differ"):
        check_parity("drift", logits, logits + np.float32(0.01))


class DivergesWhenExported(FizzBuzzNet):
    """Correct in eager mode, wrong in any exported graph: what the gate exists to stop."""

    def forward(self, bits: torch.Tensor) -> torch.Tensor:
        logits = self.output(torch.sigmoid(self.hidden(bits)))
        if torch.jit.is_scripting() or torch.jit.is_tracing():  # ONNX export traces
            return -logits
        return logits


@pytest.fixture
def divergent(fizzbuzz_files: ModelFiles, tmp_path: Path) -> tuple[ModelSpec, ModelFiles]:
    files = ModelFiles(tmp_path, "fizzbuzz")
    shutil.copy(fizzbuzz_files.weights, files.weights)
    return dataclasses.replace(SPEC, network=DivergesWhenExported), files


@pytest.mark.parametrize("export", [export_torchscript, export_onnx])
def test_a_divergent_export_is_refused_and_not_written(divergent, export) -> None:
    spec, files = divergent
    with pytest.raises(ParityError):
        export(spec, files)
    assert sorted(p.name for p in files.directory.iterdir()) == ["weights.pt"]
