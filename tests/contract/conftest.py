"""The backend under test: the contract suite runs once against each of these."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from models.artifacts import ModelFiles
from tests.backends import (
    flask_backend,
    in_process_backend,
    mms_mxnet_backend,
    mms_onnxruntime_backend,
)
from tests.conftest import IN_PROCESS_BACKEND
from tests.redisai.cluster_stack import redisai_cluster_backend
from tests.redisai.stack import redisai_backend

Launcher = Callable[[Path], AbstractContextManager[str]]

BACKENDS: dict[str, Launcher] = {
    IN_PROCESS_BACKEND: in_process_backend,  # the fast tier's: no server process of its own
    "flask": flask_backend,
    "mms-onnxruntime": mms_onnxruntime_backend,
    "mms-mxnet": mms_mxnet_backend,
    "redisai": redisai_backend,
}
# The contract suites also run against the gateway on a 3-master Redis Cluster; the plugin and
# imported-model suites (which take BACKENDS) leave it out, for CI's time.
CONTRACT_BACKENDS: dict[str, Launcher] = {**BACKENDS, "redisai-cluster": redisai_cluster_backend}


@pytest.fixture(scope="session", params=list(CONTRACT_BACKENDS))
def backend_url(
    request: pytest.FixtureRequest,
    served_files: dict[str, ModelFiles],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with CONTRACT_BACKENDS[request.param](tmp_path_factory.mktemp(request.param)) as url:
        yield url
