"""An ONNX graph run by torch, to be traced into TorchScript: how an imported `.onnx` model
reaches the backends that run TorchScript (Flask, the RedisAI module).

onnx2torch is the library for this, but it imports torchvision when it is imported, and the
only torchvision this platform can install (0.28.0, the PyPI build made for CUDA) fails to
import beside the CPU torch wheel ("operator torchvision::nms does not exist"). So this is a
small interpreter of the operators that dense and convolutional networks export to; any
other operator is refused by name, and every import checks the traced module against
onnxruntime on the same inputs (exporters/importer.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import Tensor, nn
from torch.nn import functional

Attributes = dict[str, Any]
Operator = Callable[[list[Any], Attributes], Tensor]
"""The node's inputs (None for an optional one left out) and attributes -> its output."""


class UnsupportedGraph(ValueError):
    """The graph uses something this interpreter does not run; the message says what."""


def _gemm(args: list[Any], attrs: Attributes) -> Tensor:
    a, b, c = [*args, None][:3]
    a = a.t() if attrs.get("transA", 0) else a
    b = b.t() if attrs.get("transB", 0) else b
    out = attrs.get("alpha", 1.0) * (a @ b)
    return out if c is None else out + attrs.get("beta", 1.0) * c


def _pads(attrs: Attributes, spatial: int) -> list[int]:
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise UnsupportedGraph("auto_pad other than NOTSET: export with explicit padding")
    pads = list(attrs.get("pads", [0] * 2 * spatial))
    begin, end = pads[:spatial], pads[spatial:]
    if begin != end:
        raise UnsupportedGraph(f"asymmetric padding {pads}")
    return begin


def _conv(args: list[Any], attrs: Attributes) -> Tensor:
    x, weight, bias = [*args, None][:3]
    spatial = x.dim() - 2
    convolve = {1: functional.conv1d, 2: functional.conv2d, 3: functional.conv3d}[spatial]
    return convolve(
        x,
        weight,
        bias,
        stride=attrs.get("strides", [1] * spatial),
        padding=_pads(attrs, spatial),
        dilation=attrs.get("dilations", [1] * spatial),
        groups=attrs.get("group", 1),
    )


def _pool(kind: str) -> Operator:
    def pool(args: list[Any], attrs: Attributes) -> Tensor:
        x = args[0]
        spatial = x.dim() - 2
        if spatial != 2:
            raise UnsupportedGraph(f"{kind} pooling over {spatial} dimensions (2 are supported)")
        kernel = attrs["kernel_shape"]
        options = {
            "stride": attrs.get("strides", kernel),
            "padding": _pads(attrs, spatial),
            "ceil_mode": bool(attrs.get("ceil_mode", 0)),
        }
        if kind == "max":
            return functional.max_pool2d(
                x, kernel, dilation=attrs.get("dilations", [1, 1]), **options
            )
        include_pad = bool(attrs.get("count_include_pad", 0))
        return functional.avg_pool2d(x, kernel, count_include_pad=include_pad, **options)

    return pool


def _reshape(args: list[Any], attrs: Attributes) -> Tensor:
    x, shape = args[0], args[1]
    sizes = [int(size) for size in shape.tolist()]
    if not attrs.get("allowzero", 0):  # 0 keeps the input's size there
        sizes = [x.shape[i] if size == 0 else size for i, size in enumerate(sizes)]
    return x.reshape(sizes)


def _axes(args: list[Any], attrs: Attributes) -> list[int]:
    """The axes of Squeeze/Unsqueeze: an attribute before opset 13, a constant input since."""
    axes = attrs.get("axes") if len(args) < 2 or args[1] is None else args[1].tolist()
    return [int(axis) for axis in axes or []]


def _unsqueeze(args: list[Any], attrs: Attributes) -> Tensor:
    x = args[0]
    rank = x.dim() + len(_axes(args, attrs))
    for axis in sorted(axis % rank for axis in _axes(args, attrs)):
        x = x.unsqueeze(axis)
    return x


def _squeeze(args: list[Any], attrs: Attributes) -> Tensor:
    axes = _axes(args, attrs)
    return args[0].squeeze(axes) if axes else args[0].squeeze()


def _softmax(log: bool) -> Operator:
    softmax = torch.log_softmax if log else torch.softmax

    def apply(args: list[Any], attrs: Attributes) -> Tensor:
        x = args[0]
        return softmax(x, dim=attrs.get("axis", -1))

    return apply


def _first(function: Callable[[Tensor], Tensor]) -> Operator:
    def apply(args: list[Any], _: Attributes) -> Tensor:
        return function(args[0])

    return apply


def _pair(function: Callable[[Tensor, Tensor], Tensor]) -> Operator:
    def apply(args: list[Any], _: Attributes) -> Tensor:
        return function(args[0], args[1])

    return apply


def _batch_norm(args: list[Any], attrs: Attributes) -> Tensor:
    x, scale, bias, mean, variance = args[:5]
    return functional.batch_norm(
        x, mean, variance, scale, bias, training=False, eps=attrs.get("epsilon", 1e-5)
    )


OPERATORS: dict[str, Operator] = {
    "Gemm": _gemm,
    "MatMul": _pair(torch.matmul),
    "Add": _pair(torch.add),
    "Sub": _pair(torch.sub),
    "Mul": _pair(torch.mul),
    "Div": _pair(torch.div),
    "Relu": _first(torch.relu),
    "Sigmoid": _first(torch.sigmoid),
    "Tanh": _first(torch.tanh),
    "Erf": _first(torch.erf),
    "Sqrt": _first(torch.sqrt),
    "Exp": _first(torch.exp),
    "Neg": _first(torch.neg),
    "Identity": _first(lambda x: x),
    "Dropout": _first(lambda x: x),  # inference: the identity (its mask output is unused)
    "Softmax": _softmax(log=False),
    "LogSoftmax": _softmax(log=True),
    "LeakyRelu": lambda args, attrs: functional.leaky_relu(args[0], attrs.get("alpha", 0.01)),
    "Flatten": lambda args, attrs: torch.flatten(args[0], attrs.get("axis", 1)),
    "Reshape": _reshape,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Transpose": lambda args, attrs: args[0].permute(attrs["perm"]),
    "Concat": lambda args, attrs: torch.cat([a for a in args if a is not None], attrs["axis"]),
    "Conv": _conv,
    "MaxPool": _pool("max"),
    "AveragePool": _pool("average"),
    "GlobalAveragePool": _first(lambda x: x.mean(dim=list(range(2, x.dim())), keepdim=True)),
    "BatchNormalization": _batch_norm,
}
# Operators whose inputs after the first must be constants (a traced graph freezes them).
CONSTANT_INPUTS = {"Reshape", "Squeeze", "Unsqueeze"}
OLD_SOFTMAX_OPSET = 13  # before it, Softmax's axis meant "flatten from here"


class OnnxModule(nn.Module):
    """Runs one ONNX graph's nodes in order; the graph's weights are its buffers."""

    def __init__(self, model: onnx.ModelProto) -> None:
        super().__init__()
        graph = model.graph
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.buffer_names: dict[str, str] = {}
        for index, initializer in enumerate(graph.initializer):
            buffer = f"constant_{index}"
            array = numpy_helper.to_array(initializer).copy()
            self.register_buffer(buffer, torch.from_numpy(np.asarray(array)))
            self.buffer_names[initializer.name] = buffer
        constants = set(self.buffer_names)
        self.nodes: list[tuple[str, list[str], list[str], Attributes]] = []
        for node in graph.node:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "Constant":
                buffer = f"constant_{len(self.buffer_names)}"
                array = numpy_helper.to_array(attrs["value"]).copy()
                self.register_buffer(buffer, torch.from_numpy(np.asarray(array)))
                self.buffer_names[node.output[0]] = buffer
                constants.add(node.output[0])
                continue
            if node.op_type == "Shape" or (
                node.op_type in CONSTANT_INPUTS and not set(node.input[1:]) <= constants
            ):
                raise UnsupportedGraph(
                    f"{node.op_type} of a shape computed in the graph: use constant sizes "
                    "(e.g. torch.flatten(x, 1) or x.view(-1, n)) and export again"
                )
            if node.op_type not in OPERATORS or node.domain not in ("", "ai.onnx"):
                raise UnsupportedGraph(
                    f"the operator {node.op_type} is not one polyserve converts to TorchScript "
                    f"(supported: {', '.join(sorted(OPERATORS))}); import the model as a "
                    "TorchScript .pt instead"
                )
            if node.op_type in ("Softmax", "LogSoftmax") and opset < OLD_SOFTMAX_OPSET:
                raise UnsupportedGraph(f"{node.op_type} before opset 13: export with opset >= 13")
            self.nodes.append((node.op_type, list(node.input), list(node.output), attrs))
        [graph_input] = [i.name for i in graph.input if i.name not in self.buffer_names]
        self.input_name = graph_input
        self.output_name = graph.output[0].name

    def forward(self, x: Tensor) -> Tensor:
        values: dict[str, Tensor] = {self.input_name: x}
        values.update({name: getattr(self, b) for name, b in self.buffer_names.items()})
        for op_type, inputs, outputs, attrs in self.nodes:
            args = [values[name] if name else None for name in inputs]
            values[outputs[0]] = OPERATORS[op_type](args, attrs)
        return values[self.output_name]


def onnx_to_torchscript(model: onnx.ModelProto, example: np.ndarray) -> torch.jit.ScriptModule:
    """The graph as TorchScript, traced on `example` (whose batch size is not frozen in: the
    interpreter only follows the graph's own sizes, constants by the check above)."""
    module = OnnxModule(model).eval()
    with torch.no_grad():
        return torch.jit.trace(module, torch.from_numpy(example), check_trace=False)
