"""The FizzBuzz codec: validation, tensors and answers, against the arithmetic rule."""

from __future__ import annotations

import numpy as np
import pytest

from models.fizzbuzz import codec
from models.spec import InvalidInput

CODEC = codec.CODEC


def test_rule_for_the_first_numbers() -> None:
    answers = [codec.answer(n) for n in range(15)]
    assert answers == [
        "1", "2", "Fizz", "4", "Buzz", "Fizz", "7", "8", "Fizz", "Buzz",
        "11", "Fizz", "13", "14", "FizzBuzz",
    ]  # fmt: skip


def test_labels_by_divisibility() -> None:
    assert [codec.label_of(n) for n in (1, 3, 5, 15, 30, 7)] == [
        codec.NUMBER, codec.FIZZ, codec.BUZZ, codec.FIZZBUZZ, codec.FIZZBUZZ, codec.NUMBER,
    ]  # fmt: skip


def test_numbers_answer_n_plus_one() -> None:
    assert codec.say(6, codec.NUMBER) == "7"
    assert codec.say(6, codec.FIZZ) == "Fizz"


def test_encode_is_binary_least_significant_bit_first() -> None:
    bits = codec.to_bits([0, 1, 6, 1022])
    assert bits.dtype == np.float32
    assert bits.shape == (4, codec.BITS)
    assert bits[0].tolist() == [0.0] * 10
    assert bits[1].tolist() == [1.0] + [0.0] * 9
    assert bits[2].tolist() == [0.0, 1.0, 1.0] + [0.0] * 7
    assert bits[3].tolist() == [0.0] + [1.0] * 9


def test_encoding_is_unique_for_every_accepted_number() -> None:
    bits = codec.to_bits(codec.valid_numbers())
    weights = 2 ** np.arange(codec.BITS)
    assert (bits @ weights).astype(int).tolist() == list(codec.valid_numbers())


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, [0]), (1022, [1022]), ([3, 1, 2], [3, 1, 2]), ([7] * codec.MAX_BATCH, [7] * 1024)],
)
def test_decode_accepts(value: object, expected: list[int]) -> None:
    request = CODEC.decode({"input.1": value})
    assert list(request.items) == expected
    assert request.batch == isinstance(value, list)
    assert request.inputs.tolist() == codec.to_bits(expected).tolist()


def test_encode_answers_a_list_with_a_list() -> None:
    request = CODEC.decode({"input.1": [2, 14, 6]})
    logits = np.eye(4, dtype=np.float32)[[codec.FIZZ, codec.FIZZBUZZ, codec.NUMBER]]
    assert CODEC.encode(request, logits) == {"next_number": ["Fizz", "FizzBuzz", "7"]}
    single = CODEC.decode({"input.1": 14})
    assert CODEC.encode(single, logits[1:2]) == {"next_number": "FizzBuzz"}


@pytest.mark.parametrize(
    ("value", "mentions"),
    [
        (-1, "out of range"),
        (1023, "out of range"),
        (True, "boolean"),
        (None, "null"),
        ("3", "string"),
        (3.0, "non-integer"),
        ([[3]], "nested list"),
        ({"n": 3}, "object"),
        ([], "empty"),
        ([1] * (codec.MAX_BATCH + 1), "at most 1024"),
        ([1, False], "boolean"),
    ],
)
def test_validate_rejects_with_a_reason(value: object, mentions: str) -> None:
    with pytest.raises(InvalidInput, match=mentions) as raised:
        CODEC.decode({"input.1": value})
    assert "1022" in str(raised.value) or "1024" in str(raised.value)
