"""Build the MMS ceiling's archives: the no-op handler (services/mms/noop.py), no model.

`<model store>/noop/<model>.mar`, a model store of its own, packed by model-archiver like the
real archives and under the model's name, so the ceiling answers the same URL. It carries the
real handler's modules and the model's spec (the no-op answers what the spec's probe expects,
through the real handler's `respond`) but no model file. Checked like the real ones before it
reaches its store: it unpacks, names its handler, and a dry run answers every body with the
fixed answer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from exporters.mar import Module, run_model_archiver, spec_modules, stage_modules
from exporters.mar_check import ArchiveCheckError, dry_run, unpack
from models import registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.spec import ModelSpec
from services.contract.protocol import render
from services.mms.handler import ARCHIVE_INFO

NOOP = "noop"  # the store's name beside the engines' stores
NOOP_HANDLER = "services.mms.noop:handle"


def noop_modules(spec: ModelSpec) -> list[Module]:
    return [*spec_modules(spec), (REPO_ROOT, "services/mms/noop.py")]


def noop_archive(files: ModelFiles) -> Path:
    return files.mar(NOOP)


def is_stale(spec: ModelSpec, files: ModelFiles) -> bool:
    archive = noop_archive(files)
    if not archive.exists():
        return True
    built = archive.stat().st_mtime
    return any((root / module).stat().st_mtime > built for root, module in noop_modules(spec))


def build_noop_archive(spec: ModelSpec, files: ModelFiles) -> Path:
    """Build, check and install the no-op archive; returns its path in its store."""
    target = noop_archive(files)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".build-{files.name}"  # beside the store: never in /tmp
    shutil.rmtree(work, ignore_errors=True)
    try:
        staging = work / "staging"
        stage_modules(noop_modules(spec), staging)
        info = {"model": spec.name, "spec": registry.references()[spec.name]}
        (staging / ARCHIVE_INFO).write_text(json.dumps(info, indent=2) + "\n")
        (work / "out").mkdir()
        built = run_model_archiver(files.name, staging, work / "out", NOOP_HANDLER)
        unpack(built, NOOP_HANDLER, work / "unpacked")
        requests = [(render(spec.probe.document).decode(), {})] * 2
        replies = dry_run(work / "unpacked", files.name, NOOP_HANDLER, requests)
        expected = [{"status": 200, "body": render(spec.probe.expected).decode()}] * 2
        answered = [{"status": r["status"], "body": r["body"]} for r in replies]
        if answered != expected:
            raise ArchiveCheckError(f"the no-op dry run answered {answered}, not {expected}")
        built.replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def ensure_noop_archive(spec: ModelSpec, files: ModelFiles) -> Path:
    """The no-op archive, rebuilt when the handler modules changed."""
    return build_noop_archive(spec, files) if is_stale(spec, files) else noop_archive(files)
