"""The HTTP contract (services/CONTRACT.md), checked against a running backend.

Knows nothing about the backend but its base URL, so every backend runs it unchanged.
Expected answers come from the arithmetic rule, never from a model.
"""

from __future__ import annotations

import json

import pytest
import requests

from models.fizzbuzz import codec
from services.contract.protocol import BACKEND_HEADER, MAX_BODY_BYTES

MODEL = "fizzbuzz"
TIMEOUT = 30


def post(url: str, body: bytes | str, **kwargs: object) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(f"{url}/predictions/{MODEL}", data=data, timeout=TIMEOUT, **kwargs)


def assert_error(response: requests.Response, status: int, error_type: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers.get(BACKEND_HEADER)
    body = response.json()
    assert set(body) == {"code", "type", "message"}
    assert body["code"] == status
    assert isinstance(body["type"], str)
    assert body["type"]
    assert isinstance(body["message"], str)
    assert len(body["message"]) > 10
    if error_type is not None:
        assert body["type"] == error_type
    return body


# --- answers -----------------------------------------------------------------------------


def test_every_accepted_number_is_answered_correctly(backend_url: str) -> None:
    numbers = list(codec.valid_numbers())
    response = post(backend_url, json.dumps({"input.1": numbers}))
    assert response.status_code == 200, response.text
    assert response.json() == {"next_number": [codec.answer(n) for n in numbers]}


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "1"), (1, "2"), (2, "Fizz"), (3, "4"), (4, "Buzz"), (14, "FizzBuzz"), (1022, "Fizz")],
)
def test_single_number(backend_url: str, number: int, expected: str) -> None:
    response = post(backend_url, json.dumps({"input.1": number}))
    assert response.status_code == 200
    assert response.json() == {"next_number": expected}


def test_the_readme_example_byte_for_byte(backend_url: str) -> None:
    response = post(backend_url, '{"input.1": 14}')
    assert response.content == b'{"next_number":"FizzBuzz"}'


def test_list_answers_keep_request_order(backend_url: str) -> None:
    numbers = [14, 1, 2, 1022, 0, 14, 99]
    response = post(backend_url, json.dumps({"input.1": numbers}))
    assert response.json() == {"next_number": [codec.answer(n) for n in numbers]}


def test_a_list_of_one_is_answered_with_a_list(backend_url: str) -> None:
    assert post(backend_url, '{"input.1": [2]}').json() == {"next_number": ["Fizz"]}


def test_the_largest_batch_is_accepted(backend_url: str) -> None:
    numbers = [n % (codec.MAX_NUMBER + 1) for n in range(codec.MAX_BATCH)]
    response = post(backend_url, json.dumps({"input.1": numbers}))
    assert response.status_code == 200
    assert len(response.json()["next_number"]) == codec.MAX_BATCH


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "image/png"]
)
def test_body_is_json_whatever_the_content_type(backend_url: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = post(backend_url, '{"input.1": 14}', headers=headers)
    assert response.status_code == 200
    assert response.json() == {"next_number": "FizzBuzz"}


def test_extra_fields_are_ignored(backend_url: str) -> None:
    response = post(backend_url, '{"input.1": 4, "comment": "hi"}')
    assert response.json() == {"next_number": "Buzz"}


# --- bad input: always a 400 in the error shape ---------------------------------------------

BAD_BODIES = {
    "empty body": b"",
    "not json": b"fourteen",
    "truncated json": b'{"input.1": ',
    "invalid utf-8": b'{"input.1": "\xff"}',
    "json array": b"[14]",
    "json number": b"14",
    "json string": b'"14"',
    "json null": b"null",
    "missing field": b'{"input": 14}',
    "string": b'{"input.1": "14"}',
    "float": b'{"input.1": 14.0}',
    "fraction": b'{"input.1": 14.5}',
    "true": b'{"input.1": true}',
    "false": b'{"input.1": false}',
    "null": b'{"input.1": null}',
    "object": b'{"input.1": {"n": 14}}',
    "nested list": b'{"input.1": [[14]]}',
    "negative": b'{"input.1": -1}',
    "too large": b'{"input.1": 1023}',
    "huge": b'{"input.1": 100000000000000000000000000000}',
    "NaN": b'{"input.1": NaN}',
    "Infinity": b'{"input.1": Infinity}',
    "empty list": b'{"input.1": []}',
    "bad item in list": b'{"input.1": [1, 2, "3"]}',
    "out of range in list": b'{"input.1": [1, 1023]}',
    "bool in list": b'{"input.1": [1, true]}',
    "too many numbers": json.dumps({"input.1": [1] * (codec.MAX_BATCH + 1)}).encode(),
    "deep nesting": b"[" * 5000,
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_is_a_400(backend_url: str, body: bytes) -> None:
    assert_error(post(backend_url, body), 400, "InvalidInput")


def test_error_messages_say_what_is_accepted(backend_url: str) -> None:
    message = assert_error(post(backend_url, '{"input.1": 5000}'), 400)["message"]
    assert "5000" in message
    assert str(codec.MAX_NUMBER) in message


def test_a_body_over_the_limit_is_a_413(backend_url: str) -> None:
    padding = " " * MAX_BODY_BYTES
    assert_error(post(backend_url, '{"input.1": 14' + padding + "}"), 413)


def test_a_body_just_under_the_limit_is_accepted(backend_url: str) -> None:
    body = '{"input.1": 14}'
    padded = body[:-1] + " " * (MAX_BODY_BYTES - len(body)) + "}"
    assert len(padded) == MAX_BODY_BYTES
    assert post(backend_url, padded).json() == {"next_number": "FizzBuzz"}


def test_unknown_model_is_a_404(backend_url: str) -> None:
    response = requests.post(f"{backend_url}/predictions/nosuchmodel", data=b'{"input.1": 1}')
    body = assert_error(response, 404, "ModelNotFoundException")
    assert "nosuchmodel" in body["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_wrong_method_on_predictions_is_a_405(backend_url: str, method: str) -> None:
    response = requests.request(method, f"{backend_url}/predictions/{MODEL}", timeout=TIMEOUT)
    assert_error(response, 405, "MethodNotAllowedException")


def test_wrong_method_on_ping_is_a_405(backend_url: str) -> None:
    response = requests.post(f"{backend_url}/ping", data=b"{}", timeout=TIMEOUT)
    assert_error(response, 405, "MethodNotAllowedException")


# --- health and headers ----------------------------------------------------------------------


def test_ping_is_healthy(backend_url: str) -> None:
    response = requests.get(f"{backend_url}/ping", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"status": "Healthy"}
    assert response.headers.get(BACKEND_HEADER)


def test_every_response_names_the_backend(backend_url: str) -> None:
    ok = post(backend_url, '{"input.1": 1}')
    bad = post(backend_url, "nope")
    assert ok.headers[BACKEND_HEADER] == bad.headers[BACKEND_HEADER]
    assert ok.headers["Content-Type"].startswith("application/json")
