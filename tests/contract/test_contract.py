"""The HTTP contract (services/CONTRACT.md), checked against a running backend, per model.

Knows nothing about the backend but its base URL, and nothing about the model but its spec,
so every backend and every model run it unchanged. Expected answers come from the model's
examples (FizzBuzz: the arithmetic rule; digits: the labels and the in-process model).
"""

from __future__ import annotations

import json
import random
import re

import pytest
import requests

from models import registry
from models.spec import Example, ModelSpec
from services.contract.protocol import BACKEND_HEADER, MAX_BODY_BYTES

TIMEOUT = 60


def post(url: str, model: ModelSpec, body: bytes | str, **kwargs: object) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(f"{url}/predictions/{model.name}", data=data, timeout=TIMEOUT, **kwargs)


def ask(url: str, model: ModelSpec, examples: list[Example], batch: bool) -> requests.Response:
    document = model.codec.document([example.item for example in examples], batch)
    return post(url, model, json.dumps(document))


def assert_answers(
    response: requests.Response, model: ModelSpec, examples: list[Example], batch: bool
) -> None:
    assert response.status_code == 200, response.text
    expected = model.codec.reply([example.answer for example in examples], batch)
    assert model.codec.agrees(response.json(), expected), response.text[:500]


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


def test_every_example_is_answered_correctly(
    backend_url: str, model: ModelSpec, examples: list[Example]
) -> None:
    size = model.codec.max_batch
    for start in range(0, len(examples), size):
        chunk = examples[start : start + size]
        assert_answers(ask(backend_url, model, chunk, batch=True), model, chunk, batch=True)


def test_single_items_are_answered_alone(
    backend_url: str, model: ModelSpec, examples: list[Example]
) -> None:
    for example in random.Random(0).sample(examples, 5):
        assert_answers(ask(backend_url, model, [example], False), model, [example], False)


def test_list_answers_keep_request_order(
    backend_url: str, model: ModelSpec, examples: list[Example]
) -> None:
    shuffled = random.Random(1).sample(examples, min(40, len(examples)))
    assert_answers(ask(backend_url, model, shuffled, True), model, shuffled, True)


def test_a_list_of_one_is_answered_with_a_list(
    backend_url: str, model: ModelSpec, examples: list[Example]
) -> None:
    assert_answers(ask(backend_url, model, examples[:1], True), model, examples[:1], True)


def test_the_largest_batch_is_accepted(
    backend_url: str, model: ModelSpec, examples: list[Example]
) -> None:
    largest = [examples[i % len(examples)] for i in range(model.codec.max_batch)]
    assert_answers(ask(backend_url, model, largest, True), model, largest, True)


def test_one_more_than_the_largest_batch_is_a_400(
    backend_url: str, model: ModelSpec, examples: list[Example]
) -> None:
    too_many = [examples[0]] * (model.codec.max_batch + 1)
    body = assert_error(ask(backend_url, model, too_many, True), 400, "InvalidInput")
    assert str(model.codec.max_batch) in body["message"]


def test_the_probe_is_answered_as_it_expects(backend_url: str, model: ModelSpec) -> None:
    response = post(backend_url, model, json.dumps(model.probe.document))
    assert response.status_code == 200, response.text
    assert model.probe.answered_by(response.json())


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "image/png"]
)
def test_body_is_json_whatever_the_content_type(
    backend_url: str, model: ModelSpec, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = post(backend_url, model, json.dumps(model.probe.document), headers=headers)
    assert response.status_code == 200, response.text
    assert model.probe.answered_by(response.json())


def test_extra_fields_are_ignored(backend_url: str, model: ModelSpec) -> None:
    document = {**model.probe.document, "comment": "hi", "other": [1, 2]}
    assert model.probe.answered_by(post(backend_url, model, json.dumps(document)).json())


# --- bad input that every model refuses: always a 400 in the error shape ----------------------

BAD_VALUES = {
    "string": "14",
    "null": None,
    "true": True,
    "object": {"n": 14},
    "empty list": [],
}
BAD_BODIES = {
    "empty body": b"",
    "not json": b"fourteen",
    "truncated json": b'{"x": ',
    "invalid utf-8": b'{"x": "\xff"}',
    "json array": b"[14]",
    "json number": b"14",
    "json string": b'"14"',
    "json null": b"null",
    "missing field": b'{"no-such-field": 14}',
    "deep nesting": b"[" * 5000,
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bodies_are_a_400(backend_url: str, model: ModelSpec, body: bytes) -> None:
    assert_error(post(backend_url, model, body), 400, "InvalidInput")


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_bad_values_are_a_400(backend_url: str, model: ModelSpec, value: object) -> None:
    body = json.dumps({model.codec.field: value})
    message = assert_error(post(backend_url, model, body), 400, "InvalidInput")["message"]
    assert model.codec.describe_item() in message  # says what is accepted


def test_a_body_over_the_limit_is_a_413(backend_url: str, model: ModelSpec) -> None:
    body = json.dumps(model.probe.document)
    assert_error(post(backend_url, model, body[:-1] + " " * MAX_BODY_BYTES + "}"), 413)


def test_a_body_just_under_the_limit_is_accepted(backend_url: str, model: ModelSpec) -> None:
    body = json.dumps(model.probe.document)
    padded = body[:-1] + " " * (MAX_BODY_BYTES - len(body)) + "}"
    assert len(padded) == MAX_BODY_BYTES
    assert model.probe.answered_by(post(backend_url, model, padded).json())


def test_unknown_model_is_a_404(backend_url: str) -> None:
    response = requests.post(f"{backend_url}/predictions/nosuchmodel", data=b'{"input.1": 1}')
    body = assert_error(response, 404, "ModelNotFoundException")
    assert "nosuchmodel" in body["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_wrong_method_on_predictions_is_a_405(
    backend_url: str, model: ModelSpec, method: str
) -> None:
    url = f"{backend_url}/predictions/{model.name}"
    assert_error(requests.request(method, url, timeout=TIMEOUT), 405, "MethodNotAllowedException")


@pytest.mark.parametrize("path", ["/ping", "/models", "/metrics"])
def test_wrong_method_on_ping_models_and_metrics_is_a_405(backend_url: str, path: str) -> None:
    response = requests.post(f"{backend_url}{path}", data=b"{}", timeout=TIMEOUT)
    assert_error(response, 405, "MethodNotAllowedException")


# --- health, the list of models, headers ------------------------------------------------------


def test_ping_is_healthy(backend_url: str) -> None:
    response = requests.get(f"{backend_url}/ping", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"status": "Healthy"}
    assert response.headers.get(BACKEND_HEADER)


def test_models_lists_every_served_model_with_version_and_tensors(backend_url: str) -> None:
    response = requests.get(f"{backend_url}/models", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    listed = response.json()
    assert [entry["name"] for entry in listed] == registry.served_names()
    for entry in listed:
        spec = registry.get(entry["name"])
        assert re.fullmatch("[0-9a-f]{64}", entry["version"]), entry
        assert {k: v for k, v in entry.items() if k not in ("name", "version")} == spec.tensors()


def test_every_response_names_the_backend(backend_url: str, model: ModelSpec) -> None:
    ok = post(backend_url, model, json.dumps(model.probe.document))
    bad = post(backend_url, model, "nope")
    assert ok.headers[BACKEND_HEADER] == bad.headers[BACKEND_HEADER]
    assert ok.headers["Content-Type"].startswith("application/json")
