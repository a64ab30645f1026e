"""The digits network: an 8x8 image, pixels scaled to 0..1 -> 10 digit logits.

Two small convolutions with max pooling, then two linear layers. Every layer is one that
TorchScript, onnxruntime and MXNet's ONNX importer all take: the flattening is
`torch.flatten(x, 1)`, which exports as ONNX Flatten (axis 1).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from models.digits.codec import DIGITS, SIDE
from models.weights import eager_outputs

CHANNELS = (16, 32)
HIDDEN = 64
FEATURES = CHANNELS[-1] * (SIDE // 4) ** 2  # two 2x2 poolings: 8x8 -> 2x2


class DigitsNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, CHANNELS[0], kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(CHANNELS[0], CHANNELS[1], kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.hidden = nn.Linear(FEATURES, HIDDEN)
        self.output = nn.Linear(HIDDEN, len(DIGITS))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        features = torch.flatten(self.features(image), 1)
        return self.output(torch.relu(self.hidden(features)))


def predict_digits(network: nn.Module, inputs: np.ndarray) -> np.ndarray:
    """The digit the network picks for each image of the input tensor [n, 1, 8, 8]."""
    return eager_outputs(network, inputs).argmax(axis=1)
