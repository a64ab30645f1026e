"""The RedisAI gateway beyond the contract: Redis failures, recovery, cleanup, OpenAPI, and
its metrics against the module's own figures."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from exporters.redisai import deploy, deploy_all
from models import registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.fizzbuzz import codec
from models.fizzbuzz.spec import SPEC
from services.process import http_ok, wait_until
from services.redisai.gateway import module_stats
from tests.metrics.scrape import key, scrape
from tests.redisai.stack import RedisStack, gateway, redis_with_module

TIMEOUT = 10


@pytest.fixture
def stack(
    tmp_path: Path, served_files: dict[str, ModelFiles]
) -> Iterator[tuple[RedisStack, str]]:
    with redis_with_module(tmp_path) as redis_stack:
        with redis_stack.settings.client() as client:
            deploy_all(client, registry.served())
        with gateway(redis_stack.url, tmp_path, timeout_ms=1000) as url:
            yield redis_stack, url


def predict(url: str, body: object) -> requests.Response:
    return requests.post(f"{url}/predictions/fizzbuzz", data=json.dumps(body), timeout=TIMEOUT)


def probed(url: str, model: str) -> bool:
    """Whether the gateway found the model answering its readiness probe."""
    return scrape(url).value("polyserve_model_ready", model=model) == 1


def assert_unavailable(url: str) -> None:
    response = predict(url, {"input.1": 14})
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == 503
    assert body["type"] == "ServiceUnavailable"
    ping = requests.get(f"{url}/ping", timeout=TIMEOUT)
    assert (ping.status_code, ping.json()) == (503, {"status": "Unhealthy"})


def test_redis_down_gives_503_then_recovers_from_its_rdb(stack: tuple[RedisStack, str]) -> None:
    redis_stack, url = stack
    assert predict(url, {"input.1": 14}).json() == {"next_number": "FizzBuzz"}
    with redis_stack.settings.client() as client:
        client.save()
    redis_stack.stop()
    assert_unavailable(url)

    redis_stack.start()  # same port and data folder: the model comes back from the RDB only
    wait_until(lambda: http_ok(f"{url}/ping"), 15, "gateway recovery", redis_stack.log)
    assert predict(url, {"input.1": [2, 14]}).json() == {"next_number": ["Fizz", "FizzBuzz"]}


def test_missing_model_gives_503_until_deployed_again(
    stack: tuple[RedisStack, str], fizzbuzz_files: ModelFiles
) -> None:
    redis_stack, url = stack
    with redis_stack.settings.client() as client:
        client.execute_command("AI.MODELDEL", "fizzbuzz")
        assert_unavailable(url)
        deploy(client, SPEC, fizzbuzz_files)
    assert predict(url, {"input.1": 4}).json() == {"next_number": "Buzz"}


def test_no_keys_are_written_by_a_mixed_load(stack: tuple[RedisStack, str]) -> None:
    redis_stack, url = stack
    bodies: list[object] = []
    for n in range(200):
        bodies += [{"input.1": n}, {"input.1": [n, n + 1]}, {"input.1": n + 2000}, "junk"]
    with redis_stack.settings.client() as client:
        keys_before = client.dbsize()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda body: predict(url, body).status_code, bodies))
        assert statuses.count(200) == 400
        assert statuses.count(400) == 400
        assert client.dbsize() == keys_before
        assert client.info("stats")["expired_keys"] == 0


def test_answers_are_never_mixed_up_under_concurrency(stack: tuple[RedisStack, str]) -> None:
    _, url = stack
    numbers = list(codec.valid_numbers())

    def check(n: int) -> bool:
        return predict(url, {"input.1": n}).json() == {"next_number": codec.answer(n)}

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(check, numbers))


@pytest.mark.parametrize("coalesce_rows", ["256", "0"])
def test_concurrent_requests_share_redis_calls_when_coalescing(
    tmp_path: Path, fizzbuzz_files: ModelFiles, coalesce_rows: str
) -> None:
    numbers = list(range(400))
    settings = {"POLYSERVE_GATEWAY_COALESCE_ROWS": coalesce_rows}
    with redis_with_module(tmp_path) as redis_stack, redis_stack.settings.client() as client:
        deploy(client, SPEC, fizzbuzz_files)
        with gateway(redis_stack.url, tmp_path, settings=settings) as url:
            # The gateway probes the model once at its start: done before the count starts.
            wait_until(lambda: probed(url, "fizzbuzz"), 10, "the probe", tmp_path / "gateway.log")
            client.execute_command("AI.INFO", "fizzbuzz", "RESETSTAT")
            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(pool.map(lambda n: predict(url, {"input.1": n}).json(), numbers))
            figures = scrape(url)
        info = client.execute_command("AI.INFO", "fizzbuzz")
    assert answers == [{"next_number": codec.answer(n)} for n in numbers]
    stats = dict(zip(info[::2], info[1::2], strict=True))
    assert stats[b"samples"] == len(numbers)  # one row each, every one run once
    if coalesce_rows == "0":
        assert stats[b"calls"] == len(numbers)
    else:  # 16 clients on one worker: some Redis calls carried several requests
        assert stats[b"calls"] < len(numbers)
    # The gateway's metrics say the same: its Redis calls and the requests in them, and the
    # module's own figures as AI.INFO gives them.
    assert figures.value("polyserve_batch_size_count", model="fizzbuzz") == stats[b"calls"]
    assert figures.value("polyserve_batch_size_sum", model="fizzbuzz") == len(numbers)
    for field in ("calls", "samples", "errors"):
        name = f"polyserve_redisai_model_{field}_total"
        assert figures.value(name, model="fizzbuzz") == stats[field.encode()], field


def test_metrics_answer_and_say_not_ready_while_redis_is_down(
    stack: tuple[RedisStack, str],
) -> None:
    redis_stack, url = stack
    assert requests.get(f"{url}/ping", timeout=TIMEOUT).status_code == 200
    up = scrape(url)
    assert up.value("polyserve_model_ready", model="fizzbuzz") == 1
    assert key("polyserve_redisai_model_calls_total", model="fizzbuzz") in up.values
    redis_stack.stop()
    assert_unavailable(url)  # its /ping runs the probes
    started = time.monotonic()
    down = scrape(url)
    assert time.monotonic() - started < module_stats.TIMEOUT_S + 1
    assert down.value("polyserve_model_ready", model="fizzbuzz") == 0
    assert not [name for name, _ in down.values if name.startswith("polyserve_redisai_")]
    assert down.value("polyserve_requests_total", model="fizzbuzz", protocol="v1", code="503") == 1


def test_openapi_documents_the_contract(stack: tuple[RedisStack, str]) -> None:
    _, url = stack
    spec = requests.get(f"{url}/openapi.json", timeout=TIMEOUT).json()
    operation = spec["paths"]["/predictions/{model}"]["post"]
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema["type"] == "object"
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {name: example["value"] for name, example in examples.items()} == {
        model.name: model.probe.document for model in registry.served()
    }
    assert {"200", "400", "404", "405", "413", "503"} <= set(operation["responses"])
    error_ref = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    error_schema = spec["components"]["schemas"][error_ref.rsplit("/", 1)[-1]]
    assert set(error_schema["properties"]) == {"code", "type", "message"}
    assert "/ping" in spec["paths"]
    assert "/models" in spec["paths"]


def test_each_worker_freezes_what_it_loaded(clean: Path) -> None:
    """uvicorn's factory keeps the app it built out of the collector's full collections (they
    were most of the gateway's p99, docs/performance.md). No Redis is needed to build it."""
    script = (
        "import gc\n"
        "from services.redisai.gateway.asgi import app_from_environment\n"
        "before = gc.get_freeze_count()\n"
        "app_from_environment()\n"
        "print(before, gc.get_freeze_count() > 0)"
    )
    built = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout.split() == ["0", "True"]
