"""MMS's management API for real, through the front with its token: list, describe, scale,
register, unregister, refuse."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import requests

from services.mms import server
from services.mms.settings import MmsSettings
from tests.mms.management import (
    MODEL,
    archive_copy,
    call,
    describe,
    eventually,
    ready,
    worker_processes,
)


def test_list_models_names_every_archive(mms: MmsSettings) -> None:
    response = call(mms, "GET", "/models")
    assert response.status_code == 200
    listed = response.json()["models"]
    assert [{"modelName": m, "modelUrl": f"{m}.mar"} for m in mms.models] == sorted(
        listed, key=lambda entry: mms.models.index(entry["modelName"])
    )


def test_scaling_one_model_leaves_the_others_workers_alone(mms: MmsSettings) -> None:
    others = [model for model in mms.models if model != "digits"]
    before = {model: describe(mms, model)["workers"] for model in others}
    try:
        response = call(mms, "PUT", "/models/digits?min_worker=2&synchronous=true")
        assert response.status_code == 200, response.text
        assert ready(mms, "digits") == 2
        assert {model: describe(mms, model)["workers"] for model in others} == before
    finally:
        call(mms, "PUT", "/models/digits?min_worker=1&max_worker=1&synchronous=true")
    assert ready(mms, "digits") == 1
    assert {model: describe(mms, model)["workers"] for model in others} == before


def test_describe_shows_the_ready_workers(mms: MmsSettings) -> None:
    model = describe(mms, MODEL)
    assert model["modelName"] == MODEL
    assert model["minWorkers"] == 1
    assert [worker["status"] for worker in model["workers"]] == ["READY"]


def test_scaling_up_and_down_starts_and_stops_worker_processes(mms: MmsSettings) -> None:
    one_each = len(mms.models)  # one worker per model
    assert len(worker_processes(mms)) == one_each
    try:
        response = call(mms, "PUT", f"/models/{MODEL}?min_worker=3&synchronous=true")
        assert response.status_code == 200, response.text
        assert ready(mms, MODEL) == 3
        assert eventually(lambda: len(worker_processes(mms)) == one_each + 2)
    finally:
        response = call(mms, "PUT", f"/models/{MODEL}?min_worker=1&max_worker=1&synchronous=true")
    assert response.status_code == 200, response.text
    assert ready(mms, MODEL) == 1
    assert eventually(lambda: len(worker_processes(mms)) == one_each)


def test_register_again_under_another_name_then_delete(mms: MmsSettings) -> None:
    name = "fizzbuzz_again"
    url = archive_copy(mms, name)
    query = f"url={url}&model_name={name}&initial_workers=1&synchronous=true"
    response = call(mms, "POST", f"/models?{query}")
    assert response.status_code == 200, response.text
    try:
        assert ready(mms, name) == 1
        answer = requests.post(f"{mms.inference_url}/predictions/{name}", data=b'{"input.1": 14}')
        assert answer.json() == {"next_number": "FizzBuzz"}
    finally:
        deleted = call(mms, "DELETE", f"/models/{name}")
    assert deleted.status_code == 200, deleted.text
    assert call(mms, "GET", f"/models/{name}").status_code == 404
    gone = requests.post(f"{mms.inference_url}/predictions/{name}", data=b'{"input.1": 14}')
    assert gone.status_code == 404


def registered(settings: MmsSettings) -> list[str]:
    return [model["modelName"] for model in call(settings, "GET", "/models").json()["models"]]


def assert_still_serving(settings: MmsSettings) -> None:
    """Every served model still registered, loaded (/ping) and answering."""
    assert sorted(registered(settings)) == sorted(settings.models)
    assert requests.get(f"{settings.inference_url}/ping", timeout=10).status_code == 200
    url = f"{settings.inference_url}/predictions/{MODEL}"
    assert requests.post(url, data=b'{"input.1": 14}', timeout=10).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/fizzbuzz.mar",  # the front lets no scheme through
        "http://127.0.0.1:1/fizzbuzz.mar",
        "file:///etc/passwd",
        "/etc/passwd",
        "../fizzbuzz.mar",
    ],
)
def test_registering_from_outside_the_model_store_is_refused(mms: MmsSettings, url: str) -> None:
    response = call(mms, "POST", f"/models?url={url}&model_name=intruder&synchronous=true")
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "InvalidInput"
    assert "intruder" not in registered(mms)


def test_a_missing_archive_fails_to_register_and_the_server_stays_healthy(
    mms: MmsSettings,
) -> None:
    query = "url=nosuch.mar&model_name=nosuch&initial_workers=1&synchronous=true"
    response = call(mms, "POST", f"/models?{query}")
    assert response.status_code == 404, response.text
    assert response.json() == {
        "code": 404,
        "type": "ModelNotFoundException",
        "message": "Model not found in model store: nosuch.mar",
    }
    assert_still_serving(mms)


def test_a_corrupt_archive_fails_to_register_and_the_server_stays_healthy(
    mms: MmsSettings,
) -> None:
    corrupt = mms.model_store / "corrupt.mar"
    corrupt.write_bytes(b"PK\x03\x04 not a zip archive at all")
    try:
        query = "url=corrupt.mar&model_name=corrupt&initial_workers=1&synchronous=true"
        response = call(mms, "POST", f"/models?{query}")
        assert 400 <= response.status_code < 600, response.text
        assert set(response.json()) == {"code", "type", "message"}
        assert_still_serving(mms)
    finally:
        corrupt.unlink()


def _broken_copy(archive: Path, broken: Path) -> None:
    """The same archive, but recording an engine that does not exist: loading must raise."""
    with zipfile.ZipFile(archive) as good, zipfile.ZipFile(broken, "w") as bad:
        for item in good.infolist():
            data = good.read(item)
            if item.filename == "polyserve.json":
                data = json.dumps({**json.loads(data), "engine": "nonsense"}).encode()
            bad.writestr(item, data)


def test_a_model_that_fails_to_load_fails_its_worker_visibly(mms: MmsSettings) -> None:
    broken = mms.model_store / "broken.mar"
    _broken_copy(mms.model_store / f"{MODEL}.mar", broken)
    ping = f"{mms.inference_url}/ping"
    query = "url=broken.mar&model_name=broken&initial_workers=1&synchronous=false"
    try:
        response = call(mms, "POST", f"/models?{query}")
        assert response.status_code in (200, 202), response.text
        log = server.supervisor(mms).program_log("mms")  # MMS's own output
        assert eventually(lambda: "unknown engine 'nonsense'" in log.read_text())
        assert ready(mms, MODEL) == 1  # its neighbour is untouched
        # MMS's management API still calls the restarting worker READY and its own /ping
        # would say Healthy; the plugin's /ping looks at what the workers really loaded.
        unhealthy = requests.get(ping, timeout=10)
        assert unhealthy.status_code == 503
        assert unhealthy.json() == {"status": "Unhealthy"}
        assert unhealthy.headers["X-Backend"] == "mms"
    finally:
        call(mms, "DELETE", "/models/broken")
        broken.unlink()
    assert eventually(lambda: requests.get(ping, timeout=10).status_code == 200)


def test_unregistering_one_model_leaves_the_other_serving(mms: MmsSettings) -> None:
    listed = requests.get(f"{mms.inference_url}/models", timeout=30).json()
    assert [entry["name"] for entry in listed] == list(mms.models)
    deleted = call(mms, "DELETE", "/models/digits")
    assert deleted.status_code == 200, deleted.text
    try:
        assert eventually(lambda: call(mms, "GET", "/models/digits").status_code == 404)
        url = f"{mms.inference_url}/predictions/fizzbuzz"
        assert requests.post(url, data=b'{"input.1": 2}').json() == {"next_number": "Fizz"}
        gone = requests.post(f"{mms.inference_url}/predictions/digits", data=b'{"image": 1}')
        assert gone.status_code == 404
        remaining = requests.get(f"{mms.inference_url}/models", timeout=30).json()
        assert [entry["name"] for entry in remaining] == [m for m in mms.models if m != "digits"]
    finally:
        query = "url=digits.mar&model_name=digits&initial_workers=1&synchronous=true"
        registered = call(mms, "POST", f"/models?{query}")
    assert registered.status_code == 200, registered.text
    assert ready(mms, "digits") == 1
    assert requests.get(f"{mms.inference_url}/models", timeout=30).json() == listed
