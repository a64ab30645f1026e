"""What a load run is given and what it measures, whichever generator produced it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# The scenarios of loadtest/scenarios.py, named here so that choosing one does not import
# Locust (and its gevent monkey-patching) into the comparing process.
SCENARIOS = ("single", "batch", "mix", "fixed")


@dataclass(frozen=True)
class LoadSettings:
    users: int = 8
    spawn_rate: float = 8
    duration_s: int = 20
    scenario: str = "single"


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

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


class LoadRunError(RuntimeError):
    """The load generator produced no figures; the message says why."""
