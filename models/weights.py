"""A model's trained network, saved with its manifest and loaded back (tensors only)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.artifacts import ModelFiles
from models.spec import ModelSpec


def load_network(spec: ModelSpec, weights: Path) -> nn.Module:
    """The eager network in eval mode, from a saved state_dict (weights_only=True)."""
    network = spec.network()
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return network.eval()


def eager_outputs(network: nn.Module, inputs: np.ndarray) -> np.ndarray:
    """The eager network's output tensor for an input tensor, without gradients."""
    with torch.no_grad():
        return network(torch.from_numpy(np.ascontiguousarray(inputs))).numpy()


def save_weights(network: nn.Module, files: ModelFiles, manifest: dict[str, object]) -> Path:
    """Write the state_dict and the manifest (`manifest` and what every model's records: the
    torch version, the weights file and its sha256, the model's version); returns its path."""
    files.directory.mkdir(parents=True, exist_ok=True)
    torch.save(network.state_dict(), files.weights)
    manifest = {
        **manifest,
        "torch_version": torch.__version__,
        "weights_file": files.weights.name,
        "weights_sha256": hashlib.sha256(files.weights.read_bytes()).hexdigest(),
    }
    files.manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    return files.manifest
