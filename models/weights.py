"""A model's trained network, loaded from its weights file (tensors only)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from models.spec import ModelSpec


def load_network(spec: ModelSpec, weights: Path) -> nn.Module:
    """The eager network in eval mode, from a saved state_dict (weights_only=True)."""
    network = spec.network()
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return network.eval()
