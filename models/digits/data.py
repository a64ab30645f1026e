"""The digits data set, and the one split of it that training and every check use.

The 1,797 8x8 handwritten digits ship inside scikit-learn's package, so nothing is
downloaded. The split is a permutation seeded once and for all: the held-out images are the
same on every machine and every run, so the accuracy figures in manifests stay comparable.
scikit-learn is imported here only.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

SEED = 0
HELD_OUT_FRACTION = 0.2


@dataclass(frozen=True)
class Digits:
    """Images float32 [n, 8, 8] with pixels from 0 to 16, and their labels int64 [n]."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, indices: np.ndarray) -> Digits:
        return Digits(_frozen(self.images[indices]), _frozen(self.labels[indices]))


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@functools.cache
def load() -> Digits:
    """Every image of the data set, read-only, in scikit-learn's order."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32)
    labels = np.asarray(bunch.target, dtype=np.int64)
    return Digits(_frozen(images), _frozen(labels))


@functools.cache
def split() -> tuple[np.ndarray, np.ndarray]:
    """The training and held-out indices into `load()`, each sorted, disjoint, covering all."""
    count = len(load())
    order = np.random.default_rng(SEED).permutation(count)
    held_out_count = math.ceil(count * HELD_OUT_FRACTION)
    held_out = np.sort(order[:held_out_count])
    training = np.sort(order[held_out_count:])
    return _frozen(training), _frozen(held_out)


def training() -> Digits:
    """The images training sees."""
    return load().take(split()[0])


def held_out() -> Digits:
    """The images training never sees: the honest accuracy figure is measured on these."""
    return load().take(split()[1])
