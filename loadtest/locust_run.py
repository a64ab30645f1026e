"""One headless Locust run against one backend, and the figures read back from its CSV."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from models.artifacts import REPO_ROOT

LOCUSTFILE = REPO_ROOT / "loadtest" / "locustfile.py"
# The scenarios of loadtest/scenarios.py, named here so that choosing one does not import
# Locust (and its gevent monkey-patching) into the comparing process.
SCENARIOS = ("single", "batch", "mix")


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

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class LoadRunError(RuntimeError):
    """Locust did not produce figures; the message carries its output."""


def run_locust(url: str, settings: LoadSettings, csv_prefix: Path, label: str) -> RunFigures:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--host", url, "--users", str(settings.users), "--spawn-rate", str(settings.spawn_rate),
        "--run-time", f"{settings.duration_s}s", "--stop-timeout", "5",
        "--csv", str(csv_prefix), "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "POLYSERVE_SCENARIO": settings.scenario}
    log = csv_prefix.with_name(csv_prefix.name + "_locust.log")
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=output)
        with tqdm(total=settings.duration_s, desc=label, unit="s", leave=True) as progress:
            start = time.monotonic()
            while process.poll() is None:
                time.sleep(0.5)
                progress.n = min(settings.duration_s, int(time.monotonic() - start))
                progress.refresh()
    if process.returncode != 0:
        raise LoadRunError(f"locust exited with {process.returncode}: see {log}")
    return read_aggregate(Path(f"{csv_prefix}_stats.csv"))


def read_aggregate(stats_csv: Path) -> RunFigures:
    with open(stats_csv, newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows.get("Aggregated")
    if total is None or int(total["Request Count"]) == 0:
        raise LoadRunError(f"no requests recorded in {stats_csv}")
    return RunFigures(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        requests_per_s=float(total["Requests/s"]),
        p50_ms=float(total["50%"]),
        p95_ms=float(total["95%"]),
        p99_ms=float(total["99%"]),
    )
