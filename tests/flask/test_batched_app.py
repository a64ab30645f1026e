"""The Flask app with batching, in this process (Flask's test client, a thread per request):
a bad body is refused before it joins a batch, and a failed model call reaches each of its
requests as the contract's error reply, with the next call unharmed.

The batches here close because they are full (the delay is a minute): nothing is timed.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
from flask import Flask

from models import registry
from models.artifacts import ModelFiles
from models.fizzbuzz import codec
from services.contract.batcher import BATCH_HEADER, BatchLimits, Callers
from services.contract.dataplane import DataPlane
from services.contract.errors import ModelNotReady
from services.flask.app import create_app
from services.flask.measured import MeasuredHandler
from services.flask.model import torchscript_predictor
from tests.at_once import at_once

JOIN_S = 30.0
Answer = tuple[int, dict, str | None]  # status, body, X-Batch-Size


class FailingFirst:
    """The real TorchScript model, whose first `failures` calls fail as an engine gone would."""

    def __init__(self, files: ModelFiles, failures: int) -> None:
        self.model = torchscript_predictor(files.torchscript)
        self.failures = failures

    def __call__(self, bits: np.ndarray) -> np.ndarray:
        if self.failures:
            self.failures -= 1  # one call at a time: only the first caller of a batch runs it
            raise ModelNotReady("the engine is gone")
        return self.model(bits)


def batched_app(files: ModelFiles, requests: int, failures: int = 0) -> Flask:
    spec = registry.get("fizzbuzz")
    limits = BatchLimits(requests=requests, rows=spec.codec.max_batch, delay_s=60)
    engine = FailingFirst(files, failures)
    handler = MeasuredHandler(spec, engine, "v", limits, Callers(threads=None))
    return create_app(DataPlane([handler]))


def post_all(app: Flask, bodies: list[bytes]) -> list[Answer]:
    """Every body POSTed to fizzbuzz at once, each from a thread of its own."""

    def post(body: bytes) -> Callable[[], Answer]:
        client = app.test_client()

        def answer() -> Answer:
            response = client.post("/predictions/fizzbuzz", data=body)
            return response.status_code, response.get_json(), response.headers.get(BATCH_HEADER)

        return answer

    return at_once([post(body) for body in bodies], JOIN_S)


def body(number: object) -> bytes:
    return json.dumps({"input.1": number}).encode()


def test_bad_bodies_are_answered_alone_and_the_good_ones_share_a_call(
    fizzbuzz_files: ModelFiles,
) -> None:
    # Three good requests fill a batch of three; were a bad one let in, it would take a place
    # (and the third good one would wait out the minute).
    app = batched_app(fizzbuzz_files, requests=3)
    bodies = [body(14), b"not json", body(4), body(1023), body([1, 2])]
    answers = post_all(app, bodies)
    assert answers[0] == (200, {"next_number": "FizzBuzz"}, "3")
    assert answers[2] == (200, {"next_number": "Buzz"}, "3")
    assert answers[4] == (200, {"next_number": ["2", "Fizz"]}, "3")
    for status, error, count in (answers[1], answers[3]):
        assert (status, error["type"], count) == (400, "InvalidInput", None)


def test_a_failed_call_is_each_of_its_requests_error_and_the_next_call_is_fine(
    fizzbuzz_files: ModelFiles,
) -> None:
    app = batched_app(fizzbuzz_files, requests=4, failures=1)
    numbers = [2, 14, 29, 98]
    for status, error, count in post_all(app, [body(n) for n in numbers]):
        assert (status, error["type"]) == (503, "ServiceUnavailable")
        assert error["message"] == "the engine is gone"
        assert count is None  # served by no call
    answered = post_all(app, [body(n) for n in numbers])
    assert [answer[1] for answer in answered] == [{"next_number": codec.answer(n)} for n in numbers]
    assert [answer[2] for answer in answered] == ["4"] * 4
