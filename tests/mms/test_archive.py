"""The .mar archives: what they hold, and the check that keeps a bad one out of the store."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from exporters.mar import HANDLER, ensure_archive, spec_modules
from exporters.mar_check import ArchiveCheckError, check_archive
from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from services.mms.engines import ENGINES
from services.mms.handler import ARCHIVE_INFO

MODEL = "fizzbuzz"


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def test_the_archive_holds_handler_spec_codec_model_and_signature(
    model: ModelSpec, served_files: dict[str, ModelFiles], engine: str
) -> None:
    files = served_files[model.name]
    with zipfile.ZipFile(ensure_archive(model, files, engine)) as mar:
        names = set(mar.namelist())
        manifest = json.loads(mar.read("MAR-INF/MANIFEST.json"))
        info = json.loads(mar.read(ARCHIVE_INFO))
        signature = json.loads(mar.read("signature.json"))
    assert manifest["model"] == {"modelName": model.name, "handler": HANDLER}
    assert manifest["runtime"] == "python"  # MMS then runs workers on its own interpreter
    assert info["engine"] == engine
    assert info["version"] == files.version
    assert info["spec"] == registry.references()[model.name]
    assert info["model_file"] in names
    assert signature["inputs"][0]["data_name"] == model.input.name
    travelling = {module for _, module in spec_modules(model)}
    assert travelling <= names
    assert f"models/{model.name}/codec.py" in travelling
    assert not any(f"models/{other}/" in name for other in registry.SHIPPED if other != model.name
                   for name in names)  # fmt: skip


def _json_edit(changes: dict[str, object]) -> Callable[[bytes], bytes]:
    return lambda data: json.dumps({**json.loads(data), **changes}).encode()


def _swap_fizz_and_buzz(data: bytes) -> bytes:
    return data.replace(b'"Fizz", "Buzz"', b'"Buzz", "Fizz"')


def _tampered(archive: Path, target: Path, name: str, edit: Callable[[bytes], bytes]) -> Path:
    with zipfile.ZipFile(archive) as good, zipfile.ZipFile(target, "w") as bad:
        for item in good.infolist():
            data = good.read(item)
            bad.writestr(item, edit(data) if item.filename == name else data)
    return target


@pytest.mark.parametrize(
    ("name", "edit", "complaint"),
    [
        (ARCHIVE_INFO, _json_edit({"engine": "mxnet"}), "records engine"),
        ("MAR-INF/MANIFEST.json", _json_edit({"model": {"handler": "x:y"}}), "names handler"),
        ("models/fizzbuzz/codec.py", _swap_fizz_and_buzz, "a correct model"),
        ("fizzbuzz.onnx", lambda _: b"not a model", "dry run of the handler failed"),
    ],
    ids=["engine not recorded", "other handler", "codec disagrees", "model does not load"],
)
def test_the_check_refuses_a_bad_archive(
    fizzbuzz_files: ModelFiles,
    tmp_path: Path,
    name: str,
    edit: Callable[[bytes], bytes],
    complaint: str,
) -> None:
    spec = registry.get(MODEL)
    archive = ensure_archive(spec, fizzbuzz_files, "onnxruntime")
    bad = _tampered(archive, tmp_path / "bad.mar", name, edit)
    with pytest.raises(ArchiveCheckError, match=complaint):
        check_archive(spec, fizzbuzz_files, bad, HANDLER, "onnxruntime", tmp_path / "unpacked")
