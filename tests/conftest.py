"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from exporters.pipeline import FORMATS, ensure_exported
from models import registry
from models.artifacts import ModelFiles


@pytest.fixture(scope="session")
def fizzbuzz_files() -> ModelFiles:
    """The trained and exported FizzBuzz model, made once if missing."""
    files = ModelFiles.of("fizzbuzz")
    ensure_exported(registry.get("fizzbuzz"), files, list(FORMATS))
    return files
