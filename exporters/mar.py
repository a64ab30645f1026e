"""Build the MMS model archive: `python -m exporters mar --model fizzbuzz [--engine ...]`.

One archive per engine, `<model store>/<engine>/<model>.mar`, made by model-archiver 1.0.3
from a staging folder holding the handler, the shared codec and contract modules (so the
archive needs nothing from the repository at serve time), the engine's model file, a
`signature.json` and `polyserve.json` (which engine, which file). Nothing reaches the store
before the built archive passed its check (see exporters/mar_check.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from exporters.mar_check import check_archive
from models.artifacts import REPO_ROOT, ModelFiles
from models.registry import ModelSpec
from services.mms.engines import ENGINES, INPUT_NAME, MXNET, ONNXRUNTIME
from services.mms.handler import ARCHIVE_INFO

HANDLER = "services.mms.handler:handle"
# The modules that travel with the handler, as paths from the repository root.
TRAVELLING_MODULES = (
    "models/__init__.py",
    "models/fizzbuzz/__init__.py",
    "models/fizzbuzz/codec.py",
    "services/__init__.py",
    "services/contract/__init__.py",
    "services/contract/errors.py",
    "services/contract/handler.py",
    "services/contract/protocol.py",
    "services/mms/__init__.py",
    "services/mms/engines.py",
    "services/mms/handler.py",
)


class ArchiveError(RuntimeError):
    """model-archiver failed or the archive it built did not pass its check."""


def model_file(files: ModelFiles, engine: str) -> Path:
    return {ONNXRUNTIME: files.onnx, MXNET: files.onnx_for_mxnet}[engine]


def sources(files: ModelFiles, engine: str) -> list[Path]:
    """Everything an archive is made from: it is stale when any of these is newer."""
    return [files.weights, model_file(files, engine), *(REPO_ROOT / m for m in TRAVELLING_MODULES)]


def is_stale(files: ModelFiles, engine: str) -> bool:
    archive = files.mar(engine)
    if not archive.exists():
        return True
    built = archive.stat().st_mtime
    return any(source.stat().st_mtime > built for source in sources(files, engine))


def _stage(spec: ModelSpec, files: ModelFiles, engine: str, staging: Path) -> None:
    stage_modules(TRAVELLING_MODULES, staging)
    engine_file = model_file(files, engine)
    shutil.copy2(engine_file, staging / engine_file.name)
    info = {"model": spec.name, "engine": engine, "model_file": engine_file.name}
    (staging / ARCHIVE_INFO).write_text(json.dumps(info, indent=2) + "\n")
    signature = {
        "inputs": [{"data_name": INPUT_NAME, "data_shape": [0, 10]}],
        "input_type": "application/json",
        "outputs": [{"data_name": "next_number", "data_shape": [0]}],
        "output_type": "application/json",
    }
    (staging / "signature.json").write_text(json.dumps(signature, indent=2) + "\n")


def stage_modules(modules: Iterable[str], staging: Path) -> None:
    """Copy repository modules into the staging folder, keeping their package paths."""
    for module in modules:
        target = staging / module
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / module, target)


def run_model_archiver(name: str, staging: Path, export_dir: Path, handler: str = HANDLER) -> Path:
    command = [
        sys.executable, "-m", "model_archiver.model_packaging",
        "--model-name", name,
        "--model-path", str(staging),
        "--handler", handler,
        # "python", not "python3": MMS then starts workers with the interpreter it runs under
        # (the venv's); for "python3" it runs whatever `python3` is first on PATH.
        "--runtime", "python",
        "--archive-format", "default",
        "--export-path", str(export_dir),
        "--force",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    archive = export_dir / f"{name}.mar"
    if result.returncode != 0 or not archive.exists():
        raise ArchiveError(f"model-archiver failed ({result.returncode}): {result.stderr.strip()}")
    return archive


def build_archive(spec: ModelSpec, files: ModelFiles, engine: str) -> Path:
    """Build, check and install one engine's archive; returns its path in the store."""
    target = files.mar(engine)
    work = target.parent / f".build-{spec.name}"  # beside the store: never in /tmp
    shutil.rmtree(work, ignore_errors=True)
    try:
        _stage(spec, files, engine, work / "staging")
        (work / "out").mkdir()
        built = run_model_archiver(spec.name, work / "staging", work / "out")
        check_archive(spec, files, built, HANDLER, engine, work / "unpacked")
        built.replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def export_mar(spec: ModelSpec, files: ModelFiles, engines: Iterable[str] = ENGINES) -> None:
    for engine in engines:
        build_archive(spec, files, engine)


def ensure_archive(spec: ModelSpec, files: ModelFiles, engine: str) -> Path:
    """The archive for `engine`, rebuilt when the weights, model file or handler changed."""
    return build_archive(spec, files, engine) if is_stale(files, engine) else files.mar(engine)
