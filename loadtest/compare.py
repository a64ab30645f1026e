"""Compare the backends under the same Locust load, one after the other, in one run.

    python -m loadtest compare [--users N] [--spawn-rate R] [--duration S]
                               [--scenario single|batch|mix] [--backends flask,mms,redisai]

The backends must be running (`python -m services up`). Writes into results/<time>/:
Locust's CSVs per backend, report.md, chart.png and summary.json; prints the table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from loadtest.ceiling import model_ceilings
from loadtest.locust_run import SCENARIOS, LoadRunError, LoadSettings, RunFigures, run_locust
from loadtest.report import write_report
from models.artifacts import REPO_ROOT, ModelFiles
from services.config import backend_urls
from services.process import http_ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    urls = backend_urls()
    parser = argparse.ArgumentParser(prog="python -m loadtest compare", description=__doc__)
    parser.add_argument("--users", type=int, default=LoadSettings.users)
    parser.add_argument("--spawn-rate", type=float, default=LoadSettings.spawn_rate)
    parser.add_argument("--duration", type=int, default=LoadSettings.duration_s, help="seconds")
    parser.add_argument("--scenario", choices=SCENARIOS, default=LoadSettings.scenario)
    parser.add_argument("--backends", default=",".join(urls), help="comma-separated")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "results")
    args = parser.parse_args(argv)
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = set(args.backends) - set(urls)
    if unknown or not args.backends:
        parser.error(f"unknown backends {sorted(unknown)}; choose from {', '.join(urls)}")
    if args.users < 1 or args.duration < 1 or args.spawn_rate <= 0:
        parser.error("--users, --duration and --spawn-rate must be positive")
    return args


def compare(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    urls = backend_urls()
    down = [name for name in args.backends if not http_ok(f"{urls[name]}/ping")]
    if down:
        print(f"not healthy: {', '.join(down)} (start them with `python -m services up`)")
        return 1
    settings = LoadSettings(args.users, args.spawn_rate, args.duration, args.scenario)
    folder = args.results / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)

    print("measuring the raw model in process ...")
    ceilings = model_ceilings(ModelFiles.of("fizzbuzz"))
    figures: dict[str, RunFigures] = {}
    for index, name in enumerate(args.backends, start=1):
        label = f"[{index}/{len(args.backends)}] {name}"
        try:
            figures[name] = run_locust(urls[name], settings, folder / name, label)
        except LoadRunError as error:
            print(f"{name}: {error}")
            return 1
    print()
    print(write_report(folder, figures, ceilings, settings))
    print(f"report: {folder / 'report.md'}\nchart:  {folder / 'chart.png'}")
    return 0 if all(run.failures == 0 for run in figures.values()) else 2
