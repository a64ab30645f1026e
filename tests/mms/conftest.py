"""One MMS server per engine for the whole session, every served model, on a store of its own.

The store is a copy in the test's run folder, so tests can put a broken archive beside the
real one without touching the artifacts.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from exporters.mar import ensure_archive
from models import registry
from models.artifacts import ModelFiles
from services.mms.engines import ENGINES
from services.mms.settings import MmsSettings
from tests.backends import mms_server, mms_settings


@pytest.fixture(scope="session", params=ENGINES)
def mms(
    request: pytest.FixtureRequest,
    served_files: dict[str, ModelFiles],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MmsSettings]:
    engine = request.param
    run = tmp_path_factory.mktemp(f"mms-{engine}")
    store = run / "store"
    store.mkdir()
    for name, files in served_files.items():
        shutil.copy2(ensure_archive(registry.get(name), files, engine), store)
    with mms_server(mms_settings(run, engine, store)) as settings:
        yield settings
