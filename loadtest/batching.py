"""Does the module's auto-batching pay? The running RedisAI backend, redeployed per setting.

    python -m loadtest batching [--model NAME] [--batchsizes 0,16] [--connections 8,64]
                                [--rounds 3] [--duration 6]

For each round, the model is stored again with each BATCHSIZE in turn (0: no batching) and
loaded with wrk at each connection count; each cell is the median of its rounds. The model is
stored back with the batching it had before. Needs `python -m services up` (redisai).
"""

from __future__ import annotations

import argparse
import statistics

import redis

from exporters.redisai import Batching, deploy, stored_meta
from loadtest.arguments import comma_separated
from loadtest.figures import LoadSettings, RunFigures, first_served
from loadtest.wrk_run import run_wrk
from models import registry
from models.artifacts import ModelFiles
from services.config import Settings
from services.process import http_ok


def table(cells: dict[tuple[int, int], list[RunFigures]], connections: list[int]) -> str:
    """Markdown: a row per BATCHSIZE, req/s and p99 per connection count (median rounds)."""
    header = "| BATCHSIZE | " + " | ".join(f"{c} conns req/s | p99 ms" for c in connections)
    lines = [header + " |", "| ---: |" + " ---: | ---: |" * len(connections)]
    for batchsize in sorted({b for b, _ in cells}):
        row = []
        for count in connections:
            runs = cells[(batchsize, count)]
            row.append(f"{statistics.median(r.requests_per_s for r in runs):,.0f}")
            row.append(f"{statistics.median(r.p99_ms for r in runs):.1f}")
        lines.append(f"| {batchsize or 'off'} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def batching(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest batching", description=__doc__)
    parser.add_argument("--model", default=first_served(), help="default: the first served")
    parser.add_argument("--batchsizes", type=comma_separated(int), default=[0, 16])
    parser.add_argument("--connections", type=comma_separated(int), default=[8, 64])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=6, help="seconds per run")
    args = parser.parse_args(argv)
    if min(args.connections, default=0) < 1 or min(args.batchsizes, default=-1) < 0:
        parser.error("connections must be positive and batch sizes not negative")
    settings = Settings.load()
    url = settings.backend_urls()["redisai"]
    if not http_ok(f"{url}/ping"):
        print("redisai is not healthy (python -m services up)")
        return 1
    spec, files = registry.get(args.model), ModelFiles.of(args.model)
    cells: dict[tuple[int, int], list[RunFigures]] = {}
    failures = 0
    with redis.Redis.from_url(settings.gateway_redis_url(), socket_timeout=30) as client:
        meta = stored_meta(client, spec.name)
        before = Batching.of_meta(meta) if meta else Batching()
        try:
            for round_ in range(args.rounds):
                for batchsize in args.batchsizes:
                    deploy(client, spec, files, Batching(batchsize))
                    for count in args.connections:
                        label = f"[round {round_ + 1}] BATCHSIZE {batchsize}, {count} conns"
                        settings = LoadSettings(count, 1, args.duration, model=spec.name)
                        figures = run_wrk(url, settings, label)
                        failures += figures.failures
                        cells.setdefault((batchsize, count), []).append(figures)
        finally:
            deploy(client, spec, files, before)
    print(f"\nwrk, {args.duration} s runs, median of {args.rounds} rounds, {failures} failures\n")
    print(table(cells, args.connections))
    return 0 if failures == 0 else 2
