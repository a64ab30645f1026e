"""Fixtures for the RedisAI-protocol module tests (see harness.py for what they start)."""

from __future__ import annotations

import pytest
import redis
import torch

from models.fizzbuzz.network import FizzBuzzNet

from .harness import (
    BatchReveal,
    DropsBatch,
    HalfOut,
    ListOut,
    NoTensorOut,
    Raw,
    Server,
    Slow,
    TwoInTwoOut,
    script_blob,
)


@pytest.fixture
def make_server(tmp_path):
    """Factory: make_server(name, module_args=..., extra=...) -> started Server."""
    servers: list[Server] = []

    def factory(name: str = "srv", module_args=(), extra=(), start: bool = True,
                port: int | None = None) -> Server:
        srv = Server(tmp_path / name, module_args, extra, port)
        servers.append(srv)
        return srv.start() if start else srv

    yield factory
    for srv in servers:
        srv.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("shared")).start()
    yield srv
    srv.stop()


@pytest.fixture
def r(shared_server) -> redis.Redis:
    """A client of the module-wide server, with an empty keyspace."""
    client = shared_server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def fizzbuzz():
    torch.manual_seed(0)
    model = FizzBuzzNet().eval()
    return model, script_blob(model)


@pytest.fixture(scope="session")
def blobs():
    return {
        "two": script_blob(TwoInTwoOut()),
        "list": script_blob(ListOut()),
        "reveal": script_blob(BatchReveal()),
        "drops": script_blob(DropsBatch()),
        "slow": script_blob(Slow()),
        "half": script_blob(HalfOut()),
        "notensor": script_blob(NoTensorOut()),
    }


@pytest.fixture
def raw(shared_server, r):
    client = Raw(shared_server.port)
    yield client
    client.close()
