"""The FizzBuzz network: 10 input bits -> 100 sigmoid units -> 4 class logits."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from models.fizzbuzz.codec import BITS, LABELS, to_bits

HIDDEN = 100


class FizzBuzzNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(BITS, HIDDEN)
        self.output = nn.Linear(HIDDEN, len(LABELS))

    def forward(self, bits: torch.Tensor) -> torch.Tensor:
        return self.output(torch.sigmoid(self.hidden(bits)))


def predict_labels(network: nn.Module, numbers: Sequence[int]) -> torch.Tensor:
    """The class the network picks for each number's successor."""
    with torch.no_grad():
        return network(torch.from_numpy(to_bits(numbers))).argmax(dim=1)
