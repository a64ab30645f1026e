"""Before/after, side by side: one server command in several variants, alternating, with wrk.

    python -m loadtest variants --server 'python -m services.redisai.gateway --port {port}' \\
        'coalescing:' 'one-call-each:POLYSERVE_GATEWAY_COALESCE_ROWS=0' \\
        'before@run/ab/before:' [--rounds 3] [--duration 6] [--connections 8] [--protocol v2] \\
        [--warmup 0]

A variant is NAME[@TREE]:[VAR=VALUE,...]: the server command runs with those environment
variables, in TREE (another checkout, e.g. `git worktree add run/ab/before REV`) or in this
one. Each round starts every variant in turn on a free port, waits for /ping, loads it (after
`--warmup` seconds of load not measured: a JVM front runs slower until its JIT has compiled
the hot paths, some 20 s of load), and stops it; each row is the median of its rounds, with
its ratio to the first variant, and the CPU time the server's processes spent per request.
How each optimisation of issue 8 was measured.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from loadtest.cpu_time import spent_per_request, trees_of
from loadtest.figures import LoadSettings, RunFigures, first_served
from loadtest.protocols import PROTOCOLS
from loadtest.wrk_run import run_wrk
from models.artifacts import REPO_ROOT
from services.config import LOCALHOST, Settings
from services.mms.settings import TCP_PORT_LIMIT
from services.process import free_port, serving


@dataclass(frozen=True)
class Variant:
    name: str
    tree: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Variant:
        head, _, assignments = text.partition(":")
        name, _, tree = head.partition("@")
        env = dict(item.split("=", 1) for item in assignments.split(",") if "=" in item)
        return cls(name, Path(tree).resolve() if tree else REPO_ROOT, env)


def measure(
    variant: Variant, server: str, settings: LoadSettings, label: str, logs: Path, warmup_s: int
) -> RunFigures:
    port = free_port(below=TCP_PORT_LIMIT)  # the server measured may be MMS itself
    command = [
        "bash", "-c", f"cd {shlex.quote(str(variant.tree))} && exec {server.format(port=port)}",
    ]  # fmt: skip
    url = f"http://{LOCALHOST}:{port}"
    log = logs / f"{variant.name}.log"
    with serving(command, log, f"{url}/ping", env=variant.env) as process:
        if warmup_s:
            run_wrk(url, replace(settings, duration_s=warmup_s), f"{label} warm-up")
        return spent_per_request(trees_of(process.pid), lambda: run_wrk(url, settings, label))


def table(variants: list[Variant], runs: dict[str, list[RunFigures]]) -> str:
    lines = [
        "| variant | req/s (median) | each round | CPU stolen % each round | CPU µs/request "
        "| p99 ms | failures | vs first |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    first = statistics.median(r.requests_per_s for r in runs[variants[0].name])
    for variant in variants:
        figures = runs[variant.name]
        rate = statistics.median(r.requests_per_s for r in figures)
        rounds = ", ".join(f"{r.requests_per_s:,.0f}" for r in figures)
        stolen = ", ".join(
            "-" if r.cpu_stolen_pct is None else f"{r.cpu_stolen_pct:.1f}" for r in figures
        )
        cpu = statistics.median(r.cpu_us_per_request or 0 for r in figures)
        p99 = statistics.median(r.p99_ms for r in figures)
        failures = sum(r.failures for r in figures)
        lines.append(
            f"| {variant.name} | {rate:,.0f} | {rounds} | {stolen} | {cpu:,.1f} | {p99:.1f} "
            f"| {failures} | {rate / first:.2f}x |"
        )
    return "\n".join(lines)


def variants(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest variants", description=__doc__)
    parser.add_argument("variant", nargs="+", type=Variant.parse)
    parser.add_argument("--server", required=True, help="with {port}; `python` is this one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=6, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=0, help="seconds of load before each run")
    parser.add_argument("--model", default=first_served(), help="default: the first served")
    parser.add_argument("--protocol", choices=PROTOCOLS, default=LoadSettings.protocol)
    args = parser.parse_args(argv)
    names = [variant.name for variant in args.variant]
    if len(set(names)) != len(names) or min(args.rounds, args.duration, args.connections) < 1:
        parser.error("variant names must differ; rounds, duration, connections positive")
    if args.warmup < 0:
        parser.error("--warmup: seconds, 0 or more")
    program, _, rest = args.server.partition(" ")
    server = f"{shlex.quote(sys.executable)} {rest}" if program == "python" else args.server
    settings = LoadSettings(
        args.connections, 1, args.duration, model=args.model, protocol=args.protocol
    )
    logs = Settings.load().folder("variants")
    runs: dict[str, list[RunFigures]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        for variant in args.variant:
            label = f"[round {round_ + 1}] {variant.name}"
            runs[variant.name].append(measure(variant, server, settings, label, logs, args.warmup))
    print(
        f"\nwrk, {args.connections} connections, {args.duration} s runs "
        f"(after {args.warmup} s of warm-up), {args.model} "
        f"({args.protocol}): {args.server}\n"
    )
    print(table(args.variant, runs))
    return 0 if all(r.failures == 0 for figures in runs.values() for r in figures) else 2
