"""Compare the backends under the same load, one after the other, in one run, per model.

    python -m loadtest compare [--users N] [--spawn-rate R] [--duration S]
                               [--scenario single|batch|mix] [--backends flask,mms,redisai]
                               [--models fizzbuzz,digits] [--load locust|wrk] [--rounds N]
                               [--no-ceilings] [--protocols v1,v2,v2-binary] [--rows N]
                               [--peers torchserve,litserve] [--warmup S]

The backends must be running (`python -m services up`). For each backend, its ceiling (the
same server stack with no model: loadtest/ceiling_servers.py) is started for the occasion,
and for each model the backend is followed at once by its ceiling under the same load. With
--protocols v1,v2 each backend is also asked the same items through the Open Inference
Protocol (rows "<backend> v2", without a ceiling; v2-binary: with its binary tensor data
extension). With --rounds N, a backend's rows (each protocol, the ceiling) take turns N
times and each row is the round of median throughput (failures and requests summed over all
rounds): the machines are noisy, and one run of each can mislead. With --rows N (wrk, no
ceilings) each request is a batch of N of the model's examples instead of its readiness
probe. With --peers, after the backends, each peer server (loadtest/peers/registry.py)
serves the same TorchScript files through a handler doing the backends' work (the model's
codec, one intra-op thread per worker) in each of its configurations in turn, each a row
named after it ("torchserve 2w batch 4/2ms"), asked in v1 only, without a ceiling; a peer is
installed the first time into its own venv, run/peers/<peer>/venv (minutes). Every target
(backend, ceiling, peer) gets --warmup seconds of wrk per model before its first measured
run, not measured (default 3; a JVM front, MMS's or TorchServe's, needs some 20 s of load to
compile its hot paths).
Writes into results/<time>/: the load generator's files, report.md (a table per model),
chart-<model>.png and summary.json; prints the tables.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from loadtest.arguments import comma_separated
from loadtest.ceiling_servers import CEILINGS
from loadtest.cpu_time import spent_per_request
from loadtest.examples_file import save_examples
from loadtest.figures import SCENARIOS, LoadRunError, LoadSettings, RunFigures
from loadtest.locust_run import run_locust
from loadtest.memory import rss_mb
from loadtest.model_speed import model_ceilings
from loadtest.peers.registry import PEERS
from loadtest.protocols import PROTOCOLS
from loadtest.report import Measured, write_report
from loadtest.server_metrics import with_server_figures
from loadtest.wrk_run import run_wrk
from models import registry
from models.artifacts import REPO_ROOT
from services.config import Settings
from services.process import StartupError, http_ok
from services.stack import backends

GENERATORS = ("locust", "wrk")
NAMES = comma_separated(str)
WARM_UP_S = 3
"""Seconds of unmeasured load per model and target, by default: enough for the Python servers."""


def parse_args(argv: list[str] | None, urls: dict[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtest compare", description=__doc__)
    parser.add_argument("--users", type=int, default=LoadSettings.users, help="or connections")
    parser.add_argument("--spawn-rate", type=float, default=LoadSettings.spawn_rate)
    parser.add_argument("--duration", type=int, default=LoadSettings.duration_s, help="seconds")
    parser.add_argument("--scenario", choices=SCENARIOS, default=LoadSettings.scenario)
    parser.add_argument("--backends", type=NAMES, default=",".join(urls), help="comma-separated")
    with_codec = [name for name in registry.served_names() if not registry.get(name).imported]
    parser.add_argument(
        "--models", type=NAMES, default=",".join(with_codec), help="comma-separated"
    )
    parser.add_argument("--load", choices=GENERATORS, default="locust", help="load generator")
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs per target")
    parser.add_argument("--no-ceilings", dest="ceilings", action="store_false")
    parser.add_argument(
        "--protocols",
        type=NAMES,
        default="v1",
        help="v1 (the contract), v2 (Open Inference), or both",
    )
    parser.add_argument(
        "--rows", type=int, default=1, help="items per request (wrk; 1: the readiness probe)"
    )
    parser.add_argument(
        "--peers",
        type=NAMES,
        default="",
        help=f"peer servers too, comma-separated: {', '.join(PEERS)}",
    )
    parser.add_argument(
        "--warmup", type=int, default=WARM_UP_S, help="seconds of wrk per model and target first"
    )
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "results")
    args = parser.parse_args(argv)
    unknown = set(args.backends) - set(urls)
    if unknown or not args.backends:
        parser.error(f"unknown backends {sorted(unknown)}; choose from {', '.join(urls)}")
    served = registry.served_names()
    if not args.models or set(args.models) - set(served):
        parser.error(f"--models: choose from the served models {', '.join(served)}")
    if not args.protocols or set(args.protocols) - set(PROTOCOLS):
        parser.error(f"--protocols: choose from {', '.join(PROTOCOLS)}")
    if set(args.peers) - set(PEERS):
        parser.error(f"--peers: choose from {', '.join(PEERS)}")
    if args.peers and "v1" not in args.protocols:
        parser.error("--peers are asked through the contract (v1) only: add v1 to --protocols")
    tensors_only = [name for name in args.models if registry.get(name).imported]
    if tensors_only and (args.protocols != ["v2"] or args.load != "wrk"):
        parser.error(f"{', '.join(tensors_only)}: imported models take --protocols v2 --load wrk")
    if min(args.users, args.duration, args.rounds) < 1 or args.spawn_rate <= 0:
        parser.error("--users, --duration, --rounds and --spawn-rate must be positive")
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more seconds")
    if args.rows != 1 and (args.load != "wrk" or args.ceilings or args.peers):
        parser.error("--rows takes --load wrk and --no-ceilings, and no --peers")
    if args.load == "wrk" and args.scenario != "single":
        parser.error("--load wrk runs the single-number scenario only")
    return args


def server_label(protocol: str) -> str:
    """The protocol label the servers count a request under (binary data is still v2)."""
    return "v1" if protocol == "v1" else "v2"


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    url: str
    pids: Callable[[], list[int]]
    """Its processes now (a backend's, a ceiling's, a peer's), for the CPU time they spend."""
    counts: bool = True
    """It counts its requests at GET /metrics (polyserve's backends; not a peer)."""


class Runner:
    """Runs the chosen generator against one URL, numbering the runs for the progress bars."""

    def __init__(
        self, load: str, settings: LoadSettings, folder: Path, total: int, warmup_s: int = 0
    ) -> None:
        self.load, self.settings, self.folder, self.total = load, settings, folder, total
        self.warmup_s = warmup_s
        self.done = 0

    def warm_up(self, target: Target, models: list[str], protocol: str = "v1") -> None:
        """`warmup_s` of wrk per model, not measured: every target alike, so that none is
        measured colder than another (a JVM serves far less until its JIT has compiled its hot
        paths: MMS 2,750 then 4,966 requests/s over its first runs after a start). Skipped
        where wrk is not installed (Locust runs need none)."""
        if self.warmup_s <= 0 or shutil.which("wrk") is None:
            return
        for model in models:
            settings = dataclasses.replace(
                self.settings, model=model, protocol=protocol, duration_s=self.warmup_s
            )
            run_wrk(target.url, settings, f"warming up {target.name}, {model}")

    def measure(self, target: Target, round_: int, ceiling: bool = False) -> RunFigures:
        """One run, with the CPU time the target's processes spent on it per request, and for
        a backend its own count and latency (a ceiling has no model to count)."""

        def run() -> RunFigures:
            return spent_per_request(
                target.pids, lambda: self._load(target.name, target.url, round_, ceiling)
            )

        if ceiling or not target.counts:
            return run()
        series = (self.settings.model, server_label(self.settings.protocol))
        return with_server_figures(target.url, series, self.settings.users, run)

    def for_model(self, model: str, protocol: str = "v1") -> Runner:
        """The same runner (and run count) loading `model` in `protocol`."""
        self.settings = dataclasses.replace(self.settings, model=model, protocol=protocol)
        return self

    def _load(self, name: str, url: str, round_: int, ceiling: bool) -> RunFigures:
        """A ceiling answers a fixed body, so it gets the fixed request it answers."""
        self.done += 1
        model = self.settings.model
        label = f"[{self.done}/{self.total}] {name}, {model}"
        if self.load == "wrk":
            return run_wrk(url, self.settings, label)
        settings = (
            dataclasses.replace(self.settings, scenario="fixed") if ceiling else self.settings
        )
        stats_prefix = self.folder / f"{model}-{name.replace(' ', '-')}-{round_}"
        return run_locust(url, settings, stats_prefix, label, self.examples(model))

    def examples(self, model: str) -> Path:
        """The model's examples, saved once for every Locust run of this comparison."""
        path = self.folder / f"examples-{model}.json"
        return path if path.exists() else save_examples(registry.get(model), path)


def median_round(runs: list[RunFigures]) -> RunFigures:
    """The run of median throughput, carrying the requests and failures of every round."""
    median = sorted(runs, key=lambda run: run.requests_per_s)[(len(runs) - 1) // 2]
    counted = [run.server_requests for run in runs]
    return dataclasses.replace(
        median,
        requests=sum(run.requests for run in runs),
        failures=sum(run.failures for run in runs),
        server_requests=None if None in counted else sum(counted),
    )


def measure_backend(
    runner: Runner,
    backend: Target,
    models: list[str],
    rounds: int,
    protocols: list[str],
    ceiling_settings: Settings | None,
) -> dict[str, list[Measured]]:
    """Per model, a row for the backend asked in each protocol ("flask", "flask v2", ...), the
    v1 row with its ceiling when there are `ceiling_settings` (the ceiling started once for all
    models). Round by round every row gets a run in turn (v1, its ceiling, then the other
    protocols), so that a slower or faster stretch of the machine (the CPU its hypervisor
    steals varies from run to run) falls on each row alike, not on one protocol's rounds."""
    served_ceiling: contextlib.AbstractContextManager = contextlib.nullcontext()
    description = ""
    if ceiling_settings is not None:
        description, serve = CEILINGS[backend.name]
        served_ceiling = serve(ceiling_settings)
    targets = {
        protocol: backend if protocol == "v1" else dataclasses.replace(
            backend, name=f"{backend.name} {protocol}"
        )
        for protocol in protocols
    }  # fmt: skip
    measured: dict[str, list[Measured]] = {}
    with served_ceiling as served:
        ceiling = None
        if served is not None:
            ceiling = Target(f"{backend.name} ceiling", served.url, served.pids)
            runner.warm_up(ceiling, models)
        for model in models:
            runs: dict[str, list[RunFigures]] = {protocol: [] for protocol in protocols}
            ceiling_runs = []
            for r in range(rounds):
                for protocol, target in targets.items():
                    runs[protocol].append(runner.for_model(model, protocol).measure(target, r))
                    if ceiling and protocol == "v1":
                        ceiling_runs.append(runner.measure(ceiling, r, ceiling=True))
            against = (description, median_round(ceiling_runs)) if ceiling_runs else None
            rss = rss_mb(backend)
            measured[model] = [
                Measured(target.name, median_round(runs[protocol]),
                         against if protocol == "v1" else None, rss)
                for protocol, target in targets.items()
            ]  # fmt: skip
    return measured


def measure_peers(
    runner: Runner, peers: list[str], models: list[str], rounds: int, settings: Settings
) -> dict[str, list[Measured]]:
    """Per model, a row for each configuration of each peer: each configuration served once
    for all models (its venv installed already) and warmed up, `rounds` runs per model."""
    measured: dict[str, list[Measured]] = {model: [] for model in models}
    for peer in peers:
        for setup in PEERS[peer].setups:
            with setup.serve(models, settings) as served:
                target = Target(setup.label, served.url, served.pids, counts=False)
                runner.warm_up(target, models)
                for model in models:
                    runs = [runner.for_model(model).measure(target, r) for r in range(rounds)]
                    row = Measured(setup.label, median_round(runs), None, rss_mb(served))
                    measured[model].append(row)
    return measured


def compare(argv: list[str] | None = None) -> int:
    stack_settings = Settings.load()
    urls = stack_settings.backend_urls()
    args = parse_args(argv, urls)
    down = [name for name in args.backends if not http_ok(f"{urls[name]}/ping")]
    if down:
        print(f"not healthy: {', '.join(down)} (start them with `python -m services up`)")
        return 1
    settings = LoadSettings(
        args.users, args.spawn_rate, args.duration, args.scenario, rows=args.rows
    )
    folder = args.results / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    # A ceiling answers the v1 probe: it stands beside the v1 rows only.
    with_ceiling = [
        name for name in args.backends
        if args.ceilings and "v1" in args.protocols and name in CEILINGS
    ]  # fmt: skip
    per_model = len(args.backends) * len(args.protocols) + len(with_ceiling)
    per_model += sum(len(PEERS[peer].setups) for peer in args.peers)
    runs = per_model * args.rounds * len(args.models)
    runner = Runner(args.load, settings, folder, runs, args.warmup)

    try:
        for peer in args.peers:
            PEERS[peer].install(stack_settings)
    except subprocess.CalledProcessError as error:
        print(f"installing a peer failed: {error}")
        return 1
    print("measuring the raw models in process ...")
    model_speed = {model: model_ceilings(registry.get(model)) for model in args.models}
    measured: dict[str, list[Measured]] = {model: [] for model in args.models}
    stack = backends(stack_settings)
    try:
        for name in args.backends:
            target = Target(name, urls[name], stack[name].pids)
            runner.warm_up(target, args.models, args.protocols[0])
            ceiling = stack_settings if name in with_ceiling else None
            rows = measure_backend(
                runner, target, args.models, args.rounds, args.protocols, ceiling
            )
            for model in args.models:
                measured[model] += rows[model]
        peers = measure_peers(runner, args.peers, args.models, args.rounds, stack_settings)
        for model, rows in peers.items():
            measured[model] += rows
    except (LoadRunError, StartupError, subprocess.CalledProcessError) as error:
        print(f"\n{error}")
        return 1
    print()
    print(write_report(folder, measured, model_speed, settings, args.load, args.rounds))
    print(f"report: {folder / 'report.md'}\ncharts: {folder}/chart-<model>.png")
    failures = [m.backend.failures for runs in measured.values() for m in runs]
    return 0 if not any(failures) else 2
