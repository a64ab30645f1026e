"""Checks of a model's answers against the arithmetic rule, over every accepted input."""

from __future__ import annotations

from collections.abc import Iterable

from models.fizzbuzz import codec


def mistakes(numbers: Iterable[int], labels: Iterable[int]) -> list[int]:
    """The numbers whose predicted class differs from the arithmetic rule's."""
    return [n for n, label in zip(numbers, labels, strict=True) if label != codec.label_of(n + 1)]


def accuracy(numbers: list[int], labels: Iterable[int]) -> float:
    return 1.0 - len(mistakes(numbers, labels)) / len(numbers)
