"""The front of MMS's management API for real: its token, its name checks, its own errors.

Raw paths go through http.client, which sends them byte for byte (requests would resolve
the dot segments first, and so test something else).
"""

from __future__ import annotations

import http.client
import json
import stat
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from services.mms.settings import MmsSettings
from tests.mms.management import MODEL, call, describe

TIMEOUT = 30
CONTRACT_FIELDS = {"code", "type", "message"}
TOO_LONG = "a" * 65
LONGEST = "b" * 64

ROUTES = [
    ("GET", "/models"),
    ("POST", f"/models?url={MODEL}.mar&model_name=unauthorized&synchronous=true"),
    ("GET", f"/models/{MODEL}"),
    ("PUT", f"/models/{MODEL}?min_worker=3&synchronous=true"),
    ("DELETE", f"/models/{MODEL}"),
    ("GET", "/nosuchroute"),
]


def raw(
    settings: MmsSettings, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request with `path` sent as it is; the token unless `headers` replaces it."""
    address = urlsplit(settings.management_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
    if headers is None:
        headers = {"Authorization": f"Bearer {settings.management_token}"}
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def contract_error(body: bytes, status: int, error_type: str) -> dict[str, Any]:
    """The body, checked to be the contract's error for `status`."""
    error = json.loads(body)
    assert set(error) == CONTRACT_FIELDS, error
    assert (error["code"], error["type"]) == (status, error_type), error
    return error


def assert_untouched(settings: MmsSettings) -> None:
    """Every served model still registered, MODEL with its one worker, /ping Healthy."""
    listed = call(settings, "GET", "/models").json()["models"]
    assert sorted(entry["modelName"] for entry in listed) == sorted(settings.models)
    assert len(describe(settings, MODEL)["workers"]) == 1
    assert requests.get(f"{settings.inference_url}/ping", timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer not-the-token",
        "Bearer ",
        "Basic {token}",
        "Bearer {token}x",
        "Bearer {token} {token}",
        "{token}",
    ],
)
def test_every_route_answers_401_without_the_token(
    mms: MmsSettings, method: str, path: str, authorization: str | None
) -> None:
    token = mms.management_token or ""
    headers = {} if authorization is None else {"Authorization": authorization.format(token=token)}
    status, answered, body = raw(mms, method, path, headers)
    assert status == 401
    assert answered["WWW-Authenticate"].startswith("Bearer")
    assert answered["Content-Type"] == "application/json"
    contract_error(body, 401, "Unauthorized")
    assert_untouched(mms)


def test_with_the_token_the_api_answers_and_names_no_challenge(mms: MmsSettings) -> None:
    listed = call(mms, "GET", "/models")
    assert listed.status_code == 200
    assert "WWW-Authenticate" not in listed.headers
    lowercase = {"Authorization": f"bearer {mms.management_token}"}
    described = call(mms, "GET", f"/models/{MODEL}", lowercase)
    assert described.status_code == 200  # the scheme is case-insensitive (RFC 7235)
    assert described.json()["modelName"] == MODEL


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/models/../../x"),
        ("GET", "/models/..%2f..%2fx"),
        ("GET", "/models/%2e%2e%2fx"),
        ("GET", "/models/%2e%2e"),
        ("DELETE", f"/models/{MODEL}%2f..%2fdigits"),
        ("GET", "/models/a%0d%0aX-Injected:%201"),
        ("GET", "/models/a%0aX"),
        ("GET", f"/models/{TOO_LONG}"),
        ("GET", "/models/.hidden"),
        ("GET", "/models/a/b"),
        ("GET", "/models/a%2fb"),
        ("GET", "/models/a%20b"),
        ("GET", "/models/"),
        ("PUT", f"/models/{MODEL}/?min_worker=2"),
        ("GET", "//models/../etc/passwd"),
        ("POST", f"/models?url={MODEL}.mar&model_name=../../x"),
        ("POST", f"/models?url={MODEL}.mar&model_name=..%2f..%2fx"),
        ("POST", f"/models?url={MODEL}.mar&model_name=a%0d%0ab"),
        ("POST", f"/models?url={MODEL}.mar&model_name={TOO_LONG}"),
        ("POST", f"/models?url={MODEL}.mar&model_name=.hidden"),
        ("POST", f"/models?url={MODEL}.mar&model_name=a/b"),
        ("POST", f"/models?url={MODEL}.mar&model_name=a+b"),
        ("POST", f"/models?url={MODEL}.mar&model_name="),
        ("POST", f"/models?url={MODEL}.mar"),  # no name: MMS would take the archive's
        ("POST", "/models?model_name=intruder"),
        ("POST", "/models?url=http://127.0.0.1:1/fizzbuzz.mar&model_name=intruder"),
        ("POST", "/models?url=https%3A%2F%2Fexample.com%2Fx.mar&model_name=intruder"),
        ("POST", "/models?url=..&model_name=intruder"),
        ("POST", "/models?url=../fizzbuzz.mar&model_name=intruder"),
        ("POST", "/models?url=%2e%2e%2ffizzbuzz.mar&model_name=intruder"),
        ("POST", "/models?url=fizzbuzz..mar&model_name=intruder"),
        ("POST", "/models?url=fizzbuzz&model_name=intruder"),  # a folder, not an archive
        ("POST", "/models?url=/etc/passwd&model_name=intruder"),
        # Given twice, or in another case, or behind a ';': each one is checked.
        ("POST", f"/models?url={MODEL}.mar&url=http://x/y.mar&model_name=intruder"),
        ("POST", f"/models?URL=http://x/y.mar&url={MODEL}.mar&model_name=intruder"),
        ("POST", f"/models?url={MODEL}.mar;url=http://x/y.mar&model_name=intruder"),
        ("POST", f"/models?%75rl=http://x/y.mar&url={MODEL}.mar&model_name=intruder"),
        # The archive decides how it is run, not the caller.
        ("POST", f"/models?url={MODEL}.mar&model_name=intruder&handler=os:system"),
        ("POST", f"/models?url={MODEL}.mar&model_name=intruder&runtime=python2"),
        ("PUT", f"/models/{MODEL}?min_worker=-1"),
        ("GET", "/models?limit=1%00"),
    ],
)
def test_bad_names_and_parameters_are_a_400_and_the_server_stays_healthy(
    mms: MmsSettings, method: str, path: str
) -> None:
    status, _, body = raw(mms, method, path)
    assert status == 400, body
    # Checked by the front (InvalidInput), or a path nginx will not even route (BadRequest:
    # `..` above the root, also percent-encoded).
    expected = "BadRequest" if path.startswith("/models/..") else "InvalidInput"
    contract_error(body, 400, expected)
    assert_untouched(mms)


def test_the_longest_name_passes_the_check_and_reaches_mms(mms: MmsSettings) -> None:
    status, _, body = raw(mms, "GET", f"/models/{LONGEST}")
    assert status == 404  # MMS's own answer: no such model
    assert json.loads(body)["message"] == f"Model not found: {LONGEST}"


@pytest.mark.parametrize(
    ("method", "path", "status", "error_type"),
    [
        ("GET", "/nosuchroute", 404, "ResourceNotFoundException"),
        ("GET", "/api-description", 404, "ResourceNotFoundException"),
        ("OPTIONS", "/", 404, "ResourceNotFoundException"),
        ("GET", "/predictions/fizzbuzz", 404, "ResourceNotFoundException"),
        ("PATCH", "/models", 405, "MethodNotAllowedException"),
        ("DELETE", "/models", 405, "MethodNotAllowedException"),
        ("POST", f"/models/{MODEL}", 405, "MethodNotAllowedException"),
    ],
)
def test_nginx_own_errors_are_contract_json(
    mms: MmsSettings, method: str, path: str, status: int, error_type: str
) -> None:
    answered, headers, body = raw(mms, method, path)
    assert answered == status
    assert headers["Content-Type"] == "application/json"
    contract_error(body, status, error_type)


def test_a_body_over_the_limit_is_a_contract_413(mms: MmsSettings) -> None:
    response = requests.post(
        f"{mms.management_url}/models?url=x.mar&model_name=x",
        data=b"x" * 5000,
        headers={"Authorization": f"Bearer {mms.management_token}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 413
    contract_error(response.content, 413, "PayloadTooLarge")


def test_a_request_nginx_cannot_parse_is_a_contract_400(mms: MmsSettings) -> None:
    status, _, body = raw(mms, "GET", "/models", {"Host": "two words"})
    assert status == 400
    contract_error(body, 400, "BadRequest")


def test_the_token_is_owner_only_and_on_no_command_line(mms: MmsSettings) -> None:
    token = mms.management_token
    assert token
    for private in (mms.folder / "management.token", mms.nginx_config):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert token in mms.nginx_config.read_text()
    assert token not in mms.config_file.read_text()
    seen = 0
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        seen += str(mms.folder) in command
        assert token not in command, process
    assert seen >= 3  # MMS's launcher, the JVM, nginx: all looked at


def test_mms_listens_on_no_tcp_port_and_management_only_on_loopback(mms: MmsSettings) -> None:
    """MMS's two APIs are unix sockets; the front holds the management port, on 127.0.0.1."""
    assert f"management_address=unix:{mms.management_socket}\n" in mms.config_file.read_text()
    assert mms.management_socket.is_socket()
    processes = _processes_of(mms)
    java = [process for process in processes if _name(process) == "java"]
    assert java
    assert [_listening(process) for process in java] == [set()] * len(java)
    nginx = set().union(*(_listening(p) for p in processes if _name(p) == "nginx"))
    assert {ip for ip, port in nginx if port == mms.management_port} == {"127.0.0.1"}


def _processes_of(settings: MmsSettings) -> list[psutil.Process]:
    """Every process whose command line names the run folder, and their descendants."""
    found: dict[int, psutil.Process] = {}
    for process in psutil.process_iter(["cmdline"]):
        if str(settings.folder) in " ".join(process.info["cmdline"] or []):
            found[process.pid] = process
            try:
                found.update((child.pid, child) for child in process.children(recursive=True))
            except psutil.Error:
                continue
    return list(found.values())


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return ""


def _listening(process: psutil.Process) -> set[tuple[str, int]]:
    """The TCP addresses `process` listens on."""
    try:
        connections = process.net_connections(kind="tcp")
    except psutil.Error:
        return set()
    return {c.laddr[:2] for c in connections if c.status == psutil.CONN_LISTEN}


def test_the_inference_port_needs_no_token(mms: MmsSettings) -> None:
    assert requests.get(f"{mms.inference_url}/ping", timeout=TIMEOUT).status_code == 200
    answer = requests.post(
        f"{mms.inference_url}/predictions/{MODEL}", data=b'{"input.1": 14}', timeout=TIMEOUT
    )
    assert answer.json() == {"next_number": "FizzBuzz"}
