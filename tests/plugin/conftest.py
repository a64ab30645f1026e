"""A third model, registered from tests/ only, through export, every backend and the contract.

POLYSERVE_PLUGINS names tests/plugin_model's spec for the length of this folder's tests, so
the test process, the exporters and every backend it starts know three models; no file
outside tests/ knows the third.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from exporters.pipeline import ensure_exported
from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from tests.contract.conftest import BACKENDS

PLUGIN = "tests.plugin_model.spec:SPEC"
NAME = "larger"


@pytest.fixture(scope="package")
def plugin(served_files: dict[str, ModelFiles]) -> Iterator[ModelSpec]:
    """The plugin registered (and trained and exported) while this folder's tests run."""
    before = os.environ.get(registry.PLUGINS_VAR)
    os.environ[registry.PLUGINS_VAR] = PLUGIN
    try:
        spec = registry.get(NAME)
        ensure_exported(spec, ModelFiles.of(NAME), ["torchscript", "onnx"])
        yield spec
    finally:
        if before is None:
            del os.environ[registry.PLUGINS_VAR]
        else:
            os.environ[registry.PLUGINS_VAR] = before


@pytest.fixture(scope="package")
def model(plugin: ModelSpec) -> ModelSpec:
    """The contract suite's model: the plugin only (the shipped ones have their own run)."""
    return plugin


@pytest.fixture(scope="package", params=list(BACKENDS))
def backend_url(
    request: pytest.FixtureRequest, plugin: ModelSpec, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with BACKENDS[request.param](tmp_path_factory.mktemp(f"plugin-{request.param}")) as url:
        yield url
