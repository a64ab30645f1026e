"""Train the `larger` test model: `main(["--out", DIR])` writes weights.pt and manifest.json."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from models.artifacts import ModelFiles
from models.weights import save_weights
from tests.plugin_model.codec import PLACES
from tests.plugin_model.spec import SPEC, check_inputs, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    inputs = torch.from_numpy(check_inputs())
    labels = torch.tensor([PLACES.index(e.answer["larger"]) for e in examples()])  # type: ignore[index]
    network = SPEC.network()
    optimizer = torch.optim.Adam(network.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(network(inputs), labels).backward()
        optimizer.step()
    if not bool((network(inputs).argmax(dim=1) == labels).all()):
        return 1
    files = ModelFiles(args.out, SPEC.name) if args.out else ModelFiles.of(SPEC.name)
    save_weights(network, files, {"model": SPEC.name})
    return 0

