"""Run an unpacked archive's handler the way an MMS worker does, without MMS's sockets.

    python exporters/mar_dryrun.py UNPACKED_DIR MODEL HANDLER < [[BODY, {HEADER: VALUE}], ...]

Run as a script (not with -m) so the repository is not on sys.path: only the unpacked
archive and the installed packages are, as in a worker. Sends the requests (a JSON list of
bodies and the headers the nginx front would add, on stdin) as one batch through MMS's own
Context and prints one JSON line: status, body and codec file per request.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from mms.context import Context, RequestProcessor


def codec_file(model_dir: str) -> str:
    """The file of the codec module the archive's spec (polyserve.json) decodes with."""
    from services.mms.handler import archive_spec  # the archive's, once on the path

    spec = archive_spec(json.loads((Path(model_dir) / "polyserve.json").read_text()))
    return str(sys.modules[type(spec.codec).__module__].__file__)


def main(model_dir: str, model: str, handler: str, requests: list[tuple[str, dict]]) -> None:
    sys.path.insert(0, model_dir)  # what MMS does through the worker's PYTHONPATH
    module_name, function_name = handler.split(":")
    entry_point = getattr(importlib.import_module(module_name), function_name)
    context = Context(model, model_dir, None, len(requests), None, "dry-run")
    entry_point(None, context)  # load, as MmsModelLoader does

    batch = [{"body": body.encode()} for body, _ in requests]
    context.request_processor = [
        RequestProcessor({"Content-Length": str(len(body.encode())), **headers})
        for body, headers in requests
    ]
    answers = entry_point(batch, context)
    codec = codec_file(model_dir)
    replies = [
        {
            "status": context.get_response_status(idx)[0],
            "body": answer.decode(),
            "headers": context.get_response_headers(idx),
            "codec_file": codec,
        }
        for idx, answer in enumerate(answers)
    ]
    print(json.dumps(replies))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], json.load(sys.stdin))
