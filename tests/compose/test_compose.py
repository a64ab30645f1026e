"""The whole stack in containers, for real: the contract and the Open Inference Protocol on
every published backend, MMS scaled through its management API inside the stack, a Locust
run through the locust service, the model still served after redis restarts (from its AOF
on the volume), and every backend serving again by itself after its main process is killed.

Needs a Docker engine (see conftest.py). Order matters: the restart and the kills come last.
"""

from __future__ import annotations

import json
import re
import time

import requests

from models import registry
from tests.compose.stack import CLUSTER_NODES, Stack
from tests.contract import test_clients, test_contract, test_digits, test_fizzbuzz, test_v2

# The suites, unchanged: their tests run here against `backend_url` from conftest.py.
for suite in (test_contract, test_fizzbuzz, test_digits, test_v2, test_clients):
    globals().update({name: test for name, test in vars(suite).items() if name.startswith("test_")})

MODEL_URL = "/predictions/fizzbuzz"
SCALE_SCRIPT = r"""
import json, os, sys, urllib.request
want = sys.argv[1]
base = "http://127.0.0.1:8081/models/fizzbuzz"
with open(os.environ["POLYSERVE_RUN"] + "/mms/management.token") as file:
    auth = {"Authorization": "Bearer " + file.read().strip()}
if want != "-":
    url = f"{base}?min_worker={want}&synchronous=true"
    request = urllib.request.Request(url, method="PUT", headers=auth)
    urllib.request.urlopen(request, timeout=120).read()
model = json.loads(urllib.request.urlopen(urllib.request.Request(base, headers=auth),
                                          timeout=10).read())
model = model[0] if isinstance(model, list) else model
ready = sum(w.get("status") == "READY" for w in model["workers"])
# MMS 1.1: one model_service_worker.py process per model, which forks one child per worker.
parents = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        with open(f"/proc/{pid}/stat") as f:
            ppid = f.read().rsplit(")", 1)[1].split()[1]
    except OSError:
        continue
    if any(arg.endswith(b"/model_service_worker.py") for arg in argv):
        parents[pid] = ppid
workers = sum(ppid in parents for ppid in parents.values())
print(json.dumps({"ready": ready, "listed": len(model["workers"]), "processes": workers}))
"""


def predict(url: str, number: int = 14) -> requests.Response:
    return requests.post(f"{url}{MODEL_URL}", data=json.dumps({"input.1": number}), timeout=10)


def scale_mms(stack: Stack, workers: int) -> dict[str, int]:
    """Scale FizzBuzz through the management API inside the mms container; wait for the
    processes (every other model keeps its one worker, compose's default)."""
    others = len(registry.served_names()) - 1
    wanted = {"ready": workers, "listed": workers, "processes": workers + others}
    state = json.loads(stack.exec("mms", "python", "-c", SCALE_SCRIPT, str(workers)))
    deadline = time.monotonic() + 30  # worker processes exit asynchronously
    while state != wanted and time.monotonic() < deadline:
        time.sleep(1)
        state = json.loads(stack.exec("mms", "python", "-c", SCALE_SCRIPT, "-"))
    return state


def test_each_backend_answers_the_readme_example(stack: Stack) -> None:
    for service in ("flask", "mms", "gateway", "gateway-cluster"):
        response = predict(stack.url(service))
        assert response.status_code == 200, (service, response.text)
        assert response.json() == {"next_number": "FizzBuzz"}, service


def test_the_cluster_profile_keeps_a_copy_of_every_model_on_each_master(stack: Stack) -> None:
    ask = 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --no-auth-warning -c '
    info = stack.exec("redis-node-0", "sh", "-c", ask + "CLUSTER INFO")
    assert "cluster_state:ok" in info, info
    assert "cluster_size:3" in info, info
    index = stack.exec("redis-node-0", "sh", "-c", ask + "HGETALL polyserve:copies")
    lines = index.splitlines()  # a field, its value (the keys, space-separated), ...
    copies = dict(zip(lines[::2], lines[1::2], strict=True))
    assert {model: len(keys.split()) for model, keys in copies.items()} == {
        model: 3 for model in registry.served_names()
    }


def test_management_and_redis_ports_are_not_published(stack: Stack) -> None:
    for service in ("mms", "redis", *CLUSTER_NODES):
        ports = stack.inspect(service)["NetworkSettings"]["Ports"] or {}
        published = {port: binding for port, binding in ports.items() if binding}
        assert set(published) <= {"8080/tcp"}, (service, published)
        for bindings in published.values():
            assert all(b["HostIp"] == "127.0.0.1" for b in bindings)  # the test's own address


def test_services_run_as_non_root(stack: Stack) -> None:
    for service in ("flask", "mms", "gateway", "redis", "gateway-cluster", *CLUSTER_NODES):
        assert stack.exec(service, "id", "-u").strip() != "0", service


def test_mms_scales_through_its_management_api(stack: Stack) -> None:
    others = len(registry.served_names()) - 1  # one worker each
    assert scale_mms(stack, 3) == {"ready": 3, "listed": 3, "processes": 3 + others}
    assert predict(stack.url("mms")).json() == {"next_number": "FizzBuzz"}
    assert scale_mms(stack, 1) == {"ready": 1, "listed": 1, "processes": 1 + others}
    stack.wait_healthy(["mms"], timeout=60)


def test_a_short_locust_run_through_the_locust_service(stack: Stack) -> None:
    result = stack.run(
        "run", "--rm", "-T",
        "-e", "LOCUST_RUN_TIME=8s", "-e", "LOCUST_USERS=4", "-e", "LOCUST_SPAWN_RATE=4",
        "-e", "POLYSERVE_SCENARIO=mix",
        "locust", timeout=300, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    # Locust's tracebacks and each run's exit code come before the summary tables.
    trouble = [line for line in output.splitlines() if re.search(r"exited with|Error|Trace", line)]
    assert result.returncode == 0, "\n".join(trouble[-40:]) + output[-3000:]
    # The request table's last row per backend: "Aggregated  <requests>  <failures>(<%>) | ..."
    rows = [line.split() for line in output.splitlines() if line.lstrip().startswith("Agg")]
    totals = [(int(row[1]), row[2]) for row in rows if len(row) > 2 and "(" in row[2]]
    assert len(totals) == 3 * len(registry.served_names()), output[-4000:]  # backend x model
    for requests_made, failures in totals:
        assert requests_made > 0, totals
        assert failures.startswith("0("), totals


def prometheus_query(stack: Stack, query: str) -> list[dict]:
    answer = requests.get(
        f"{stack.url('prometheus')}/api/v1/query", params={"query": query}, timeout=10
    )
    answer.raise_for_status()
    return answer.json()["data"]["result"]


def test_prometheus_saw_the_locust_run_on_every_backend_and_model(stack: Stack) -> None:
    """Right after the Locust run: Prometheus scraped each backend's counter (every 5 s)."""
    query = "sum by (backend, model) (increase(polyserve_requests_total[5m]))"
    wanted = {(backend, model) for backend in ("flask", "mms", "redisai")
              for model in registry.served_names()}  # fmt: skip
    deadline = time.monotonic() + 30  # a scrape or two
    while True:
        seen = {
            (row["metric"]["backend"], row["metric"]["model"])
            for row in prometheus_query(stack, query)
            if float(row["value"][1]) > 0
        }
        if wanted <= seen or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert wanted <= seen
    redis_up = prometheus_query(stack, 'redis_up{backend="redisai"}')
    assert [row["value"][1] for row in redis_up] == ["1"]


def test_the_model_survives_a_redis_restart(stack: Stack) -> None:
    stack.run("restart", "redis", timeout=120)
    stack.wait_healthy(["redis"], timeout=120)
    meta = stack.exec(
        "redis", "sh", "-c",
        'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --no-auth-warning AI.MODELGET fizzbuzz META',
    )  # fmt: skip
    assert "TORCH" in meta, meta  # loaded back from the AOF, not deployed again
    deadline = time.monotonic() + 60
    while True:  # the gateway reconnects on its own
        response = predict(stack.url("gateway"))
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert response.status_code == 200, response.text
    assert response.json() == {"next_number": "FizzBuzz"}
    stack.wait_healthy(["gateway"], timeout=60)


# The oldest process whose command line starts with PREFIX, killed with SIGKILL (no procps
# in the images: /proc read with the shell).
KILL_SCRIPT = r"""
pid=$(for d in /proc/[0-9]*; do
  case "$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)" in "$1"*) echo "${d#/proc/}";; esac
done | sort -n | head -1)
kill -9 "$pid"
"""
VENV_PYTHON = "/opt/polyserve/venv/bin/python"
KILLED = {  # service -> its main process; what brings it back: Docker or supervisord
    "redis": "redis-server",  # the container exits; restart: unless-stopped
    "gateway": "python -m services.redisai.gateway",  # the same
    "flask": f"{VENV_PYTHON} -m gunicorn",  # supervisord in the container restarts it
    "mms": "java ",  # the same; the reaper stops the old workers
}


def test_each_backend_serves_again_after_its_main_process_is_killed(stack: Stack) -> None:
    for service, pattern in KILLED.items():
        stack.exec(service, "sh", "-c", KILL_SCRIPT, "kill", pattern)
    for backend in ("flask", "mms", "gateway"):
        deadline = time.monotonic() + 120
        while True:
            try:
                response = predict(stack.url(backend))
            except requests.RequestException:
                response = None
            if response is not None and response.status_code == 200:
                break
            assert time.monotonic() < deadline, (backend, response and response.text)
            time.sleep(1)
        assert response.json() == {"next_number": "FizzBuzz"}, backend
    stack.wait_healthy(timeout=180)
