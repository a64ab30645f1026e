"""The contract's FizzBuzz part (services/CONTRACT.md, version 1), against a running backend."""

from __future__ import annotations

import json

import pytest
import requests

from models.fizzbuzz import codec
from tests.contract.test_contract import assert_error

MODEL = "fizzbuzz"
TIMEOUT = 30


def post(url: str, body: bytes | str) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(f"{url}/predictions/{MODEL}", data=data, timeout=TIMEOUT)


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "1"), (1, "2"), (2, "Fizz"), (3, "4"), (4, "Buzz"), (14, "FizzBuzz"), (1022, "Fizz")],
)
def test_fizzbuzz_single_number(backend_url: str, number: int, expected: str) -> None:
    response = post(backend_url, json.dumps({"input.1": number}))
    assert response.status_code == 200
    assert response.json() == {"next_number": expected}


def test_fizzbuzz_the_readme_example_byte_for_byte(backend_url: str) -> None:
    assert post(backend_url, '{"input.1": 14}').content == b'{"next_number":"FizzBuzz"}'
    lists = post(backend_url, '{"input.1": [1, 2, 14]}').content
    assert lists == b'{"next_number":["2","Fizz","FizzBuzz"]}'


BAD_BODIES = {
    "missing field": b'{"input": 14}',
    "float": b'{"input.1": 14.0}',
    "fraction": b'{"input.1": 14.5}',
    "false": b'{"input.1": false}',
    "nested list": b'{"input.1": [[14]]}',
    "negative": b'{"input.1": -1}',
    "too large": b'{"input.1": 1023}',
    "huge": b'{"input.1": 100000000000000000000000000000}',
    "NaN": b'{"input.1": NaN}',
    "Infinity": b'{"input.1": Infinity}',
    "bad item in list": b'{"input.1": [1, 2, "3"]}',
    "out of range in list": b'{"input.1": [1, 1023]}',
    "bool in list": b'{"input.1": [1, true]}',
    "too many numbers": json.dumps({"input.1": [1] * (codec.MAX_BATCH + 1)}).encode(),
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_fizzbuzz_bad_input_is_a_400(backend_url: str, body: bytes) -> None:
    assert_error(post(backend_url, body), 400, "InvalidInput")


def test_fizzbuzz_error_messages_say_what_is_accepted(backend_url: str) -> None:
    message = assert_error(post(backend_url, '{"input.1": 5000}'), 400)["message"]
    assert "5000" in message
    assert str(codec.MAX_NUMBER) in message
