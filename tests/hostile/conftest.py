"""The backends the hostile suites run against, each started for real, once per session.

Both suites share one running backend per parameter (pytest groups tests by it), so each
backend is started once for the fuzz and the slow clients together. The in-process werkzeug
server and MMS's MXNet engine are left out: the first is not what is deployed, the second
has the same nginx front and MMS as the onnxruntime one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.artifacts import ModelFiles
from tests.contract.conftest import BACKENDS

HOSTILE_BACKENDS = ("flask", "mms-onnxruntime", "redisai")


@pytest.fixture(scope="session", params=HOSTILE_BACKENDS)
def hostile_backend(
    request: pytest.FixtureRequest,
    served_files: dict[str, ModelFiles],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The base URL of a running backend (named apart from the contract suite's
    `backend_url`, so the two folders' session fixtures never share a cache)."""
    with BACKENDS[request.param](tmp_path_factory.mktemp(request.param)) as url:
        yield url
