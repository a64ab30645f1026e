"""The models polyserve knows, by name: how to train one, load it and feed it every input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import nn

from models.fizzbuzz import codec, network, train


@dataclass(frozen=True)
class ModelSpec:
    name: str
    train: Callable[[list[str]], int]
    """Runs the training command with these arguments; returns its exit code."""
    load_network: Callable[[Path], nn.Module]
    """The eager network from its weights file."""
    accepted_inputs: Callable[[], np.ndarray]
    """Every input the contract accepts, encoded: what exports are checked on."""


MODELS = {
    "fizzbuzz": ModelSpec(
        name="fizzbuzz",
        train=train.main,
        load_network=network.load_network,
        accepted_inputs=lambda: codec.encode(codec.valid_numbers()),
    ),
}


def get(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise SystemExit(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None
