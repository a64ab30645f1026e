"""What batching can save at most: a model's cost per row at each batch size, in process.

    python -m loadtest model-batches [--model NAME] [--sizes 1,2,4,8,16,32]
                                     [--cpu-us 470,1050,1840] [--seconds 1] [--no-mkldnn]

Batching merges requests into one model call; of the model's work it saves a request the
cost of a row alone minus the cost of a row in a batch. A backend whose request costs `cpu_us`
of CPU then serves at most `cpu_us / (cpu_us - saved)` times more requests from the model's
side: the bound this prints for each `--cpu-us` given (take them from `compare`'s unbatched
rows). Per-call costs of the serving path (the hop to a worker or to Redis) may be saved too;
this does not see them. TorchScript, one thread, on rows of the model's own examples.

`--no-mkldnn` turns off torch's oneDNN kernels: libtorch runs a 3x3 convolution of more than
one image with oneDNN, whose fixed cost per call dwarfs small inputs (digits: a call of 2 rows
cost 3-4 times a call of 1, docs/performance.md), and the one-image path without it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import torch

from loadtest.arguments import comma_separated
from loadtest.figures import first_served
from loadtest.model_speed import calls_per_second
from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec


@dataclass(frozen=True)
class BatchCost:
    rows: int
    call_us: float
    """One call of the model on `rows` rows."""

    @property
    def row_us(self) -> float:
        return self.call_us / self.rows


def example_rows(spec: ModelSpec, count: int) -> np.ndarray:
    """`count` rows of the model's input tensor, from its examples (repeated as needed)."""
    examples = spec.examples()
    items = [examples[i % len(examples)].item for i in range(count)]
    return spec.codec.decode({spec.codec.field: items}).inputs


def batch_costs(
    spec: ModelSpec, sizes: list[int], seconds: float, mkldnn: bool = True
) -> list[BatchCost]:
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = mkldnn
    scripted = torch.jit.load(str(ModelFiles.of(spec.name).torchscript)).eval()
    costs = []
    for rows in sizes:
        tensor = torch.from_numpy(example_rows(spec, rows))

        def call(tensor: torch.Tensor = tensor) -> object:
            with torch.inference_mode():
                return scripted(tensor)

        costs.append(BatchCost(rows, 1e6 / calls_per_second(call, seconds)))
    return costs


def best_gain(cpu_us: float, alone: BatchCost, batched: BatchCost) -> float:
    """How many times more requests a backend whose request costs `cpu_us` could serve if
    every request shared a call of `batched.rows` rows and batching cost nothing else."""
    saved = alone.row_us - batched.row_us
    return cpu_us / (cpu_us - saved)


def table(costs: list[BatchCost], cpu_us: list[float]) -> str:
    alone = costs[0]
    bounds = "".join(f" at most, {c:,.0f} µs a request |" for c in cpu_us)
    lines = [
        "| rows a call | µs a call | µs a row | saved a row |" + bounds,
        "| ---: | ---: | ---: | ---: |" + " ---: |" * len(cpu_us),
    ]
    for cost in costs:
        gains = "".join(f" {best_gain(c, alone, cost):.2f}x |" for c in cpu_us)
        saved = alone.row_us - cost.row_us
        lines.append(
            f"| {cost.rows} | {cost.call_us:,.0f} | {cost.row_us:,.1f} | {saved:,.1f} |" + gains
        )
    return "\n".join(lines)


def model_batches(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest model-batches", description=__doc__)
    parser.add_argument("--model", default=first_served(), help="default: the first served")
    parser.add_argument("--sizes", type=comma_separated(int), default=[1, 2, 4, 8, 16, 32])
    parser.add_argument(
        "--cpu-us", type=comma_separated(float), default=[], help="requests' CPU µs"
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="timed per size")
    parser.add_argument("--no-mkldnn", action="store_true", help="torch without oneDNN")
    args = parser.parse_args(argv)
    sizes = args.sizes
    if not sizes or sizes[0] != 1 or any(size < 1 for size in sizes):
        parser.error("--sizes must start at 1 (the unbatched call) and hold positive sizes")
    if any(cpu <= 0 for cpu in args.cpu_us) or args.seconds <= 0:
        parser.error("--cpu-us and --seconds must be positive")
    spec = registry.get(args.model)
    print(table(batch_costs(spec, sizes, args.seconds, not args.no_mkldnn), args.cpu_us))
    return 0
