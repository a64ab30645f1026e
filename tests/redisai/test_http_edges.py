"""What the gateway's HTTP server answers by itself, over raw sockets against the real stack:
malformed requests, odd versions, oversize heads, transfer codings, chunked bodies, requests
that stop half way or are cut short by a half-close (all the contract's JSON, never a hang),
and requests asking to upgrade the connection (served as plain HTTP/1.1, body and all)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from models.artifacts import ModelFiles
from services.redisai.gateway.http_protocol import (
    IDLE_TIMEOUT_S,
    MAX_HEADER_BYTES,
    MAX_TARGET_BYTES,
)
from tests.redisai import raw_http
from tests.redisai.raw_http import Response
from tests.redisai.stack import redisai_backend

FIZZBUZZ = b"/predictions/fizzbuzz"
BODY = b'{"input.1": 14}'
ANSWER = {"next_number": "FizzBuzz"}
CHUNKED = b"POST /predictions/fizzbuzz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
V2_BODY = json.dumps(
    {"inputs": [{"name": "input.1", "datatype": "FP32", "shape": [1, 10], "data": [0.0] * 10}]}
).encode()


@pytest.fixture(scope="module")
def url(
    served_files: dict[str, ModelFiles], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with redisai_backend(tmp_path_factory.mktemp("http-edges")) as backend_url:
        yield backend_url


def post(path: bytes, headers: bytes, body: bytes = BODY) -> bytes:
    """A POST with these header lines (each ending in CRLF) and a Content-Length."""
    length = b"Content-Length: %d\r\n" % len(body)
    return b"POST %s HTTP/1.1\r\nHost: gateway\r\n%s%s\r\n%s" % (path, headers, length, body)


def chunk_line(data: bytes, size: bytes) -> bytes:
    return size + b"\r\n" + data + b"\r\n"


def chunked(body: bytes, size: int = 5) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def assert_refused(response: Response, status: int, error_type: str, says: str = "") -> None:
    """The contract's error body, as every answer of the gateway is tagged, and closing."""
    assert response.status == status, response
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-backend"] == "redisai"
    assert response.headers["connection"] == "close"
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == {"code", "type", "message"}
    assert (body["code"], body["type"]) == (status, error_type)
    assert says.lower() in body["message"].lower(), body["message"]


def refused_at_once(url: str, request: bytes) -> Response:
    response, sock = raw_http.exchange(url, request)
    with sock:
        assert raw_http.closed_by_server(sock)
    assert response.elapsed_s < 2, "answered only after a wait"
    return response


@pytest.mark.parametrize(
    ("request_bytes", "says"),
    [
        (b"GARBAGE\r\n\r\n", "method"),
        (b"GET /ping HTTP/9.9\r\n\r\n", "HTTP version"),
        (b"GET /ping HTTP/2.0\r\n\r\n", "HTTP/2.0 is not served here"),
        (post(FIZZBUZZ, b"").replace(b"HTTP/1.1", b"HTTP/0.9"), "HTTP/0.9 is not served here"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "PRI"),  # HTTP/2's preface
        (b"GET /ping HTTP/1.1\r\nBad Header\r\n\r\n", "header"),
        (b"GET /ping HTTP/1.1\r\nX-Ctl: a\x01b\r\n\r\n", "header value"),
        (b"GET /ping\x7f HTTP/1.1\r\n\r\n", "url"),
        (b"GET http://a:b:c/ HTTP/1.1\r\n\r\n", "invalid url"),
        (post(FIZZBUZZ, b"Content-Length: 1\r\n"), "Content-Length"),
        (post(FIZZBUZZ, b"Transfer-Encoding: chunked\r\n"), "Content-Length"),
        (b"POST /predictions/fizzbuzz HTTP/1.1\r\nContent-Length: 1x\r\n\r\n1", "Content-Length"),
        (b"GET /ping HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding"),
        (
            b"POST /predictions/fizzbuzz HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            + chunked(BODY),
            "Transfer-Encoding 'gzip, chunked' is not supported",
        ),
        (
            b"POST /v2/models/fizzbuzz/infer HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n"
            + chunked(V2_BODY),
            "Transfer-Encoding 'foo, chunked' is not supported",
        ),
        (CHUNKED + b"ZZ\r\n", "chunk"),
        (CHUNKED + b'5\r\n{"inpXX0\r\n\r\n', "chunk"),
        (CHUNKED + b"FFFFFFFFFFFFFFFFFFFF\r\n", "chunk size"),
    ],
    ids=[
        "request-line",
        "http-version",
        "http-2.0",
        "http-0.9",
        "http-2-preface",
        "header-syntax",
        "header-value",
        "target-character",
        "target-not-a-url",
        "two-content-lengths",
        "content-length-and-chunked",
        "content-length-not-a-number",
        "transfer-encoding-gzip",
        "transfer-encoding-gzip-chunked",
        "transfer-encoding-unknown-v2",
        "chunk-size-not-hex",
        "chunk-without-crlf",
        "chunk-size-overflow",
    ],
)
def test_a_malformed_request_is_a_json_400(url: str, request_bytes: bytes, says: str) -> None:
    assert_refused(refused_at_once(url, request_bytes), 400, "BadRequest", says)


def test_a_request_target_over_the_limit_is_a_json_414(url: str) -> None:
    target = b"/predictions/" + b"a" * MAX_TARGET_BYTES
    response = refused_at_once(url, b"GET %s HTTP/1.1\r\n\r\n" % target)
    assert_refused(response, 414, "URITooLong", f"longer than {MAX_TARGET_BYTES} bytes")
    ok, sock = raw_http.exchange(url, b"GET /ping?%s HTTP/1.1\r\n\r\n" % (b"a" * 8000))
    sock.close()
    assert ok.status == 200  # up to the limit, served


def test_header_fields_over_the_limit_are_a_json_431(url: str) -> None:
    big = b"X-Big: %s\r\n" % (b"a" * MAX_HEADER_BYTES)
    response = refused_at_once(url, post(FIZZBUZZ, big))
    assert_refused(response, 431, "RequestHeaderFieldsTooLarge", f"{MAX_HEADER_BYTES} bytes")
    within = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 3000) for i in range(5))
    ok, sock = raw_http.exchange(url, post(FIZZBUZZ, within))
    sock.close()
    assert (ok.status, ok.json()) == (200, ANSWER)


@pytest.mark.parametrize(
    ("start", "piece", "status", "error_type"),
    [
        (b"GET /", b"a" * 4096, 414, "URITooLong"),  # a target that never ends
        (b"GET /ping HTTP/1.1\r\nX-Big: ", b"a" * 16384, 431, "RequestHeaderFieldsTooLarge"),
        (b"GET /ping HTTP/1.1\r\n", b"X-Pad: a\r\n" * 2048, 431, "RequestHeaderFieldsTooLarge"),
    ],
    ids=["target", "one-header", "many-headers"],
)
def test_a_head_growing_past_the_limits_is_refused_before_it_ends(
    url: str, start: bytes, piece: bytes, status: int, error_type: str
) -> None:
    with raw_http.connect(url) as sock:
        sock.sendall(start)
        raw_http.send_until_answered(sock, [piece] * 64, pause_s=0.05)
        assert_refused(raw_http.read_response(sock), status, error_type)
        assert raw_http.closed_by_server(sock)


@pytest.mark.parametrize(
    ("path", "limit"), [(FIZZBUZZ, 65536), (b"/v2/models/fizzbuzz/infer", 4 * 1024 * 1024)]
)
def test_a_chunked_body_over_the_limit_is_a_413(url: str, path: bytes, limit: int) -> None:
    head = b"POST %s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" % path
    with raw_http.connect(url) as sock:
        sock.sendall(head)
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        raw_http.send_until_answered(sock, [chunk] * (limit // 65536 + 4), pause_s=0)
        response = raw_http.read_response(sock)
    assert response.status == 413
    body = response.json()
    if path == FIZZBUZZ:
        assert body == {
            "code": 413,
            "type": "PayloadTooLarge",
            "message": f"the request body is larger than the limit of {limit} bytes",
        }
    else:  # the Open Inference Protocol's shape, as for every v2 route's error
        assert body == {"error": f"the request body is larger than the limit of {limit} bytes"}


@pytest.mark.parametrize(
    ("path", "limit", "split"),
    [
        (FIZZBUZZ, 65536, False),
        (b"/v2/models/fizzbuzz/infer", 4 * 1024 * 1024, False),
        (FIZZBUZZ, 65536, True),  # its size line begun in the read before
    ],
)
def test_a_chunk_announcing_more_than_the_limit_is_a_413_at_once(
    url: str, path: bytes, limit: int, split: bool
) -> None:
    """As a Content-Length over the limit is: refused without waiting for the data."""
    head = b"POST %s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" % path
    size = b"%x" % (limit + 1)
    with raw_http.connect(url) as sock:
        if split:  # what the later read holds of the line is over the limit already
            sock.sendall(head + chunk_line(BODY[:5], b"5") + b"000")
            time.sleep(0.3)
            sock.sendall(size + b"\r\n" + BODY[5:])
        else:
            sock.sendall(head + chunk_line(BODY[:5], b"5") + size + b";x=y\r\n" + BODY[5:])
        response = raw_http.read_response(sock)
        assert raw_http.closed_by_server(sock)
    assert response.status == 413
    assert response.elapsed_s < 2
    message = f"the request body is larger than the limit of {limit} bytes"
    if path == FIZZBUZZ:
        assert_refused(response, 413, "PayloadTooLarge", message)
    else:
        assert response.json() == {"error": message}


def test_a_huge_chunk_size_is_a_413_at_once_not_a_hang(url: str) -> None:
    response = refused_at_once(url, CHUNKED + b'FFFFFFFFFFFF\r\n{"in')
    assert_refused(response, 413, "PayloadTooLarge", "larger than the limit of 65536 bytes")


def test_chunked_bodies_are_served(url: str) -> None:
    response, sock = raw_http.exchange(url, CHUNKED + chunked(BODY, size=3))
    sock.close()
    assert (response.status, response.json()) == (200, ANSWER)


STALLED = {
    "short-chunk": CHUNKED + b'100\r\n{"in',
    "short-body": b'POST /predictions/fizzbuzz HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"in',
    "half-head": b"POST /predictions/fizzbuzz HTTP/1.1\r\nContent-Le",
    "half-line": b"GET /pi",
}


def test_a_request_that_stops_arriving_gets_a_json_408_not_a_hang(url: str) -> None:
    def stall(request: bytes) -> tuple[Response, bool]:
        with raw_http.connect(url) as sock:
            sock.sendall(request)
            return raw_http.read_response(sock), raw_http.closed_by_server(sock)

    with ThreadPoolExecutor(len(STALLED)) as pool:  # side by side: one wait for all
        answers = dict(zip(STALLED, pool.map(stall, STALLED.values()), strict=True))
    for name, (response, closed) in answers.items():
        assert_refused(response, 408, "RequestTimeout", "stopped arriving")
        assert closed, name
        assert IDLE_TIMEOUT_S - 0.5 < response.elapsed_s < IDLE_TIMEOUT_S + 3, name


def test_a_slow_body_that_keeps_coming_is_served(url: str) -> None:
    """The timeout is on silence, not on the whole request: a body arriving in pieces over
    longer than it still gets its answer."""
    pause_s = IDLE_TIMEOUT_S * 0.5
    pieces = [BODY[:5], BODY[5:10], BODY[10:]]
    with raw_http.connect(url) as sock:
        sock.sendall(b"POST /predictions/fizzbuzz HTTP/1.1\r\nContent-Length: 15\r\n\r\n")
        for piece in pieces:
            time.sleep(pause_s)
            sock.sendall(piece)
        response = raw_http.read_response(sock)
    assert (response.status, response.json()) == (200, ANSWER)


def test_a_connection_kept_alive_still_serves_after_the_idle_timeout(url: str) -> None:
    """Between requests the connection is kept alive as uvicorn keeps it, not refused."""
    with raw_http.connect(url) as sock:
        for _ in range(2):
            sock.sendall(post(FIZZBUZZ, b""))
            response = raw_http.read_response(sock)
            assert (response.status, response.json()) == (200, ANSWER)
            time.sleep(1)


@pytest.mark.parametrize(
    "request_bytes",
    [
        post(FIZZBUZZ, b""),
        post(FIZZBUZZ, b"Connection: close\r\n"),
        post(FIZZBUZZ, b"").replace(b"HTTP/1.1", b"HTTP/1.0"),
        CHUNKED + chunked(BODY),
        post(FIZZBUZZ, b"") + post(FIZZBUZZ, b"", b'{"input.1": 2}'),
    ],
    ids=["keep-alive", "connection-close", "http-1.0", "chunked", "pipelined"],
)
def test_a_request_then_a_half_close_is_answered_then_closed(
    url: str, request_bytes: bytes
) -> None:
    """The client may end its side once it has asked: the answer still comes."""
    count = request_bytes.count(b"POST ")
    with raw_http.connect(url) as sock:
        sock.sendall(request_bytes)
        sock.shutdown(socket.SHUT_WR)
        answers = raw_http.read_responses(sock, count)
        assert raw_http.closed_by_server(sock)
    expected = [ANSWER, {"next_number": "Fizz"}][:count]
    assert [(a.status, a.json()) for a in answers] == [(200, e) for e in expected]


@pytest.mark.parametrize(
    "request_bytes",
    [STALLED["short-body"], STALLED["half-head"], STALLED["short-chunk"]],
    ids=["short-body", "half-head", "inside-a-chunk"],
)
def test_a_request_cut_short_by_a_half_close_is_a_json_400_at_once(
    url: str, request_bytes: bytes
) -> None:
    with raw_http.connect(url) as sock:
        sock.sendall(request_bytes)
        sock.shutdown(socket.SHUT_WR)
        response = raw_http.read_response(sock)
        assert raw_http.closed_by_server(sock)
    assert_refused(response, 400, "BadRequest", "ended the connection mid-request")
    assert response.elapsed_s < 2


UPGRADES = {
    "websocket": b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    "h2c": b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
    b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n",
}


@pytest.mark.parametrize("upgrade", list(UPGRADES))
def test_a_post_asking_to_upgrade_is_served_as_http_1_1(url: str, upgrade: str) -> None:
    response, sock = raw_http.exchange(url, post(FIZZBUZZ, UPGRADES[upgrade]))
    sock.close()
    assert (response.status, response.json()) == (200, ANSWER)
    assert response.headers["x-backend"] == "redisai"


@pytest.mark.parametrize("upgrade", list(UPGRADES))
def test_an_upgrade_with_a_chunked_body_and_a_request_behind_it_are_both_served(
    url: str, upgrade: str
) -> None:
    first = CHUNKED[:-2] + UPGRADES[upgrade] + b"\r\n"  # the head, with the upgrade in it
    second = post(b"/predictions/fizzbuzz", b"", b'{"input.1": [1, 2]}')
    with raw_http.connect(url) as sock:
        sock.sendall(first + chunked(BODY) + second)
        answers = raw_http.read_responses(sock, 2)
    assert [(a.status, a.json()) for a in answers] == [
        (200, ANSWER),
        (200, {"next_number": ["2", "Fizz"]}),
    ]


def test_v2_infer_and_get_routes_asking_to_upgrade_are_served(url: str) -> None:
    infer, sock = raw_http.exchange(
        url, post(b"/v2/models/fizzbuzz/infer", UPGRADES["websocket"], V2_BODY)
    )
    sock.close()
    assert infer.status == 200
    assert infer.json()["model_name"] == "fizzbuzz"  # type: ignore[index]
    ping, sock = raw_http.exchange(url, b"GET /ping HTTP/1.1\r\n%s\r\n" % UPGRADES["h2c"])
    sock.close()
    assert (ping.status, ping.json()) == (200, {"status": "Healthy"})


def test_an_upgrade_that_closes_the_connection_is_answered_then_closed(url: str) -> None:
    headers = b"Connection: close, Upgrade\r\nUpgrade: websocket\r\n"
    for version in (b"1.1", b"1.0"):
        request = post(FIZZBUZZ, headers).replace(b"HTTP/1.1", b"HTTP/" + version, 1)
        response, sock = raw_http.exchange(url, request)
        with sock:
            assert (response.status, response.json()) == (200, ANSWER)
            assert raw_http.closed_by_server(sock)


def test_connect_is_a_json_405(url: str) -> None:
    response = refused_at_once(url, b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_refused(response, 405, "MethodNotAllowedException", "method is not allowed")


def test_an_idle_connection_that_never_asks_is_closed(url: str) -> None:
    with raw_http.connect(url) as sock:
        started = time.monotonic()
        sock.settimeout(IDLE_TIMEOUT_S + 5)
        assert sock.recv(1) == b""  # closed, and nothing said: nothing was asked
        assert time.monotonic() - started >= IDLE_TIMEOUT_S - 0.5


def test_the_connection_is_really_closed_after_a_refusal(url: str) -> None:
    """Nothing after a broken request is read: a request behind it is not answered."""
    with raw_http.connect(url) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n" + post(FIZZBUZZ, b""))
        assert_refused(raw_http.read_response(sock), 400, "BadRequest")
        assert raw_http.closed_by_server(sock)  # and not answering the request behind it
