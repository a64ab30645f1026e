"""One wrk run against one target: Debian's wrk with loadtest/wrk/contract.lua.

On 2 cores Locust itself can be the bottleneck; wrk (C, event loop) costs far less per
request. It posts a single fixed request, `{"input.1": 14}`, and counts any other answer
than the contract's as a failure.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from loadtest.figures import LoadRunError, LoadSettings, RunFigures
from loadtest.progress import wait_with_progress
from models.artifacts import REPO_ROOT
from models.fizzbuzz import codec
from services.contract.protocol import render

SCRIPT = REPO_ROOT / "loadtest" / "wrk" / "contract.lua"
NUMBER = 14
THREADS = 2


def run_wrk(url: str, settings: LoadSettings, label: str, delay_ms: float = 0) -> RunFigures:
    """Full speed, or with `delay_ms` between requests on each connection (a steady rate)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadRunError("wrk is not installed (Debian: apt-get install wrk; or make setup)")
    body = render({"input.1": NUMBER}).decode()
    expected = render({"next_number": codec.answer(NUMBER)}).decode()
    command = [
        wrk, "-t", str(min(THREADS, settings.users)), "-c", str(settings.users),
        "-d", f"{settings.duration_s}s", "--timeout", "5s", "-s", str(SCRIPT),
        f"{url}/predictions/fizzbuzz", "--", body, expected, str(delay_ms),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    returncode = wait_with_progress(process, settings.duration_s, label)
    output = process.stdout.read() if process.stdout else ""
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if returncode != 0 or not lines:
        raise LoadRunError(f"wrk failed ({returncode}): {output}")
    figures = json.loads(lines[-1])
    seconds = figures["duration_us"] / 1e6
    return RunFigures(
        requests=figures["requests"],
        failures=figures["wrong"] + figures["socket_errors"],
        requests_per_s=figures["requests"] / seconds,
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
    )
