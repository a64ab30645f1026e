"""The gateway's HTTP/1.1 connections: uvicorn's httptools protocol, answering in the contract.

uvicorn answers what its parser refuses by itself, in plain text (`400 Invalid HTTP request
received.`); it sets no limit on a request's head, waits for ever for a request that stops
half way, closes at once on a client's half-close (losing the answer), and when a request
asks to switch protocols (`Connection: Upgrade`) its parser stops at the end of the head, so
the body is lost (h2c) or nothing is answered at all (a POST asking for a WebSocket).
uvicorn.run takes the protocol class as `http=`: this subclass keeps uvicorn's parser,
request cycle and flow control and changes only those answers. Every error it sends is the
contract's JSON (`{"code", "type", "message"}`; `{"error": ...}` for a 413 on a /v2 route, as
the route's own), with X-Backend, then it closes the connection (what follows a broken
request cannot be trusted to be framed right).

- A request the parser refuses (request line, header syntax, chunk framing, a transfer
  coding other than chunked) or an HTTP version other than 1.0 and 1.1: 400 BadRequest,
  saying what was found.
- A request target over 8 KiB: 414 URITooLong; header fields over 16 KiB in all: 431
  RequestHeaderFieldsTooLarge (both also while the head is still arriving).
- A chunk announcing more than the route takes: 413 as soon as its size line is read, as for
  a Content-Length over it (httptools does not give the size: it is read back from the data).
- A request that stops arriving for IDLE_TIMEOUT_S before it is complete: 408 RequestTimeout;
  one the client cuts short with a half-close: 400 at once. A complete request followed by a
  half-close is answered, then the connection closed.
- `Connection: Upgrade`: the gateway speaks HTTP/1.1 only, so the Upgrade is ignored (RFC
  9110, 7.8) and the request served as if it had not asked, body and all. CONNECT is a 405.

A correct request costs a few attribute checks more: its head is measured only when it
spans reads or came in one longer than 8 KiB, its chunks only when it has some.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from services.contract import errors, v2
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, MAX_BODY_BYTES, render
from services.redisai.gateway.fast_path import inference_route

MAX_TARGET_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024  # names and values of all header fields together
MAX_OPEN_HEAD_BYTES = 2 * (MAX_TARGET_BYTES + MAX_HEADER_BYTES)
"""A head still arriving is refused past this (with its framing): bounds what it can hold."""
IDLE_TIMEOUT_S = 5.0  # as long as an idle kept-alive connection is kept (__main__.py)
SERVED_VERSIONS = ("1.1", "1.0")  # the parser also lets HTTP/0.9 and HTTP/2.0 through


class Refusal(Exception):
    """A request answered with an error by the connection itself, before any route."""

    def __init__(self, status: int, error_type: str, message: str, v2: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.v2 = v2  # on an Open Inference Protocol route: its `{"error": ...}` body

    def body(self) -> bytes:
        if self.v2:
            return render({"error": str(self)})
        return render(errors.error_body(self.status, self.error_type, str(self)))


def bad_request(message: str) -> Refusal:
    return Refusal(400, "BadRequest", message)


def target_too_long() -> Refusal:
    return Refusal(414, "URITooLong", f"the request target is longer than {MAX_TARGET_BYTES} bytes")


def headers_too_large() -> Refusal:
    message = f"the request's header fields are larger than {MAX_HEADER_BYTES} bytes in all"
    return Refusal(431, "RequestHeaderFieldsTooLarge", message)


def unsupported_version(version: str) -> Refusal:
    return bad_request(f"HTTP/{version} is not served here; send HTTP/1.1")


def body_limit(scope: dict[str, Any]) -> tuple[int, bool] | None:
    """The most body the route takes, and whether it is the Open Inference Protocol's (None:
    a route that reads no body)."""
    route = inference_route(scope)  # type: ignore[arg-type]
    if route is None:
        return None
    if route.protocol == "v1":
        return MAX_BODY_BYTES, False
    return v2.MAX_BODY_BYTES, True


def payload_too_large(limit: int, on_v2: bool) -> Refusal:
    """413, as the route gives for a body that grows past its limit."""
    status, error_type = errors.ERROR_TABLE[errors.PayloadTooLarge]
    return Refusal(status, error_type, str(errors.PayloadTooLarge(limit)), on_v2)


def announced_size(read: bytes, data_bytes: int) -> int | None:
    """The size on the chunk-size line that ends `data_bytes` before the end of `read`; if
    the line began in an earlier read, the size its end gives (no more than the whole line
    says). None where it cannot be read so (the read cut it in its extension)."""
    end = len(read) - data_bytes - 2
    if end < 0 or read[end : end + 2] != b"\r\n":
        return None
    line = read[read.rfind(b"\n", 0, end) + 1 : end]
    digits = line.split(b";", 1)[0].strip()
    try:
        return int(digits, 16)
    except ValueError:
        return None


def refusal_of(error: httptools.HttpParserError) -> Refusal:
    """What to answer for an error the parser raised: ours if a callback of ours refused, else
    a 400 saying what the parser (or uvicorn's own parsing in a callback, of the URL) found."""
    cause = error.__context__
    if isinstance(cause, Refusal):
        return cause
    reason = cause if isinstance(cause, httptools.HttpParserError) else error
    return bad_request(f"the request is not valid HTTP/1.1: {reason}")


def check_transfer_encoding(value: bytes) -> None:
    """Chunked is the only transfer coding served (the parser already refuses one that does
    not end in chunked); an unknown one is bad input here, a 400 rather than RFC 9112's 501."""
    codings = [coding.strip().lower() for coding in value.split(b",")]
    if codings != [b"chunked"]:
        shown = value.decode("latin-1")
        raise bad_request(f"Transfer-Encoding {shown!r} is not supported; send chunked or none")


def check_head(target: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    if len(target) > MAX_TARGET_BYTES:
        raise target_too_long()
    if sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES:
        raise headers_too_large()


def head_without_upgrade(
    method: str, target: bytes, version: str, headers: list[tuple[bytes, bytes]]
) -> bytes:
    """A request head as sent, less its Upgrade header and Connection's upgrade token."""
    lines = [b"%s %s HTTP/%s" % (method.encode(), target, version.encode())]
    for name, value in headers:
        if name == b"upgrade":
            continue
        if name == b"connection":
            tokens = [token for token in value.split(b",") if token.strip().lower() != b"upgrade"]
            value = b",".join(tokens)
            if not value.strip():
                continue
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"


class GatewayHttpProtocol(HttpToolsProtocol):
    backend = b"redisai"  # its X-Backend

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._long_read = False  # the read being parsed is longer than a head may be
        self._idle: asyncio.TimerHandle | None = None  # armed while a request is arriving
        self._last_read = 0.0  # when, by the loop's clock (read by the timer only)
        self._open_head: object = None  # the scope of a head still arriving after a read
        self._open_head_bytes = 0
        self._coding_checked: object = None  # the scope whose transfer coding was checked
        self._open_chunk: tuple[Any, int] | None = None  # (its cycle, the body buffered before)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_idle_timer()  # a connection that never sends is not held for ever either

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_idle_timer()
        super().connection_lost(exc)

    def eof_received(self) -> bool | None:
        # The client has sent all it will (a half-close). uvicorn closes at once, losing the
        # answer: a request it completed is answered here, then the connection closed; one
        # it left unfinished never can be, so it is refused. True: the transport stays open.
        cycle = self.cycle
        if self.scope is None:
            return None  # nothing asked: closed
        if self._waiting_for_client():
            if cycle is None or cycle.scope is not self.scope or not cycle.response_complete:
                self.refuse(bad_request("the client ended the connection mid-request"))
            return None
        if cycle is None or (cycle.response_complete and not self.pipeline):
            return None  # all answered
        cycle.keep_alive = False  # closed once the last answer is out
        return True

    def data_received(self, data: bytes) -> None:
        # uvicorn's, but for where its parser stops: an error is refused in the contract's
        # JSON, and an upgrade declined (the rest parsed again, see _without_upgrade).
        if self._idle is not None:  # left armed: re-arming each read would cost more
            self._last_read = self.loop.time()
        self._unset_keepalive_if_required()
        self._long_read = len(data) > MAX_TARGET_BYTES
        read = data
        while read:
            try:
                self.parser.feed_data(read)
                break
            except httptools.HttpParserUpgrade as stopped:
                read = self._without_upgrade(read[stopped.args[0] :])
            except httptools.HttpParserError as error:
                self.refuse(refusal_of(error))
                return
        cycle = self.cycle
        if cycle is None or cycle.scope is not self.scope or cycle.more_body:
            self._after_partial_read(read)  # the last request is not all in yet

    # Parser callbacks

    def on_headers_complete(self) -> None:
        # A head that came in one read no longer than the least limit is within both: only
        # a longer one is measured, before uvicorn starts the request.
        if self._long_read or self._open_head is self.scope:
            check_head(self.url, self.headers)
        super().on_headers_complete()
        # uvicorn has read the version: refused now, the request's task has not run yet.
        if self.scope["http_version"] not in SERVED_VERSIONS:
            raise unsupported_version(self.scope["http_version"])

    def on_chunk_header(self) -> None:
        # The transfer coding, at the first chunk rather than with every head: the parser
        # lets `gzip, chunked` through, and only a chunked body can have one.
        if self._coding_checked is not self.scope:
            self._coding_checked = self.scope
            for name, value in self.headers:
                if name == b"transfer-encoding":
                    check_transfer_encoding(value)
        # Its size is not given: noted where its data begins, to read the size back from
        # the read once parsed, should the chunk not end in it (_size_open_chunk).
        self._open_chunk = (self.cycle, len(self.cycle.body))

    def on_chunk_complete(self) -> None:
        self._open_chunk = None

    # Upgrades, declined

    def _should_upgrade(self) -> bool:
        # uvicorn asks this only of a request with `Connection: Upgrade`; "yes" makes it keep
        # the request out of the app until data_received above has the parser's stop, and
        # serves it as plain HTTP/1.1. No WebSocket protocol is loaded (ws="none").
        return True

    def _without_upgrade(self, after_head: bytes) -> bytes:
        """What to parse next once the parser stopped at the end of an upgrade's head: the
        head again, without the upgrade, then what followed it (the body, any next request).
        CONNECT asks for a tunnel, not a resource: a 405, and nothing more to parse."""
        method, version = self.scope["method"], self.scope["http_version"]
        if method == "CONNECT":
            status, error_type = errors.ERROR_TABLE[errors.MethodNotAllowed]
            self.refuse(Refusal(status, error_type, str(errors.MethodNotAllowed())))
            return b""
        head = head_without_upgrade(method, self.url, version, self.headers)
        # A fresh parser: this one may hold the connection closed after the upgrade's head
        # (`Connection: close, Upgrade`, or HTTP/1.0), and would skip the rest. With the
        # leniency uvicorn gives its own, so a pipelined request after a close is tolerated.
        self.parser = httptools.HttpRequestParser(self)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        return head + after_head

    # Refusing

    def refuse(self, refusal: Refusal) -> None:
        """Answer `refusal`, unless this request's answer has begun already, and close."""
        self.logger.warning("refused a request: %d %s", refusal.status, refusal)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app, if still running, answers no one now
        if cycle is None or cycle.scope is not self.scope or not cycle.response_started:
            body = refusal.body()
            self.transport.write(self._error_head(refusal.status, len(body)) + body)
        self.transport.close()

    def _error_head(self, status: int, length: int) -> bytes:
        phrase = http.HTTPStatus(status).phrase.encode()
        headers = [
            *self.server_state.default_headers,
            (b"content-type", CONTENT_TYPE.encode()),
            (b"content-length", b"%d" % length),
            (BACKEND_HEADER.lower().encode(), self.backend),
            (b"connection", b"close"),
        ]
        lines = [b"HTTP/1.1 %d %s" % (status, phrase), *(name + b": " + v for name, v in headers)]
        return b"\r\n".join(lines) + b"\r\n\r\n"

    # A request that stops arriving

    def _after_partial_read(self, read: bytes) -> None:
        """A request still arriving: the limits on its head and chunks, and the timer on its
        silence."""
        if self._open_chunk is not None:
            self._size_open_chunk(read)
        if self.transport.is_closing():
            return
        scope, cycle = self.scope, self.cycle
        if scope is not None and (cycle is None or cycle.scope is not scope):  # a head
            # A read that began and ended inside the head is all head: those are counted.
            if self._open_head is scope:
                self._open_head_bytes += len(read)
            else:
                self._open_head, self._open_head_bytes = scope, 0
            if len(self.url) > MAX_TARGET_BYTES:
                self.refuse(target_too_long())
                return
            if self._open_head_bytes > MAX_OPEN_HEAD_BYTES:
                self.refuse(headers_too_large())
                return
        if self._idle is None:
            self._start_idle_timer()

    def _size_open_chunk(self, read: bytes) -> None:
        """A chunk begun in this read and not ended in it: its data runs to the end of the
        read, its size line just before. One announcing more than the route takes is refused
        now rather than waited for (as a Content-Length over it is)."""
        cycle, buffered = self._open_chunk  # type: ignore[misc]
        self._open_chunk = None
        if cycle is not self.cycle or cycle.response_complete:
            return
        limit = body_limit(cycle.scope)
        if limit is None:
            return
        size = announced_size(read, len(cycle.body) - buffered)
        if size is not None and size > limit[0]:
            self.refuse(payload_too_large(*limit))

    def _start_idle_timer(self) -> None:
        self._last_read = self.loop.time()
        self._idle = self.loop.call_later(IDLE_TIMEOUT_S, self._on_idle)

    def _cancel_idle_timer(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _waiting_for_client(self) -> bool:
        """Nothing asked yet, or a request not all in (its head, or its body)."""
        scope, cycle = self.scope, self.cycle
        if scope is None or cycle is None or cycle.scope is not scope:
            return True
        return bool(cycle.more_body)

    def _on_idle(self) -> None:
        self._idle = None
        if self.transport.is_closing() or not self._waiting_for_client():
            return  # between requests: uvicorn's keep-alive timer has the connection
        now = self.loop.time()
        if self.flow.read_paused:  # we stopped reading (the app is behind), not the client
            self._last_read = now
        quiet_s = now - self._last_read
        if quiet_s < IDLE_TIMEOUT_S:
            self._idle = self.loop.call_later(IDLE_TIMEOUT_S - quiet_s, self._on_idle)
            return
        cycle = self.cycle
        answered = cycle is not None and cycle.scope is self.scope and cycle.response_complete
        if self.scope is None or answered:
            self.transport.close()  # nothing asked, or answered already: nothing to say
            return
        message = f"the request stopped arriving for {IDLE_TIMEOUT_S:g} s before it was complete"
        self.refuse(Refusal(408, "RequestTimeout", message))


class NoopHttpProtocol(GatewayHttpProtocol):
    """The same connections for the no-op ceiling (noop.py), tagged as it tags its answers."""

    backend = b"noop"
