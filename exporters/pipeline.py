"""Bring a model's artifacts up to date: train when the weights are missing, export what is
missing or older than what it is made from. What `python -m exporters ... --if-stale` (which
the backends' launchers run) and the tests call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from exporters.mar import build_archive, export_mar
from exporters.mar import is_stale as archive_is_stale
from exporters.onnx_file import export_onnx
from exporters.torchscript import export_torchscript
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from services.mms.engines import ENGINES

Exporter = Callable[[ModelSpec, ModelFiles], None]

# format name -> (exporter, the files it writes)
FORMATS: dict[str, tuple[Exporter, Callable[[ModelFiles], list[Path]]]] = {
    "torchscript": (export_torchscript, lambda files: [files.torchscript]),
    "onnx": (export_onnx, lambda files: [files.onnx, files.onnx_for_mxnet]),
    # After "onnx": the MMS archives hold the ONNX files (one archive per engine).
    "mar": (export_mar, lambda files: [files.mar(engine) for engine in ENGINES]),
}


class NotExportable(SystemExit):
    """An imported model's files are made by its import, never exported again."""


def ensure_trained(spec: ModelSpec, files: ModelFiles) -> None:
    """Train the model when its weights are missing; an imported model's files must exist."""
    if spec.imported:
        missing = [path.name for path in made_by_import(files) if not path.exists()]
        if missing:
            raise NotExportable(
                f"{spec.name} was imported but {', '.join(missing)} are missing: import it again"
            )
        return
    if files.weights.exists() and files.manifest.exists():
        return
    if spec.train(["--out", str(files.directory)]) != 0:
        raise SystemExit(f"training {spec.name} failed")


def made_by_import(files: ModelFiles) -> list[Path]:
    return [files.manifest, *FORMATS["torchscript"][1](files), *FORMATS["onnx"][1](files)]


def is_stale(outputs: list[Path], weights: Path) -> bool:
    return any(not out.exists() or out.stat().st_mtime < weights.stat().st_mtime for out in outputs)


def ensure_exported(
    spec: ModelSpec, files: ModelFiles, formats: list[str], engines: Iterable[str] = ENGINES
) -> list[Path]:
    """Train if needed, then each format whose files are missing or stale (archives: only
    `engines`'); returns the files written."""
    ensure_trained(spec, files)
    written: list[Path] = []
    for name in formats:
        if name == "mar":
            written += ensure_exported(spec, files, ["onnx"])  # the archives hold the ONNX files
            for engine in engines:
                if archive_is_stale(spec, files, engine):
                    written.append(build_archive(spec, files, engine))
            continue
        export, outputs = FORMATS[name]
        if spec.imported:
            continue  # its import made them (ensure_trained checked that they are there)
        if is_stale(outputs(files), files.weights):
            export(spec, files)
            written += outputs(files)
    return written
