"""Training: deterministic, honest about the held-out split, and refusing a bad model."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from models.artifacts import ModelFiles
from models.fizzbuzz import checks, codec, train
from models.fizzbuzz.network import predict_labels
from models.fizzbuzz.spec import SPEC
from models.weights import load_network

SHORT = train.TrainConfig(seed=3, holdout_epochs=60, refit_epochs=20)


def test_training_is_deterministic() -> None:
    first = train.train(SHORT).network.state_dict()
    second = train.train(SHORT).network.state_dict()
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)


def test_another_seed_gives_other_weights() -> None:
    first = train.train(SHORT).network.state_dict()
    other = train.train(train.TrainConfig(seed=4, holdout_epochs=60, refit_epochs=20))
    assert not torch.equal(first["hidden.weight"], other.network.state_dict()["hidden.weight"])


def test_the_splits_cover_every_accepted_number_once() -> None:
    assert sorted(train.HELD_OUT + train.TRAIN) == list(codec.valid_numbers())
    assert set(train.HELD_OUT).isdisjoint(train.TRAIN)


def test_undertrained_model_is_refused_and_nothing_written(tmp_path: Path) -> None:
    code = train.main(["--out", str(tmp_path), "--holdout-epochs", "5", "--refit-epochs", "0"])
    assert code == 1
    assert list(tmp_path.iterdir()) == []


def test_saved_model_answers_everything_and_manifest_matches(fizzbuzz_files: ModelFiles) -> None:
    manifest = json.loads(fizzbuzz_files.manifest.read_text())
    weights = fizzbuzz_files.weights.read_bytes()
    assert manifest["weights_sha256"] == hashlib.sha256(weights).hexdigest()
    assert manifest["labels"] == list(codec.LABELS)
    assert manifest["accuracy"]["all_after_refit"] == 1.0
    assert 0.5 < manifest["accuracy"]["held_out"] <= 1.0
    numbers = list(codec.valid_numbers())
    labels = predict_labels(load_network(SPEC, fizzbuzz_files.weights), numbers).tolist()
    assert checks.mistakes(numbers, labels) == []
