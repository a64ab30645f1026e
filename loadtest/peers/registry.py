"""The peer servers `loadtest compare --peers` measures beside polyserve's backends, and the
configurations each is measured in (every one a row, its label saying what it is).

Chosen on the 2-core development machine with short wrk runs (docs/performance.md tells how
to read them): each peer batched and unbatched, in the worker counts that served it best.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from loadtest.ceiling_servers import Served
from loadtest.peers import litserve, torchserve
from services.config import Settings

Serve = Callable[[list[str], Settings], AbstractContextManager[Served]]
"""Serves the models named, under these settings, for the length of a `with` block."""


@dataclass(frozen=True)
class Setup:
    """One configuration of a peer: its row's label, and how to serve it."""

    label: str
    serve: Serve


@dataclass(frozen=True)
class Peer:
    install: Callable[[Settings], Path]
    """Its venv, installed once (before anything is measured)."""
    setups: tuple[Setup, ...]


# Unbatched, 1 worker served more than 2 in two sittings of three (the JVM front takes a core
# under load); batched, 2 workers with batches of 4 and 2 ms more than 8 and 1 ms or 1 worker.
TORCHSERVE = (
    torchserve.TorchServeConfig(workers=1),
    torchserve.TorchServeConfig(workers=2, batch_size=4, max_batch_delay_ms=2),
)
# 1 inference worker per model and 1 uvicorn process in front served more than 2 of either,
# batched or not; ZeroMQ (fast_queue) more than multiprocessing queues; batches of 8 and
# 1 ms more than of 4 and 2 ms.
LITSERVE = (
    litserve.LitServeConfig(workers=1, fast_queue=True),
    litserve.LitServeConfig(workers=1, fast_queue=True, batch_size=8, batch_timeout_ms=1),
)

PEERS: dict[str, Peer] = {
    "torchserve": Peer(
        torchserve.install,
        tuple(Setup(c.label, partial(torchserve.serve, c)) for c in TORCHSERVE),
    ),
    "litserve": Peer(
        litserve.install,
        tuple(Setup(c.label, partial(litserve.serve, c)) for c in LITSERVE),
    ),
}
