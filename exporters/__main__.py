"""Export trained weights: `python -m exporters torchscript|onnx|mar|all [--model NAME]`.

Every served model (or the one named by `--model`), trained first when its weights are
missing. `mar` builds the MMS archive for each engine, or only the one named by `--engine`.

`python -m exporters redisai --help` deploys the TorchScript models into a running RedisAI.
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
from models.spec import ModelSpec
from services.mms.engines import ENGINES


def export(spec: ModelSpec, formats: list[str], engine: str | None) -> int:
    files = ModelFiles.of(spec.name)
    ensure_trained(spec, files)
    for name in formats:
        exporter, outputs = FORMATS[name]
        written = outputs(files)
        if name == "mar":
            ensure_exported(spec, files, ["onnx"])  # the archives hold the ONNX files
        if name == "mar" and engine:
            exporter = functools.partial(export_mar, engines=[engine])
            written = [files.mar(engine)]
        try:
            exporter(spec, files)
        except (ParityError, ArchiveError, ArchiveCheckError) as error:
            print(f"refusing to write {spec.name} {name}: {error}", file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["redisai"]:  # a deployment, with options of its own
        return redisai.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m exporters", description=__doc__)
    parser.add_argument("format", choices=[*FORMATS, "all"])
    parser.add_argument("--model", help="one model (default: every served one)")
    parser.add_argument("--engine", choices=ENGINES, help="mar only: build this engine's archive")
    args = parser.parse_args(argv)
    specs = [registry.get(args.model)] if args.model else registry.served()
    formats = list(FORMATS) if args.format == "all" else [args.format]
    return max(export(spec, formats, args.engine) for spec in specs)


if __name__ == "__main__":
    sys.exit(main())
