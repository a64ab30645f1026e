"""The batching settings of the Flask backend: over each model's own batching, bounded, and
a value out of range stops the backend at start, naming its variable, before anything is
started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import registry
from models.artifacts import REPO_ROOT
from models.spec import Batching
from services.config import ConfigError, Settings
from services.flask.batching import batch_limits, model_batching

BAD = [
    ("POLYSERVE_FLASK_BATCH_SIZE", "0", "greater than or equal to 1"),
    ("POLYSERVE_FLASK_BATCH_SIZE", "65", "less than or equal to 64"),
    ("POLYSERVE_FLASK_BATCH_SIZE", "four", "valid integer"),
    ("POLYSERVE_FLASK_BATCH_DELAY_MS", "-1", "greater than or equal to 0"),
    ("POLYSERVE_FLASK_BATCH_DELAY_MS", "1001", "less than or equal to 1000"),
]


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No POLYSERVE_ variable from the caller's environment; the run folder in tmp_path."""
    for name in list(os.environ):
        if name.startswith("POLYSERVE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("POLYSERVE_RUN", str(tmp_path))
    return tmp_path


def test_batching_is_each_model_s_own_and_off_unless_it_says(clean: Path) -> None:
    settings = Settings.load()
    assert (settings.flask_batch_size, settings.flask_batch_delay_ms) == (None, None)
    for spec in registry.served():
        assert model_batching(settings, spec) == spec.serving.flask
        if spec.serving.flask.size == 1:
            assert batch_limits(settings, spec) is None


def test_the_settings_go_over_each_model_s_own(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = registry.get("fizzbuzz")
    monkeypatch.setenv("POLYSERVE_FLASK_BATCH_SIZE", "8")
    settings = Settings.load()
    assert model_batching(settings, spec) == Batching(8, spec.serving.flask.delay_ms)
    monkeypatch.setenv("POLYSERVE_FLASK_BATCH_DELAY_MS", "3")
    limits = batch_limits(Settings.load(), spec)
    assert limits is not None
    assert (limits.requests, limits.rows, limits.delay_s) == (8, spec.codec.max_batch, 0.003)
    monkeypatch.setenv("POLYSERVE_FLASK_BATCH_SIZE", "1")
    assert batch_limits(Settings.load(), spec) is None


def test_the_bounds_themselves_are_accepted(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSERVE_FLASK_BATCH_SIZE", "64")
    monkeypatch.setenv("POLYSERVE_FLASK_BATCH_DELAY_MS", "0")
    settings = Settings.load()
    assert (settings.flask_batch_size, settings.flask_batch_delay_ms) == (64, 0)


@pytest.mark.parametrize(("variable", "value", "says"), BAD)
def test_a_value_out_of_range_is_refused(
    clean: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        Settings.load()
    assert f"{variable}={value!r}" in str(refused.value)
    assert says in str(refused.value)


def test_the_backend_refuses_to_start_with_one(clean: Path) -> None:
    env = {**os.environ, "POLYSERVE_FLASK_BATCH_SIZE": "65"}
    started = subprocess.run(
        [sys.executable, "-m", "services.flask", "serve", "--port", "1"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "POLYSERVE_FLASK_BATCH_SIZE='65'" in started.stderr
    assert not (clean / "flask").exists()  # nothing was started, not even its run folder
