"""The gateway redeploys a model Redis has lost, by itself: a wiped store serves again within
seconds, the model stored as it was, and a deployment that fails is not retried in a loop."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import requests

from exporters.redisai import Batching, deploy, deploy_all, stored_meta
from models import registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.fizzbuzz.spec import SPEC as FIZZBUZZ
from services.process import http_ok, wait_until
from services.redisai.gateway.redeploy import RETRY_S
from tests.redisai.stack import gateway, redis_with_module

TIMEOUT = 10
REDEPLOYED_WITHIN_S = 20  # the exporter starts Python and torch: ~5 s a model on 2 busy cores
Asker = Callable[[], requests.Response]
SEVEN = json.loads((REPO_ROOT / "models" / "digits" / "examples" / "seven.json").read_text())


def predict(url: str, model: str, body: object) -> requests.Response:
    return requests.post(f"{url}/predictions/{model}", data=json.dumps(body), timeout=TIMEOUT)


def log_lines(log: Path, text: str) -> list[str]:
    return [line for line in log.read_text().splitlines() if text in line]


def first_answers(asks: dict[str, Asker], within_s: float) -> dict[str, tuple[int, object]]:
    """Ask each in turn until every answer is a 200 (any other must be the contract's 503);
    each one's first status, and its 200's body."""
    deadline, first, served = time.monotonic() + within_s, {}, {}
    while len(served) < len(asks):
        for name, ask in asks.items():
            if name in served:
                continue
            response = ask()
            first.setdefault(name, response.status_code)
            if response.status_code == 200:
                served[name] = (first[name], response.json())
                continue
            assert response.status_code == 503, response.text
            assert response.json()["type"] == "ServiceUnavailable"
        assert time.monotonic() < deadline, f"not served again within {within_s} s: {first}"
        time.sleep(0.2)
    return served


def test_a_wiped_store_serves_again_by_itself(
    tmp_path: Path, served_files: dict[str, ModelFiles]
) -> None:
    log = tmp_path / "gateway.log"
    with redis_with_module(tmp_path) as redis_stack, redis_stack.settings.client() as client:
        deploy_all(client, registry.served())
        deploy(client, FIZZBUZZ, served_files["fizzbuzz"], Batching(batchsize=4))  # as it was
        with gateway(redis_stack.url, tmp_path) as url:
            wait_until(lambda: http_ok(f"{url}/ping"), 30, "gateway /ping", log)
            client.flushall()
            started = time.monotonic()
            answers = first_answers(
                {
                    "fizzbuzz": lambda: predict(url, "fizzbuzz", {"input.1": [14, 2]}),
                    "digits": lambda: predict(url, "digits", SEVEN),
                },
                within_s=60,
            )
            elapsed = time.monotonic() - started
            wait_until(lambda: http_ok(f"{url}/ping"), 10, "gateway /ping again", log)
            # The deployments end (and log it) just after the models are back in Redis.
            done = [f"model {model!r} redeployed in" for model in ("fizzbuzz", "digits")]
            wait_until(lambda: all(log_lines(log, text) for text in done), 30, "the logs", log)
        meta = stored_meta(client, "fizzbuzz")
    assert answers["fizzbuzz"] == (503, {"next_number": ["FizzBuzz", "Fizz"]})
    status, answer = answers["digits"]
    assert status == 503
    assert isinstance(answer, dict)
    assert answer["digit"] == 7
    assert elapsed < REDEPLOYED_WITHIN_S, f"served again after {elapsed:.1f} s"
    assert meta is not None
    assert Batching.of_meta(meta) == Batching(batchsize=4)  # redeployed with its batching
    for model in ("fizzbuzz", "digits"):
        assert len(log_lines(log, f"model {model!r} is missing from Redis: redeploying")) == 1
        assert len(log_lines(log, f"model {model!r} redeployed in")) == 1


def test_a_failing_redeployment_is_not_retried_in_a_loop(
    tmp_path: Path, served_files: dict[str, ModelFiles]
) -> None:
    """The gateway's Redis user may read and run models but not store them (an ACL): every
    redeployment fails, for real, and the requests meanwhile start no other."""
    log = tmp_path / "gateway.log"
    with redis_with_module(tmp_path) as redis_stack, redis_stack.settings.client() as client:
        deploy_all(client, registry.served())
        client.execute_command(
            "ACL", "SETUSER", "gateway", "on", ">secret", "~*", "&*", "+@all", "-ai.modelstore"
        )
        port = redis_stack.settings.port
        with gateway(f"redis://gateway:secret@127.0.0.1:{port}/0", tmp_path) as url:
            client.flushall()  # keys only: the user stays
            failed = f"redeploying model {FIZZBUZZ.name!r} failed"
            requests_sent = 0
            deadline = time.monotonic() + 60
            while not log_lines(log, failed):
                assert predict(url, "fizzbuzz", {"input.1": 14}).status_code == 503
                requests_sent += 1
                assert time.monotonic() < deadline, "the redeployment never ended"
                time.sleep(0.05)
            backing_off_until = time.monotonic() + RETRY_S - 1
            while time.monotonic() < backing_off_until:  # keep asking during the back-off
                assert predict(url, "fizzbuzz", {"input.1": 14}).status_code == 503
                requests_sent += 1
                time.sleep(0.05)
            started = log_lines(log, "is missing from Redis: redeploying")
    assert requests_sent > 20
    assert len(started) == 1, started  # one for all those requests, none during the back-off
    (failure,) = log_lines(log, failed)
    assert "no permissions to run the 'AI.MODELSTORE' command" in failure
    assert f"not tried again for {RETRY_S:.0f} s" in failure
