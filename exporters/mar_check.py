"""The check every built archive passes before it reaches the model store.

It unpacks, its manifest names the handler, it records the engine it was built for, and a
dry run of its handler (in a fresh interpreter that sees only the unpacked archive and the
installed packages, never the repository) answers its examples like a correct backend, its
readiness probe as the spec says (an imported model: through v2), and bad input with a 400.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from models.artifacts import ModelFiles
from models.spec import Example, ModelSpec
from services.contract.protocol import render
from services.mms.handler import ARCHIVE_INFO, V2_CALL_HEADER

DRY_RUN = Path(__file__).with_name("mar_dryrun.py")
EXAMPLES_ASKED = 7
NOT_JSON = "not json"


class ArchiveCheckError(RuntimeError):
    """The archive is not what MMS needs; it was not installed."""


DryRequest = tuple[str, dict[str, str]]
"""A request body and the headers the nginx front would add to it."""


def dry_run(
    unpacked: Path, model: str, handler: str, requests: list[DryRequest]
) -> list[dict[str, object]]:
    """The replies of the unpacked archive's handler to `requests`, sent as one batch."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MMS_DECODE_INPUT_REQUEST"] = "false"  # as decode_input_request=false sets it in MMS
    command = [sys.executable, str(DRY_RUN), str(unpacked), model, handler]
    result = subprocess.run(
        command, input=json.dumps(requests), capture_output=True, text=True, env=env, check=False
    )
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


def _some(examples: list[Example]) -> list[Example]:
    """A few examples spread over the whole list."""
    step = max(1, len(examples) // EXAMPLES_ASKED)
    return examples[::step][:EXAMPLES_ASKED]


def check_archive(
    spec: ModelSpec, files: ModelFiles, archive: Path, handler: str, engine: str, unpacked: Path
) -> None:
    unpack(archive, handler, unpacked)
    info = json.loads((unpacked / ARCHIVE_INFO).read_text())
    if info.get("engine") != engine:
        raise ArchiveCheckError(f"{ARCHIVE_INFO} records engine {info.get('engine')}, not {engine}")

    check = check_tensors_only if spec.imported else check_contract
    check(spec, unpacked, handler)


def _replies(
    spec: ModelSpec, unpacked: Path, handler: str, requests: list[DryRequest]
) -> list[dict[str, object]]:
    """The dry run's replies to two good requests and a bad one, each status as it must be,
    answered by the archive's own codec."""
    replies = dry_run(unpacked, spec.name, handler, [*requests, (NOT_JSON, {})])
    statuses = [reply["status"] for reply in replies]
    if statuses != [200, 200, 400]:
        raise ArchiveCheckError(f"dry run answered statuses {statuses}, expected [200, 200, 400]")
    codec_file = Path(str(replies[0]["codec_file"])).resolve()
    if not codec_file.is_relative_to(unpacked.resolve()):
        raise ArchiveCheckError(f"the handler used the codec at {codec_file}, not the archive's")
    return replies


def check_contract(spec: ModelSpec, unpacked: Path, handler: str) -> None:
    """Some examples answered like a correct backend, and the probe as the spec says."""
    codec = spec.codec
    examples = _some(spec.examples())
    asked = render(codec.document([example.item for example in examples], batch=True))
    probe = render(spec.probe.document)
    replies = _replies(spec, unpacked, handler, [(asked.decode(), {}), (probe.decode(), {})])
    answered = json.loads(str(replies[0]["body"]))
    expected = codec.reply([example.answer for example in examples], batch=True)
    if not codec.agrees(answered, expected):
        raise ArchiveCheckError(f"dry run answered {answered}, a correct model {expected}")
    if not spec.probe.answered_by(json.loads(str(replies[1]["body"]))):
        raise ArchiveCheckError(f"dry run answered the probe with {replies[1]['body']}")


def check_tensors_only(spec: ModelSpec, unpacked: Path, handler: str) -> None:
    """An imported model (v2 only): its metadata, and its probe's rows answered through v2 as
    the imported file answered them."""
    rows = spec.probe_request().inputs
    tensor = {"name": spec.input.name, "datatype": spec.input.datatype, "shape": list(rows.shape)}
    infer = render({"inputs": [{**tensor, "data": rows.reshape(-1).tolist()}]}).decode()
    requests = [(infer, {V2_CALL_HEADER: "infer"}), ("", {V2_CALL_HEADER: "metadata"})]
    replies = _replies(spec, unpacked, handler, requests)
    [output] = json.loads(str(replies[0]["body"]))["outputs"]
    outputs = np.reshape(output["data"], output["shape"])
    if not spec.probe.answered_by({"outputs": outputs}):
        raise ArchiveCheckError(f"dry run answered the probe's rows with {outputs}")
    metadata = json.loads(str(replies[1]["body"]))
    if {key: metadata.get(key) for key in ("inputs", "outputs")} != spec.tensors():
        raise ArchiveCheckError(f"dry run described the model as {metadata}")
