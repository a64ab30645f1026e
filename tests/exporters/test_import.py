"""`python -m exporters import`: what it accepts, what it refuses, and that a refusal leaves
nothing behind (serving imported models: tests/imported/)."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from exporters.importer import ImportRefused, import_model, parse_tensor
from models import registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.spec import TensorSpec

ROW = (4,)


@pytest.fixture(autouse=True)
def artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh artifacts folder for each test, and only what it imports served."""
    folder = tmp_path / "artifacts"
    monkeypatch.setenv("POLYSERVE_ARTIFACTS", str(folder))
    return folder


def onnx_file(path: Path, network: nn.Module, batch_axis: bool = True) -> Path:
    buffer = io.BytesIO()
    axes = {"x": {0: "batch"}, "y": {0: "batch"}} if batch_axis else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            network.eval(), (torch.randn(2, *ROW),), buffer, dynamo=False,
            input_names=["x"], output_names=["y"], dynamic_axes=axes,
        )  # fmt: skip
    path.write_bytes(buffer.getvalue())
    return path


def torchscript_file(path: Path, network: nn.Module) -> Path:
    torch.jit.save(torch.jit.script(network.eval()), str(path))
    return path


def dense(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


class Sine(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


def assert_nothing_left(artifacts: Path) -> None:
    left = [path.name for path in artifacts.rglob("*")] if artifacts.exists() else []
    assert not [name for name in left if name not in ("model-store", "onnxruntime", "mxnet")], left


@pytest.mark.parametrize(
    ("make", "arguments", "message"),
    [
        (lambda d: onnx_file(d / "m.onnx", Sine()), {}, "operator Sin"),
        (lambda d: onnx_file(d / "m.onnx", dense(), batch_axis=False), {}, "dynamic batch"),
        (lambda d: torchscript_file(d / "m.pt", dense()), {}, "--input"),
        (lambda d: onnx_file(d / "m.onnx", dense()), {"name": "fizzbuzz"}, "already a model"),
        (lambda d: onnx_file(d / "m.onnx", dense()), {"name": "../up"}, "a name is"),
        (lambda d: onnx_file(d / "m.onnx", dense()), {"max_batch": 0}, "--max-batch"),
        (
            lambda d: onnx_file(d / "m.onnx", dense()),
            {"declared": TensorSpec("x", "FP32", (-1, 5))},
            "not the file's",
        ),
        (
            lambda d: torchscript_file(d / "m.pt", dense()),
            {"declared": TensorSpec("x", "FP32", (-1, 7)), "output_name": "y"},
            "does not run as declared",
        ),
        (lambda d: d / "m.h5", {}, "expected a TorchScript"),
    ],
    ids=[
        "unsupported operator", "fixed batch", "TorchScript without tensors", "a shipped name",
        "a path as name", "no batch", "another input than the file's", "a wrong input shape",
        "another kind of file",
    ],
)  # fmt: skip
def test_refusals_say_why_and_leave_nothing(
    tmp_path: Path, artifacts: Path, make, arguments: dict, message: str
) -> None:
    source = make(tmp_path)
    source.touch()
    with pytest.raises(ImportRefused, match=message):
        import_model(arguments.pop("name", "mine"), source, **arguments)
    assert_nothing_left(artifacts)


def test_an_import_again_replaces_the_model(tmp_path: Path) -> None:
    first = import_model("mine", onnx_file(tmp_path / "a.onnx", dense(0)))
    version = first.version
    assert version == hashlib.sha256((tmp_path / "a.onnx").read_bytes()).hexdigest()
    again = import_model("mine", onnx_file(tmp_path / "b.onnx", dense(1)))
    assert again.version != version
    assert registry.get("mine").imported
    assert all(again.mar(engine).exists() for engine in ("onnxruntime", "mxnet"))


def test_the_command_takes_a_yaml_spec_for_torchscript(tmp_path: Path, artifacts: Path) -> None:
    source = torchscript_file(tmp_path / "m.pt", dense())
    spec = tmp_path / "tensors.yaml"
    spec.write_text(
        "inputs:\n  - {name: features, datatype: FP32, shape: [-1, 4]}\n"
        "outputs:\n  - {name: scores}\n"
    )
    command = [sys.executable, "-m", "exporters", "import", "--name", "mine", str(source)]
    done = subprocess.run(
        [*command, "--spec", str(spec)], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "/v2/models/mine/infer" in done.stdout
    model = registry.get("mine")
    assert (model.input.name, model.input.shape, model.output.shape) == (
        "features",
        (-1, 4),
        (-1, 3),
    )
    assert ModelFiles.of("mine").torchscript.read_bytes() == source.read_bytes()
    refused = subprocess.run(
        [*command, "--input", "x:FP99:-1,4"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert refused.returncode == 1
    assert "refusing to import" in refused.stderr


def test_tensor_flags_are_parsed() -> None:
    assert parse_tensor("input.1:FP32:-1,1,8,8") == TensorSpec("input.1", "FP32", (-1, 1, 8, 8))
    with pytest.raises(ImportRefused):
        parse_tensor("x:FP32")
