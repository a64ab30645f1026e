"""A third model's codec, kept in tests/ and registered by the plugin test only.

"Which of two numbers is larger": an item is a pair of integers from -100 to 100 that differ;
the answer names the larger one. Numpy only, like every codec: it travels into archives.
"""

from __future__ import annotations

import numpy as np

from models.spec import Codec, InvalidInput, Request

LIMIT = 100
FIELD = "pair"
PLACES = ("first", "second")


class LargerCodec(Codec):
    field = FIELD
    noun = ("pair", "pairs")
    max_batch = 64
    example = f'{{"{FIELD}": [3, -7]}}'

    def describe_item(self) -> str:
        return f"two different integers from {-LIMIT} to {LIMIT}"

    def is_batch(self, value: object) -> bool:
        return isinstance(value, list) and bool(value) and isinstance(value[0], list)

    def validate_item(self, value: object) -> list[int]:
        if not isinstance(value, list) or len(value) != len(PLACES):
            raise InvalidInput(f"a pair is a list of two numbers; expected {self.accepted}")
        for number in value:
            if not isinstance(number, int) or isinstance(number, bool):
                raise InvalidInput(f"{number!r} is not an integer; expected {self.accepted}")
            if not -LIMIT <= number <= LIMIT:
                raise InvalidInput(f"{number} is out of range; expected {self.accepted}")
        if value[0] == value[1]:
            raise InvalidInput(f"the two numbers are equal; expected {self.accepted}")
        return value

    def to_inputs(self, items: list[list[int]]) -> np.ndarray:
        return np.asarray(items, dtype=np.float32).reshape(-1, len(PLACES)) / LIMIT

    def answers(self, request: Request, outputs: np.ndarray) -> list[object]:
        return [{"larger": PLACES[index]} for index in outputs.argmax(axis=1).tolist()]


CODEC = LargerCodec()
