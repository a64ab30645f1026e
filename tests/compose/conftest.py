"""The compose stack, once per session: built, up, healthy; torn down with its volumes.

Runs only where a Docker engine answers. Without one the tests are skipped, unless
POLYSERVE_REQUIRE_DOCKER=1 (CI sets it): then they fail. POLYSERVE_COMPOSE picks the compose
command ("docker compose" when the v2 plugin is there, else "docker-compose");
POLYSERVE_COMPOSE_KEEP=1 leaves the stack up after the tests (project polyserve-test).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator

import pytest

from tests.compose.stack import REQUIRE_VAR, Stack, StackError, engine_problem

BACKENDS = {"flask": "flask", "mms": "mms", "redisai": "gateway"}  # backend -> service
COMPOSE_TIMEOUT_S = 3600  # a cold build takes many minutes: beyond the default 600 s
NEEDS_STACK = "stack"
# 1: the images were built just before (deploy/docker-ci.sh times that step itself).
SKIP_BUILD_VAR = "POLYSERVE_COMPOSE_SKIP_BUILD"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if NEEDS_STACK in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(COMPOSE_TIMEOUT_S))


def log(message: str) -> None:
    print(f"[compose] {message}", file=sys.stderr, flush=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    problem = engine_problem()
    if problem is not None:
        if os.environ.get(REQUIRE_VAR) == "1":
            pytest.fail(f"{REQUIRE_VAR}=1 but {problem}", pytrace=False)
        pytest.skip(f"no Docker engine ({problem}); set {REQUIRE_VAR}=1 to make this fail")
    stack = Stack()
    log(f"using {' '.join(stack.command)}")
    stack.down()  # what a killed run left behind
    try:
        if os.environ.get(SKIP_BUILD_VAR) != "1":
            started = time.monotonic()
            stack.run("build", timeout=COMPOSE_TIMEOUT_S)
            log(f"build: {time.monotonic() - started:.0f} s")
        started = time.monotonic()
        try:
            stack.run("up", "-d", timeout=900)
            stack.wait_healthy()
        except StackError as error:
            raise StackError(f"{error}\n--- logs ---\n{stack.logs(tail=60)}") from None
        log(f"up -d until every service is healthy: {time.monotonic() - started:.0f} s")
        yield stack
    finally:
        if os.environ.get("POLYSERVE_COMPOSE_KEEP") != "1":
            stack.down()


@pytest.fixture(scope="session", params=list(BACKENDS))
def backend_url(request: pytest.FixtureRequest, stack: Stack) -> str:
    """The contract suite's fixture, pointed at a published port of the stack."""
    return stack.url(BACKENDS[request.param])
