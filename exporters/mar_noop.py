"""Build the MMS ceiling's archive: the no-op handler (services/mms/noop.py), no model.

`<model store>/noop/<model>.mar`, a model store of its own, packed by model-archiver like the
real archives and under the model's name, so the ceiling answers the same URL. It carries the
real handler's modules (the no-op answers through its `respond`) but no model file. Checked
like the real ones before it reaches its store: it unpacks, names its handler, and a dry run
answers every body with the fixed answer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from exporters.mar import TRAVELLING_MODULES, run_model_archiver, stage_modules
from exporters.mar_check import ArchiveCheckError, dry_run, unpack
from models.artifacts import REPO_ROOT, ModelFiles
from services.contract.protocol import render
from services.mms.noop import FIXED_ANSWER

NOOP = "noop"  # the store's name beside the engines' stores
NOOP_HANDLER = "services.mms.noop:handle"
NOOP_MODULES = (*TRAVELLING_MODULES, "services/mms/noop.py")
CHECK_BODIES = ('{"input.1": 14}', '{"input.1": [1, 2]}')


def noop_archive(files: ModelFiles) -> Path:
    return files.mar(NOOP)


def is_stale(files: ModelFiles) -> bool:
    archive = noop_archive(files)
    if not archive.exists():
        return True
    built = archive.stat().st_mtime
    return any((REPO_ROOT / module).stat().st_mtime > built for module in NOOP_MODULES)


def build_noop_archive(files: ModelFiles) -> Path:
    """Build, check and install the no-op archive; returns its path in its store."""
    target = noop_archive(files)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".build-{files.name}"  # beside the store: never in /tmp
    shutil.rmtree(work, ignore_errors=True)
    try:
        stage_modules(NOOP_MODULES, work / "staging")
        (work / "out").mkdir()
        built = run_model_archiver(files.name, work / "staging", work / "out", NOOP_HANDLER)
        unpack(built, NOOP_HANDLER, work / "unpacked")
        replies = dry_run(work / "unpacked", files.name, NOOP_HANDLER, CHECK_BODIES)
        expected = [{"status": 200, "body": render(FIXED_ANSWER).decode()}] * len(CHECK_BODIES)
        answered = [{"status": r["status"], "body": r["body"]} for r in replies]
        if answered != expected:
            raise ArchiveCheckError(f"the no-op dry run answered {answered}, not {expected}")
        built.replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def ensure_noop_archive(files: ModelFiles) -> Path:
    """The no-op archive, rebuilt when the handler modules changed."""
    return build_noop_archive(files) if is_stale(files) else noop_archive(files)
