"""Train the digits network: `python -m models.digits.train [--out DIR] [--seed S] [--epochs E]`.

Mini-batch Adam on the training split only, seeded and single-threaded so the weights are
bit-for-bit reproducible. Accuracy is then measured on the fixed held-out split (images
training never saw), and the command refuses to save a network that gets less than 97 % of
them right.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from models.artifacts import ModelFiles, artifacts_dir
from models.digits import codec, data
from models.digits.network import DigitsNet, predict_digits
from models.digits.spec import SPEC
from models.weights import save_weights

REQUIRED_ACCURACY = 0.97


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 0.003


@dataclass(frozen=True)
class TrainResult:
    network: DigitsNet
    train_accuracy: float
    held_out_accuracy: float


def _inputs(digits: data.Digits) -> torch.Tensor:
    return torch.from_numpy(codec.CODEC.to_inputs(digits.images))


def _fit(network: DigitsNet, digits: data.Digits, config: TrainConfig) -> None:
    inputs, labels = _inputs(digits), torch.from_numpy(digits.labels.copy())
    optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(config.seed)
    with tqdm(range(config.epochs), desc="train", unit="epoch", mininterval=0.5) as progress:
        for _ in progress:
            total = 0.0
            for batch in torch.randperm(len(labels), generator=shuffle).split(config.batch_size):
                optimizer.zero_grad()
                loss = loss_fn(network(inputs[batch]), labels[batch])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            progress.set_postfix(loss=f"{total / len(labels):.2e}")


def accuracy(network: DigitsNet, digits: data.Digits) -> float:
    """The share of `digits` whose label the network picks."""
    predicted = predict_digits(network, codec.CODEC.to_inputs(digits.images))
    return float(np.mean(predicted == digits.labels))


def train(config: TrainConfig) -> TrainResult:
    """Train a network from scratch on the training split; deterministic for a given config."""
    # torch's optimizers touch its compiler machinery, which otherwise creates an (empty)
    # cache folder in /tmp: keep it with the project's other generated files.
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(artifacts_dir() / ".torchinductor"))
    torch.manual_seed(config.seed)
    torch.set_num_threads(1)  # one thread: identical float reductions on every run
    network = DigitsNet()
    _fit(network, data.training(), config)
    network.eval()
    return TrainResult(
        network, accuracy(network, data.training()), accuracy(network, data.held_out())
    )


def save(result: TrainResult, config: TrainConfig, files: ModelFiles) -> Path:
    """Write the state_dict and a manifest describing it; returns the manifest path."""
    training, held_out = data.split()
    manifest = {
        "model": SPEC.name,
        "input": {
            **SPEC.input.as_dict(),
            "description": f"{codec.SIDE}x{codec.SIDE} images, pixels 0..{codec.MAX_PIXEL} "
            "divided by 16",
        },
        "output": {**SPEC.output.as_dict(), "description": "one logit per digit"},
        "labels": list(codec.DIGITS),
        "split": {"seed": data.SEED, "train": len(training), "held_out": len(held_out)},
        "accuracy": {"train": result.train_accuracy, "held_out": result.held_out_accuracy},
        "config": asdict(config),
    }
    return save_weights(result.network, files, manifest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output folder (default: artifacts/digits)")
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    args = parser.parse_args(argv)

    config = TrainConfig(seed=args.seed, epochs=args.epochs)
    result = train(config)
    print(f"accuracy: train {result.train_accuracy:.2%}, held-out {result.held_out_accuracy:.2%}")
    if result.held_out_accuracy < REQUIRED_ACCURACY:
        print(
            f"refusing to save: held-out accuracy {result.held_out_accuracy:.2%} is below "
            f"{REQUIRED_ACCURACY:.0%}",
            file=sys.stderr,
        )
        return 1
    files = ModelFiles(args.out, SPEC.name) if args.out else ModelFiles.of(SPEC.name)
    print(f"wrote {save(result, config, files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
