"""Parity of an exported model with the eager one: the gate every export must pass."""

from __future__ import annotations

import numpy as np

LOGITS_TOLERANCE = 1e-4


class ParityError(RuntimeError):
    """An exported model disagrees with the eager model; nothing was written."""


def check_parity(what: str, expected: np.ndarray, actual: np.ndarray) -> None:
    """Same class for every input and logits within tolerance, or ParityError."""
    if expected.shape != actual.shape:
        raise ParityError(f"{what}: output shape {actual.shape}, eager model {expected.shape}")
    disagree = np.flatnonzero(expected.argmax(axis=1) != actual.argmax(axis=1))
    if disagree.size:
        raise ParityError(f"{what}: other class than the eager model for inputs {disagree[:10]}")
    worst = float(np.max(np.abs(expected - actual)))
    if not np.allclose(expected, actual, rtol=LOGITS_TOLERANCE, atol=LOGITS_TOLERANCE):
        raise ParityError(f"{what}: logits differ from the eager model by up to {worst:.3g}")
