"""A model's examples saved once per comparison, so that each Locust run reads them rather
than making them anew (digits' run the model in process: seconds of a short run). Apart from
loadtest/scenarios.py, so that the comparing process never imports Locust."""

from __future__ import annotations

import json
from pathlib import Path

from models.spec import Example, ModelSpec


def save_examples(spec: ModelSpec, path: Path) -> Path:
    """The spec's examples as JSON."""
    examples = [{"item": e.item, "answer": e.answer} for e in spec.examples()]
    path.write_text(json.dumps(examples))
    return path


def load_examples(path: Path) -> list[Example]:
    return [Example(entry["item"], entry["answer"]) for entry in json.loads(path.read_text())]
