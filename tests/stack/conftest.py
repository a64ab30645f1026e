"""The local stack, brought up once per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.artifacts import ModelFiles
from tests.stack.local import local_stack


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, served_files: dict[str, ModelFiles]
) -> Iterator[dict]:
    with local_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running
