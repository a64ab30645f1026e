"""Build MMS model archives: `python -m exporters mar [--model NAME] [--engine ...]`.

One archive per model and engine, `<model store>/<engine>/<model>.mar`, made by model-archiver
1.0.3 from a staging folder holding the handler, the shared contract modules and the model's
spec and codec modules (so the archive needs nothing from the repository at serve time), the
engine's model file, a `signature.json` and `polyserve.json` (which model, spec, version,
engine, file). Nothing reaches the store before the built archive passed its check
(see exporters/mar_check.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from exporters.mar_check import check_archive
from models import imported, registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.spec import ModelSpec
from services.mms.engines import ENGINES, MXNET, ONNXRUNTIME
from services.mms.handler import ARCHIVE_INFO

HANDLER = "services.mms.handler:handle"
# The repository's modules that travel with every handler, as paths from the repository root.
SHARED_MODULES = (
    "models/__init__.py",
    "models/artifacts.py",
    "models/imported.py",
    "models/spec.py",
    "services/__init__.py",
    "services/config.py",
    "services/contract/__init__.py",
    "services/contract/dataplane.py",
    "services/contract/errors.py",
    "services/contract/handler.py",
    "services/contract/protocol.py",
    "services/contract/v2.py",
    "services/metrics.py",
    "services/mms/__init__.py",
    "services/mms/engines.py",
    "services/mms/handler.py",
)

Module = tuple[Path, str]
"""A module file to stage: the folder its top package sits in, and its path from there."""


class ArchiveError(RuntimeError):
    """model-archiver failed or the archive it built did not pass its check."""


def model_file(files: ModelFiles, engine: str) -> Path:
    return {ONNXRUNTIME: files.onnx, MXNET: files.onnx_for_mxnet}[engine]


def _module_files(module_name: str) -> list[Module]:
    """A module's file and every package __init__ above it, from the folder it was imported
    from (the repository, or wherever a plugin lives)."""
    path = Path(str(sys.modules[module_name].__file__)).resolve()
    parts = module_name.split(".")
    root = path.parents[len(parts) - 1]
    packages = [Path(*parts[:depth], "__init__.py") for depth in range(1, len(parts))]
    return [(root, package.as_posix()) for package in packages] + [
        (root, path.relative_to(root).as_posix())
    ]


def spec_modules(spec: ModelSpec) -> list[Module]:
    """The shared modules and the model's own spec and codec modules: what a handler imports."""
    reference = registry.references()[spec.name]
    own = {reference.partition(":")[0], type(spec.codec).__module__}
    found = [(REPO_ROOT, module) for module in SHARED_MODULES]
    for module_name in sorted(own):
        found += [module for module in _module_files(module_name) if module not in found]
    return found


def archive_info(spec: ModelSpec, files: ModelFiles, engine: str) -> dict[str, object]:
    """polyserve.json: what the handler loads, and the version `GET /models` reports (an
    imported model's record too: its spec is made from it)."""
    info: dict[str, object] = {
        "model": spec.name,
        "spec": registry.references()[spec.name],
        "version": files.version,
        "engine": engine,
        "model_file": model_file(files, engine).name,
    }
    if spec.imported:
        info[imported.RECORD] = json.loads(files.manifest.read_text())[imported.RECORD]
    return info


def sources(spec: ModelSpec, files: ModelFiles, engine: str) -> list[Path]:
    """Everything an archive is made from: it is stale when any of these is newer."""
    modules = [root / module for root, module in spec_modules(spec)]
    # The manifest is written last, by training and by an import alike.
    return [files.manifest, model_file(files, engine), *modules]


def is_stale(spec: ModelSpec, files: ModelFiles, engine: str) -> bool:
    archive = files.mar(engine)
    if not archive.exists():
        return True
    built = archive.stat().st_mtime
    return any(source.stat().st_mtime > built for source in sources(spec, files, engine))


def _stage(spec: ModelSpec, files: ModelFiles, engine: str, staging: Path) -> None:
    stage_modules(spec_modules(spec), staging)
    engine_file = model_file(files, engine)
    shutil.copy2(engine_file, staging / engine_file.name)
    info = archive_info(spec, files, engine)
    (staging / ARCHIVE_INFO).write_text(json.dumps(info, indent=2) + "\n")
    signature = {  # MMS's own description of the model's tensors
        "inputs": [{"data_name": spec.input.name, "data_shape": [0, *spec.input.shape[1:]]}],
        "input_type": "application/json",
        "outputs": [{"data_name": spec.output.name, "data_shape": [0, *spec.output.shape[1:]]}],
        "output_type": "application/json",
    }
    (staging / "signature.json").write_text(json.dumps(signature, indent=2) + "\n")


def stage_modules(modules: Iterable[Module], staging: Path) -> None:
    """Copy module files into the staging folder, keeping their package paths."""
    for root, module in modules:
        target = staging / module
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / module, target)


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
    target.parent.mkdir(parents=True, exist_ok=True)
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
    """The archive for `engine`, rebuilt when the weights, model file or modules changed."""
    stale = is_stale(spec, files, engine)
    return build_archive(spec, files, engine) if stale else files.mar(engine)
