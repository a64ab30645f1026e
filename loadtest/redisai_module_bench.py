"""Benchmark of the RedisAI-protocol module against direct TorchScript calls (not a test).

    python -m loadtest.redisai_module_bench [--model NAME] [--requests N] [--clients 8]
                                            [--module PATH]

In one run it measures, on a served model's network (untrained weights: the work is the
same), one input row per request:

1. direct TorchScript calls from Python (the floor: no network, no Redis);
2. one client sending TENSORSET + MODELEXECUTE + TENSORGET as one pipeline per request;
3. the same from N concurrent client processes, model stored without BATCHSIZE;
4. the same with the model stored with BATCHSIZE N (auto-batching).

It starts its own redis-server with the module on a free port, in a directory under run/, and
stops it at the end. It prints a table of throughput and latency percentiles. The module runs
with INTRA_OP_PARALLELISM 1 unless --intra-op says otherwise: torch's default OpenMP team
spin-waits, which on a small machine takes the CPU that Redis and the clients need.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from loadtest.figures import first_served
from models import registry
from models.spec import ModelSpec
from services.process import free_port
from services.redisai.gateway.redis_model import REDISAI_TYPES

REPO = Path(__file__).resolve().parents[1]
MODULE = REPO / "services" / "redisai" / "module" / "build" / "redisai.so"


def model_blob(spec: ModelSpec) -> tuple[object, bytes]:
    import torch

    torch.manual_seed(0)
    scripted = torch.jit.script(spec.network().eval())
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    return scripted, buf.getvalue()


def inputs(spec: ModelSpec, n: int) -> np.ndarray:
    """n input rows, cycling through the rows exports are checked on."""
    rows = spec.check_inputs()
    return rows[np.arange(n) % len(rows)]


def start_server(
    workdir: Path, module: Path, port: int, threads: int, module_args: list[str] | None = None
) -> subprocess.Popen:
    import redis

    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--logfile",
            str(workdir / "redis.log"),
            "--loadmodule",
            str(module),
            "THREADS_PER_QUEUE",
            str(threads),
            *(module_args or []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port)
    for _ in range(600):
        try:
            if client.ping():
                return proc
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def summary(name: str, latencies: list[float], wall: float) -> dict:
    lat = np.array(latencies) * 1000
    return {
        "name": name,
        "n": len(lat),
        "rps": len(lat) / wall,
        "p50": np.percentile(lat, 50),
        "p99": np.percentile(lat, 99),
    }


def direct(spec: ModelSpec, n: int) -> dict:
    import torch

    scripted, _ = model_blob(spec)
    x = torch.from_numpy(inputs(spec, n))
    latencies = []
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(n):
            t0 = time.perf_counter()
            scripted(x[i : i + 1])
            latencies.append(time.perf_counter() - t0)
    return summary("direct TorchScript (Python)", latencies, time.perf_counter() - start)


Client = tuple[int, str, str, int, int]
"""What one client process is given: port, model key, model name, requests, its number."""


def client_run(args: Client) -> tuple[list[float], float, float]:
    """One client: n pipelined TENSORSET + MODELEXECUTE + TENSORGET requests."""
    import redis

    port, key, name, n, ident = args
    spec = registry.get(name)
    r = redis.Redis(port=port, protocol=2)
    x = inputs(spec, n)
    datatype, shape = REDISAI_TYPES[spec.input.datatype], (1, *spec.input.shape[1:])
    output_bytes = int(np.prod(spec.output.shape[1:])) * spec.output.dtype.itemsize
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        pipe = r.pipeline(transaction=False)
        pipe.execute_command("AI.TENSORSET", f"in{ident}", datatype, *shape, "BLOB", x[i].tobytes())
        pipe.execute_command(
            "AI.MODELEXECUTE", key, "INPUTS", 1, f"in{ident}", "OUTPUTS", 1, f"out{ident}"
        )
        pipe.execute_command("AI.TENSORGET", f"out{ident}", "BLOB")
        replies = pipe.execute()
        if replies[1] != b"OK" or len(replies[2]) != output_bytes:
            raise RuntimeError(f"bad reply {replies!r}")
        latencies.append(time.perf_counter() - t0)
    return latencies, start, time.perf_counter()


def through_redis(name: str, port: int, key: str, model: str, clients: int, n: int) -> dict:
    if clients == 1:
        latencies, start, end = client_run((port, key, model, n, 0))
        return summary(name, latencies, end - start)
    ctx = mp.get_context("spawn")
    with ctx.Pool(clients) as pool:
        work = [(port, key, model, n // clients, i) for i in range(clients)]
        results = pool.map(client_run, work)
    latencies = [x for lat, _, _ in results for x in lat]
    wall = max(e for _, _, e in results) - min(s for _, s, _ in results)
    return summary(name, latencies, wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=first_served(), help="default: the first served")
    parser.add_argument("--requests", type=int, default=4000, help="requests per scenario")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads-per-queue", type=int, default=1)
    parser.add_argument(
        "--intra-op",
        type=int,
        default=1,
        help="INTRA_OP_PARALLELISM (0: torch default; on a 2-core machine the "
        "spinning OpenMP team starves Redis and the clients)",
    )
    parser.add_argument("--module", type=Path, default=MODULE)
    args = parser.parse_args()
    if not args.module.exists():
        subprocess.run(["make", "-C", str(MODULE.parents[1]), "-j2"], check=True)

    import redis

    (REPO / "run").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="redisai-bench-", dir=REPO / "run"))
    port = free_port()
    module_args = ["INTRA_OP_PARALLELISM", str(args.intra_op)] if args.intra_op > 0 else []
    server = start_server(workdir, args.module, port, args.threads_per_queue, module_args)
    try:
        spec, model = registry.get(args.model), args.model
        _, blob = model_blob(spec)
        r = redis.Redis(port=port)
        r.execute_command("AI.MODELSTORE", "plain", "TORCH", "CPU", "BLOB", blob)
        r.execute_command(
            "AI.MODELSTORE", "batched", "TORCH", "CPU", "BATCHSIZE", args.clients, "BLOB", blob
        )
        client_run((port, "plain", model, 200, 99))  # warm-up (TorchScript profiling runs)
        client_run((port, "batched", model, 200, 99))
        clients, n = args.clients, args.requests
        rows = [
            direct(spec, n),
            through_redis("redis, 1 client, pipelined", port, "plain", model, 1, n),
            through_redis(f"redis, {clients} clients", port, "plain", model, clients, n),
            through_redis(
                f"redis, {clients} clients, BATCHSIZE {clients}", port, "batched", model, clients, n
            ),
        ]
    finally:
        with contextlib.suppress(redis.exceptions.ConnectionError):
            redis.Redis(port=port).shutdown(nosave=True)
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{'scenario':<42} {'requests':>8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for row in rows:
        print(
            f"{row['name']:<42} {row['n']:>8} {row['rps']:>10.0f} {row['p50']:>8.3f} "
            f"{row['p99']:>8.3f}"
        )


if __name__ == "__main__":
    main()
