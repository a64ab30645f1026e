"""The local stack end to end: `services up`, a short `loadtest compare`, `services down`.

Runs on free ports and a temporary run folder, so a stack a developer has up is untouched.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import redis
import requests

from exporters.redisai import stored_meta
from models import registry
from models.artifacts import REPO_ROOT, ModelFiles
from models.fizzbuzz import codec
from tests.readme import OWN_MODEL_SECTION, python_blocks
from tests.stack.local import BACKENDS, services, urls


def test_up_prints_where_each_backend_is(stack: dict) -> None:
    for name, url in urls(stack["ports"]).items():
        assert any(
            line.startswith(name) and url in line and f"{url}/metrics" in line
            for line in stack["up"].splitlines()
        )


def test_every_backend_answers_the_contract_after_up(stack: dict) -> None:
    numbers = list(codec.valid_numbers())
    seven = (REPO_ROOT / "models" / "digits" / "examples" / "seven.json").read_bytes()
    for name, url in urls(stack["ports"]).items():
        response = requests.post(
            f"{url}/predictions/fizzbuzz", data=json.dumps({"input.1": numbers}), timeout=30
        )
        assert response.json() == {"next_number": [codec.answer(n) for n in numbers]}, name
        assert response.headers["X-Backend"] == name
        assert requests.post(f"{url}/predictions/digits", data=seven).json()["digit"] == 7, name
        bad = requests.post(f"{url}/predictions/fizzbuzz", data=b"[]", timeout=30)
        assert bad.status_code == 400, name


def test_every_backend_lists_the_same_models(stack: dict) -> None:
    bodies = {
        name: requests.get(f"{url}/models", timeout=30).content
        for name, url in urls(stack["ports"]).items()
    }
    assert len(set(bodies.values())) == 1, bodies
    listed = json.loads(bodies["flask"])
    assert [entry["name"] for entry in listed] == registry.served_names()
    assert [entry["version"] for entry in listed] == [
        ModelFiles.of(entry["name"]).version for entry in listed
    ]


def test_a_bad_request_to_one_model_leaves_the_other_serving(stack: dict) -> None:
    for name, url in urls(stack["ports"]).items():
        for body in (b"[", b'{"image": [[1]]}', b'{"image": "' + b"x" * 60000 + b'"}'):
            assert requests.post(f"{url}/predictions/digits", data=body).status_code == 400
        answer = requests.post(f"{url}/predictions/fizzbuzz", data=b'{"input.1": 14}')
        assert answer.json() == {"next_number": "FizzBuzz"}, name
        assert requests.get(f"{url}/ping", timeout=30).status_code == 200, name


def test_status_reports_every_backend_healthy(stack: dict) -> None:
    report = services("status", stack["env"])
    assert report.returncode == 0, report.stdout
    health = report.stdout.split("\n\n")[0].splitlines()[2:]
    assert [line.split()[1] for line in health] == ["healthy"] * 3
    processes = report.stdout.split("\n\n")[1].splitlines()[2:]
    assert [line.split()[:2] for line in processes] == [
        ["flask", "front"], ["flask", "gunicorn"], ["mms", "front"], ["mms", "metrics"],
        ["mms", "mms"], ["mms", "registrar"],  # the shipped models are batched on MMS
        ["redisai", "gateway"], ["redisai", "redis"],
    ]  # fmt: skip
    assert all(line.split()[2] in ("STARTING", "RUNNING") for line in processes)


def test_up_refuses_a_port_taken_by_someone_else(stack: dict) -> None:
    # The stack's own ports are busy, but with our own processes behind them: a second
    # stack in another run folder must refuse, naming the port, before starting anything.
    other_run = stack["run"] / "other"
    clash = services("up", {**stack["env"], "POLYSERVE_RUN": str(other_run)})
    assert clash.returncode == 1
    assert f"port {stack['ports']['POLYSERVE_FLASK_PORT']} (flask)" in clash.stderr
    assert not (other_run / "flask" / "supervisord.pid").exists()


def test_the_readme_tritonclient_lines_agree_on_every_port(stack: dict) -> None:
    """The README's lines, on this stack's ports, for the models it serves (no import here)."""
    ports = [stack["ports"][f"POLYSERVE_{name}_PORT"] for name in ("FLASK", "MMS", "GATEWAY")]
    lines = python_blocks(OWN_MODEL_SECTION)[1]
    lines = lines.replace("(5000, 8080, 8000)", repr(tuple(ports))).replace(', "iris"', "")
    result = subprocess.run(
        [sys.executable, "-c", lines], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    assert [line.split()[0] for line in printed] == ["fizzbuzz", "digits"]
    assert all(line.endswith(" True") for line in printed), printed


def failures_logged(folder: Path) -> list[str]:
    """What every Locust run of a comparison logged (what failed, and why)."""
    return [line for log in folder.glob("*_locust.log") for line in log.read_text().splitlines()]


@pytest.mark.load
def test_a_short_comparison_writes_table_chart_and_summary(stack: dict, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "loadtest", "compare", "--duration", "3", "--users", "2",
        "--spawn-rate", "2", "--results", str(tmp_path), "--protocols", "v1,v2", "--warmup", "1",
    ]  # fmt: skip
    result = subprocess.run(
        command, env=stack["env"], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (folder,) = tmp_path.iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert list(summary["models"]) == registry.served_names()
    for model, measured in summary["models"].items():
        assert set(measured["backends"]) == {*BACKENDS, *(f"{name} v2" for name in BACKENDS)}
        for name, figures in measured["backends"].items():
            assert figures["requests_per_s"] > 0, (model, name)
            assert figures["cpu_us_per_request"] > 0, (model, name)
            assert 0 <= figures["cpu_stolen_pct"] < 100, (model, name)
            assert figures["failures"] == 0, (model, name, failures_logged(folder))
            stats = json.loads((folder / f"{model}-{name.replace(' ', '-')}-0.json").read_text())
            protocol = "v2" if name.endswith(" v2") else "v1"
            # that model was asked, and the server counted what Locust did (compare checks it)
            assert [entry["name"] for entry in stats] == [f"{model} {protocol} single"]
            assert figures["server_requests"] == figures["requests"], (model, name)
        assert set(measured["ceilings"]) == set(BACKENDS)
        for name, ceiling in measured["ceilings"].items():
            assert ceiling["requests_per_s"] > 0, (model, name)
            assert ceiling["cpu_us_per_request"] > 0, (model, name)
            assert ceiling["failures"] == 0, (model, name, failures_logged(folder))
        assert measured["model_ceilings_calls_per_s"]["torchscript"] > 0
        assert (folder / f"chart-{model}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (folder / "report.md").read_text()
    assert all(f"## {model}" in table for model in registry.served_names())
    assert table.count("| flask |") == len(registry.served_names())
    assert table.count("| flask v2 |") == len(registry.served_names())
    assert "| flask |" in result.stdout
    for target in ("flask", "flask ceiling", "redisai", "mms ceiling"):  # each alike
        assert f"warming up {target}, digits" in result.stderr, target
    # A backend's rows take turns model by model (and round by round), not protocol by protocol.
    runs = dict(re.findall(r"\[(\d+)/\d+\] (flask[\w ]*, \w+)", result.stderr))
    assert [runs[number] for number in sorted(runs, key=int)] == [
        f"{row}, {model}" for model in registry.served_names()
        for row in ("flask", "flask ceiling", "flask v2")
    ]  # fmt: skip


@pytest.mark.load
def test_the_batching_benchmark_measures_each_setting_and_restores_the_model(stack: dict) -> None:
    command = [
        sys.executable, "-m", "loadtest", "batching", "--rounds", "1", "--duration", "1",
        "--batchsizes", "0,4", "--connections", "2",
    ]  # fmt: skip
    result = subprocess.run(
        command, env=stack["env"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [
        line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert [row.split(" | ")[0] for row in rows[1:]] == ["| off", "| 4"]
    assert all(float(row.split(" | ")[1].replace(",", "")) > 0 for row in rows[1:])
    with local_redis(stack) as client:
        meta = stored_meta(client, "fizzbuzz")
    assert meta is not None
    assert meta[b"batchsize"] == 0


def local_redis(stack: dict, password: str | None = None) -> redis.Redis:
    """A client of the stack's Redis, with the password `up` generated (or `password`)."""
    generated = (stack["run"] / "redisai" / "redis.password").read_text().strip()
    port = int(stack["ports"]["POLYSERVE_REDIS_PORT"])
    return redis.Redis(port=port, password=generated if password is None else password)


def test_the_local_redis_has_a_generated_password_only_its_owner_reads(stack: dict) -> None:
    path: Path = stack["run"] / "redisai" / "redis.password"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(path.read_text().strip()) == 32
    with local_redis(stack) as client:
        assert client.ping()
    for wrong in ("", "not-it"):
        with local_redis(stack, wrong) as client, pytest.raises(redis.AuthenticationError):
            client.ping()


def test_down_stops_everything_up_started(stack: dict) -> None:
    run: Path = stack["run"]
    supervisors = [int((run / name / "supervisord.pid").read_text()) for name in BACKENDS]
    family = [p for pid in supervisors
              for p in [psutil.Process(pid), *psutil.Process(pid).children(True)]]  # fmt: skip
    assert len(family) >= 15
    assert services("down", stack["env"]).returncode == 0
    _, alive = psutil.wait_procs(family, timeout=10)
    assert alive == []
    for url in urls(stack["ports"]).values():
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/ping", timeout=2)
