"""Export trained weights: `python -m exporters torchscript|onnx|mar|all --model fizzbuzz`.

`mar` builds the MMS archive for each engine, or only the one named by `--engine`.

`python -m exporters redisai --help` deploys the TorchScript model into a running RedisAI.
"""

from __future__ import annotations

import argparse
import functools
import sys

from exporters import redisai
from exporters.mar import ArchiveError, export_mar
from exporters.mar_check import ArchiveCheckError
from exporters.parity import ParityError
from exporters.pipeline import FORMATS, ensure_exported, ensure_trained
from models import registry
from models.artifacts import ModelFiles
from services.mms.engines import ENGINES


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["redisai"]:  # a deployment, with options of its own
        return redisai.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m exporters", description=__doc__)
    parser.add_argument("format", choices=[*FORMATS, "all"])
    parser.add_argument("--model", default="fizzbuzz", choices=list(registry.MODELS))
    parser.add_argument("--engine", choices=ENGINES, help="mar only: build this engine's archive")
    args = parser.parse_args(argv)

    spec = registry.get(args.model)
    files = ModelFiles.of(spec.name)
    ensure_trained(spec, files)
    for name in FORMATS if args.format == "all" else [args.format]:
        export, outputs = FORMATS[name]
        written = outputs(files)
        if name == "mar":
            ensure_exported(spec, files, ["onnx"])  # the archives hold the ONNX files
        if name == "mar" and args.engine:
            export = functools.partial(export_mar, engines=[args.engine])
            written = [files.mar(args.engine)]
        try:
            export(spec, files)
        except (ParityError, ArchiveError, ArchiveCheckError) as error:
            print(f"refusing to write {name}: {error}", file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
