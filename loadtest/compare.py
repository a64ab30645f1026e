"""Compare the backends under the same load, one after the other, in one run.

    python -m loadtest compare [--users N] [--spawn-rate R] [--duration S]
                               [--scenario single|batch|mix] [--backends flask,mms,redisai]
                               [--load locust|wrk] [--rounds N] [--no-ceilings]

The backends must be running (`python -m services up`). Each backend is followed at once by
its ceiling (the same server stack with no model: loadtest/ceiling_servers.py), started for
the occasion, under the same load. With --rounds N, backend and ceiling alternate N times and
each row is the round of median throughput (failures and requests summed over all rounds):
the machines are noisy, and one run of each can mislead. Writes into results/<time>/: the
load generator's files, report.md, chart.png and summary.json; prints the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from loadtest.ceiling_servers import CEILINGS
from loadtest.cpu_time import spent_per_request
from loadtest.figures import SCENARIOS, LoadRunError, LoadSettings, RunFigures
from loadtest.locust_run import run_locust
from loadtest.memory import rss_mb
from loadtest.model_speed import model_ceilings
from loadtest.report import Measured, write_report
from loadtest.wrk_run import run_wrk
from models.artifacts import REPO_ROOT, ModelFiles
from services.config import backend_urls
from services.process import http_ok
from services.stack import backends

GENERATORS = ("locust", "wrk")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    urls = backend_urls()
    parser = argparse.ArgumentParser(prog="python -m loadtest compare", description=__doc__)
    parser.add_argument("--users", type=int, default=LoadSettings.users, help="or connections")
    parser.add_argument("--spawn-rate", type=float, default=LoadSettings.spawn_rate)
    parser.add_argument("--duration", type=int, default=LoadSettings.duration_s, help="seconds")
    parser.add_argument("--scenario", choices=SCENARIOS, default=LoadSettings.scenario)
    parser.add_argument("--backends", default=",".join(urls), help="comma-separated")
    parser.add_argument("--load", choices=GENERATORS, default="locust", help="load generator")
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs per target")
    parser.add_argument("--no-ceilings", dest="ceilings", action="store_false")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "results")
    args = parser.parse_args(argv)
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = set(args.backends) - set(urls)
    if unknown or not args.backends:
        parser.error(f"unknown backends {sorted(unknown)}; choose from {', '.join(urls)}")
    if min(args.users, args.duration, args.rounds) < 1 or args.spawn_rate <= 0:
        parser.error("--users, --duration, --rounds and --spawn-rate must be positive")
    if args.load == "wrk" and args.scenario != "single":
        parser.error("--load wrk runs the single-number scenario only")
    return args


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    url: str
    pids: Callable[[], list[int]]
    """Its processes now (a backend's or a ceiling's), for the CPU time they spend."""


class Runner:
    """Runs the chosen generator against one URL, numbering the runs for the progress bars."""

    def __init__(self, load: str, settings: LoadSettings, folder: Path, total: int) -> None:
        self.load, self.settings, self.folder, self.total = load, settings, folder, total
        self.done = 0

    def measure(self, target: Target, round_: int, ceiling: bool = False) -> RunFigures:
        """One run, with the CPU time the target's processes spent on it per request."""
        return spent_per_request(
            target.pids, lambda: self._load(target.name, target.url, round_, ceiling)
        )

    def _load(self, name: str, url: str, round_: int, ceiling: bool) -> RunFigures:
        """A ceiling answers a fixed body, so it gets the fixed request it answers."""
        self.done += 1
        label = f"[{self.done}/{self.total}] {name}"
        if self.load == "wrk":
            return run_wrk(url, self.settings, label)
        settings = (
            dataclasses.replace(self.settings, scenario="fixed") if ceiling else self.settings
        )
        csv_prefix = self.folder / f"{name.replace(' ', '-')}-{round_}"
        return run_locust(url, settings, csv_prefix, label)


def median_round(runs: list[RunFigures]) -> RunFigures:
    """The run of median throughput, carrying the requests and failures of every round."""
    median = sorted(runs, key=lambda run: run.requests_per_s)[(len(runs) - 1) // 2]
    return dataclasses.replace(
        median,
        requests=sum(run.requests for run in runs),
        failures=sum(run.failures for run in runs),
    )


def measure_backend(
    runner: Runner, backend: Target, rounds: int, with_ceiling: bool
) -> tuple[RunFigures, tuple[str, RunFigures] | None]:
    """The backend (and its ceiling, started for the occasion), alternating for `rounds`."""
    if not with_ceiling:
        return median_round([runner.measure(backend, r) for r in range(rounds)]), None
    description, serve = CEILINGS[backend.name]
    backend_runs, ceiling_runs = [], []
    with serve() as served:
        ceiling = Target(f"{backend.name} ceiling", served.url, served.pids)
        for r in range(rounds):
            backend_runs.append(runner.measure(backend, r))
            ceiling_runs.append(runner.measure(ceiling, r, ceiling=True))
    return median_round(backend_runs), (description, median_round(ceiling_runs))


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
    with_ceiling = [name for name in args.backends if args.ceilings and name in CEILINGS]
    runs = (len(args.backends) + len(with_ceiling)) * args.rounds
    runner = Runner(args.load, settings, folder, runs)

    print("measuring the raw model in process ...")
    model_speed = model_ceilings(ModelFiles.of("fizzbuzz"))
    measured: list[Measured] = []
    stack = backends()
    try:
        for name in args.backends:
            target = Target(name, urls[name], stack[name].pids)
            backend, ceiling = measure_backend(runner, target, args.rounds, name in with_ceiling)
            measured.append(Measured(name, backend, ceiling, rss_mb(stack[name])))
    except LoadRunError as error:
        print(f"\n{error}")
        return 1
    print()
    print(write_report(folder, measured, model_speed, settings, args.load, args.rounds))
    print(f"report: {folder / 'report.md'}\nchart:  {folder / 'chart.png'}")
    return 0 if all(m.backend.failures == 0 for m in measured) else 2
