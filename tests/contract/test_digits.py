"""The contract's digits part (services/CONTRACT.md, version 1.1), against a running backend."""

from __future__ import annotations

import json

import numpy as np
import pytest
import requests

from models.artifacts import REPO_ROOT, ModelFiles
from models.digits import codec, data
from models.digits.network import predict_digits
from models.digits.spec import SPEC
from models.weights import load_network
from tests.contract.test_contract import assert_error

MODEL = "digits"
TIMEOUT = 60
IMAGE = codec.EXAMPLE_IMAGE


def post(url: str, body: bytes | str) -> requests.Response:
    data_ = body.encode() if isinstance(body, str) else body
    return requests.post(f"{url}/predictions/{MODEL}", data=data_, timeout=TIMEOUT)


def in_process_digits(images: list) -> list[int]:
    network = load_network(SPEC, ModelFiles.of(MODEL).weights)
    return predict_digits(network, codec.CODEC.to_inputs(images)).tolist()


def test_digits_every_held_out_image_gets_the_in_process_digit(
    backend_url: str, digits_files: ModelFiles
) -> None:
    images = data.held_out().images.astype(np.int64).tolist()
    answered: list[int] = []
    for start in range(0, len(images), codec.MAX_BATCH):
        response = post(backend_url, json.dumps({"image": images[start : start + 256]}))
        assert response.status_code == 200, response.text
        answered += [answer["digit"] for answer in response.json()]
    assert answered == in_process_digits(images)


def test_digits_the_documented_example_is_a_seven(backend_url: str) -> None:
    body = (REPO_ROOT / "models" / "digits" / "examples" / "seven.json").read_bytes()
    answer = post(backend_url, body).json()
    assert answer["digit"] == 7
    assert len(answer["probabilities"]) == 10
    assert abs(sum(answer["probabilities"]) - 1) < 1e-3
    assert max(answer["probabilities"]) == answer["probabilities"][7]


def test_digits_answers_carry_four_decimals(backend_url: str) -> None:
    answer = post(backend_url, json.dumps({"image": IMAGE})).json()
    assert answer["digit"] == 0
    assert all(round(p, 4) == p for p in answer["probabilities"])


def _with(row: int, column: int, value: object) -> list:
    image = [list(r) for r in IMAGE]
    image[row][column] = value
    return image


BAD_BODIES = {
    "seven rows": {"image": IMAGE[:7]},
    "nine rows": {"image": [*IMAGE, IMAGE[0]]},
    "short row": {"image": [IMAGE[0][:7], *IMAGE[1:]]},
    "long row": {"image": [[*IMAGE[0], 0], *IMAGE[1:]]},
    "string pixel": {"image": _with(2, 5, "3")},
    "null pixel": {"image": _with(0, 0, None)},
    "true pixel": {"image": _with(1, 1, True)},
    "false pixel": {"image": _with(1, 1, False)},
    "object pixel": {"image": _with(3, 3, {"v": 1})},
    "list pixel": {"image": _with(3, 3, [1])},
    "negative pixel": {"image": _with(4, 4, -1)},
    "pixel over 16": {"image": _with(4, 4, 17)},
    "pixel just over 16": {"image": _with(7, 7, 16.001)},
    "huge pixel": {"image": _with(0, 7, 10**30)},
    "row is a number": {"image": [5, *IMAGE[1:]]},
    "row is a string": {"image": ["row", *IMAGE[1:]]},
    "image is a number": {"image": 7},
    "image is a string": {"image": "0" * 64},
    "flat list of 64": {"image": [0] * 64},
    "empty image list": {"image": [[]]},
    "too many images": {"image": [IMAGE] * (codec.MAX_BATCH + 1)},
    "a bad image among good ones": {"image": [IMAGE, _with(0, 0, 99), IMAGE]},
    "an image of the wrong shape among good ones": {"image": [IMAGE, IMAGE[:4]]},
    "images nested once more": {"image": [[IMAGE]]},
    "other field only": {"images": [IMAGE]},
}
RAW_BAD_BODIES = {
    "NaN pixel": json.dumps({"image": IMAGE}).replace("5", "NaN", 1),
    "Infinity pixel": json.dumps({"image": IMAGE}).replace("5", "Infinity", 1),
    "-Infinity pixel": json.dumps({"image": IMAGE}).replace("5", "-Infinity", 1),
}


@pytest.mark.parametrize("document", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_digits_bad_input_is_a_400(backend_url: str, document: dict) -> None:
    assert_error(post(backend_url, json.dumps(document)), 400, "InvalidInput")


@pytest.mark.parametrize("body", RAW_BAD_BODIES.values(), ids=RAW_BAD_BODIES.keys())
def test_digits_non_finite_pixels_are_a_400(backend_url: str, body: str) -> None:
    assert_error(post(backend_url, body), 400, "InvalidInput")


def test_digits_floats_in_range_are_accepted(backend_url: str) -> None:
    image = [[pixel / 1.0 + 0.25 * (pixel < 16) for pixel in row] for row in IMAGE]
    answer = post(backend_url, json.dumps({"image": image})).json()
    assert answer["digit"] in range(10)
