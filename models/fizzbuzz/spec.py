"""The FizzBuzz model as polyserve serves it: 10 input bits -> 4 class logits.

Imports numpy only; the network and the training command import torch when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.fizzbuzz import codec
from models.spec import MMS_BATCHED, Example, ModelSpec, Probe, TensorSpec

if TYPE_CHECKING:
    from torch import nn


def network() -> nn.Module:
    from models.fizzbuzz.network import FizzBuzzNet

    return FizzBuzzNet()


def train(argv: list[str]) -> int:
    from models.fizzbuzz import train

    return train.main(argv)


def every_accepted_input() -> np.ndarray:
    return codec.to_bits(codec.valid_numbers())


def examples() -> list[Example]:
    """Every accepted number, answered by arithmetic."""
    return [Example(n, codec.answer(n)) for n in codec.valid_numbers()]


SPEC = ModelSpec(
    name="fizzbuzz",
    codec=codec.CODEC,
    input=TensorSpec(codec.INPUT_NAME, "FP32", (-1, codec.BITS)),
    output=TensorSpec("logits", "FP32", (-1, len(codec.LABELS))),
    probe=Probe({codec.INPUT_NAME: 14}, {codec.OUTPUT_FIELD: "FizzBuzz"}),
    network=network,
    train=train,
    check_inputs=every_accepted_input,
    examples=examples,
    serving=MMS_BATCHED,
)
