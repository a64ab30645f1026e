"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import tritonclient.http as triton

from exporters.pipeline import ensure_exported
from models import registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.imported import imported_names
from models.spec import Example, ModelSpec

# The fast tier (`make test-fast`): these modules, and the contract suite against the Flask
# app in this process. Everything else starts servers or builds archives: `stack`.
FAST = {
    "tests/test_layers.py",
    "tests/test_config.py",
    "tests/compose/test_files.py",
    "tests/exporters/test_exporters.py",
    "tests/loadtest/test_cpu_time.py",
    "tests/loadtest/test_server_metrics.py",
    "tests/exporters/test_onnx_to_torch.py",
    "tests/mms/test_front_config.py",
    "tests/mms/test_handler.py",
    "tests/redisai/test_coalescer.py",
    "tests/redisai/test_fast_path.py",
    "tests/hostile/test_wire.py",
    "tests/metrics/test_exposition.py",
    "tests/contract/test_batcher.py",
    "tests/flask/test_batched_app.py",
    "tests/flask/test_settings.py",
    "tests/mms/test_batching_settings.py",
    "tests/loadtest/test_peers_config.py",
    "tests/loadtest/test_peers_answering.py",
    "tests/redisai/test_resp_parsers.py",
}
FAST_FOLDERS = ("tests/models/", "tests/k8s/")
IN_PROCESS_BACKEND = "in-process"
IMPORTED = imported_names()  # models a user imported into the artifacts folder: not these suites'


def is_fast(item: pytest.Item) -> bool:
    module = Path(str(item.fspath)).relative_to(REPO_ROOT).as_posix()
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    if "backend_url" in params:
        return params["backend_url"] == IN_PROCESS_BACKEND
    return module in FAST or module.startswith(FAST_FOLDERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not is_fast(item):
            item.add_marker(pytest.mark.stack)


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No POLYSERVE_ variable from the caller's environment; the run folder in tmp_path."""
    for name in list(os.environ):
        if name.startswith("POLYSERVE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("POLYSERVE_RUN", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def served_files() -> dict[str, ModelFiles]:
    """Every served model trained, with its TorchScript and ONNX files, made once where
    missing (archives are built by the tests that need them)."""
    files = {}
    for spec in registry.served():
        files[spec.name] = ModelFiles.of(spec.name)
        ensure_exported(spec, files[spec.name], ["torchscript", "onnx"])
    return files


@pytest.fixture(scope="session")
def fizzbuzz_files(served_files: dict[str, ModelFiles]) -> ModelFiles:
    return served_files["fizzbuzz"]


@pytest.fixture(scope="session")
def digits_files(served_files: dict[str, ModelFiles]) -> ModelFiles:
    return served_files["digits"]


@pytest.fixture(scope="session", params=[n for n in registry.served_names() if n not in IMPORTED])
def model(request: pytest.FixtureRequest, served_files: dict[str, ModelFiles]) -> ModelSpec:
    """Each served model in turn: what the suites that run per model are parametrized by
    (models imported into the artifacts folder have their own, tests/imported)."""
    return registry.get(request.param)


_examples: dict[str, list[Example]] = {}


@pytest.fixture
def examples(model: ModelSpec) -> list[Example]:
    """The model's examples (loaded once per session: digits' run the in-process model)."""
    if model.name not in _examples:
        _examples[model.name] = model.examples()
    return _examples[model.name]


@pytest.fixture
def client(backend_url: str) -> triton.InferenceServerClient:
    """tritonclient's HTTP client for the backend under test (every folder's `backend_url`)."""
    address = urlsplit(backend_url)
    return triton.InferenceServerClient(f"{address.hostname}:{address.port}", network_timeout=60)
