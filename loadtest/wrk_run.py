"""One wrk run against one target: Debian's wrk with loadtest/wrk/contract.lua.

On 2 cores Locust itself can be the bottleneck; wrk (C, event loop) costs far less per
request. It posts one fixed request, the model's readiness probe, and counts any other
answer than the first one as a failure (v2: any other status); the first is checked
beforehand against what the probe expects (a ceiling's fixed answer passes that check too).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from loadtest.figures import LoadRunError, LoadSettings, RunFigures
from loadtest.progress import wait_with_progress
from loadtest.protocols import Ask, ask_fixed
from models import registry
from models.artifacts import REPO_ROOT

SCRIPT = REPO_ROOT / "loadtest" / "wrk" / "contract.lua"
THREADS = 2


def probe_exchange(url: str, settings: LoadSettings) -> tuple[Ask, bytes]:
    """The request wrk repeats (the probe, or a batch of `settings.rows` examples) and the
    answer every later one must equal (v2: only its status: coalesced rows may differ from a
    lone one in the last bits of a float), checked first."""
    model = settings.model
    ask = ask_fixed(registry.get(model), settings.protocol, settings.rows)
    try:
        status, answer = ask.send(url, timeout_s=30)
    except OSError as error:
        raise LoadRunError(f"{url} does not answer {model}'s probe: {error}") from None
    if not ask.check(status, answer):
        raise LoadRunError(f"{url} answers {model}'s probe with {answer[:200]!r}")
    return ask, answer if settings.protocol == "v1" else b""


def run_wrk(url: str, settings: LoadSettings, label: str, delay_ms: float = 0) -> RunFigures:
    """Full speed, or with `delay_ms` between requests on each connection (a steady rate)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadRunError("wrk is not installed (Debian: apt-get install wrk; or make setup)")
    ask, expected = probe_exchange(url, settings)
    with tempfile.TemporaryDirectory(prefix="polyserve-wrk-") as folder:
        # Files, not arguments: a binary body holds NUL bytes, which no argument can.
        body, answer = Path(folder, "body"), Path(folder, "answer")
        body.write_bytes(ask.body)
        answer.write_bytes(expected)
        headers = [f"{name}: {value}" for name, value in ask.headers.items()]
        command = [
            wrk, "-t", str(min(THREADS, settings.users)), "-c", str(settings.users),
            "-d", f"{settings.duration_s}s", "--timeout", "5s", "-s", str(SCRIPT),
            f"{url}{ask.path}", "--", str(body), str(answer), str(delay_ms), *headers,
        ]  # fmt: skip
        return _figures(command, settings, label)


def _figures(command: list[str], settings: LoadSettings, label: str) -> RunFigures:
    """Runs wrk's `command` and reads the figures contract.lua prints at the end."""
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
