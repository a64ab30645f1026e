"""The digits codec: the only place that knows how images become tensors and answers.

An item is one 8x8 image as JSON: 8 rows of 8 pixel values from 0 to 16 (the scale of the
scikit-learn digits the model is trained on), integers or not. The input tensor holds the
pixels scaled to 0..1; each answer is the most likely digit and the probability of every
digit. It depends on numpy only, so it travels inside model archives and runs in the gateway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.spec import Codec, InvalidInput, Request, json_kind

SIDE = 8
MAX_PIXEL = 16
DIGITS = tuple(range(10))
MAX_BATCH = 256
FIELD = "image"
DECIMALS = 4
PROBABILITY_TOLERANCE = 1.5e-4
"""How far two backends' probabilities may differ: rounding to DECIMALS alone can split
float results that differ in their last bits by 1e-4."""

# The data set's first image, a 0: the request shown in error messages.
EXAMPLE_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


_JSON_NUMBERS = frozenset({int, float})


def _plain_row(pixels: list[object]) -> bool:
    """Whether every pixel of a row is a JSON number from 0 to MAX_PIXEL: the common case,
    checked in one pass, faster than `_pixel_problem` pixel by pixel. NaN and the infinities
    fail the comparison, and get the pixel-by-pixel check."""
    return set(map(type, pixels)) <= _JSON_NUMBERS and all(
        0 <= pixel <= MAX_PIXEL  # type: ignore[operator]
        for pixel in pixels
    )


def _pixel_problem(pixel: object) -> str | None:
    """What is wrong with one pixel value, or None when it is accepted."""
    # bool is a subclass of int in Python, but true/false are not numbers in JSON.
    if not isinstance(pixel, int | float) or isinstance(pixel, bool):
        return json_kind(pixel)
    # Python's json module reads NaN, Infinity and -Infinity, which JSON itself has not.
    if isinstance(pixel, float) and math.isnan(pixel):
        return "NaN"
    if isinstance(pixel, float) and math.isinf(pixel):
        return "infinite"
    if not 0 <= pixel <= MAX_PIXEL:
        return f"{pixel}, out of range"
    return None


def softmax(logits: np.ndarray) -> np.ndarray:
    """Each row's probabilities, in float64, shifted by the row's maximum so exp cannot
    overflow."""
    shifted = np.asarray(logits, dtype=np.float64)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _answer_agrees(answer: object, expected: object) -> bool:
    if not isinstance(answer, dict) or not isinstance(expected, dict):
        return False
    if answer.keys() != expected.keys():
        return False
    digit, probabilities = answer.get("digit"), answer.get("probabilities")
    if not isinstance(digit, int) or isinstance(digit, bool) or digit != expected.get("digit"):
        return False
    wanted = expected.get("probabilities")
    if not isinstance(probabilities, list) or not isinstance(wanted, list):
        return False
    return len(probabilities) == len(wanted) and all(
        _is_number(p) and _is_number(w) and abs(p - w) <= PROBABILITY_TOLERANCE
        for p, w in zip(probabilities, wanted, strict=True)
    )


class DigitsCodec(Codec):
    field = FIELD
    noun = ("image", "images")
    max_batch = MAX_BATCH
    example = f'{{"{FIELD}": {EXAMPLE_IMAGE}}}'

    def describe_item(self) -> str:
        return f"{SIDE} rows of {SIDE} pixel values from 0 to {MAX_PIXEL}"

    def is_batch(self, value: object) -> bool:
        """A list of images: a list whose first element is a list whose first is a list."""
        return (
            isinstance(value, list)
            and bool(value)
            and isinstance(value[0], list)
            and bool(value[0])
            and isinstance(value[0][0], list)
        )

    def validate_item(self, value: object) -> list[list[int | float]]:
        """The image as sent, once every row and pixel is checked; rows and columns are
        counted from 0 in the messages."""
        if not isinstance(value, list):
            raise InvalidInput(f"{json_kind(value)} is not accepted; expected {self.accepted}")
        for row, pixels in enumerate(value):
            if not isinstance(pixels, list):
                raise InvalidInput(f"row {row} is {json_kind(pixels)}; expected {self.accepted}")
        if len(value) != SIDE:
            raise InvalidInput(
                f"the image has {_count(len(value), 'row')}; expected {self.accepted}"
            )
        for row, pixels in enumerate(value):
            if len(pixels) != SIDE:
                raise InvalidInput(
                    f"row {row} has {_count(len(pixels), 'pixel')}; expected {self.accepted}"
                )
            if _plain_row(pixels):
                continue
            for column, pixel in enumerate(pixels):
                problem = _pixel_problem(pixel)
                if problem is not None:
                    raise InvalidInput(
                        f"pixel ({row}, {column}) is {problem}; expected {self.accepted}"
                    )
        return value

    def to_inputs(self, items: Sequence[object]) -> np.ndarray:
        """Images -> float32 [n, 1, 8, 8], pixels divided by 16 (a power of two: exact)."""
        images = np.asarray(items, dtype=np.float32).reshape(-1, 1, SIDE, SIDE)
        return images / np.float32(MAX_PIXEL)

    def answers(self, request: Request, outputs: np.ndarray) -> list[object]:
        digits = np.asarray(outputs).argmax(axis=1).tolist()
        rows = softmax(outputs).tolist()
        return [
            {"digit": digit, "probabilities": [round(p, DECIMALS) for p in row]}
            for digit, row in zip(digits, rows, strict=True)
        ]

    def agrees(self, answer: object, expected: object) -> bool:
        """Same digits, and probabilities each within PROBABILITY_TOLERANCE."""
        if isinstance(expected, list):
            return (
                isinstance(answer, list)
                and len(answer) == len(expected)
                and all(_answer_agrees(a, e) for a, e in zip(answer, expected, strict=True))
            )
        return _answer_agrees(answer, expected)


CODEC = DigitsCodec()
