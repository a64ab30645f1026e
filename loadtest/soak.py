"""A memory soak (a benchmark mode, not a test): does a backend's RSS grow under steady load?

    python -m loadtest soak --backend redisai [--model NAME] [--duration 300] [--share 0.8]
                            [--connections 8]

Measures the backend's peak rate with wrk for 10 s, finds the pause between requests that
holds `share` of that rate (two 5 s trial runs), then loads the backend at that rate for
`duration` seconds (wrk with the pause on each connection), sampling the RSS of its
processes every 10 s. Reports the RSS after the first tenth of the run (warm) and at the end,
and the growth between them.
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time

from loadtest.figures import LoadSettings, first_served
from loadtest.memory import rss_mb
from loadtest.wrk_run import run_wrk
from services.config import Settings
from services.stack import backends

SAMPLE_EVERY_S = 10
PEAK_RUN_S = 10
CALIBRATION_RUNS, CALIBRATION_S = 2, 5
GROWTH_LIMIT = 0.05


def calibrated_delay_ms(
    url: str, model: str, connections: int, target: float, latency_ms: float
) -> float:
    """The pause per request that holds `connections` near `target` req/s.

    A connection's cycle is its latency plus the pause, and the latency at the target rate
    is not known beforehand (lower than at peak): short trial runs correct the pause by the
    cycle time they missed by.
    """
    delay_ms = max(0.0, connections / target * 1000 - latency_ms)
    for trial in range(CALIBRATION_RUNS):
        settings = LoadSettings(connections, 1, CALIBRATION_S, model=model)
        rate = run_wrk(url, settings, f"calibration {trial + 1}", delay_ms).requests_per_s
        delay_ms = max(0.0, delay_ms + (connections / target - connections / rate) * 1000)
    return delay_ms


def soak(argv: list[str] | None = None) -> int:
    known = backends(Settings.load())
    parser = argparse.ArgumentParser(prog="python -m loadtest soak", description=__doc__)
    parser.add_argument("--backend", choices=list(known), required=True)
    parser.add_argument("--model", default=first_served(), help="default: the first served")
    parser.add_argument("--duration", type=int, default=300, help="seconds")
    parser.add_argument("--share", type=float, default=0.8, help="of the peak rate")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    if not 0 < args.share <= 1 or args.duration < SAMPLE_EVERY_S * 3:
        parser.error(f"--share in (0, 1], --duration at least {SAMPLE_EVERY_S * 3} s")
    backend = known[args.backend]
    if not backend.healthy():
        print(f"{backend.name} is not healthy (python -m services up)")
        return 1

    peak_settings = LoadSettings(args.connections, 1, PEAK_RUN_S, model=args.model)
    peak = run_wrk(backend.url, peak_settings, "peak rate")
    target = peak.requests_per_s * args.share
    delay_ms = calibrated_delay_ms(backend.url, args.model, args.connections, target, peak.p50_ms)
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        start = time.monotonic()
        while not stop.wait(SAMPLE_EVERY_S if samples else 0):
            samples.append((time.monotonic() - start, rss_mb(backend)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    settings = LoadSettings(args.connections, 1, args.duration, model=args.model)
    try:
        steady = run_wrk(backend.url, settings, f"soak at {target:,.0f} req/s", delay_ms)
    except subprocess.SubprocessError as error:
        print(f"soak failed: {error}")
        return 1
    finally:
        stop.set()
        sampler.join()
    warm = next(rss for t, rss in samples if t >= args.duration / 10)
    end = samples[-1][1]
    growth = (end - warm) / warm
    print(f"\n{backend.name}: peak {peak.requests_per_s:,.0f} req/s; soak held "
          f"{steady.requests_per_s:,.0f} req/s "
          f"({steady.requests_per_s / peak.requests_per_s:.0%} of it) for {args.duration} s "
          f"({steady.failures} failures, p99 {steady.p99_ms:.1f} ms)")  # fmt: skip
    print(
        f"RSS: {warm:,.1f} MB warm, {end:,.1f} MB at the end: {growth:+.1%} "
        f"({'within' if growth <= GROWTH_LIMIT else 'OVER'} the {GROWTH_LIMIT:.0%} bound)"
    )
    print("samples (s, MB): " + ", ".join(f"{t:.0f}:{rss:.1f}" for t, rss in samples))
    return 0 if growth <= GROWTH_LIMIT and steady.failures == 0 else 2
