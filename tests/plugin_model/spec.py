"""A third model, `larger`, from tests/ only: the plugin test registers it through
POLYSERVE_PLUGINS to show that nothing outside a model's own folder names a model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.spec import Example, ModelSpec, Probe, TensorSpec
from tests.plugin_model.codec import CODEC, FIELD, LIMIT, PLACES

if TYPE_CHECKING:
    from torch import nn


def network() -> nn.Module:
    from torch import nn

    return nn.Linear(len(PLACES), len(PLACES))


def train(argv: list[str]) -> int:
    from tests.plugin_model.train import main

    return main(argv)


def pairs() -> list[list[int]]:
    """Pairs spread over the whole range, none equal."""
    numbers = range(-LIMIT, LIMIT + 1, 7)
    return [[a, b] for a in numbers for b in numbers if a != b]


def check_inputs() -> np.ndarray:
    return CODEC.to_inputs(pairs())


def examples() -> list[Example]:
    return [Example(pair, {"larger": PLACES[pair[1] > pair[0]]}) for pair in pairs()]


SPEC = ModelSpec(
    name="larger",
    codec=CODEC,
    input=TensorSpec("pair", "FP32", (-1, len(PLACES))),
    output=TensorSpec("scores", "FP32", (-1, len(PLACES))),
    probe=Probe({FIELD: [-3, 40]}, {"larger": "second"}),
    network=network,
    train=train,
    check_inputs=check_inputs,
    examples=examples,
)
