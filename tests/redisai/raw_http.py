"""HTTP/1.1 spoken by hand over a socket, for requests no HTTP client library would send."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEADLINE_S = 15.0  # no answer by then is a hang


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    elapsed_s: float  # from the last byte sent

    def json(self) -> object:
        return json.loads(self.body)


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=DEADLINE_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def send_until_answered(sock: socket.socket, pieces: Iterable[bytes], pause_s: float) -> None:
    """Send each piece after `pause_s`, stopping once the server has answered (what it did
    not read then would turn its close into a reset, and lose the answer)."""
    for piece in pieces:
        if select.select([sock], [], [], pause_s)[0]:
            return
        sock.sendall(piece)


def read_response(sock: socket.socket, started: float | None = None) -> Response:
    """One response (with a Content-Length), within DEADLINE_S."""
    started = time.monotonic() if started is None else started
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        buffer += _receive(sock, started)
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(buffer) < length:
        buffer += _receive(sock, started)
    assert len(buffer) == length, f"more than one response's bytes: {buffer!r}"
    return Response(int(status_line.split()[1]), headers, buffer, time.monotonic() - started)


def read_responses(sock: socket.socket, count: int) -> list[Response]:
    """`count` pipelined responses, in order."""
    started, responses, buffer = time.monotonic(), [], b""
    while len(responses) < count:
        buffer += _receive(sock, started)
        while b"\r\n\r\n" in buffer:
            head, rest = buffer.split(b"\r\n\r\n", 1)
            length = int(_header(head, "content-length"))
            if len(rest) < length:
                break
            status = int(head.split(b" ", 2)[1])
            responses.append(Response(status, {}, rest[:length], time.monotonic() - started))
            buffer = rest[length:]
    return responses


def exchange(url: str, request: bytes) -> tuple[Response, socket.socket]:
    """Send `request` at once on a new connection; its response, and the connection."""
    sock = connect(url)
    sock.sendall(request)
    return read_response(sock), sock


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed the connection (within the deadline)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _receive(sock: socket.socket, started: float) -> bytes:
    left = DEADLINE_S - (time.monotonic() - started)
    assert left > 0, f"no answer within {DEADLINE_S} s"
    sock.settimeout(left)
    data = sock.recv(65536)
    assert data, "the server closed the connection without an answer"
    return data


def _header(head: bytes, name: str) -> str:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, value = line.split(":", 1)
        if key.strip().lower() == name:
            return value.strip()
    raise AssertionError(f"no {name} in {head!r}")
