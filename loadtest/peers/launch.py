"""Starting a peer server for the length of a `with` block, ready once every model answers.

A peer's own health route can say "healthy" before each model's workers answer; the
comparison starts measuring only once each model has answered its readiness probe right at
the contract's path, as wrk is going to ask it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from loadtest.ceiling_servers import Served
from loadtest.cpu_time import trees_of
from loadtest.protocols import ask_probe
from models import registry
from models.artifacts import REPO_ROOT
from services.config import Settings
from services.process import serving, wait_until

STARTUP_S = 180
"""TorchServe starts a JVM and a Python worker per model and worker: minutes on 2 busy cores."""


def answers_probe(url: str, model: str) -> bool:
    ask = ask_probe(registry.get(model), "v1")
    try:
        return ask.check(*ask.send(url, timeout_s=10))
    except (OSError, json.JSONDecodeError):
        return False


def peer_environment(folder: Path, settings: Settings) -> dict[str, str]:
    """What every peer process gets: the repository importable (loadtest.peers.answering,
    models, services.contract), its temporary files in its own run folder, torch's oneDNN
    on or off as in polyserve's backends."""
    tmp = folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        "PYTHONPATH": str(REPO_ROOT),
        **{variable: str(tmp) for variable in ("TMPDIR", "TEMP", "TMP")},
        **settings.environment("torch_onednn"),
    }


@contextmanager
def serve_peer(
    command: Sequence[str],
    folder: Path,
    url: str,
    health_path: str,
    models: list[str],
    settings: Settings,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """`command` in its own process group, logging to folder/server.log, until the block
    ends; entered once `health_path` answers 200 and every model its probe."""
    log = folder / "server.log"
    environment = {**peer_environment(folder, settings), **(env or {})}
    with serving(command, log, f"{url}{health_path}", environment, STARTUP_S) as process:
        for model in models:
            wait_until(lambda m=model: answers_probe(url, m), STARTUP_S, f"{url} {model}", log)
        yield Served(url, trees_of(process.pid))
