"""GET /metrics on each backend (docs/metrics.md): the same names, labels and types; counts
exact after a known mix of correct and bad requests; no series for an attacker's model names;
no count lost when a worker is killed.

Knows the backend only by its URL and its run folder (where a worker that counted is found),
and the model only by its spec: correct requests are its readiness probe, v1 and v2.
"""

from __future__ import annotations

import json
import math
import os
import random
import secrets
import signal
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests

from models import registry
from models.spec import ModelSpec
from services.metrics import (
    BATCH_BUCKETS,
    CODES,
    LATENCY_BUCKETS,
    MULTIPROC_VAR,
    OTHER_CODE,
    UNKNOWN_MODEL,
)
from tests.conftest import IMPORTED
from tests.metrics.conftest import Served
from tests.metrics.scrape import Scrape, changes, scrape

TIMEOUT = 30
# The models with a v1 codec (imported ones have tests/imported); a parameter of the tests
# rather than the session's `model` fixture, so that each backend is started once.
MODELS = [registry.get(name) for name in registry.served_names() if name not in IMPORTED]
REQUESTS = "polyserve_requests_total"
BY_STATUS = ("model", "protocol", "code")
# family -> (type, label names; a histogram's `le` aside)
FAMILIES = {
    "polyserve_requests": ("counter", {"model", "protocol", "code"}),
    "polyserve_request_duration_seconds": ("histogram", {"model", "protocol"}),
    "polyserve_model_execution_seconds": ("histogram", {"model", "engine"}),
    "polyserve_batch_size": ("histogram", {"model"}),
    "polyserve_requests_in_flight": ("gauge", set()),
    "polyserve_model_ready": ("gauge", {"model"}),
    "process_resident_memory_bytes": ("gauge", set()),
    "process_cpu_seconds": ("counter", set()),
}


@dataclass(frozen=True)
class Call:
    """One request, and the series it must be counted in: (model, protocol, code)."""

    method: str
    path: str
    body: bytes
    counted: tuple[str, str, str]

    def send(self, url: str) -> None:
        response = requests.request(self.method, url + self.path, data=self.body, timeout=TIMEOUT)
        assert response.status_code == int(self.counted[2]), (self.path, response.text)


def v1_body(model: ModelSpec) -> bytes:
    return json.dumps(model.probe.document).encode()


def v2_body(model: ModelSpec) -> bytes:
    inputs = model.probe_request().inputs
    tensor = {
        "name": model.input.name,
        "shape": list(inputs.shape),
        "datatype": model.input.datatype,
        "data": inputs.reshape(-1).tolist(),
    }
    return json.dumps({"inputs": [tensor]}).encode()


def correct(model: ModelSpec, v1: int, v2: int) -> list[Call]:
    name = model.name
    return [Call("POST", f"/predictions/{name}", v1_body(model), (name, "v1", "200"))] * v1 + [
        Call("POST", f"/v2/models/{name}/infer", v2_body(model), (name, "v2", "200"))
    ] * v2


def unknown(name: str) -> list[Call]:
    """A v1 and a v2 request to a model not served."""
    return [
        Call("POST", f"/predictions/{name}", b"{}", (UNKNOWN_MODEL, "v1", "404")),
        Call("POST", f"/v2/models/{name}/infer", b"{}", (UNKNOWN_MODEL, "v2", "404")),
    ]


def bad(model: ModelSpec) -> list[Call]:
    """Requests the server answers with an error, of each kind every backend's app answers
    (the fronts' own refusals, such as nginx's 413, never reach it)."""
    name, v1, v2 = model.name, f"/predictions/{model.name}", f"/v2/models/{model.name}"
    wrong_item = json.dumps({model.codec.field: "seven"}).encode()
    return [
        *[Call("POST", v1, b"{not json", (name, "v1", "400"))] * 3,
        *[Call("POST", v1, wrong_item, (name, "v1", "400"))] * 2,
        *[Call("GET", v1, b"", (name, "v1", "405"))] * 2,
        *[Call("POST", f"{v2}/infer", b'{"inputs": []}', (name, "v2", "400"))] * 2,
        *[Call("POST", f"{v2}/versions/nope/infer", v2_body(model), (name, "v2", "404"))] * 2,
        Call("GET", f"{v2}/infer", b"", (name, "v2", "405")),
        *unknown("no-such-model"),
        *unknown("no-such-model"),
    ]


def reaches_the_counter(served: Served, call: Call) -> bool:
    """Whether the server that counts sees the call: on MMS the handler counts, and the nginx
    front answers a wrong method, MMS itself an unknown model, before it (docs/metrics.md)."""
    if not served.name.startswith("mms"):
        return True
    return call.method == "POST" and call.counted[0] != UNKNOWN_MODEL


def send(url: str, calls: Iterable[Call], connections: int = 8) -> None:
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(lambda call: call.send(url), calls))


def counted(calls: list[Call], labels: int = 3) -> dict[tuple[str, ...], int]:
    """How many calls each series must count: by (model, protocol, code), or its first
    `labels` of those."""
    return dict(Counter(call.counted[:labels] for call in calls))


def samples_of(result: Scrape, family: str) -> list:
    return result.families[family].samples


@pytest.fixture
def primed(served: Served) -> Scrape:
    """The backend's metrics once every served model had a correct request of each protocol,
    and an unknown model one (a series appears with its first value)."""
    calls = [call for spec in MODELS for call in correct(spec, 1, 1)]
    send(served.url, [*calls, *unknown("not-served")])
    return scrape(served.url)


def test_every_metric_is_there_with_its_type_and_labels(primed: Scrape) -> None:
    for family, (kind, labels) in FAMILIES.items():
        assert primed.families[family].type == kind, family
        for sample in samples_of(primed, family):
            assert set(sample.labels) - {"le"} == labels, sample
    served = {spec.name for spec in registry.served()}
    values = {
        label: {sample.labels[label] for sample in samples_of(primed, "polyserve_requests")}
        for label in BY_STATUS
    }
    assert values["model"] <= served | {UNKNOWN_MODEL}
    assert values["protocol"] == {"v1", "v2"}
    assert values["code"] <= {str(code) for code in CODES} | {OTHER_CODE}
    engines = {s.labels["engine"] for s in samples_of(primed, "polyserve_model_execution_seconds")}
    assert len(engines) == 1  # the backend's one engine


def test_histograms_have_the_shared_buckets(primed: Scrape) -> None:
    for family, buckets in [
        ("polyserve_request_duration_seconds", LATENCY_BUCKETS),
        ("polyserve_model_execution_seconds", LATENCY_BUCKETS),
        ("polyserve_batch_size", BATCH_BUCKETS),
    ]:
        bounds = {
            float(sample.labels["le"])
            for sample in samples_of(primed, family)
            if sample.name.endswith("_bucket")
        }
        assert bounds == {*map(float, buckets), math.inf}, family


def test_every_model_is_ready_and_nothing_is_in_flight(primed: Scrape) -> None:
    for spec in registry.served():
        assert primed.value("polyserve_model_ready", model=spec.name) == 1, spec.name
    assert primed.value("polyserve_requests_in_flight") == 0


def test_the_program_s_processes_are_measured(primed: Scrape) -> None:
    assert primed.value("process_resident_memory_bytes") > 10 * 2**20
    assert primed.value("process_cpu_seconds_total") > 0
    assert primed.value("polyserve_processes") >= 2  # a server and its workers


@pytest.mark.parametrize("spec", MODELS, ids=lambda spec: spec.name)
def test_counts_are_exact_after_correct_and_bad_requests(served: Served, spec: ModelSpec) -> None:
    good = correct(spec, v1=12, v2=8)
    calls = [*good, *bad(spec)]
    before = scrape(served.url)
    send(served.url, random.Random(0).sample(calls, len(calls)))
    after = scrape(served.url)

    seen = [call for call in calls if reaches_the_counter(served, call)]
    assert changes(before, after, REQUESTS, BY_STATUS) == counted(seen)
    durations = changes(before, after, "polyserve_request_duration_seconds_count", BY_STATUS[:2])
    assert durations == counted(seen, labels=2)
    # Every correct request was in exactly one engine call; no bad one reached the engine.
    batched = changes(before, after, "polyserve_batch_size_sum", ("model",))
    assert batched == {(spec.name,): len(good)}
    [engine_calls] = changes(before, after, "polyserve_batch_size_count", ("model",)).values()
    assert 1 <= engine_calls <= len(good)
    executions = changes(before, after, "polyserve_model_execution_seconds_count", ("model",))
    assert executions == {(spec.name,): engine_calls}
    assert after.value("polyserve_requests_in_flight") == 0


def test_unknown_model_names_add_no_series(served: Served, primed: Scrape) -> None:
    attack = [call for _ in range(500) for call in unknown(secrets.token_urlsafe(12))]
    before = scrape(served.url)
    send(served.url, attack)
    after = scrape(served.url)
    assert after.values.keys() == before.values.keys()
    seen = [call for call in attack if reaches_the_counter(served, call)]
    assert changes(before, after, REQUESTS, BY_STATUS) == counted(seen)


def counting_worker(run_dir: Path) -> psutil.Process:
    """A live process that has counted requests (its multiprocess files say so), and records
    into this backend's folder (not a process that took a dead one's pid)."""
    pids = {int(path.stem.rsplit("_", 1)[1]) for path in run_dir.rglob("counter_*.db")}
    for pid in sorted(pids):
        try:
            process = psutil.Process(pid)
            if process.environ().get(MULTIPROC_VAR, "").startswith(str(run_dir.resolve())):
                return process
        except psutil.Error:
            continue
    raise AssertionError(f"no live process has counted in {run_dir}")


def back_to_strength(url: str, processes: float, model: str) -> bool:
    """As many processes as before, every one that has its say finding the model ready."""
    try:
        now = scrape(url)
    except (requests.RequestException, AssertionError):  # the killed worker's connection
        return False
    ready = now.value("polyserve_model_ready", model=model) == 1
    return ready and now.value("polyserve_processes") == processes


def test_a_killed_worker_s_counts_are_kept(served: Served) -> None:
    model = MODELS[0]
    series = {"model": model.name, "protocol": "v1", "code": "200"}
    send(served.url, correct(model, v1=40, v2=0))
    before = scrape(served.url)
    processes = before.value("polyserve_processes")
    victim = counting_worker(served.run_dir)
    os.kill(victim.pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    # Reaped, and a new worker in its place (the backend's own count of its processes).
    while psutil.pid_exists(victim.pid) or not back_to_strength(served.url, processes, model.name):
        assert time.monotonic() < deadline, f"no new worker in {served.name} after 60 s"
        time.sleep(0.2)

    after_kill = scrape(served.url)
    assert after_kill.sums(REQUESTS, BY_STATUS) == before.sums(REQUESTS, BY_STATUS)
    assert after_kill.value("polyserve_requests_in_flight") == 0

    send(served.url, correct(model, v1=40, v2=0))
    after = scrape(served.url)
    assert after.value(REQUESTS, **series) == before.value(REQUESTS, **series) + 40
