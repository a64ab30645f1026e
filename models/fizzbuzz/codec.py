"""The FizzBuzz codec: the only place that knows how numbers become tensors and back.

Every backend (Flask, the MMS handler, the RedisAI gateway) validates, encodes and
decodes through this module, so they cannot disagree. It depends on numpy only, so it
can travel inside a model archive.

The game: given N, the model answers for N + 1 ("what comes next").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BITS = 10
MIN_NUMBER = 0
MAX_NUMBER = 2**BITS - 2  # N + 1 must still fit in BITS bits
MAX_BATCH = 1024
LABELS = ("number", "Fizz", "Buzz", "FizzBuzz")
NUMBER, FIZZ, BUZZ, FIZZBUZZ = range(len(LABELS))

ACCEPTED = (
    f"an integer from {MIN_NUMBER} to {MAX_NUMBER}, or a list of 1 to {MAX_BATCH} such integers"
)


class InvalidInput(ValueError):
    """The input is not something the model accepts; the message says what is."""


def validate(value: object) -> list[int]:
    """Check one request's input (a number or a list of numbers, as parsed from JSON)."""
    if isinstance(value, list):
        if not value:
            raise InvalidInput(f"the list of numbers is empty; expected {ACCEPTED}")
        if len(value) > MAX_BATCH:
            raise InvalidInput(
                f"{len(value)} numbers in one request; at most {MAX_BATCH} are accepted"
            )
        return [_validate_number(item) for item in value]
    return [_validate_number(value)]


def _validate_number(value: object) -> int:
    # bool is a subclass of int in Python, but true/false are not numbers in JSON.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"{_describe(value)} is not accepted; expected {ACCEPTED}")
    if not MIN_NUMBER <= value <= MAX_NUMBER:
        raise InvalidInput(f"{value} is out of range; expected {ACCEPTED}")
    return value


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, float):
        return "a non-integer number"
    if isinstance(value, list):
        return "a nested list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


# The bits of every number BITS bits can hold, computed once: encoding is a row lookup
# (a third of the time of computing the bits, per request, in the gateway's profile), done
# by `take`, which costs a third of indexing with the list.
_ROWS = ((np.arange(2**BITS).reshape(-1, 1) >> np.arange(BITS)) & 1).astype(np.float32)
_ROWS.setflags(write=False)


def encode(numbers: Sequence[int]) -> np.ndarray:
    """Numbers from 0 to 2**BITS - 1 -> a new float32 array [len(numbers), BITS], least
    significant bit first."""
    return _ROWS.take(numbers, axis=0)


def label_of(number: int) -> int:
    """The class the arithmetic rule gives `number` itself."""
    return (number % 3 == 0) * FIZZ + (number % 5 == 0) * BUZZ


def decode(number: int, label: int) -> str:
    """The readable answer to `number` (the input) given the class predicted for N + 1."""
    return str(number + 1) if label == NUMBER else LABELS[label]


def answer(number: int) -> str:
    """The right answer to `number` by arithmetic: what the model must say."""
    return decode(number, label_of(number + 1))


def valid_numbers() -> range:
    """Every number the contract accepts."""
    return range(MIN_NUMBER, MAX_NUMBER + 1)
