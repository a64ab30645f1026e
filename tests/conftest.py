"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from exporters.pipeline import FORMATS, ensure_exported
from models import registry
from models.artifacts import ModelFiles
from models.spec import Example, ModelSpec


@pytest.fixture(scope="session")
def served_files() -> dict[str, ModelFiles]:
    """Every served model trained and exported, made once where missing."""
    files = {}
    for spec in registry.served():
        files[spec.name] = ModelFiles.of(spec.name)
        ensure_exported(spec, files[spec.name], list(FORMATS))
    return files


@pytest.fixture(scope="session")
def fizzbuzz_files(served_files: dict[str, ModelFiles]) -> ModelFiles:
    return served_files["fizzbuzz"]


@pytest.fixture(scope="session")
def digits_files(served_files: dict[str, ModelFiles]) -> ModelFiles:
    return served_files["digits"]


@pytest.fixture(scope="session", params=registry.served_names())
def model(request: pytest.FixtureRequest, served_files: dict[str, ModelFiles]) -> ModelSpec:
    """Each served model in turn: what the suites that run per model are parametrized by."""
    return registry.get(request.param)


_examples: dict[str, list[Example]] = {}


@pytest.fixture
def examples(model: ModelSpec) -> list[Example]:
    """The model's examples (loaded once per session: digits' run the in-process model)."""
    if model.name not in _examples:
        _examples[model.name] = model.examples()
    return _examples[model.name]
