"""The response parser and the judge the hostile suites rely on, on canned bytes: a wrong
parser would pass broken servers or fail good ones, so it is checked apart from them."""

from __future__ import annotations

import pytest

from tests.hostile import fuzz
from tests.hostile.wire import MalformedResponse, Response, error_shape_problem, parse_response

CONTRACT_404 = b'{"code":404,"type":"ResourceNotFoundException","message":"nope"}'


def test_a_body_framed_by_content_length() -> None:
    data = b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (
        len(CONTRACT_404), CONTRACT_404,
    )  # fmt: skip
    assert parse_response(data[:-1]) is None
    response = parse_response(data)
    assert response is not None
    assert (response.status, response.body) == (404, CONTRACT_404)


def test_a_chunked_body_after_an_interim_100() -> None:
    data = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: 1\r\n\r\n"
    )
    assert parse_response(data[:-2]) is None
    response = parse_response(data)
    assert response is not None
    assert (response.status, response.body, response.interim) == (200, b"abcde", (100,))


def test_a_body_ended_by_the_close() -> None:
    data = b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nInvalid"
    assert parse_response(data) is None
    response = parse_response(data, eof=True)
    assert response is not None
    assert response.body == b"Invalid"


def test_no_body_for_a_head_request() -> None:
    response = parse_response(b"HTTP/1.1 405 X\r\nContent-Length: 10\r\n\r\n", head=True)
    assert response is not None
    assert response.body == b""


@pytest.mark.parametrize(
    "data", [b'{"status":"Healthy"}', b"HTTP/1.1 2OO OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nX\r\n\r\n"]
)
def test_what_is_not_an_http1_response(data: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_response(data, eof=True)


@pytest.mark.parametrize(
    ("status", "body", "v2", "problem"),
    [
        (404, CONTRACT_404, False, None),
        (413, CONTRACT_404, False, "code 404 but status 413"),
        (400, b"<html>Bad Request</html>", False, "not JSON"),
        (400, b'{"error":"bad"}', True, None),
        (400, b'{"error":"bad"}', False, "keys"),
        (400, b'{"code":400,"type":"X","message":"m","extra":1}', False, "keys"),
        (400, b'{"code":true,"type":"X","message":"m"}', False, "code True"),
    ],
)
def test_the_contract_error_shape(status: int, body: bytes, v2: bool, problem: str | None) -> None:
    found = error_shape_problem(Response(status, (), body), v2_allowed=v2)
    assert found == problem if problem is None else problem in (found or "")


def case(data: bytes, statuses: frozenset[int] = fuzz.ANY_4XX, **flags: bool) -> fuzz.Case:
    return fuzz.make_case("test", "test", data, statuses, **flags)


HTTP1 = b"GET /ping HTTP/1.1\r\n\r\n"
NOT_HTTP1 = b"\x16\x03\x01\r\n\r\n"


@pytest.mark.parametrize(
    ("the_case", "exchange", "category"),
    [
        (case(HTTP1), fuzz.Exchange(closed=True), "closed"),
        (case(NOT_HTTP1), fuzz.Exchange(closed=True), None),
        (case(HTTP1, may_wait=True), fuzz.Exchange(hung=True), None),
        (case(HTTP1), fuzz.Exchange(hung=True), "hang"),
        (case(HTTP1), fuzz.Exchange(Response(404, (), CONTRACT_404)), None),
        (case(HTTP1), fuzz.Exchange(Response(501, (), b"x")), "5xx"),
        (case(HTTP1), fuzz.Exchange(Response(200, (), b"{}")), "status"),
        (case(HTTP1), fuzz.Exchange(Response(400, (), b"Bad")), "error body"),
        (case(HTTP1), fuzz.Exchange(received=b"{}", error="not HTTP/1.x"), "no HTTP answer"),
        (case(b"GET /ping\r\n\r\n"), fuzz.Exchange(received=b"{}", error="not HTTP/1.x"), None),
    ],
)
def test_the_judge(the_case: fuzz.Case, exchange: fuzz.Exchange, category: str | None) -> None:
    """Closing is accepted only for a client that did not announce HTTP/1.x, waiting only
    where the case allows it; errors need the contract's body."""
    problems = fuzz.judge(the_case, exchange)
    assert [fuzz.category(p) for p in problems][:1] == ([category] if category else [])
