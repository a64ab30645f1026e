"""Export to TorchScript, the format the Flask backend and the RedisAI module run.

torch.jit.script rather than trace: scripting compiles forward() itself, so nothing about
the example input (such as its batch size) is frozen into the graph, and any branch added to
the model later stays a branch instead of the one path a trace happened to record.
"""

from __future__ import annotations

import io

import torch

from exporters.output import write_atomically
from exporters.parity import check_parity
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from models.weights import eager_outputs, load_network


def export_torchscript(spec: ModelSpec, files: ModelFiles) -> None:
    network = load_network(spec, files.weights)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(network), buffer)
    blob = buffer.getvalue()

    # Check what will be on disk, i.e. the serialized module loaded back.
    reloaded = torch.jit.load(io.BytesIO(blob), map_location="cpu")
    inputs = spec.check_inputs()
    check_parity("TorchScript", eager_outputs(network, inputs), eager_outputs(reloaded, inputs))
    write_atomically(files.torchscript, blob)
