"""Batching on the Flask backend (flask_batch_size, flask_batch_delay_ms), against a real
gunicorn behind its nginx front: concurrent requests for a model share model calls and still
get their own answers, each answer says how many requests its call served (X-Batch-Size),
and the metrics count each call once. With batching off, answers carry no such header.

A loaded machine may split a round into calls of one request each: a test that needs a
shared call tries a few rounds (as tests/mms/test_batching.py does), never a timing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
import requests

from loadtest.protocols import v2_body, v2_path
from models import registry
from models.artifacts import ModelFiles
from models.digits import codec as digits_codec
from models.digits import data
from models.digits.network import predict_digits
from models.digits.spec import SPEC as DIGITS
from models.fizzbuzz import codec
from models.weights import load_network
from services.contract.batcher import BATCH_HEADER
from services.mms.handler import BATCH_HEADER as MMS_BATCH_HEADER
from tests.at_once import at_once
from tests.flask.conftest import BATCH_SIZE
from tests.metrics.scrape import changes, scrape

ATTEMPTS = 5
TIMEOUT = 60
NUMBERS = [2, 4, 14, 29, 0, 1, 1022, 98]
Call = tuple[str, bytes, dict[str, str]]  # path, body, headers


def concurrently(url: str, calls: list[Call]) -> list[requests.Response]:
    """Every POST at once; answers in call order."""

    def post(path: str, body: bytes, headers: dict[str, str]) -> Callable[[], requests.Response]:
        return lambda: requests.post(f"{url}{path}", data=body, headers=headers, timeout=TIMEOUT)

    return at_once([post(*call) for call in calls])


def v1(number: int | list[int]) -> Call:
    return "/predictions/fizzbuzz", json.dumps({"input.1": number}).encode(), {}


def v2(number: int) -> Call:
    spec = registry.get("fizzbuzz")
    return v2_path(spec), v2_body(spec, codec.CODEC.to_inputs([number])), {}


def v2_answer(response: requests.Response, number: int) -> str:
    [output] = response.json()["outputs"]
    label = int(np.asarray(output["data"]).reshape(output["shape"]).argmax(axis=1)[0])
    return codec.say(number, label)


def batch_sizes(answers: list[requests.Response]) -> list[int]:
    """Each answer's X-Batch-Size: there, and within the batch size."""
    sizes = [int(answer.headers[BATCH_HEADER]) for answer in answers]
    assert all(1 <= size <= BATCH_SIZE for size in sizes), sizes
    return sizes


def test_the_header_is_mms_s() -> None:
    assert BATCH_HEADER == MMS_BATCH_HEADER


def test_concurrent_requests_share_model_calls_and_each_gets_its_answer(
    batching_flask: str,
) -> None:
    numbers: list[int | list[int]] = [*NUMBERS[:6], [14, 15], [1, 2, 3]]
    for _ in range(ATTEMPTS):
        answers = concurrently(batching_flask, [v1(number) for number in numbers])
        for number, answer in zip(numbers, answers, strict=True):
            assert answer.status_code == 200, answer.text
            assert answer.headers["X-Backend"] == "flask"
            if isinstance(number, list):
                assert answer.json() == {"next_number": [codec.answer(n) for n in number]}
            else:
                assert answer.json() == {"next_number": codec.answer(number)}
        if max(batch_sizes(answers)) > 1:
            return
    pytest.fail(f"no model call served more than one of {len(numbers)} concurrent requests")


def test_v1_and_v2_requests_share_model_calls(batching_flask: str) -> None:
    calls = [v1(n) if idx % 2 else v2(n) for idx, n in enumerate(NUMBERS)]
    for _ in range(ATTEMPTS):
        answers = concurrently(batching_flask, calls)
        for idx, (number, answer) in enumerate(zip(NUMBERS, answers, strict=True)):
            assert answer.status_code == 200, answer.text
            said = answer.json()["next_number"] if idx % 2 else v2_answer(answer, number)
            assert said == codec.answer(number)
        sizes = batch_sizes(answers)
        if any(size > 1 for idx, size in enumerate(sizes) if idx % 2 == 0):
            return  # a v2 answer came from a call that served others too
    pytest.fail("no v2 request was ever served by a call that served others")


def test_a_bad_request_is_refused_before_it_joins_a_batch(batching_flask: str) -> None:
    calls = [v1(14), (v1(14)[0], b'{"input.1": "14"}', {}), v1(4), (v1(4)[0], b"not json", {})]
    calls += [v1(1023), v1(29)]
    good = {0: "FizzBuzz", 2: "Buzz", 5: "FizzBuzz"}
    for _ in range(ATTEMPTS):
        answers = concurrently(batching_flask, calls)
        for idx, answer in enumerate(answers):
            if idx in good:
                assert answer.status_code == 200, answer.text
                assert answer.json() == {"next_number": good[idx]}
            else:  # never a model call's: no count either
                assert answer.status_code == 400, answer.text
                assert answer.json()["type"] == "InvalidInput"
                assert BATCH_HEADER not in answer.headers
        if max(batch_sizes([answers[idx] for idx in good])) > 1:
            return
    pytest.fail("the good requests were never served together")


def test_each_model_call_is_counted_once_with_the_requests_it_served(
    batching_flask: str, digits_files: ModelFiles
) -> None:
    images = data.held_out().images.astype(np.int64).tolist()[:8]
    network = load_network(DIGITS, digits_files.weights)
    expected = predict_digits(network, digits_codec.CODEC.to_inputs(images)).tolist()
    calls = [("/predictions/digits", json.dumps({"image": image}).encode(), {}) for image in images]
    before = scrape(batching_flask)
    answered, model_calls, shared = 0, Fraction(0), False
    for _ in range(ATTEMPTS):
        answers = concurrently(batching_flask, calls)
        assert [answer.json()["digit"] for answer in answers] == expected
        sizes = batch_sizes(answers)
        answered += len(answers)
        model_calls += sum(Fraction(1, size) for size in sizes)  # a call of k: k answers say k
        shared = max(sizes) > 1
        if shared:
            break
    after = scrape(batching_flask)
    assert shared, "no model call served more than one request"
    assert changes(before, after, "polyserve_batch_size_sum", ("model",)) == {("digits",): answered}
    assert changes(before, after, "polyserve_batch_size_count", ("model",)) == {
        ("digits",): model_calls
    }
    executions = changes(
        before, after, "polyserve_model_execution_seconds_count", ("model", "engine")
    )
    assert executions == {("digits", "torchscript"): model_calls}


def test_with_batching_off_answers_carry_no_count_and_each_request_is_its_own_call(
    plain_flask: str,
) -> None:
    before = scrape(plain_flask)
    answers = concurrently(plain_flask, [v1(n) for n in NUMBERS[:4]] + [v2(n) for n in NUMBERS[4:]])
    after = scrape(plain_flask)
    assert [answer.status_code for answer in answers] == [200] * len(NUMBERS)
    assert not any(BATCH_HEADER in answer.headers for answer in answers)
    calls = changes(before, after, "polyserve_batch_size_count", ("model",))
    served = changes(before, after, "polyserve_batch_size_sum", ("model",))
    assert calls == served == {("fizzbuzz",): len(NUMBERS)}
