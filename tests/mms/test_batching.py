"""Server-side batching: concurrent requests reach the handler as one batch, and each
request in it still gets its own answer and status.

The handler tags every answer with X-Batch-Size, the number of requests its call served,
which is what proves that one call answered several requests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import partial

import httpx
import pytest
import requests

from models.fizzbuzz import codec
from models.spec import Batching
from services.mms.handler import BATCH_HEADER
from services.mms.registrar import register_missing
from services.mms.settings import MmsSettings
from tests.at_once import at_once
from tests.mms.management import archive_copy, call, describe, ready

BATCHED = "fizzbuzz_batched"
BATCH_SIZE = 8
MAX_BATCH_DELAY_MS = 500  # long enough for all concurrent requests to arrive
ATTEMPTS = 3  # a loaded machine may split a round; one round of real batches is enough


@pytest.fixture(scope="module")
def registrar_client(mms: MmsSettings) -> Iterator[httpx.Client]:
    """What services/mms/registrar.py talks to MMS with: its management socket."""
    transport = httpx.HTTPTransport(uds=str(mms.management_socket))
    with httpx.Client(transport=transport, base_url="http://mms", timeout=60) as client:
        yield client


def register_batched(mms: MmsSettings, client: httpx.Client) -> None:
    """The registrar's pass, then a wait for the worker it asked for."""
    register_missing(client, {BATCHED: Batching(BATCH_SIZE, MAX_BATCH_DELAY_MS)}, workers=1)
    deadline = time.monotonic() + 60
    while ready(mms, BATCHED) < 1:
        assert time.monotonic() < deadline, describe(mms, BATCHED)
        time.sleep(0.5)


@pytest.fixture(scope="module")
def batched(mms: MmsSettings, registrar_client: httpx.Client) -> Iterator[str]:
    archive_copy(mms, BATCHED)
    register_batched(mms, registrar_client)
    yield f"{mms.inference_url}/predictions/{BATCHED}"
    assert call(mms, "DELETE", f"/models/{BATCHED}").status_code == 200


def concurrently(url: str, bodies: list[bytes]) -> list[requests.Response]:
    """POST every body at once; answers in body order."""
    return at_once([partial(requests.post, url, data=body, timeout=60) for body in bodies])


def test_registered_with_batching(mms: MmsSettings, batched: str) -> None:
    model = describe(mms, BATCHED)
    assert model["batchSize"] == BATCH_SIZE
    assert model["maxBatchDelay"] == MAX_BATCH_DELAY_MS
    assert [worker["status"] for worker in model["workers"]] == ["READY"]


def test_concurrent_requests_are_served_by_one_handler_call(batched: str) -> None:
    numbers = [2, 4, 14, 29, 0, 1, 1022, 98]
    bodies = [json.dumps({"input.1": n}).encode() for n in numbers]
    for _ in range(ATTEMPTS):
        answers = concurrently(batched, bodies)
        for number, answer in zip(numbers, answers, strict=True):
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"next_number": codec.answer(number)}
        if max(int(answer.headers[BATCH_HEADER]) for answer in answers) > 1:
            return
    pytest.fail(f"no handler call served more than one of {len(bodies)} concurrent requests")


def test_a_bad_request_in_a_batch_fails_alone(batched: str) -> None:
    bodies = [
        b'{"input.1": 14}',
        b'{"input.1": "14"}',
        b'{"input.1": [1, 2]}',
        b"not json",
        b'{"input.1": 1023}',
        b'{"input.1": 4}',
    ]
    expected = [
        (200, {"next_number": "FizzBuzz"}),
        (400, None),
        (200, {"next_number": ["2", "Fizz"]}),
        (400, None),
        (400, None),
        (200, {"next_number": "Buzz"}),
    ]
    for _ in range(ATTEMPTS):
        answers = concurrently(batched, bodies)
        for answer, (status, body) in zip(answers, expected, strict=True):
            assert answer.status_code == status, answer.text
            assert answer.headers["X-Backend"] == "mms"
            if body is None:
                assert answer.json()["type"] == "InvalidInput"
                assert answer.json()["code"] == 400
            else:
                assert answer.json() == body
        # A 200 from a call of more requests than there are good ones shared that call with
        # a bad one. (A 400's own header says little: the front asks the handler again for
        # the body of a 400, services/mms/nginx.conf's @v1_bad_request.)
        good = sum(status == 200 for status, _ in expected)
        if any(a.status_code == 200 and int(a.headers[BATCH_HEADER]) > good for a in answers):
            return  # good and bad requests answered from the same handler call
    pytest.fail("good and bad requests were never served in one batch")


def test_the_registrar_registers_a_model_again_once_mms_has_lost_it(
    mms: MmsSettings, batched: str, registrar_client: httpx.Client
) -> None:
    """As after a killed JVM came back with only load_models' models."""
    assert call(mms, "DELETE", f"/models/{BATCHED}").status_code == 200
    register_batched(mms, registrar_client)
    assert describe(mms, BATCHED)["batchSize"] == BATCH_SIZE
    assert requests.post(batched, data=b'{"input.1": 14}', timeout=60).status_code == 200
