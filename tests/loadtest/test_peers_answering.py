"""loadtest/peers/answering.py: the work every peer server's handler does, on the real model
files and codecs, held to what polyserve's own in-process handler answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.peers.answering import BatchAnswerer
from loadtest.peers.launch import peer_environment
from models import registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.fizzbuzz import codec as fizzbuzz_codec
from services.config import Settings
from services.contract.dataplane import DataPlane
from services.contract.handler import ModelHandler
from services.contract.protocol import render
from services.flask.model import torchscript_predictor


@pytest.fixture(scope="module")
def fizzbuzz(served_files: dict[str, ModelFiles]) -> BatchAnswerer:
    return BatchAnswerer.load("fizzbuzz", served_files["fizzbuzz"].torchscript)


@pytest.fixture(scope="module")
def digits(served_files: dict[str, ModelFiles]) -> BatchAnswerer:
    return BatchAnswerer.load("digits", served_files["digits"].torchscript)


def polyserve_answer(model: str, files: ModelFiles, body: bytes) -> tuple[int, bytes]:
    """What polyserve's in-process data plane (the Flask backend's) answers to `body`."""
    spec = registry.get(model)
    handler = ModelHandler(spec, torchscript_predictor(files.torchscript), files.version)
    status, document = DataPlane([handler]).predict(model, body)
    return status, render(document)


def test_a_batch_of_bodies_gets_each_its_own_right_answer(fizzbuzz: BatchAnswerer) -> None:
    numbers = [14, 2, 1021, 0]
    bodies = [json.dumps({"input.1": n}).encode() for n in numbers]
    bodies.append(json.dumps({"input.1": [4, 9, 29]}).encode())
    answers = fizzbuzz.answer(bodies)
    assert [a.status for a in answers] == [200] * 5
    expected = [{"next_number": fizzbuzz_codec.answer(n)} for n in numbers]
    expected.append({"next_number": ["Buzz", "Buzz", "FizzBuzz"]})
    assert [json.loads(a.body) for a in answers] == expected
    assert {a.content_type for a in answers} == {"application/json"}


def test_a_bad_body_gets_its_own_error_and_spoils_no_other(fizzbuzz: BatchAnswerer) -> None:
    bodies = [b'{"input.1": 14}', b'{"input.1": 1023}', b"not json", b'{"input.1": [2, 4]}']
    answers = fizzbuzz.answer(bodies)
    assert [a.status for a in answers] == [200, 400, 400, 200]
    for bad in (answers[1], answers[2]):
        error = json.loads(bad.body)
        assert (error["code"], error["type"]) == (400, "InvalidInput")
    assert "1023 is out of range" in json.loads(answers[1].body)["message"]
    assert json.loads(answers[0].body) == {"next_number": "FizzBuzz"}
    assert json.loads(answers[3].body) == {"next_number": ["Fizz", "Buzz"]}  # for 3 and 5


def test_only_bad_bodies_need_no_model_call(fizzbuzz: BatchAnswerer) -> None:
    assert [a.status for a in fizzbuzz.answer([b"[]", b"{}"])] == [400, 400]


@pytest.mark.parametrize("model", ["fizzbuzz", "digits"])
def test_answers_are_byte_for_byte_polyserves_own(
    model: str, served_files: dict[str, ModelFiles], request: pytest.FixtureRequest
) -> None:
    answerer: BatchAnswerer = request.getfixturevalue(model)
    spec = registry.get(model)
    probe = spec.probe.document
    bodies = [render(probe), render({spec.codec.field: [probe[spec.codec.field]] * 3})]
    bodies.append(b'{"nothing": 1}')
    answers = answerer.answer(bodies)
    for body, answer in zip(bodies, answers, strict=True):
        assert (answer.status, answer.body) == polyserve_answer(model, served_files[model], body)
    assert spec.probe.answered_by(json.loads(answers[0].body))


def test_a_parsed_document_is_answered_as_its_body_is(digits: BatchAnswerer) -> None:
    spec = registry.get("digits")
    decoded = [digits.decode_document(spec.probe.document), digits.decode_document([1, 2])]
    answers = digits.answer_decoded(decoded)
    assert answers[0] == digits.answer([render(spec.probe.document)])[0]
    assert answers[1].status == 400


def test_another_models_file_fails_the_readiness_probe_at_load(
    served_files: dict[str, ModelFiles],
) -> None:
    with pytest.raises(RuntimeError, match="fails its readiness probe"):
        BatchAnswerer.load("fizzbuzz", served_files["digits"].torchscript)


def test_the_peer_side_modules_need_nothing_polyserve_alone_installs() -> None:
    """The peers' venvs hold torch, numpy and the peer: the modules their processes import
    from the repository must not pull in polyserve's own dependencies."""
    polyserve_only = ["psutil", "pydantic", "pydantic_settings", "flask", "redis", "locust"]
    script = (
        "import sys, loadtest.peers.answering\n"
        f"print([m for m in {polyserve_only!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("onednn", [False, True])
def test_a_peer_runs_torch_as_polyserves_backends_do(
    served_files: dict[str, ModelFiles], tmp_path: Path, onednn: bool
) -> None:
    """One intra-op thread and oneDNN on or off as the comparison's settings say, so the
    peers' model calls cost what the Flask backend's do."""
    environment = peer_environment(tmp_path, Settings(run=tmp_path, torch_onednn=onednn))
    script = (
        "import sys, torch\n"
        "from loadtest.peers.answering import BatchAnswerer\n"
        "BatchAnswerer.load('fizzbuzz', sys.argv[1])\n"
        "print(torch.get_num_threads(), torch.backends.mkldnn.enabled)"
    )
    torchscript = str(served_files["fizzbuzz"].torchscript)
    loaded = subprocess.run(
        [sys.executable, "-c", script, torchscript],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["1", str(onednn)]
