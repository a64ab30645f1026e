"""The check every built archive passes before it reaches the model store.

It unpacks, its manifest names the handler, it records the engine it was built for, and a
dry run of its handler (in a fresh interpreter that sees only the unpacked archive and the
installed packages, never the repository) answers like the eager model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from exporters.parity import eager_logits
from models.artifacts import ModelFiles
from models.fizzbuzz import codec
from models.registry import ModelSpec
from services.contract.protocol import PredictionRequest, format_response, render
from services.mms.handler import ARCHIVE_INFO

DRY_RUN = Path(__file__).with_name("mar_dryrun.py")
DRY_RUN_NUMBERS = [0, 1, 2, 4, 14, 29, 1022]
DRY_RUN_BODIES = [
    json.dumps({"input.1": DRY_RUN_NUMBERS}),  # 200, answers like the eager model
    '{"input.1": 14}',  # 200
    '{"input.1": "14"}',  # 400 beside its good neighbours
]


class ArchiveCheckError(RuntimeError):
    """The archive is not what MMS needs; it was not installed."""


def _expected_bodies(spec: ModelSpec, files: ModelFiles) -> list[bytes]:
    labels = eager_logits(spec.load_network(files.weights), codec.encode(DRY_RUN_NUMBERS))
    as_list = PredictionRequest(DRY_RUN_NUMBERS, batch=True)
    first = format_response(as_list, labels.argmax(axis=1).tolist())
    fourteen = PredictionRequest([14], batch=False)
    second = format_response(fourteen, [int(labels[DRY_RUN_NUMBERS.index(14)].argmax())])
    return [render(first), render(second)]


def dry_run(
    unpacked: Path, model: str, handler: str, bodies: tuple[str, ...] = tuple(DRY_RUN_BODIES)
) -> list[dict[str, object]]:
    """The replies of the unpacked archive's handler to `bodies`, sent as one batch."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MMS_DECODE_INPUT_REQUEST"] = "false"  # as decode_input_request=false sets it in MMS
    command = [sys.executable, str(DRY_RUN), str(unpacked), model, handler, *bodies]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise ArchiveCheckError(f"dry run of the handler failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def unpack(archive: Path, handler: str, unpacked: Path) -> None:
    """Unpack the archive; refuse it unless its manifest names `handler`."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(unpacked)
    except zipfile.BadZipFile as error:
        raise ArchiveCheckError(f"{archive} does not unpack: {error}") from None
    manifest = json.loads((unpacked / "MAR-INF" / "MANIFEST.json").read_text())
    named = manifest.get("model", {}).get("handler")
    if named != handler:
        raise ArchiveCheckError(f"the manifest names handler {named!r}, not {handler!r}")


def check_archive(
    spec: ModelSpec, files: ModelFiles, archive: Path, handler: str, engine: str, unpacked: Path
) -> None:
    unpack(archive, handler, unpacked)
    info = json.loads((unpacked / ARCHIVE_INFO).read_text())
    if info.get("engine") != engine:
        raise ArchiveCheckError(f"{ARCHIVE_INFO} records engine {info.get('engine')}, not {engine}")

    replies = dry_run(unpacked, spec.name, handler)
    statuses = [reply["status"] for reply in replies]
    if statuses != [200, 200, 400]:
        raise ArchiveCheckError(f"dry run answered statuses {statuses}, expected [200, 200, 400]")
    expected = [body.decode() for body in _expected_bodies(spec, files)]
    answered = [reply["body"] for reply in replies[:2]]
    if answered != expected:
        raise ArchiveCheckError(f"dry run answered {answered}, the eager model {expected}")
    codec_file = Path(str(replies[0]["codec_file"])).resolve()
    if not codec_file.is_relative_to(unpacked.resolve()):
        raise ArchiveCheckError(f"the handler used the codec at {codec_file}, not the archive's")
