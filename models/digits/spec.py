"""The digits model as polyserve serves it: an 8x8 handwritten digit -> 10 digit logits.

Imports numpy only; the network, the training command, the check inputs and the examples
import torch or scikit-learn when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.digits import codec
from models.spec import MMS_BATCHED, Example, ModelSpec, Probe, Request, TensorSpec

if TYPE_CHECKING:
    from torch import nn

# Image 859 of the data set, the 3 nearest to the mean of all 3s. Not a 0: an engine that
# returned all-zero logits would "answer" 0 (argmax picks the first of equal values).
PROBE_IMAGE = [
    [0, 0, 6, 12, 16, 10, 0, 0],
    [0, 4, 15, 8, 12, 14, 0, 0],
    [0, 0, 0, 0, 13, 8, 0, 0],
    [0, 0, 0, 6, 14, 1, 0, 0],
    [0, 0, 0, 5, 15, 8, 0, 0],
    [0, 0, 0, 0, 2, 15, 5, 0],
    [0, 0, 1, 4, 5, 15, 8, 0],
    [0, 0, 5, 16, 14, 9, 1, 0],
]
PROBE_DIGIT = 3


def network() -> nn.Module:
    from models.digits.network import DigitsNet

    return DigitsNet()


def train(argv: list[str]) -> int:
    from models.digits import train

    return train.main(argv)


def every_image() -> np.ndarray:
    """All 1,797 images of the data set as the model's input tensor."""
    from models.digits import data

    return codec.CODEC.to_inputs(data.load().images)


def examples() -> list[Example]:
    """The held-out images the trained model gets right, each with its in-process answer.

    An image whose label the model misses is left out: a correct backend answers it as the
    model does, not as the label says, and the examples are meant to be unarguable.
    """
    from models.artifacts import ModelFiles
    from models.digits import data
    from models.weights import eager_outputs, load_network

    held_out = data.held_out()
    items = held_out.images.astype(np.int64).tolist()
    request = Request(codec.CODEC.to_inputs(items), items, batch=True)
    model = load_network(SPEC, ModelFiles.of(SPEC.name).weights)
    answers = codec.CODEC.answers(request, eager_outputs(model, request.inputs))
    return [
        Example(item, answer)
        for item, answer, label in zip(items, answers, held_out.labels.tolist(), strict=True)
        if isinstance(answer, dict) and answer["digit"] == label
    ]


SPEC = ModelSpec(
    name="digits",
    codec=codec.CODEC,
    input=TensorSpec(codec.FIELD, "FP32", (-1, 1, codec.SIDE, codec.SIDE)),
    output=TensorSpec("logits", "FP32", (-1, len(codec.DIGITS))),
    probe=Probe({codec.FIELD: PROBE_IMAGE}, {"digit": PROBE_DIGIT}),
    network=network,
    train=train,
    check_inputs=every_image,
    examples=examples,
    serving=MMS_BATCHED,
)
