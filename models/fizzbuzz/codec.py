"""The FizzBuzz codec: the only place that knows how numbers become tensors and back.

Every backend (Flask, the MMS handler, the RedisAI gateway) decodes and encodes through it,
so they cannot disagree. It depends on numpy only, so it travels inside model archives.

The game: given N, the model answers for N + 1 ("what comes next").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.spec import Codec, InvalidInput, Request, json_kind

BITS = 10
MIN_NUMBER = 0
MAX_NUMBER = 2**BITS - 2  # N + 1 must still fit in BITS bits
MAX_BATCH = 1024
LABELS = ("number", "Fizz", "Buzz", "FizzBuzz")
NUMBER, FIZZ, BUZZ, FIZZBUZZ = range(len(LABELS))
INPUT_NAME = "input.1"
OUTPUT_FIELD = "next_number"

# The bits of every number BITS bits can hold, computed once: a request's tensor is a row
# lookup, cheaper than computing the bits, done by `take`, cheaper than indexing with the list
# (both measured in the gateway's profile; docs/performance.md).
_ROWS = ((np.arange(2**BITS).reshape(-1, 1) >> np.arange(BITS)) & 1).astype(np.float32)
_ROWS.setflags(write=False)


def to_bits(numbers: Sequence[int]) -> np.ndarray:
    """Numbers from 0 to 2**BITS - 1 -> a new float32 array [len(numbers), BITS], least
    significant bit first."""
    return _ROWS.take(numbers, axis=0)


def label_of(number: int) -> int:
    """The class the arithmetic rule gives `number` itself."""
    return (number % 3 == 0) * FIZZ + (number % 5 == 0) * BUZZ


def say(number: int, label: int) -> str:
    """The readable answer to `number` (the input) given the class predicted for N + 1."""
    return str(number + 1) if label == NUMBER else LABELS[label]


def answer(number: int) -> str:
    """The right answer to `number` by arithmetic: what the model must say."""
    return say(number, label_of(number + 1))


def valid_numbers() -> range:
    """Every number the contract accepts."""
    return range(MIN_NUMBER, MAX_NUMBER + 1)


class FizzBuzzCodec(Codec):
    field = INPUT_NAME
    noun = ("number", "numbers")
    max_batch = MAX_BATCH
    example = f'{{"{INPUT_NAME}": 14}}'

    def describe_item(self) -> str:
        return f"an integer from {MIN_NUMBER} to {MAX_NUMBER}"

    def is_batch(self, value: object) -> bool:
        return isinstance(value, list)

    def validate_item(self, value: object) -> int:
        # bool is a subclass of int in Python, but true/false are not numbers in JSON.
        if not isinstance(value, int) or isinstance(value, bool):
            kind = "a nested list" if isinstance(value, list) else json_kind(value)
            raise InvalidInput(f"{kind} is not accepted; expected {self.accepted}")
        if not MIN_NUMBER <= value <= MAX_NUMBER:
            raise InvalidInput(f"{value} is out of range; expected {self.accepted}")
        return value

    def to_inputs(self, items: list[int]) -> np.ndarray:
        return to_bits(items)

    def answers(self, request: Request, outputs: np.ndarray) -> list[object]:
        labels = outputs.argmax(axis=1).tolist()
        return [say(n, label) for n, label in zip(request.items, labels, strict=True)]

    def reply(self, answers: list[object], batch: bool) -> object:
        return {OUTPUT_FIELD: answers if batch else answers[0]}


CODEC = FizzBuzzCodec()
