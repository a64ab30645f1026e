"""What a load run is given and what it measures, whichever generator produced it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from models import registry

# The scenarios of loadtest/scenarios.py, named here so that choosing one does not import
# Locust (and its gevent monkey-patching) into the comparing process.
SCENARIOS = ("single", "batch", "mix", "fixed")


def first_served() -> str:
    return registry.served_names()[0]


@dataclass(frozen=True)
class LoadSettings:
    users: int = 8
    spawn_rate: float = 8
    duration_s: int = 20
    scenario: str = "single"
    model: str = field(default_factory=first_served)
    """The model the load asks: its scenarios (Locust) or its readiness probe (wrk)."""
    protocol: str = "v1"
    """How it asks: the contract (v1) or the Open Inference Protocol (v2, v2-binary)."""
    rows: int = 1
    """Items in each request of a fixed load (wrk): 1, the readiness probe; more, a batch."""


@dataclass(frozen=True)
class RunFigures:
    requests: int
    failures: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_us_per_request: float | None = None
    """The server's CPU time per request (its processes, user + system), when measured."""
    cpu_stolen_pct: float | None = None
    """The share of the machine's CPU time its hypervisor stole during the run (loadtest/
    cpu_time.py), when measured."""
    server_requests: int | None = None
    """What the server's own counter says it answered (loadtest/server_metrics.py)."""
    server_p50_ms: float | None = None
    server_p99_ms: float | None = None
    """The server's own latency quantiles, from its histogram."""

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


class LoadRunError(RuntimeError):
    """The load generator produced no figures; the message says why."""
