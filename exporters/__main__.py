"""Export trained weights: `python -m exporters torchscript|onnx|mar|all [--model NAME]`.

Every served model (or the one named by `--model`), trained first when its weights are
missing. `mar` builds the MMS archive for each engine, or only the one named by `--engine`.
`--if-stale` exports only what is missing or older than what it is made from: what the
backends' launchers run before they start.

`python -m exporters redisai --help` deploys the TorchScript models into a running RedisAI.
`python -m exporters import --help` adds a model from a bare TorchScript or ONNX file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from exporters import importer, redisai
from exporters.mar import ArchiveError, export_mar
from exporters.mar_check import ArchiveCheckError
from exporters.parity import ParityError
from exporters.pipeline import FORMATS, NotExportable, ensure_exported, ensure_trained
from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from services.mms.engines import ENGINES


def export(spec: ModelSpec, formats: list[str], engines: list[str]) -> list[Path]:
    """Every format of one model, each checked before it is written; returns the files."""
    files = ModelFiles.of(spec.name)
    ensure_trained(spec, files)
    written: list[Path] = []
    for name in formats:
        if spec.imported and name != "mar":
            raise NotExportable(f"{spec.name} was imported: its {name} file is its import's")
        if name == "mar":
            ensure_exported(spec, files, ["onnx"])  # the archives hold the ONNX files
            export_mar(spec, files, engines)
            written += [files.mar(engine) for engine in engines]
            continue
        exporter, outputs = FORMATS[name]
        exporter(spec, files)
        written += outputs(files)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["redisai"]:  # a deployment, with options of its own
        return redisai.main(argv[1:])
    if argv[:1] == ["import"]:  # a model from a bare file, with options of its own
        return importer.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m exporters", description=__doc__)
    parser.add_argument("format", choices=[*FORMATS, "all"])
    parser.add_argument("--model", help="one model (default: every served one)")
    parser.add_argument("--engine", choices=ENGINES, help="mar only: build this engine's archive")
    parser.add_argument("--if-stale", action="store_true", help="only what is missing or stale")
    args = parser.parse_args(argv)
    specs = [registry.get(args.model)] if args.model else registry.served()
    formats = list(FORMATS) if args.format == "all" else [args.format]
    engines = [args.engine] if args.engine else list(ENGINES)
    for spec in specs:
        try:
            if args.if_stale:
                written = ensure_exported(spec, ModelFiles.of(spec.name), formats, engines)
            else:
                written = export(spec, formats, engines)
        except (ParityError, ArchiveError, ArchiveCheckError) as error:
            print(f"refusing to write {spec.name}: {error}", file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
