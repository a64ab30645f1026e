"""The Flask backend for real (gunicorn and its nginx front, on a free port), with batching
on or off: each started once per module that asks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from models.artifacts import ModelFiles
from services.process import free_port, serving

# One worker of four threads: every request of a round meets in the same process, and a
# batch can hold at most four of them.
THREADS = 4
BATCH_SIZE = 4
BATCH_DELAY_MS = 20


@contextmanager
def flask_serving(run_dir: Path, **settings: str) -> Iterator[str]:
    """`python -m services.flask serve` with one worker and `settings` (POLYSERVE_ variables,
    set here whatever the caller's environment says)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "services.flask", "serve", "--port", str(port)]
    command += ["--workers", "1"]
    env = {"POLYSERVE_RUN": str(run_dir), "POLYSERVE_FLASK_THREADS": str(THREADS), **settings}
    with serving(command, run_dir / "flask.log", f"{url}/ping", env):
        yield url


@pytest.fixture(scope="module")
def batching_flask(
    served_files: dict[str, ModelFiles], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    settings = {
        "POLYSERVE_FLASK_BATCH_SIZE": str(BATCH_SIZE),
        "POLYSERVE_FLASK_BATCH_DELAY_MS": str(BATCH_DELAY_MS),
    }
    with flask_serving(tmp_path_factory.mktemp("flask-batching"), **settings) as url:
        yield url


@pytest.fixture(scope="module")
def plain_flask(
    served_files: dict[str, ModelFiles], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    run_dir = tmp_path_factory.mktemp("flask-plain")
    with flask_serving(run_dir, POLYSERVE_FLASK_BATCH_SIZE="1") as url:
        yield url
