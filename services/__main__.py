"""The local stack, without Docker: every backend side by side on this machine.

    python -m services up [--backends flask,mms,redisai] [--redis-cluster N]
    python -m services status
    python -m services down

`up` trains and exports whatever is missing for every served model, starts each chosen
backend (each serves every model) under its supervisor, waits until each is ready and prints
where it is, its Prometheus metrics too. A port already taken is reported before anything
starts. A process that exits is restarted by its supervisor; `status` shows each one's state,
uptime and restarts. With `--redis-cluster N` the RedisAI backend's Redis is a Redis Cluster of
N masters with a replica each (POLYSERVE_REDIS_CLUSTER_MASTERS; docs/redis-cluster.md).
`down` stops what `up` started (also after crashes, leaving no process behind).
"""

from __future__ import annotations

import argparse
import sys

from services.config import Settings
from services.exports import export_if_stale
from services.stack import BACKENDS, Backend, backends, port_taken


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def taken_ports(chosen: list[Backend]) -> list[str]:
    """Ports someone else holds: a backend of ours already running keeps its own."""
    return [
        f"port {port} ({label})"
        for backend in chosen
        if not backend.lifecycle.supervisor.running()
        for label, port in backend.ports.items()
        if port_taken(port)
    ]


def up(chosen: list[Backend]) -> int:
    taken = taken_ports(chosen)
    if taken:
        print(f"already in use by another program: {', '.join(taken)}", file=sys.stderr)
        print("free them or move the backend (see docs/configuration.md)", file=sys.stderr)
        return 1
    export_if_stale("all")
    failed = [backend.name for backend in chosen if backend.run("start") != 0]
    rows = [
        [b.name, b.url, f"{b.url}/metrics", b.management_url or "-",
         str(b.lifecycle.supervisor.log_dir)]
        for b in chosen
    ]  # fmt: skip
    print()
    print_table(["backend", "url", "metrics", "management", "logs"], rows)
    if failed:
        print(f"\nnot started: {', '.join(failed)} (see the logs above)", file=sys.stderr)
        return 1
    return 0


def status(chosen: list[Backend]) -> int:
    """Each backend's health, then each supervised process as supervisord knows it."""
    rows, processes = [], []
    for backend in chosen:
        states = backend.lifecycle.supervisor.states()
        healthy = bool(states) and backend.lifecycle.ready()
        state = "healthy" if healthy else "UNHEALTHY" if states else "stopped"
        detail = backend.lifecycle.detail() if states else ""
        rows.append([backend.name, state, backend.url, detail])
        processes += [
            [backend.name, s.name, s.state, str(s.pid or "-"), f"{s.uptime_s}s", str(s.restarts)]
            for s in states
        ]
    print_table(["backend", "state", "url", "detail"], rows)
    if processes:
        print()
        print_table(["backend", "process", "supervisor", "pid", "uptime", "restarts"], processes)
    return 0 if all(row[1] == "healthy" for row in rows) else 1


def down(chosen: list[Backend]) -> int:
    return max(backend.run("stop") for backend in chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["up", "status", "down"])
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated")
    parser.add_argument(
        "--redis-cluster", type=int, metavar="N", help="RedisAI on a Redis Cluster of N masters"
    )
    args = parser.parse_args(argv)
    known = backends(Settings.load(redis_cluster_masters=args.redis_cluster))
    names = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = sorted(set(names) - set(known))
    if unknown or not names:
        parser.error(f"unknown backends {unknown}; choose from {', '.join(known)}")
    chosen = [known[name] for name in names]
    if args.action == "down":
        chosen = list(known.values())  # stop everything `up` may have started
    return {"up": up, "status": status, "down": down}[args.action](chosen)


if __name__ == "__main__":
    sys.exit(main())
