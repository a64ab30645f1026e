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
from services.config import Settings
from services.flask.batching import batch_limits, model_batching


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


@pytest.mark.parametrize(("value", "enabled"), [(None, False), ("true", True), ("0", False)])
def test_a_worker_runs_torch_as_the_settings_say_and_freezes_what_it_loaded(
    clean: Path, served_files: object, value: str | None, enabled: bool
) -> None:
    """What gunicorn loads in each worker sets torch up from the settings (oneDNN's fixed cost
    makes the batcher's small batches dearer, docs/performance.md), and keeps what it loaded
    out of the collector's full collections."""
    env = {**os.environ, **({"POLYSERVE_TORCH_ONEDNN": value} if value else {})}
    script = (
        "import gc, torch, services.flask.wsgi\n"
        "print(torch.get_num_threads(), torch.backends.mkldnn.enabled, gc.get_freeze_count() > 0)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["1", str(enabled), "True"]
