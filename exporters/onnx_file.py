"""Export to ONNX (opset 13, dynamic batch, the spec's tensor names), checked and run first.

Two files: a plain one for onnxruntime, and one that keeps the weights as graph inputs,
the form MXNet's ONNX importer needs (onnxruntime cannot constant-fold weights that are
inputs, so the plain file stays the fast one).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import onnxruntime
import torch

from exporters.output import write_atomically
from exporters.parity import check_parity
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from models.weights import eager_outputs, load_network

OPSET = 13


def _to_onnx(
    spec: ModelSpec, network: torch.nn.Module, sample: torch.Tensor, initializers_as_inputs: bool
) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript-based exporter is deprecated but is the one that supports
        # keep_initializers_as_inputs and opset 13.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            network,
            (sample,),
            buffer,
            dynamo=False,
            opset_version=OPSET,
            input_names=[spec.input.name],
            output_names=[spec.output.name],
            dynamic_axes={spec.input.name: {0: "batch"}, spec.output.name: {0: "batch"}},
            keep_initializers_as_inputs=initializers_as_inputs,
        )
    return buffer.getvalue()


def onnx_session(blob: bytes) -> onnxruntime.InferenceSession:
    """An onnxruntime session for checking an export on the CPU."""
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # the MXNet file's weights-as-inputs warning is expected
    return onnxruntime.InferenceSession(blob, options, providers=["CPUExecutionProvider"])


def run_onnx(spec: ModelSpec, blob: bytes, inputs: np.ndarray) -> np.ndarray:
    return onnx_session(blob).run([spec.output.name], {spec.input.name: inputs})[0]


def export_onnx(spec: ModelSpec, files: ModelFiles) -> None:
    network = load_network(spec, files.weights)
    inputs = spec.check_inputs()
    expected = eager_outputs(network, inputs)
    for path, initializers_as_inputs in ((files.onnx, False), (files.onnx_for_mxnet, True)):
        blob = _to_onnx(spec, network, torch.from_numpy(inputs[:1]), initializers_as_inputs)
        onnx.checker.check_model(onnx.load_from_string(blob), full_check=True)
        check_parity(f"ONNX ({path.name})", expected, run_onnx(spec, blob, inputs))
        write_atomically(path, blob)
