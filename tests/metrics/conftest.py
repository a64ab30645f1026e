"""The backends the metrics suite runs against, each started for real, once per session, with
the contract suite's launchers (the gateway with two workers: one of them is killed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from models.artifacts import ModelFiles
from tests.contract.conftest import BACKENDS, Launcher
from tests.redisai.stack import redisai_backend

METRICS_BACKENDS = ("flask", "mms-onnxruntime", "redisai")
LAUNCHERS: dict[str, Launcher] = {
    **BACKENDS,
    "redisai": partial(redisai_backend, gateway_workers=2),
}


@dataclass(frozen=True)
class Served:
    name: str
    url: str
    run_dir: Path
    """Everything the backend writes, its multiprocess metrics folder among it."""


@pytest.fixture(scope="session", params=METRICS_BACKENDS)
def served(
    request: pytest.FixtureRequest,
    served_files: dict[str, ModelFiles],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """A running backend (named apart from the other folders' session fixtures, so none
    shares their cache)."""
    run_dir = tmp_path_factory.mktemp(request.param)
    with LAUNCHERS[request.param](run_dir) as url:
        yield Served(request.param, url, run_dir)
