"""HTTP/1.x responses read off a raw socket, and the contract's error shape checked on them.

The hostile suites cannot use an HTTP client library (none will send what they send, and
each hides how the server framed its answer), so this is a small, strict, incremental
parser: it is fed everything received so far and says "need more", "here is the first final
response" or "that is not HTTP/1.x". Interim 1xx answers (100 Continue) are skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

HEAD_END = b"\r\n\r\n"
STATUS_LINE = re.compile(rb"HTTP/1\.(\d) (\d{3})(?: [^\r\n]*)?")
CONTRACT_ERROR_KEYS = {"code", "type", "message"}
V2_ERROR_KEYS = {"error"}


class MalformedResponse(ValueError):
    """What the server sent is not an HTTP/1.x response (or frames its body wrongly)."""


@dataclass(frozen=True)
class Response:
    """The first final response on a connection."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    interim: tuple[int, ...] = ()  # 1xx statuses that came before it

    def header(self, name: str) -> str | None:
        """The first value of a header, its name compared case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def summary(self, limit: int = 160) -> str:
        """One line for a failure message: status, content type and the body's start."""
        body = self.body[:limit].decode("utf-8", "replace").replace("\n", "\\n")
        more = "…" if len(self.body) > limit else ""
        return f"{self.status} [{self.header('Content-Type')}] {body}{more}"


def parse_response(data: bytes, *, head: bool = False, eof: bool = False) -> Response | None:
    """The first final response in `data`, or None while more bytes are needed.

    `eof`: the server will send nothing more (so a body without framing ends here). A head
    or body cut short by the end of the stream is still None: the caller knows it saw EOF.
    """
    interim: list[int] = []
    rest = data
    while True:
        parsed = _parse_head(rest)
        if parsed is None:
            return None
        status, headers, rest = parsed
        if 100 <= status < 200 and status != 101:
            interim.append(status)
            continue
        body = _parse_body(status, headers, rest, head=head, eof=eof)
        if body is None:
            return None
        return Response(status, headers, body, tuple(interim))


def _parse_head(data: bytes) -> tuple[int, tuple[tuple[str, str], ...], bytes] | None:
    """(status, headers, what follows the head), or None while the head is incomplete."""
    prefix = data[:5]
    if not b"HTTP/".startswith(prefix):
        raise MalformedResponse(f"not an HTTP/1.x response: {data[:40]!r}")
    end = data.find(HEAD_END)
    if end < 0:
        return None
    status_line, *lines = data[:end].split(b"\r\n")
    match = STATUS_LINE.fullmatch(status_line)
    if match is None:
        raise MalformedResponse(f"bad status line: {status_line[:80]!r}")
    headers = tuple(_parse_header(line) for line in lines)
    return int(match.group(2)), headers, data[end + len(HEAD_END) :]


def _parse_header(line: bytes) -> tuple[str, str]:
    name, colon, value = line.partition(b":")
    if not colon or not name or name != name.strip():
        raise MalformedResponse(f"bad header line: {line[:80]!r}")
    return name.decode("latin-1"), value.strip().decode("latin-1")


def _parse_body(
    status: int, headers: tuple[tuple[str, str], ...], rest: bytes, *, head: bool, eof: bool
) -> bytes | None:
    """The body as framed by the headers (RFC 9112 §6.3), or None while incomplete."""
    if head or status in (101, 204, 304):
        return b""
    fields = {name.lower(): value for name, value in headers}
    if "chunked" in fields.get("transfer-encoding", "").lower():
        return dechunk(rest)
    if "content-length" in fields:
        length = _content_length(fields["content-length"])
        return rest[:length] if len(rest) >= length else None
    return rest if eof else None


def _content_length(value: str) -> int:
    if not value.isdigit():
        raise MalformedResponse(f"bad Content-Length in the response: {value!r}")
    return int(value)


def dechunk(data: bytes) -> bytes | None:
    """A chunked body decoded (trailers dropped), or None while it is incomplete."""
    body = bytearray()
    position = 0
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        size_text = data[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise MalformedResponse(f"bad chunk size {size_text[:20]!r}") from None
        start = line_end + 2
        if size == 0:
            return bytes(body) if data.find(HEAD_END, line_end) >= 0 else None
        if len(data) < start + size + 2:
            return None
        body += data[start : start + size]
        if data[start + size : start + size + 2] != b"\r\n":
            raise MalformedResponse("chunk data not followed by CRLF")
        position = start + size + 2


def error_shape_problem(response: Response, *, v2_allowed: bool = False) -> str | None:
    """Why an error answer's body is not the contract's JSON error, or None when it is.

    The contract: exactly {"code": <the status>, "type": <name>, "message": <text>}. On the
    Open Inference Protocol's routes (`v2_allowed`) its shape {"error": <text>} is right too.
    """
    try:
        body = json.loads(response.body)
    except (UnicodeDecodeError, ValueError):
        return f"not JSON: {response.body[:60]!r}"
    if not isinstance(body, dict):
        return f"JSON but not an object: {response.body[:60]!r}"
    if v2_allowed and set(body) == V2_ERROR_KEYS and isinstance(body["error"], str):
        return None
    if set(body) != CONTRACT_ERROR_KEYS:
        return f"keys {sorted(body)}, not {sorted(CONTRACT_ERROR_KEYS)}"
    code = body["code"]
    if type(code) is not int or code != response.status:
        return f"code {code!r} but status {response.status}"
    if (
        not isinstance(body["type"], str)
        or not body["type"]
        or not isinstance(body["message"], str)
    ):
        return f"type/message not strings: {response.body[:60]!r}"
    return None
