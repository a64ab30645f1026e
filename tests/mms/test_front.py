"""The nginx front of MMS: what it answers itself, and what it changes on the way to MMS.

The contract suite covers the statuses and bodies; these check the front's own promises:
one X-Backend, MMS's API only on its socket, nothing written outside the run folder, and
contract-shaped answers while MMS is down (nginx alone, in front of a socket nobody serves).
"""

from __future__ import annotations

import http.client
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from services import nginx
from services.contract.protocol import BACKEND_HEADER
from services.mms import server
from services.mms.settings import MmsSettings
from services.process import spawn, stop_group, wait_until
from tests.backends import free_port

TIMEOUT = 30


def test_curl_d_is_answered_like_flask(mms: MmsSettings) -> None:
    """The README's example: curl -d sends application/x-www-form-urlencoded."""
    answer = subprocess.run(
        ["curl", "-s", "-X", "POST", f"{mms.inference_url}/predictions/fizzbuzz",
         "-d", '{"input.1": 14}'],
        capture_output=True, timeout=TIMEOUT, check=True,
    )  # fmt: skip
    assert answer.stdout == b'{"next_number":"FizzBuzz"}'


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/predictions/fizzbuzz", 200),  # the handler's answer
        ("GET", "/ping", 200),  # the plugin's
        ("PUT", "/predictions/fizzbuzz", 405),  # nginx's own
        ("POST", "/predictions/nosuchmodel", 404),  # MMS's, rewritten
        ("GET", "/models", 200),  # the plugin's
        ("GET", "/api-description", 404),  # an MMS route the contract does not have
    ],
)
def test_x_backend_is_sent_once(mms: MmsSettings, method: str, path: str, status: int) -> None:
    response = requests.request(
        method, f"{mms.inference_url}{path}", data=b'{"input.1": 1}', timeout=TIMEOUT
    )
    assert response.status_code == status
    assert response.raw.headers.getlist(BACKEND_HEADER) == ["mms"]


def test_a_post_without_a_body_is_bad_input_not_a_wrong_method(mms: MmsSettings) -> None:
    """No Content-Length at all: the front frames it, so the handler sees an empty POST."""
    address = urlsplit(mms.inference_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
    try:
        connection.putrequest("POST", "/predictions/fizzbuzz")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/predictions/x/../fizzbuzz", 200), ("GET", "/x/../ping", 200)],
)
def test_mms_gets_the_path_nginx_routed_by(
    mms: MmsSettings, method: str, path: str, status: int
) -> None:
    """Not the client's raw path: both must agree on which model and which route."""
    address = urlsplit(mms.inference_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=b'{"input.1": 14}' if method == "POST" else None)
        response = connection.getresponse()
        assert response.status == status, response.read()
    finally:
        connection.close()


def test_a_chunked_body_is_answered(mms: MmsSettings) -> None:
    chunks = iter([b'{"input.1": ', b"[2, 4]}"])
    response = requests.post(
        f"{mms.inference_url}/predictions/fizzbuzz", data=chunks, timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert response.json() == {"next_number": ["Fizz", "Buzz"]}


def test_a_model_name_nginx_cannot_quote_gets_mms_own_404(mms: MmsSettings) -> None:
    response = requests.post(
        f"{mms.inference_url}/predictions/no%22such", data=b'{"input.1": 1}', timeout=TIMEOUT
    )
    assert response.status_code == 404
    assert response.json() == {
        "code": 404,
        "type": "ModelNotFoundException",
        "message": 'Model not found: no"such',
    }


def test_mms_inference_api_is_only_on_its_socket(mms: MmsSettings) -> None:
    assert f"inference_address=unix:{mms.socket}\n" in mms.config_file.read_text()
    assert mms.socket.is_socket()
    # Every path the rendered nginx config names (pid, temp, logs, sockets) is in the run folder.
    config = mms.nginx_config.read_text()
    config = re.sub(r"#.*|location .*|rewrite .*|error_page .*|if .*", "", config)
    paths = re.findall(r"\s(?:unix:)?(/[^\s;]+)[\s;]", config)
    assert len(paths) == 9
    assert all(Path(path).is_relative_to(mms.folder) for path in paths), paths
    front = psutil.Process(server.supervisor(mms).pid("front") or 0).children()
    assert int((mms.tmp_dir / "nginx.pid").read_text()) in [process.pid for process in front]


@pytest.fixture(scope="module")
def front_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MmsSettings]:
    """nginx with the launcher's config, in front of a socket no MMS listens on."""
    run = tmp_path_factory.mktemp("front-alone")
    settings = MmsSettings("onnxruntime", free_port(), free_port(), 1, run / "mms")
    (settings.front_temp_dir).mkdir(parents=True)
    settings.write_nginx_config()
    log = settings.log_dir / "nginx.log"
    process = spawn(nginx.command(settings.nginx_config, settings.front_temp_dir), log)
    try:
        wait_until(lambda: _answers(settings.inference_url), 30, "nginx", log, process)
        yield settings
    finally:
        stop_group(process.pid)
    assert not list(Path(run).rglob("*.pid")), "nginx left its pid file behind"


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return False
    return True


def test_while_mms_is_down_predictions_are_a_contract_503(front_alone: MmsSettings) -> None:
    response = requests.post(
        f"{front_alone.inference_url}/predictions/fizzbuzz",
        data=b'{"input.1": 1}',
        timeout=TIMEOUT,
    )
    assert response.status_code == 503
    assert response.json()["type"] == "ServiceUnavailable"
    assert response.headers[BACKEND_HEADER] == "mms"


def test_while_mms_is_down_management_is_a_contract_503_with_the_token(
    front_alone: MmsSettings,
) -> None:
    url = f"{front_alone.management_url}/models"
    refused = requests.get(url, timeout=TIMEOUT)
    assert refused.status_code == 401
    headers = {"Authorization": f"Bearer {front_alone.management_token}"}
    response = requests.get(url, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 503
    assert response.json()["type"] == "ServiceUnavailable"


def test_while_mms_is_down_ping_is_unhealthy(front_alone: MmsSettings) -> None:
    response = requests.get(f"{front_alone.inference_url}/ping", timeout=TIMEOUT)
    assert response.status_code == 503
    assert response.json() == {"status": "Unhealthy"}
    assert response.headers["Content-Type"] == "application/json"


def test_a_v1_call_stays_v1_whatever_the_client_says(mms: MmsSettings) -> None:
    """The front's own header naming a v2 call is the front's alone to set."""
    response = requests.post(
        f"{mms.inference_url}/predictions/fizzbuzz",
        data=b'{"input.1": 14}',
        headers={"X-Polyserve-V2": "metadata", "X-Polyserve-Version": "0"},
        timeout=TIMEOUT,
    )
    assert (response.status_code, response.json()) == (200, {"next_number": "FizzBuzz"})


def test_an_unknown_version_is_named_in_the_404(mms: MmsSettings) -> None:
    response = requests.get(f"{mms.inference_url}/v2/models/fizzbuzz/versions/0", timeout=TIMEOUT)
    assert (response.status_code, response.json()) == (
        404,
        {"error": "Model not found: fizzbuzz version 0"},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/health/live"),
        ("GET", "/v2/health/ready"),
        ("GET", "/v2/models/fizzbuzz"),
        ("POST", "/v2/models/fizzbuzz/infer"),
    ],
)
def test_while_mms_is_down_v2_calls_are_a_protocol_503(
    front_alone: MmsSettings, method: str, path: str
) -> None:
    url = f"{front_alone.inference_url}{path}"
    response = requests.request(method, url, data=b"{}", timeout=TIMEOUT)
    assert response.status_code == 503
    assert set(response.json()) == {"error"}
    assert response.headers[BACKEND_HEADER] == "mms"
