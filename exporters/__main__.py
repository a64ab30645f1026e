"""Export trained weights: `python -m exporters torchscript|onnx|all --model fizzbuzz`."""

from __future__ import annotations

import argparse
import sys

from exporters.parity import ParityError
from exporters.pipeline import FORMATS, ensure_trained
from models import registry
from models.artifacts import ModelFiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporters", description=__doc__)
    parser.add_argument("format", choices=[*FORMATS, "all"])
    parser.add_argument("--model", default="fizzbuzz", choices=list(registry.MODELS))
    args = parser.parse_args(argv)

    spec = registry.get(args.model)
    files = ModelFiles.of(spec.name)
    ensure_trained(spec, files)
    for name in FORMATS if args.format == "all" else [args.format]:
        export, outputs = FORMATS[name]
        try:
            export(spec, files)
        except ParityError as error:
            print(f"refusing to write {name}: {error}", file=sys.stderr)
            return 1
        for path in outputs(files):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
