"""One headless Locust run against one backend, and the figures read back from its final stats.

The final stats are Locust's JSON file, written when the run has stopped. Not its CSV: Locust
rewrites that once a second while it runs and not at the end, so it misses the last second
(a fifth of a 3 s run's requests; found when the servers' own counters disagreed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from loadtest.figures import LoadRunError, LoadSettings, RunFigures
from loadtest.progress import wait_with_progress
from models.artifacts import REPO_ROOT

LOCUSTFILE = REPO_ROOT / "loadtest" / "locustfile.py"


def run_locust(
    url: str, settings: LoadSettings, stats_prefix: Path, label: str, examples: Path | None = None
) -> RunFigures:
    """One run, its stats in STATS_PREFIX.json and its log in STATS_PREFIX_locust.log;
    `examples`: a file of the model's examples (loadtest/examples_file.save_examples)."""
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--host", url, "--users", str(settings.users), "--spawn-rate", str(settings.spawn_rate),
        "--run-time", f"{settings.duration_s}s", "--stop-timeout", "5",
        "--json-file", str(stats_prefix), "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {
        **os.environ,
        "POLYSERVE_SCENARIO": settings.scenario,
        "POLYSERVE_MODEL": settings.model,
        "POLYSERVE_PROTOCOL": settings.protocol,
        **({"POLYSERVE_EXAMPLES": str(examples)} if examples else {}),
    }
    log = stats_prefix.with_name(stats_prefix.name + "_locust.log")
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=output)
        returncode = wait_with_progress(process, settings.duration_s, label)
    if returncode != 0:
        raise LoadRunError(f"locust exited with {returncode}: see {log}")
    return read_final_stats(Path(f"{stats_prefix}.json"))


def percentile_ms(response_times: Counter[float], q: float) -> float:
    """The smallest response time (ms, as Locust rounds them) with at least a share `q` of
    the requests at or below it."""
    rank, seen = q * response_times.total(), 0
    for milliseconds in sorted(response_times):
        seen += response_times[milliseconds]
        if seen >= rank:
            return milliseconds
    return max(response_times)


def read_final_stats(stats_json: Path) -> RunFigures:
    """Every request of the run (each of Locust's entries, one per request name, summed)."""
    entries = json.loads(stats_json.read_text())
    requests = sum(entry["num_requests"] for entry in entries)
    if not requests:
        raise LoadRunError(f"no requests recorded in {stats_json}")
    response_times: Counter[float] = Counter()
    for entry in entries:
        for milliseconds, count in entry["response_times"].items():
            response_times[float(milliseconds)] += count
    started = min(entry["start_time"] for entry in entries)
    last = max(entry["last_request_timestamp"] for entry in entries)
    return RunFigures(
        requests=requests,
        failures=sum(entry["num_failures"] for entry in entries),
        requests_per_s=requests / (last - started) if last > started else 0.0,
        p50_ms=percentile_ms(response_times, 0.5),
        p95_ms=percentile_ms(response_times, 0.95),
        p99_ms=percentile_ms(response_times, 0.99),
    )
