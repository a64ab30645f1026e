"""One headless Locust run against one backend, and the figures read back from its CSV."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from loadtest.figures import LoadRunError, LoadSettings, RunFigures
from loadtest.progress import wait_with_progress
from models.artifacts import REPO_ROOT

LOCUSTFILE = REPO_ROOT / "loadtest" / "locustfile.py"


def run_locust(
    url: str, settings: LoadSettings, csv_prefix: Path, label: str, examples: Path | None = None
) -> RunFigures:
    """One run; `examples`: a file of the model's examples (loadtest/scenarios.save_examples)."""
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--host", url, "--users", str(settings.users), "--spawn-rate", str(settings.spawn_rate),
        "--run-time", f"{settings.duration_s}s", "--stop-timeout", "5",
        "--csv", str(csv_prefix), "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {
        **os.environ,
        "POLYSERVE_SCENARIO": settings.scenario,
        "POLYSERVE_MODEL": settings.model,
        "POLYSERVE_PROTOCOL": settings.protocol,
        **({"POLYSERVE_EXAMPLES": str(examples)} if examples else {}),
    }
    log = csv_prefix.with_name(csv_prefix.name + "_locust.log")
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=output)
        returncode = wait_with_progress(process, settings.duration_s, label)
    if returncode != 0:
        raise LoadRunError(f"locust exited with {returncode}: see {log}")
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
