"""Train the FizzBuzz network: `python -m models.fizzbuzz.train [--out DIR]`.

Two phases, both seeded and single-threaded so the weights are bit-for-bit reproducible:
1. train on inputs 100..1022 (answers 101..1023) and report accuracy on the held-out
   inputs 0..99 (answers 1..100): the honest generalisation figure;
2. refit on every accepted input, because the served model must answer all of them.
The command fails unless the final network answers every accepted input correctly.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from models.artifacts import ModelFiles, artifacts_dir
from models.fizzbuzz import checks, codec
from models.fizzbuzz.network import HIDDEN, FizzBuzzNet, predict_labels
from models.weights import save_weights

HELD_OUT = list(range(0, 100))
TRAIN = list(range(100, codec.MAX_NUMBER + 1))
ALL = list(codec.valid_numbers())


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    holdout_epochs: int = 6000
    refit_epochs: int = 1000
    learning_rate: float = 0.02


@dataclass(frozen=True)
class TrainResult:
    network: FizzBuzzNet
    train_accuracy: float
    holdout_accuracy: float
    final_accuracy: float


def _dataset(numbers: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    bits = torch.from_numpy(codec.to_bits(numbers))
    labels = torch.tensor([codec.label_of(n + 1) for n in numbers])
    return bits, labels


def _fit(network: FizzBuzzNet, numbers: list[int], epochs: int, lr: float, phase: str) -> None:
    bits, labels = _dataset(numbers)
    optimizer = torch.optim.Adam(network.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    with tqdm(range(epochs), desc=phase, unit="epoch", mininterval=0.5) as progress:
        for epoch in progress:
            optimizer.zero_grad()
            loss = loss_fn(network(bits), labels)
            loss.backward()
            optimizer.step()
            if epoch % 200 == 0:
                progress.set_postfix(loss=f"{loss.item():.2e}")


def _accuracy(network: FizzBuzzNet, numbers: list[int]) -> float:
    return checks.accuracy(numbers, predict_labels(network, numbers).tolist())


def train(config: TrainConfig) -> TrainResult:
    """Train a network from scratch; deterministic for a given config."""
    # torch's optimizers touch its compiler machinery, which otherwise creates an (empty)
    # cache folder in /tmp: keep it with the project's other generated files.
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(artifacts_dir() / ".torchinductor"))
    torch.manual_seed(config.seed)
    torch.set_num_threads(1)  # one thread: identical float reductions on every run
    network = FizzBuzzNet()
    _fit(network, TRAIN, config.holdout_epochs, config.learning_rate, "train (100..1022)")
    network.eval()
    train_accuracy = _accuracy(network, TRAIN)
    holdout_accuracy = _accuracy(network, HELD_OUT)
    network.train()
    _fit(network, ALL, config.refit_epochs, config.learning_rate, "refit (0..1022)")
    network.eval()
    return TrainResult(network, train_accuracy, holdout_accuracy, _accuracy(network, ALL))


def save(result: TrainResult, config: TrainConfig, files: ModelFiles) -> Path:
    """Write the state_dict and a manifest describing it; returns the manifest path."""
    manifest = {
        "model": "fizzbuzz",
        "inputs": codec.BITS,
        "hidden": HIDDEN,
        "outputs": len(codec.LABELS),
        "labels": list(codec.LABELS),
        "accepted_numbers": [codec.MIN_NUMBER, codec.MAX_NUMBER],
        "accuracy": {
            "train": result.train_accuracy,
            "held_out": result.holdout_accuracy,
            "all_after_refit": result.final_accuracy,
        },
        "config": asdict(config),
    }
    return save_weights(result.network, files, manifest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output folder (default: artifacts/fizzbuzz)")
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--holdout-epochs", type=int, default=TrainConfig.holdout_epochs)
    parser.add_argument("--refit-epochs", type=int, default=TrainConfig.refit_epochs)
    args = parser.parse_args(argv)

    config = TrainConfig(args.seed, args.holdout_epochs, args.refit_epochs)
    result = train(config)
    print(
        f"accuracy: train {result.train_accuracy:.2%}, held-out {result.holdout_accuracy:.2%}, "
        f"all accepted inputs after refit {result.final_accuracy:.2%}"
    )
    wrong = checks.mistakes(ALL, predict_labels(result.network, ALL).tolist())
    if wrong:
        print(f"refusing to save: wrong answers for {wrong[:20]}", file=sys.stderr)
        return 1
    files = ModelFiles(args.out, "fizzbuzz") if args.out else ModelFiles.of("fizzbuzz")
    print(f"wrote {save(result, config, files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
