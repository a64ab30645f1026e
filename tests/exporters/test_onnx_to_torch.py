"""The ONNX interpreter behind imported `.onnx` models' TorchScript: each supported operator
against onnxruntime on the same graph, at batch sizes other than the traced one."""

from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from torch import nn

from exporters.onnx_to_torch import UnsupportedGraph, onnx_to_torchscript


class Mixed(nn.Module):
    """Element-wise arithmetic, concatenation, transposition and matrix products."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(9, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([x * 2.0, x - 1.0, x / 3.0], dim=1)  # (b, 9)
        z = y @ self.weight + torch.exp(-x).sqrt()  # (b, 3)
        return torch.erf(z).unsqueeze(2).transpose(1, 2).reshape(-1, 3)


class Pooled(nn.Module):
    """Convolutions, normalization and every pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 4, 3, stride=1, padding=1, groups=2),
            nn.BatchNorm2d(4),
            nn.LeakyReLU(0.1),
            nn.MaxPool2d(2),
            nn.AvgPool2d(2, stride=1),
            nn.Dropout(0.5),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.head(self.features(x)), dim=1)


NETWORKS = {
    "dense": (
        lambda: nn.Sequential(nn.Linear(3, 8), nn.Sigmoid(), nn.Linear(8, 2), nn.Tanh()),
        (3,),
    ),
    "mixed": (Mixed, (3,)),
    "pooled": (Pooled, (2, 8, 8)),
    "softmax": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.Softmax(dim=1)), (3, 4)),
}


def exported(network: nn.Module, row: tuple[int, ...]) -> onnx.ModelProto:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            network.eval(),
            (torch.randn(2, *row),),
            buffer,
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        )
    return onnx.load_from_string(buffer.getvalue())


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_traced_graph_runs_like_onnxruntime(name: str) -> None:
    torch.manual_seed(0)
    make, row = NETWORKS[name]
    model = exported(make(), row)
    rng = np.random.default_rng(0)
    traced = onnx_to_torchscript(model, rng.uniform(-1, 1, (2, *row)).astype(np.float32))
    session = onnxruntime.InferenceSession(model.SerializeToString())
    for batch in (1, 5):
        inputs = rng.uniform(-1, 1, (batch, *row)).astype(np.float32)
        with torch.no_grad():
            actual = traced(torch.from_numpy(inputs)).numpy()
        expected = session.run(None, {"x": inputs})[0]
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


class Computed(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.size(0), -1)


class Sine(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


@pytest.mark.parametrize(
    ("network", "row", "message"),
    [(Sine(), (3,), "operator Sin"), (Computed(), (2, 3), "shape computed in the graph")],
    ids=["unknown operator", "computed reshape"],
)
def test_what_it_cannot_run_is_refused_by_name(
    network: nn.Module, row: tuple[int, ...], message: str
) -> None:
    with pytest.raises(UnsupportedGraph, match=message):
        onnx_to_torchscript(exported(network, row), np.zeros((2, *row), dtype=np.float32))
