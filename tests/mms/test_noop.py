"""The MMS ceiling: the no-op handler, its archive, and the ceiling server of the comparison."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import psutil
import pytest
import requests
from mms.context import Context, RequestProcessor

from exporters.mar_noop import NOOP_HANDLER, ensure_noop_archive
from loadtest.ceiling_servers import CEILINGS
from models import registry
from models.artifacts import ModelFiles
from services.config import Settings
from services.mms import noop


def test_the_noop_handler_parses_the_body_and_answers_the_fixed_body(tmp_path: Path) -> None:
    info = {"model": "fizzbuzz", "spec": registry.references()["fizzbuzz"]}
    (tmp_path / "polyserve.json").write_text(json.dumps(info))
    bodies = [b'{"input.1": 14}', b"not json", b'{"input.1": 1023}']
    context = Context("fizzbuzz", str(tmp_path), None, len(bodies), None, "test")
    context.request_processor = [RequestProcessor({"Content-Length": "1"}) for _ in bodies]
    assert noop.handle(None, context) is None
    answers = noop.handle([{"body": bytearray(body)} for body in bodies], context)
    assert answers is not None
    assert [context.get_response_status(idx)[0] for idx in range(3)] == [200, 400, 200]
    assert answers[0] == answers[2] == b'{"next_number":"FizzBuzz"}'
    assert json.loads(answers[1])["type"] == "InvalidInput"
    assert context.get_response_headers(0)["X-Backend"] == "mms"


def test_the_noop_archive_has_its_own_store_and_no_model(fizzbuzz_files: ModelFiles) -> None:
    archive = ensure_noop_archive(registry.get("fizzbuzz"), fizzbuzz_files)
    assert archive.parent.name == "noop"
    assert archive.name == "fizzbuzz.mar"  # served under the model's name, at the same URL
    with zipfile.ZipFile(archive) as mar:
        manifest = json.loads(mar.read("MAR-INF/MANIFEST.json"))
        names = mar.namelist()
    assert manifest["model"]["handler"] == NOOP_HANDLER
    assert not [name for name in names if name.endswith(".onnx")]


def test_the_mms_ceiling_serves_the_noop_behind_the_front_and_stops(
    fizzbuzz_files: ModelFiles, tmp_path: Path
) -> None:
    _, serve = CEILINGS["mms"]
    with serve(Settings.load(run=tmp_path)) as served:
        url = served.url
        answer = requests.post(f"{url}/predictions/fizzbuzz", data=b'{"input.1": 3}', timeout=30)
        assert answer.content == b'{"next_number":"FizzBuzz"}'
        assert answer.headers["X-Backend"] == "mms"
        wrong = requests.put(f"{url}/predictions/fizzbuzz", timeout=30)
        assert wrong.status_code == 405  # the same front as the backend
        names = {psutil.Process(pid).name() for pid in served.pids()}  # its CPU is read there
        assert {"java", "nginx"} <= names
        assert any(name.startswith("python") for name in names)  # the model worker
    assert not [p for p in psutil.process_iter() if str(tmp_path) in " ".join(_cmdline(p))]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/ping", timeout=2)


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
