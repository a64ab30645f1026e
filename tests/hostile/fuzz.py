"""Malformed HTTP/1.1 thrown at a backend on raw sockets, each answer judged by the contract.

`corpus()` builds the cases, the same bytes for the same seed: hand-written families (bad
request lines, odd versions, header floods, broken chunking, transfer codings, upgrades,
half-closed sockets, oversize URLs, Expect, Content-Length lies, non-HTTP garbage) crossed
with the contract's routes, then seeded byte mutations of correct requests up to the size
asked. `run_cases()` sends them on a thread pool, one fresh connection each, and
`judge()` says what is wrong with each answer.

What a backend must do (the project's acceptance):

- never a 5xx, whatever was sent (501 and 505 included, which RFC 9112 suggests for unknown
  transfer codings and versions: the contract has no such statuses);
- never leave a request unanswered past the timeout (5 s) when it was complete, or when the
  client ended its side (the server then knows no more is coming);
- every error (status >= 400) carries the contract's JSON body with `code` equal to the
  status (on `/v2/...` routes the protocol's `{"error": ...}` is accepted too);
- each case names the statuses it accepts: 200 where the request is valid however odd its
  framing, any 4xx where it is malformed, both where RFC 9112 lets a server be lenient.

Closing without an answer, decided here once: it is acceptable only when the client gave no
sign it can read an HTTP/1.x answer (its first line does not end in ` HTTP/1.<digit>`:
binary garbage, TLS or SSH hellos, HTTP/0.9, 2 or 3, a bare line) or when it ended its side
mid-request (EOF inside the head or body). To those same clients an HTTP/0.9-style answer
(a body with no status line, as nginx gives) is acceptable too. Anything announcing HTTP/1.x
with a complete head must get a status line back, however broken the rest is.

Waiting past the timeout is acceptable only for a request left incomplete on an open socket
(a short body, no chunk terminator, Expect without its body): the server cannot tell a slow
client from a stalled one. Those cases run after the others, so a server that parks a
thread on each cannot starve the rest of the corpus (the slow-client suite measures that);
for the same reason a case that hung in the crowd is run again, four at a time, and that
second run is what counts.

Replay against a running backend: `python -m tests.hostile.fuzz URL [--kind KIND ...]`.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import re
import selectors
import socket
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from models.artifacts import REPO_ROOT
from services.contract import v2
from services.contract.protocol import MAX_BODY_BYTES
from tests.hostile.wire import MalformedResponse, Response, error_shape_problem, parse_response

SEED = 20261201
TIMEOUT_S = 5.0
WORKERS = 16
CONFIRM_WORKERS = 4
MIN_CASES = 1000
DEFAULT_SIZE = 1300
CRLF = b"\r\n"
HTTP1_LINE_END = re.compile(rb"[ \t]HTTP/1\.\d\r?\Z")

ANY_4XX = frozenset(range(400, 500))
OK = frozenset({200})
OK_OR_4XX = OK | ANY_4XX
TOO_LARGE = frozenset({413})
WAITS = {"may_wait": True}  # case flags: an incomplete request left open
EOF_MID_REQUEST = {"half_close": True, "may_close": True}  # the client ends it unfinished
HALF_CLOSED = {"half_close": True}

# ---------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Expect:
    """What a backend may answer to one case."""

    statuses: frozenset[int]
    may_close: bool = False  # closing without any answer is acceptable
    may_wait: bool = False  # still waiting at the timeout is acceptable (incomplete request)
    v2: bool = False  # errors may take the Open Inference Protocol's {"error": ...} shape

    def describe(self) -> str:
        """The accepted statuses in words, for failure messages."""
        if self.statuses == OK_OR_4XX:
            return "200 or 4xx"
        if self.statuses == ANY_4XX:
            return "4xx"
        return "|".join(str(s) for s in sorted(self.statuses))


@dataclass(frozen=True)
class Case:
    """One connection's worth of bytes, and how the backend may answer it."""

    kind: str  # the family, for grouping failures
    name: str  # unique within a corpus
    data: bytes
    expect: Expect
    half_close: bool = False  # shutdown(SHUT_WR) once everything is sent

    @property
    def head_request(self) -> bool:
        return self.data.startswith(b"HEAD ")


@dataclass(frozen=True)
class Target:
    """A route of the contract, with a correct body for it."""

    method: bytes
    path: bytes
    body: bytes = b""

    @property
    def v2(self) -> bool:
        return self.path.startswith(b"/v2/")

    @property
    def label(self) -> str:
        return f"{self.method.decode()} {self.path.decode()}"


FIZZBUZZ_BODY = b'{"input.1": 14}'
FIZZBUZZ_ANSWER = b'{"next_number":"FizzBuzz"}'
V2_TENSOR = {"name": "input.1", "shape": [1, 10], "datatype": "FP32"}
V2_BODY = json.dumps({"inputs": [{**V2_TENSOR, "data": [0, 1, 1, 1, 0, 0, 0, 0, 0, 0]}]}).encode()
DIGITS_BODY = (REPO_ROOT / "models/digits/examples/seven.json").read_bytes().strip()

PING = Target(b"GET", b"/ping")
MODELS = Target(b"GET", b"/models")
FIZZBUZZ = Target(b"POST", b"/predictions/fizzbuzz", FIZZBUZZ_BODY)
DIGITS = Target(b"POST", b"/predictions/digits", DIGITS_BODY)
V2_INFER = Target(b"POST", b"/v2/models/fizzbuzz/infer", V2_BODY)
V2_READY = Target(b"GET", b"/v2/health/ready")
V2_METADATA = Target(b"GET", b"/v2/models/fizzbuzz")
V2_MODEL_READY = Target(b"GET", b"/v2/models/fizzbuzz/ready")
TARGETS = (PING, FIZZBUZZ, MODELS, V2_INFER)
POSTS = (FIZZBUZZ, V2_INFER)


def announces_http1(data: bytes) -> bool:
    """Whether the first line ends in ` HTTP/1.<digit>`: the client can read a status line."""
    return HTTP1_LINE_END.search(data.split(b"\n", 1)[0]) is not None


def make_case(
    kind: str,
    name: str,
    data: bytes,
    statuses: frozenset[int],
    *,
    v2: bool = False,
    half_close: bool = False,
    may_wait: bool = False,
    may_close: bool | None = None,
) -> Case:
    """A case; closing is acceptable by default exactly when the client did not announce
    HTTP/1.x (the module's rule), and always when it is left waiting."""
    if may_close is None:
        may_close = may_wait or not announces_http1(data)
    expect = Expect(statuses, may_close=may_close, may_wait=may_wait, v2=v2)
    return Case(kind, name, data, expect, half_close)


def head(line: bytes, headers: Iterable[bytes]) -> bytes:
    """A request head: its line, its header lines, the empty line."""
    return line + CRLF + b"".join(h + CRLF for h in headers) + CRLF


def request(
    target: Target,
    extra: Sequence[bytes] = (),
    *,
    body: bytes | None = None,
    version: bytes = b"HTTP/1.1",
    length: bool = True,
) -> bytes:
    """A request for `target`: Host, Content-Length for a POST (unless `length` is off),
    then `extra` headers and the body (the target's own unless one is given)."""
    body = target.body if body is None else body
    headers = [b"Host: 127.0.0.1"]
    if length and (body or target.method == b"POST"):
        headers.append(b"Content-Length: %d" % len(body))
    return head(b"%s %s %s" % (target.method, target.path, version), [*headers, *extra]) + body


def target_headers(target: Target) -> list[bytes]:
    """The headers a correct request for `target` carries (after its request line)."""
    headers = [b"Host: 127.0.0.1"]
    if target.method == b"POST":
        headers.append(b"Content-Length: %d" % len(target.body))
    return headers


def padded(body: bytes, size: int) -> bytes:
    """A JSON object body grown to exactly `size` bytes with whitespace (still valid)."""
    return body[:-1] + b" " * (size - len(body)) + body[-1:]


def chunked(target: Target, chunks: bytes, extra: Sequence[bytes] = ()) -> bytes:
    """A chunked request for `target` with `chunks` as the raw chunked body."""
    line = b"%s %s HTTP/1.1" % (target.method, target.path)
    return head(line, [b"Host: 127.0.0.1", b"Transfer-Encoding: chunked", *extra]) + chunks


def chunk(data: bytes, size: bytes | None = None, ext: bytes = b"") -> bytes:
    """One chunk: size line (hex of the data's length unless given), data, CRLF."""
    size = b"%x" % len(data) if size is None else size
    return size + ext + CRLF + data + CRLF


LAST_CHUNK = b"0\r\n\r\n"


def in_chunks(body: bytes, size: int) -> bytes:
    """`body` as a complete chunked body of chunks of `size` bytes."""
    pieces = (body[i : i + size] for i in range(0, len(body), size))
    return b"".join(chunk(piece) for piece in pieces) + LAST_CHUNK


# ---------------------------------------------------------------------------------------
# The families


def bad_request_lines(t: Target) -> list[tuple[str, bytes, frozenset[int]]]:
    """(label, request line, accepted statuses) for broken request lines aimed at `t`."""
    m, p, v = t.method, t.path, b"HTTP/1.1"
    lines = [
        ("lowercase method", b"%s %s %s" % (m.lower(), p, v), ANY_4XX),
        ("capitalized method", b"%s %s %s" % (m.capitalize(), p, v), ANY_4XX),
        ("method with NUL", b"%s\x00 %s %s" % (m, p, v), ANY_4XX),
        ("1000-char method", b"%s %s %s" % (b"M" * 1000, p, v), ANY_4XX),
        ("numeric method", b"12345 %s %s" % (p, v), ANY_4XX),
        ("method with separator", b"GE<T %s %s" % (p, v), ANY_4XX),
        ("non-ASCII method", b"G\xc3\x8bT %s %s" % (p, v), ANY_4XX),
        ("double space after method", b"%s  %s %s" % (m, p, v), OK_OR_4XX),
        ("double space before version", b"%s %s  %s" % (m, p, v), OK_OR_4XX),
        ("leading space", b" %s %s %s" % (m, p, v), OK_OR_4XX),
        ("trailing space", b"%s %s %s " % (m, p, v), OK_OR_4XX),
        ("tabs for spaces", b"%s\t%s\t%s" % (m, p, v), OK_OR_4XX),
        ("vertical tab for space", b"%s\x0b%s %s" % (m, p, v), ANY_4XX),
        ("no space before version", b"%s %s%s" % (m, p, v), ANY_4XX),
        ("no target", b"%s %s" % (m, v), ANY_4XX),
        ("no method", b"%s %s" % (p, v), ANY_4XX),
        ("four parts", b"%s %s %s extra" % (m, p, v), ANY_4XX),
        ("absolute-form", b"%s http://127.0.0.1%s %s" % (m, p, v), OK_OR_4XX),
        ("absolute-form other host", b"%s http://evil.example%s %s" % (m, p, v), OK_OR_4XX),
        ("absolute-form userinfo", b"%s http://u:p@127.0.0.1%s %s" % (m, p, v), OK_OR_4XX),
        ("absolute-form bad port", b"%s http://127.0.0.1:99999%s %s" % (m, p, v), OK_OR_4XX),
        ("absolute-form ftp", b"%s ftp://127.0.0.1%s %s" % (m, p, v), OK_OR_4XX),
        ("absolute-form no host", b"%s http://%s %s" % (m, p, v), OK_OR_4XX),
        ("absolute-form bare", b"%s http:// %s" % (m, v), ANY_4XX),
        ("absolute-form open bracket", b"%s http://[::1%s %s" % (m, p, v), ANY_4XX),
        ("double slash", b"%s /%s %s" % (m, p, v), OK_OR_4XX),
        ("no leading slash", b"%s %s %s" % (m, p[1:], v), ANY_4XX),
        ("asterisk-form", b"%s * %s" % (m, v), ANY_4XX),
        ("authority-form", b"%s 127.0.0.1:80 %s" % (m, v), ANY_4XX),
        ("dot-dot", b"%s /..%s %s" % (m, p, v), OK_OR_4XX),
        ("encoded dot-dot", b"%s /%%2e%%2e%s %s" % (m, p, v), OK_OR_4XX),
        ("traversal", b"%s /../../../../etc/passwd %s" % (m, v), ANY_4XX),
        ("encoded slash", b"%s /%s %s" % (m, p[1:].replace(b"/", b"%2F"), v), OK_OR_4XX),
        ("lone percent", b"%s %s%% %s" % (m, p, v), ANY_4XX),
        ("bad percent escape", b"%s %s%%zz %s" % (m, p, v), ANY_4XX),
        ("encoded NUL", b"%s %s%%00 %s" % (m, p, v), ANY_4XX),
        ("bad query escape", b"%s %s?a=%%z %s" % (m, p, v), OK_OR_4XX),
        ("fragment", b"%s %s#frag %s" % (m, p, v), OK_OR_4XX),
        ("NUL in target", b"%s %s\x00 %s" % (m, p, v), ANY_4XX),
        ("NUL mid target", b"%s %s\x00%s %s" % (m, p[:3], p[3:], v), ANY_4XX),
        ("NUL after version", b"%s %s %s\x00" % (m, p, v), ANY_4XX),
        ("bare CR in target", b"%s %s\rX-Injected: 1 %s" % (m, p, v), ANY_4XX),
        ("bare CR after version", b"%s %s %s\rX-Injected: 1" % (m, p, v), ANY_4XX),
        ("LF in target", b"%s %s\nX-Injected: 1 %s" % (m, p, v), OK_OR_4XX),  # LF ends lines
        ("DEL in target", b"%s %s\x7f %s" % (m, p, v), ANY_4XX),
        ("escape sequence in target", b"%s %s\x1b[31m %s" % (m, p, v), ANY_4XX),
        ("raw UTF-8 in target", b"%s %s\xc3\xaf %s" % (m, p, v), ANY_4XX),
        ("latin-1 in target", b"%s %s\xe9 %s" % (m, p, v), ANY_4XX),
        ("invalid UTF-8 in target", b"%s %s\xff\xfe %s" % (m, p, v), ANY_4XX),
        ("overlong UTF-8 slash", b"%s %s\xc0\xaf %s" % (m, p, v), ANY_4XX),
        ("emoji target", b"%s /\xf0\x9f\x94\xa5 %s" % (m, v), ANY_4XX),
        ("non-ASCII version", b"%s %s HTTP/1.\xd9\xa1" % (m, p), ANY_4XX),
    ]
    for method in (b"FOO", b"BREW", b"PROPFIND", b"TRACE", b"CONNECT", b"PATCH", b"OPTIONS"):
        lines.append((f"method {method.decode()}", b"%s %s %s" % (method, p, v), ANY_4XX))
    return lines


def request_line_cases() -> list[Case]:
    """Broken request lines, each followed by the target's correct headers and body."""
    cases = []
    for t in TARGETS:
        rest = b"".join(h + CRLF for h in target_headers(t)) + CRLF + t.body
        for label, line, statuses in bad_request_lines(t):
            name = f"{label} ({t.label})"
            cases.append(make_case("request-line", name, line + CRLF + rest, statuses, v2=t.v2))
    return cases


# (version, accepted statuses): 1.0 and 1.1 are served; a higher 1.x minor is answered as
# 1.1 or refused (RFC 9110 §2.5); anything else is refused or the connection closed.
VERSIONS: tuple[tuple[bytes, frozenset[int]], ...] = (
    (b"HTTP/1.0", OK),
    (b"HTTP/1.1", OK),
    (b"HTTP/1.2", OK_OR_4XX),
    (b"HTTP/1.9", OK_OR_4XX),
    (b"HTTP/0.9", ANY_4XX),
    (b"HTTP/2.0", ANY_4XX),
    (b"HTTP/2", ANY_4XX),
    (b"HTTP/3", ANY_4XX),
    (b"HTTP/3.0", ANY_4XX),
    (b"HTTP/9.9", ANY_4XX),
    (b"HTTP/1.10", OK_OR_4XX),  # not the grammar's one digit, but read as a 1.x by some
    (b"HTTP/01.1", OK_OR_4XX),
    (b"HTTP/1.01", OK_OR_4XX),
    (b"HTTP/1", ANY_4XX),
    (b"HTTP/1.", ANY_4XX),
    (b"HTTP/", ANY_4XX),
    (b"HTTP/a.b", ANY_4XX),
    (b"http/1.1", OK_OR_4XX),
    (b"HTTPS/1.1", ANY_4XX),
    (b"HTTP/1.1.1", ANY_4XX),
    (b"HTTP/-1.1", ANY_4XX),
    (b"HTTP /1.1", ANY_4XX),
    (b"HTTP/1.1/", ANY_4XX),
)
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def version_cases() -> list[Case]:
    """Each odd version on each route, the bare HTTP/0.9 line and HTTP/2's preface."""
    cases = []
    for t in TARGETS:
        for version, statuses in VERSIONS:
            data = request(t, version=version)
            name = f"{version.decode()} ({t.label})"
            cases.append(make_case("version", name, data, statuses, v2=t.v2))
        simple = b"%s %s\r\n\r\n" % (t.method, t.path)
        name = f"no version ({t.label})"  # HTTP/0.9's simple request: served or refused
        cases.append(make_case("version", name, simple, OK_OR_4XX, v2=t.v2))
    cases.append(make_case("version", "HTTP/2 preface", H2_PREFACE + H2_SETTINGS, ANY_4XX))
    cases.append(
        make_case("version", "HTTP/2 preface, half-closed", H2_PREFACE, ANY_4XX, half_close=True)
    )
    return cases


def header_floods() -> list[tuple[str, list[bytes]]]:
    """(label, header lines) past the usual limits: served or refused, never a crash."""
    floods = [
        (f"{n} headers", [b"X-Fuzz-%d: %d" % (i, i) for i in range(n)])
        for n in (49, 50, 51, 100, 500, 1000, 5000)
    ]
    floods += [
        (f"{size}-byte header value", [b"X-Big: " + b"a" * size])
        for size in (4096, 8190, 8192, 16384, 65536, 1 << 20)
    ]
    floods += [
        (f"{size}-byte header name", [b"X-" + b"n" * size + b": 1"]) for size in (8192, 65536)
    ]
    floods.append(("1000 cookies", [b"Cookie: c=%d" % i for i in range(1000)]))
    return floods


def header_flood_cases() -> list[Case]:
    """Many headers, huge ones, and header lines that break the grammar."""
    cases = []
    for t in (PING, FIZZBUZZ):
        rows = [(label, lines, OK_OR_4XX) for label, lines in header_floods()]
        rows += bad_header_lines()
        cases += [
            make_case("headers", f"{label} ({t.label})", request(t, lines), statuses)
            for label, lines, statuses in rows
        ]
    return cases


def bad_header_lines() -> list[tuple[str, list[bytes], frozenset[int]]]:
    """(label, header lines, accepted statuses) that break RFC 9112 §5 in one way each.

    Whitespace before the colon must be refused (RFC 9112 §5.1); a line that is no field at
    all may be refused or dropped (nginx drops them); NUL or CR in a value may be refused or
    replaced by a space (RFC 9110 §5.5).
    """
    return [
        ("header without colon", [b"X-No-Colon"], OK_OR_4XX),
        ("header without colon, with value", [b"X-No-Colon value"], OK_OR_4XX),
        ("empty header name", [b": value"], OK_OR_4XX),
        ("space before colon", [b"X-A : b"], ANY_4XX),
        ("tab before colon", [b"X-A\t: b"], ANY_4XX),
        ("space in header name", [b"X A: b"], OK_OR_4XX),
        ("separator in header name", [b"X(A): b"], OK_OR_4XX),
        ("NUL in header name", [b"X\x00A: b"], OK_OR_4XX),
        ("non-ASCII header name", [b"X-\xc3\x84: b"], OK_OR_4XX),
        ("NUL in header value", [b"X-A: a\x00b"], OK_OR_4XX),
        ("bare CR in header value", [b"X-A: a\rb"], OK_OR_4XX),
        ("bare LF header line", [b"X-A: a\nX-B: b"], OK_OR_4XX),
        ("DEL in header value", [b"X-A: a\x7fb"], ANY_4XX),
        ("obs-text header value", [b"X-A: caf\xe9"], OK_OR_4XX),
        ("obs-fold", [b"X-Folded: a", b" b"], OK_OR_4XX),
        ("obs-fold with tab", [b"X-Folded: a", b"\tb"], OK_OR_4XX),
        ("obs-fold of Host", [b"X-A: b", b" Host: evil.example"], OK_OR_4XX),
        ("whitespace-only line", [b"X-A: b", b"   "], ANY_4XX),
        ("header line of 8 KiB spaces", [b" " * 8192], ANY_4XX),
        ("leading whitespace header name", [b" X-A: b"], OK_OR_4XX),
        ("duplicate Host", [b"Host: evil.example"], OK_OR_4XX),
        ("Host with space", [b"X-A: b", b"Host: a b"], OK_OR_4XX),
        ("Connection with 100 tokens", [b"Connection: " + b", ".join([b"x"] * 100)], OK_OR_4XX),
    ]


HOSTS: tuple[tuple[str, list[bytes]], ...] = (
    ("missing Host", []),
    ("empty Host", [b"Host:"]),
    ("Host with NUL", [b"Host: a\x00b"]),
    ("Host open bracket", [b"Host: [::1"]),
)


def host_cases() -> list[Case]:
    """Requests whose only fault is their Host header (RFC 9112 §3.2 says refuse them; most
    servers do not route by Host, so serving them is tolerated)."""
    cases = []
    for t in (PING, FIZZBUZZ):
        line = b"%s %s HTTP/1.1" % (t.method, t.path)
        length = [b"Content-Length: %d" % len(t.body)] if t.body else []
        for label, hosts in HOSTS:
            data = head(line, [*hosts, *length]) + t.body
            cases.append(make_case("headers", f"{label} ({t.label})", data, OK_OR_4XX))
    return cases


def framing_header_cases() -> list[Case]:
    """Two Content-Lengths, and Content-Length beside Transfer-Encoding: request smuggling's
    raw material (RFC 9112 §6.3). The body is sent whole, so either reading is answered."""
    body15, body16 = FIZZBUZZ_BODY, FIZZBUZZ_BODY + b" "  # both valid at 15 or 16 bytes
    cl15, cl16 = b"Content-Length: 15", b"Content-Length: 16"
    ok_chunks = chunk(FIZZBUZZ_BODY) + LAST_CHUNK
    longer = b"Content-Length: %d" % (len(ok_chunks) + 1)
    line = b"POST /predictions/fizzbuzz HTTP/1.1"
    host = b"Host: 127.0.0.1"
    te = b"Transfer-Encoding: chunked"
    rows: list[tuple[str, list[bytes], bytes, frozenset[int]]] = [
        ("two equal Content-Lengths", [cl15, cl15], body15, OK_OR_4XX),
        ("Content-Length list of equal", [b"Content-Length: 15, 15"], body15, OK_OR_4XX),
        ("two different Content-Lengths", [cl15, cl16], body16, ANY_4XX),
        ("two different Content-Lengths, reversed", [cl16, cl15], body16, ANY_4XX),
        ("Content-Length list of different", [b"Content-Length: 15, 16"], body16, ANY_4XX),
        ("CL then TE", [b"Content-Length: 4", te], ok_chunks, OK_OR_4XX),
        ("TE then CL", [te, b"Content-Length: 4"], ok_chunks, OK_OR_4XX),
        ("CL longer than chunked body", [longer, te], ok_chunks + b" ", OK_OR_4XX),
        ("TE twice", [te, te], ok_chunks, OK_OR_4XX),
        ("TE chunked, chunked", [b"Transfer-Encoding: chunked, chunked"], ok_chunks, ANY_4XX),
        ("TE mixed case", [b"Transfer-Encoding: ChUnKeD"], ok_chunks, OK_OR_4XX),
        ("TE with extra space", [b"Transfer-Encoding:   chunked  "], ok_chunks, OK_OR_4XX),
        ("TE xchunked and CL", [b"Transfer-Encoding: xchunked", cl15], body15, ANY_4XX),
        ("TE with vertical tab and CL", [te + b"\x0b", cl15], body15, ANY_4XX),
        ("TE space before colon and CL", [b"Transfer-Encoding : chunked", cl15], body15, ANY_4XX),
        ("TE obs-folded", [b"Transfer-Encoding:", b" chunked"], ok_chunks, OK_OR_4XX),
        ("CL space before colon", [b"Content-Length : 15"], body15, ANY_4XX),
        ("CL obs-folded", [b"Content-Length: 1", b" 5"], body15, ANY_4XX),
    ]
    cases = [
        make_case("headers", label, head(line, [host, *headers]) + body, statuses)
        for label, headers, body, statuses in rows
    ]
    http10 = head(b"POST /predictions/fizzbuzz HTTP/1.0", [host, te]) + ok_chunks
    cases.append(make_case("headers", "chunked on HTTP/1.0", http10, OK_OR_4XX))
    return cases


def chunked_cases() -> list[Case]:
    """Chunked bodies, right and wrong, on the v1 and v2 prediction routes; and the wrong
    ones on the v2 model routes that take no body. Those may be answered without the body
    being read (a 200), but a refusal must be an error in the contract's shape all the same
    (nginx reads the body to its end first)."""
    cases = []
    for t in POSTS:
        limit = MAX_BODY_BYTES if not t.v2 else v2.MAX_BODY_BYTES
        for label, chunks, statuses, flags in chunked_bodies(t.body, limit):
            data = chunked(t, chunks)
            name = f"{label} ({t.label})"
            cases.append(make_case("chunked", name, data, statuses, v2=t.v2, **flags))
    for t in (V2_METADATA, V2_MODEL_READY):
        for label, chunks, statuses, flags in chunked_bodies(FIZZBUZZ_BODY, v2.MAX_BODY_BYTES):
            if statuses == ANY_4XX and not flags:
                data = chunked(t, chunks)
                name = f"{label} ({t.label})"
                cases.append(make_case("chunked", name, data, OK_OR_4XX, v2=True))
    return cases


def chunked_bodies(
    body: bytes, limit: int
) -> list[tuple[str, bytes, frozenset[int], dict[str, bool]]]:
    """(label, chunked body, accepted statuses, case flags) around one correct `body`."""
    one = chunk(body) + LAST_CHUNK
    size = b"%x" % len(body)
    return [
        ("one chunk", one, OK, {}),
        ("one-byte chunks", in_chunks(body, 1), OK, {}),
        ("uppercase hex size", chunk(body, size.upper()) + LAST_CHUNK, OK, {}),
        ("leading zeros in size", chunk(body, b"000" + size) + LAST_CHUNK, OK, {}),
        ("trailer field", chunk(body) + b"0\r\nX-Trailer: 1\r\n\r\n", OK, {}),
        (
            "Content-Length in trailer",
            chunk(body) + b"0\r\nContent-Length: 5\r\n\r\n",
            OK_OR_4XX,
            {},
        ),
        ("chunk extension", chunk(body, ext=b";a=b") + LAST_CHUNK, OK, {}),
        ("quoted chunk extension", chunk(body, ext=b';a="b;c"') + LAST_CHUNK, OK, {}),
        ("bare semicolon extension", chunk(body, ext=b";") + LAST_CHUNK, OK_OR_4XX, {}),
        ("NUL in chunk extension", chunk(body, ext=b";a=\x00") + LAST_CHUNK, OK_OR_4XX, {}),
        (
            "8 KiB chunk extension",
            chunk(body, ext=b";a=" + b"x" * 8192) + LAST_CHUNK,
            OK_OR_4XX,
            {},
        ),
        ("extension on last chunk", chunk(body) + b"0;end\r\n\r\n", OK, {}),
        ("non-hex size", chunk(body, b"g") + LAST_CHUNK, ANY_4XX, {}),
        ("0x size", chunk(body, b"0x" + size) + LAST_CHUNK, ANY_4XX, {}),
        ("negative size", chunk(body, b"-" + size) + LAST_CHUNK, ANY_4XX, {}),
        ("plus size", chunk(body, b"+" + size) + LAST_CHUNK, ANY_4XX, {}),
        ("space before size", chunk(body, b" " + size) + LAST_CHUNK, OK_OR_4XX, {}),
        ("space after size", chunk(body, size + b" ") + LAST_CHUNK, OK_OR_4XX, {}),
        ("empty size line", chunk(body, b"") + LAST_CHUNK, ANY_4XX, {}),
        ("size with junk", chunk(body, size + b"z") + LAST_CHUNK, ANY_4XX, {}),
        ("size one too small", chunk(body, b"%x" % (len(body) - 1)) + LAST_CHUNK, ANY_4XX, {}),
        ("no CRLF after data", size + CRLF + body + LAST_CHUNK, ANY_4XX, {}),
        ("no CRLF after size", size + body + CRLF + LAST_CHUNK, ANY_4XX, {}),
        ("LF-only chunk lines", size + b"\n" + body + b"\n0\n\n", OK_OR_4XX, {}),
        ("bare CR chunk lines", size + b"\r" + body + b"\r0\r\r", ANY_4XX, {}),
        ("huge size ffffffffffff", b"ffffffffffff\r\n" + body + CRLF, ANY_4XX, {}),
        ("huge size 2^64-1", b"ffffffffffffffff\r\n" + body + CRLF, ANY_4XX, {}),
        (
            "size overflowing to 0x10",
            b"10000000000000010\r\n" + body[:16].ljust(16) + CRLF + LAST_CHUNK,
            ANY_4XX,
            {},
        ),
        ("size past the limit", b"%x\r\n" % (limit + 1) + body + CRLF, ANY_4XX, {}),
        (
            "body past the limit in one chunk",
            chunk(padded(body, limit + 1)) + LAST_CHUNK,
            TOO_LARGE,
            {},
        ),
        (
            "body past the limit in 1 KiB chunks",
            in_chunks(padded(body, limit + 1), 1024),
            TOO_LARGE,
            {},
        ),
        ("body at the limit", in_chunks(padded(body, limit), 8192), OK, {}),
        ("no last chunk, half-closed", chunk(body), ANY_4XX, EOF_MID_REQUEST),
        ("cut inside a chunk, half-closed", size + CRLF + body[:5], ANY_4XX, EOF_MID_REQUEST),
        ("no final CRLF, half-closed", chunk(body) + b"0\r\n", ANY_4XX, EOF_MID_REQUEST),
        ("no last chunk, left open", chunk(body), ANY_4XX, WAITS),
    ]


TRANSFER_CODINGS = (b"gzip", b"identity", b"deflate", b"compress", b"br", b"foo", b"", b",")
TRANSFER_CODINGS += (b"chunked;q=1", b"x-chunked", b"chunked, gzip", b"chunked, identity")
TRANSFER_CODINGS += (b"identity, chunked",)


def unknown_codings(t: Target) -> list[tuple[str, bytes]]:
    """Each transfer coding in TRANSFER_CODINGS, alone and beside a Content-Length."""
    rows = []
    for coding in TRANSFER_CODINGS:
        te = [b"Transfer-Encoding: " + coding]
        label = f"TE {coding.decode() or 'empty'}"
        rows.append((f"{label}, no CL", request(t, te, length=False)))
        rows.append((f"{label} with CL", request(t, te)))
    return rows


def gzip_in_chunked(t: Target) -> list[tuple[str, bytes]]:
    """The body really gzipped then chunked, the codings in two headers or one list."""
    gzipped = in_chunks(gzip.compress(t.body, mtime=0), 64)
    line = b"%s %s HTTP/1.1" % (t.method, t.path)
    codings = (
        ("TE gzip + TE chunked", [b"Transfer-Encoding: gzip", b"Transfer-Encoding: chunked"]),
        ("TE gzip, chunked", [b"Transfer-Encoding: gzip, chunked"]),
    )
    return [
        (f"{label}, gzipped", head(line, [b"Host: 127.0.0.1", *headers]) + gzipped)
        for label, headers in codings
    ]


def transfer_encoding_cases() -> list[Case]:
    """Transfer codings other than plain chunked: a body whose length cannot be known must
    be refused with a 400 (RFC 9112 §6.3), never waited on; a real gzip inside chunked may
    be served or refused."""
    cases = []
    for t in POSTS:
        rows = [(label, data, ANY_4XX) for label, data in unknown_codings(t)]
        rows += [(label, data, OK_OR_4XX) for label, data in gzip_in_chunked(t)]
        cases += [
            make_case("transfer-encoding", f"{label} ({t.label})", data, statuses, v2=t.v2)
            for label, data, statuses in rows
        ]
    return cases


UPGRADES: tuple[tuple[str, tuple[bytes, ...]], ...] = (
    (
        "websocket",
        (
            b"Connection: Upgrade",
            b"Upgrade: websocket",
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            b"Sec-WebSocket-Version: 13",
        ),
    ),
    ("websocket without key", (b"Connection: Upgrade", b"Upgrade: websocket")),
    (
        "h2c",
        (
            b"Connection: Upgrade, HTTP2-Settings",
            b"Upgrade: h2c",
            b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
        ),
    ),
    ("TLS", (b"Connection: Upgrade", b"Upgrade: TLS/1.2")),
    ("unknown protocol", (b"Connection: Upgrade", b"Upgrade: foo/1")),
    ("Upgrade without Connection", (b"Upgrade: websocket",)),
    ("Connection: upgrade alone", (b"Connection: upgrade",)),
)


def upgrade_cases() -> list[Case]:
    """Upgrade requests: none of these routes upgrades, so each is answered as plain
    HTTP/1.1 (or refused); a 101 is wrong."""
    return [
        make_case("upgrade", f"{label} ({t.label})", request(t, headers), OK_OR_4XX, v2=t.v2)
        for t in (*TARGETS, V2_READY)
        for label, headers in UPGRADES
    ]


def half_close_cases() -> list[Case]:
    """Whole requests, then shutdown(SHUT_WR): the request is complete, so it is answered."""
    cases = []
    for t in (PING, MODELS, FIZZBUZZ, DIGITS, V2_INFER, V2_READY):
        variants = (
            ("", request(t)),
            (", Connection: close", request(t, [b"Connection: close"])),
            (", HTTP/1.0", request(t, version=b"HTTP/1.0")),
        )
        for label, data in variants:
            cases.append(
                make_case("half-close", f"{t.label}{label}", data, OK, v2=t.v2, half_close=True)
            )
    chunked_ok = chunked(FIZZBUZZ, chunk(FIZZBUZZ_BODY) + LAST_CHUNK)
    wrong = [
        ("chunked POST /predictions/fizzbuzz", chunked_ok, OK),
        ("two pipelined GET /ping", request(PING) * 2, OK),
        ("bad JSON", request(FIZZBUZZ, body=b"{nope"), frozenset({400})),
        ("unknown model", request(Target(b"POST", b"/predictions/nope", b"{}")), frozenset({404})),
        ("unknown route", request(Target(b"GET", b"/nope")), frozenset({404})),
        ("wrong method", request(Target(b"DELETE", b"/predictions/fizzbuzz")), frozenset({405})),
        (
            "body over 64 KiB",
            request(FIZZBUZZ, body=padded(FIZZBUZZ_BODY, MAX_BODY_BYTES + 1)),
            TOO_LARGE,
        ),
    ]
    for label, data, statuses in wrong:
        cases.append(make_case("half-close", label, data, statuses, half_close=True))
    return cases


def oversize_url_cases() -> list[Case]:
    """Long request targets: 414 (or 404/400) in the contract's JSON, never a crash."""
    shapes: tuple[tuple[str, Callable[[int], bytes], bytes, frozenset[int]], ...] = (
        ("long path", lambda n: b"/ping/" + b"a" * n, b"GET", ANY_4XX),
        ("long query", lambda n: b"/ping?q=" + b"a" * n, b"GET", OK_OR_4XX),
        ("long model name", lambda n: b"/predictions/" + b"a" * n, b"POST", ANY_4XX),
        ("long v2 model name", lambda n: b"/v2/models/" + b"a" * n + b"/infer", b"POST", ANY_4XX),
        ("long escapes", lambda n: b"/ping/" + b"%41" * (n // 3), b"GET", ANY_4XX),
        ("long dot-segments", lambda n: b"/" + b"./" * (n // 2) + b"ping", b"GET", OK_OR_4XX),
    )
    cases = []
    for label, path, method, statuses in shapes:
        for size in (4096, 8192, 16384, 65536, 1 << 20):
            t = Target(method, path(size), FIZZBUZZ_BODY if method == b"POST" else b"")
            name = f"{label} {size // 1024} KiB"
            cases.append(make_case("url", name, request(t), statuses, v2=t.v2))
    return cases


def announced(
    t: Target, length: int | bytes, body: bytes = b"", extra: Sequence[bytes] = ()
) -> bytes:
    """A head for `t` announcing `length` (a number, or the raw header value), then `body`,
    whatever its real size."""
    value = length if isinstance(length, bytes) else b"%d" % length
    line = b"%s %s HTTP/1.1" % (t.method, t.path)
    return head(line, [b"Host: 127.0.0.1", b"Content-Length: " + value, *extra]) + body


def expect_cases() -> list[Case]:
    """Expect: 100-continue with and without the body it promises; a body announced past
    the limit is refused at once (that is what Expect is for), not waited on."""
    cases = []
    expect = b"Expect: 100-continue"
    for t in (FIZZBUZZ, DIGITS, V2_INFER):
        limit = v2.MAX_BODY_BYTES if t.v2 else MAX_BODY_BYTES
        no_body = announced(t, len(t.body), extra=[expect])
        rows = [
            ("with body", request(t, [expect]), OK, {}),
            ("capitalized, with body", request(t, [b"Expect: 100-Continue"]), OK, {}),
            ("twice, with body", request(t, [expect, expect]), OK_OR_4XX, {}),
            ("HTTP/1.0, with body", request(t, [expect], version=b"HTTP/1.0"), OK, {}),
            ("unknown expectation", request(t, [b"Expect: pony"]), OK_OR_4XX, {}),
            ("without body, left open", no_body, OK_OR_4XX, WAITS),
            ("without body, half-closed", no_body, ANY_4XX, EOF_MID_REQUEST),
            ("over the limit, no body", announced(t, limit + 1, extra=[expect]), TOO_LARGE, {}),
        ]
        cases += [
            make_case("expect", f"{label} ({t.label})", data, statuses, v2=t.v2, **flags)
            for label, data, statuses, flags in rows
        ]
    get = request(PING, [expect])
    cases.append(make_case("expect", "on GET /ping", get, OK_OR_4XX))
    return cases


# (label, the Content-Length value for a body of n bytes, accepted statuses); the body is
# sent whole, so a server that reads the value as n answers 200, which only some may.
MALFORMED_LENGTHS: tuple[tuple[str, Callable[[int], bytes], frozenset[int]], ...] = (
    ("CL +n", lambda n: b"+%d" % n, ANY_4XX),
    ("CL -n", lambda n: b"-%d" % n, ANY_4XX),
    ("CL hex", lambda n: b"0x%x" % n, ANY_4XX),
    ("CL decimal point", lambda n: b"%d.0" % n, ANY_4XX),
    ("CL underscore", lambda n: b"%d_%d" % divmod(n, 10), ANY_4XX),
    ("CL two numbers", lambda n: b"%d %d" % (n, n), ANY_4XX),
    ("CL empty", lambda n: b"", ANY_4XX),
    ("CL non-ASCII digits", lambda n: "\u0661\u0665".encode(), ANY_4XX),
    ("CL with whitespace", lambda n: b" %d " % n, OK_OR_4XX),
    ("CL leading zeros", lambda n: b"000%d" % n, OK_OR_4XX),
    ("CL wrapping 2^64 to n", lambda n: b"%d" % (2**64 + n), ANY_4XX),
    ("CL 2^64", lambda n: b"%d" % 2**64, ANY_4XX),
    ("CL of 30 digits", lambda n: b"9" * 30, ANY_4XX),
)


def content_length_cases() -> list[Case]:
    """Content-Length that lies, is malformed, or is past the limits. A short body left
    open may be waited on; half-closed, it must be refused or the connection closed."""
    cases = []
    for t in POSTS:
        limit = v2.MAX_BODY_BYTES if t.v2 else MAX_BODY_BYTES
        n = len(t.body)
        rows = [
            ("short body, left open", announced(t, n * 10, t.body), ANY_4XX, WAITS),
            ("one byte short, left open", announced(t, n + 1, t.body), ANY_4XX, WAITS),
            ("short body, half-closed", announced(t, n * 10, t.body), ANY_4XX, EOF_MID_REQUEST),
            ("body longer than CL", announced(t, 5, t.body), ANY_4XX, {}),
            ("CL 0", announced(t, 0, t.body), ANY_4XX, {}),
            ("no CL with a body", request(t, length=False), ANY_4XX, {}),
            ("CL 1 GiB, no body", announced(t, 1 << 30), TOO_LARGE, {}),
            (
                "CL past the limit",
                announced(t, limit + 1, padded(t.body, limit + 1)),
                TOO_LARGE,
                {},
            ),
            ("CL at the limit", announced(t, limit, padded(t.body, limit)), OK, {}),
        ]
        rows += [
            (label, announced(t, value(n), t.body), ok, {})
            for label, value, ok in MALFORMED_LENGTHS
        ]
        cases += [
            make_case("content-length", f"{label} ({t.label})", data, statuses, v2=t.v2, **flags)
            for label, data, statuses, flags in rows
        ]
    get = request(PING, [b"Content-Length: 15"], body=FIZZBUZZ_BODY)
    cases.append(make_case("content-length", "body on GET /ping", get, OK_OR_4XX))
    return cases


TLS_CLIENT_HELLO = bytes.fromhex(
    "16030100a5010000a10303" + "00" * 32 + "000020c02bc02fc02cc030cca9cca8c013c014009c009d"
    "002f0035000a010000580000001800160000136578616d706c652e756c666865696d2e6e6574"
)


def garbage_cases(rng: random.Random) -> list[Case]:
    """Bytes that are not an HTTP/1.x request at all: answered 400 or closed, as the server
    likes (the module's rule), but never a 5xx, a hang or a crash."""
    rows: list[tuple[str, bytes, dict[str, bool]]] = [
        ("nothing at all", b"", HALF_CLOSED),
        ("one CRLF", CRLF, HALF_CLOSED),
        ("100 CRLFs", CRLF * 100, HALF_CLOSED),
        ("10,000 CRLFs", CRLF * 10_000, HALF_CLOSED),
        ("1000 LFs", b"\n" * 1000, HALF_CLOSED),
        ("1000 NULs, CRLFCRLF", b"\x00" * 1000 + CRLF + CRLF, {}),
        ("TLS ClientHello, half-closed", TLS_CLIENT_HELLO, HALF_CLOSED),
        ("TLS ClientHello, left open", TLS_CLIENT_HELLO, WAITS),
        ("SSH banner, half-closed", b"SSH-2.0-OpenSSH_9.6\r\n", HALF_CLOSED),
        ("SSH banner, left open", b"SSH-2.0-OpenSSH_9.6\r\n", WAITS),
        ("Redis PING", b"*1\r\n$4\r\nPING\r\n", HALF_CLOSED),
        ("SMTP EHLO", b"EHLO fuzz\r\n\r\n", {}),
        ("a response instead of a request", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", {}),
        ("a JSON body alone", FIZZBUZZ_BODY + CRLF + CRLF, {}),
    ]
    for i in range(30):
        blob = rng.randbytes(rng.randint(1, 2000))
        rows.append((f"random bytes #{i}, CRLFCRLF", blob + CRLF + CRLF, {}))
        rows.append((f"random bytes #{i}, half-closed", blob, HALF_CLOSED))
    return [
        make_case("garbage", label, data, ANY_4XX, may_close=True, **flags)
        for label, data, flags in rows
    ]


# ---------------------------------------------------------------------------------------
# Seeded mutations of correct requests

HOSTILE_BYTES = b'\x00\x01\x08\t\x0b\x0c\r\n\x1b\x7f\x80\xc3\xff "#%&/:;<>?@[\\]^`{|}~Az09'


def mutate(line: bytes, rng: random.Random) -> bytes:
    """`line` with one to three bytes replaced, inserted, deleted or doubled."""
    data = bytearray(line)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data)) if data else 0
        op = rng.choice(("replace", "insert", "delete", "double"))
        byte = rng.choice(HOSTILE_BYTES)
        if op == "replace" and data:
            data[at] = byte
        elif op == "insert":
            data.insert(at, byte)
        elif op == "delete" and len(data) > 1:
            del data[at]
        elif data:
            data.insert(at, data[at])
    return bytes(data)


def mutation_cases(rng: random.Random, count: int) -> list[Case]:
    """Correct requests with their request line, or one harmless header line, mutated. The
    framing headers are left alone, so every mutant is complete and must be answered if it
    still announces HTTP/1.x (any status but a 5xx: some mutants are still valid)."""
    cases = []
    for i in range(count):
        t = rng.choice((*TARGETS, DIGITS, V2_READY))
        line = b"%s %s HTTP/1.1" % (t.method, t.path)
        fuzz_header = b"X-Fuzz: %d" % i
        if rng.random() < 0.75:
            line = mutate(line, rng)
        else:
            fuzz_header = mutate(fuzz_header, rng)
        data = head(line, [*target_headers(t), fuzz_header]) + t.body
        cases.append(make_case("mutation", f"mutant #{i} of {t.label}", data, OK_OR_4XX, v2=t.v2))
    return cases


def corpus(seed: int = SEED, size: int = DEFAULT_SIZE) -> list[Case]:
    """Every family, then seeded mutations up to `size` cases: the same bytes per seed."""
    rng = random.Random(seed)
    cases = [
        *request_line_cases(),
        *version_cases(),
        *header_flood_cases(),
        *host_cases(),
        *framing_header_cases(),
        *chunked_cases(),
        *transfer_encoding_cases(),
        *upgrade_cases(),
        *half_close_cases(),
        *oversize_url_cases(),
        *expect_cases(),
        *content_length_cases(),
        *garbage_cases(rng),
    ]
    return cases + mutation_cases(rng, max(0, size - len(cases)))


# ---------------------------------------------------------------------------------------
# Sending and judging


@dataclass
class Exchange:
    """What happened on one connection."""

    response: Response | None = None
    received: bytes = b""
    closed: bool = False  # the server closed (FIN or RST) before a complete answer
    hung: bool = False  # the deadline passed with no complete answer and the socket open
    error: str | None = None  # could not connect, or the answer is not HTTP/1.x
    elapsed: float = 0.0


def exchange(
    address: tuple[str, int],
    data: bytes,
    *,
    half_close: bool = False,
    head_request: bool = False,
    timeout: float = TIMEOUT_S,
) -> Exchange:
    """Send `data` and read the first final answer, never past `timeout` in all.

    Sending and reading interleave (one selector), so an early answer (a 413 to a body still
    being sent) is read before the server's close can reset the connection and lose it.
    """
    start = time.monotonic()
    deadline = start + timeout
    try:
        sock = socket.create_connection(address, timeout=timeout)
    except OSError as error:
        return Exchange(error=f"connect: {error}", elapsed=time.monotonic() - start)
    with sock, selectors.DefaultSelector() as selector:
        sock.setblocking(False)
        result = _converse(sock, selector, memoryview(data), half_close, head_request, deadline)
    result.elapsed = time.monotonic() - start
    return result


def _converse(
    sock: socket.socket,
    selector: selectors.BaseSelector,
    data: memoryview,
    half_close: bool,
    head_request: bool,
    deadline: float,
) -> Exchange:
    received = bytearray()
    sent = 0
    writing = True
    selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    if not data:
        writing = _finish_sending(sock, selector, half_close)
    while (remaining := deadline - time.monotonic()) > 0:
        for _, mask in selector.select(remaining):
            if writing and mask & selectors.EVENT_WRITE:
                try:
                    sent += sock.send(data[sent : sent + 65536])
                except OSError:  # reset or broken pipe: the server gave up reading; read on
                    sent = len(data)
                if sent >= len(data):
                    writing = _finish_sending(sock, selector, half_close)
            if mask & selectors.EVENT_READ:
                eof = _receive(sock, received)
                outcome = _parsed(bytes(received), head_request, eof)
                if outcome is not None:
                    return outcome
    return _at_deadline(bytes(received), head_request)


def _finish_sending(
    sock: socket.socket, selector: selectors.BaseSelector, half_close: bool
) -> bool:
    """Stop writing (half-closing if asked); returns the new `writing` flag (False)."""
    if half_close:
        with contextlib.suppress(OSError):  # the server may have reset it already
            sock.shutdown(socket.SHUT_WR)
    selector.modify(sock, selectors.EVENT_READ)
    return False


def _receive(sock: socket.socket, received: bytearray) -> bool:
    """Read what is there into `received`; True at the end of the stream (FIN or RST)."""
    try:
        chunk_ = sock.recv(65536)
    except BlockingIOError:
        return False
    except OSError:
        return True
    received += chunk_
    return not chunk_


def _parsed(received: bytes, head_request: bool, eof: bool) -> Exchange | None:
    """The finished exchange if `received` holds an answer or the stream ended; else None."""
    try:
        response = parse_response(received, head=head_request, eof=eof)
    except MalformedResponse as error:
        return Exchange(received=received, error=str(error), closed=eof)
    if response is not None:
        return Exchange(response=response, received=received)
    if eof:
        return Exchange(received=received, closed=True)
    return None


def _at_deadline(received: bytes, head_request: bool) -> Exchange:
    """Timed out: what was parsed, if anything (a head whose body never came counts)."""
    try:
        response = parse_response(received, head=head_request, eof=True)
    except MalformedResponse as error:
        return Exchange(received=received, hung=True, error=str(error))
    return Exchange(response=response, received=received, hung=True)


@dataclass(frozen=True)
class Outcome:
    """A case, what came back, and what is wrong with it (nothing: acceptable)."""

    case: Case
    exchange: Exchange
    problems: tuple[str, ...] = field(default=())
    rerun: bool = False  # hung in the crowd, so run again few at a time: this is that run

    @property
    def status(self) -> int | None:
        response = self.exchange.response
        return None if response is None else response.status

    @property
    def error_shape(self) -> str | None:
        """Why an error answer's body is not the contract's; None when it is, or no error."""
        response = self.exchange.response
        if response is None or response.status < 400:
            return None
        return error_shape_problem(response, v2_allowed=self.case.expect.v2)

    def describe_answer(self) -> str:
        """The answer in one line: status and body, or how the connection ended."""
        ex = self.exchange
        if ex.response is not None:
            return ex.response.summary() + (" (then no more by the deadline)" if ex.hung else "")
        if ex.error is not None:
            return f"{ex.error} (received {ex.received[:60]!r})"
        if ex.hung:
            return f"nothing complete after {ex.elapsed:.1f} s (received {ex.received[:60]!r})"
        return f"closed after {ex.elapsed:.2f} s (received {ex.received[:60]!r})"


def judge(case: Case, ex: Exchange) -> tuple[str, ...]:
    """What is wrong with `ex` as the answer to `case`, each as 'category: detail'."""
    expect = case.expect
    if ex.error is not None and ex.response is None:
        if expect.may_close and ex.received:  # answered the HTTP/0.9 way: just the body
            return ()
        return (f"no HTTP answer: {ex.error}",)
    response = ex.response
    if response is None:
        if ex.hung and not expect.may_wait:
            return (f"hang: no answer within {ex.elapsed:.1f} s",)
        if ex.closed and not expect.may_close:
            return ("closed: the connection closed without an answer",)
        return ()
    problems = []
    if ex.hung:
        problems.append("hang: the answer's body did not end by the deadline")
    if response.status >= 500:
        problems.append(f"5xx: {response.status}")
    elif response.status not in expect.statuses:
        problems.append(f"status: {response.status}, expected {expect.describe()}")
    if response.status >= 400:
        shape = error_shape_problem(response, v2_allowed=expect.v2)
        if shape is not None:
            problems.append(f"error body: {shape}")
    return tuple(problems)


def run_case(address: tuple[str, int], case: Case, timeout: float = TIMEOUT_S) -> Outcome:
    ex = exchange(
        address,
        case.data,
        half_close=case.half_close,
        head_request=case.head_request,
        timeout=timeout,
    )
    return Outcome(case, ex, judge(case, ex))


def address_of(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def run_cases(
    base_url: str, cases: Sequence[Case], *, workers: int = WORKERS, timeout: float = TIMEOUT_S
) -> list[Outcome]:
    """Every case on its own connection, `workers` at a time.

    A server that parks a thread on each request it cannot finish (a few thread-per-request
    servers do) runs out of threads under 16 such cases at once, and then every other case
    in flight hangs too: those hangs are the slow-client suite's finding, not the cases'.
    So a case that hung is run again with at most CONFIRM_WORKERS at once, and what it did
    then is reported. The cases that may be left waiting go last, for the same reason.
    """
    address = address_of(base_url)
    prompt = [c for c in cases if not c.expect.may_wait]
    waiting = [c for c in cases if c.expect.may_wait]
    outcomes = _run_all(address, prompt, workers, timeout)
    outcomes = _rerun_hangs(address, outcomes, timeout)
    return outcomes + _run_all(address, waiting, workers, timeout)


def _run_all(
    address: tuple[str, int], cases: Sequence[Case], workers: int, timeout: float
) -> list[Outcome]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda c: run_case(address, c, timeout), cases))


def _rerun_hangs(
    address: tuple[str, int], outcomes: list[Outcome], timeout: float
) -> list[Outcome]:
    """`outcomes` with each hung case replaced by a second run, few at a time."""
    hung = [i for i, o in enumerate(outcomes) if any(category(p) == "hang" for p in o.problems)]
    again = _run_all(address, [outcomes[i].case for i in hung], CONFIRM_WORKERS, timeout)
    rerun = list(outcomes)
    for index, outcome in zip(hung, again, strict=True):
        rerun[index] = Outcome(outcome.case, outcome.exchange, outcome.problems, rerun=True)
    return rerun


# ---------------------------------------------------------------------------------------
# After the fuzz: is the backend still serving?

DIGITS_ANSWER_PREFIX = b'{"digit":7,'


def serving_problems(base_url: str, timeout: float = TIMEOUT_S) -> list[str]:
    """What is wrong with the backend's answers to three correct requests (nothing: it is
    serving): GET /ping, a FizzBuzz prediction and a digits prediction."""
    address = address_of(base_url)
    checks = (
        (request(PING), lambda r: r.status == 200 and json.loads(r.body) == {"status": "Healthy"}),
        (request(FIZZBUZZ), lambda r: r.status == 200 and r.body == FIZZBUZZ_ANSWER),
        (request(DIGITS), lambda r: r.status == 200 and r.body.startswith(DIGITS_ANSWER_PREFIX)),
    )
    problems = []
    for data, right in checks:
        ex = exchange(address, data, timeout=timeout)
        if ex.response is None or not right(ex.response):
            line = data.split(CRLF, 1)[0].decode()
            answer = ex.response.summary() if ex.response else ex.error or "no answer"
            problems.append(f"{line}: {answer}")
    return problems


# ---------------------------------------------------------------------------------------
# Reporting


def failures(outcomes: Iterable[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.problems]


def category(problem: str) -> str:
    return problem.split(":", 1)[0]


def tally(outcomes: Iterable[Outcome]) -> dict[str, Counter[str]]:
    """Failing cases per kind, counted by problem category."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in failures(outcomes):
        for problem in outcome.problems:
            table[outcome.case.kind][category(problem)] += 1
    return dict(table)


# The problem categories, worst first: examples are picked in this order within a kind.
SEVERITY = ("5xx", "hang", "closed", "no HTTP answer", "status", "error body")


def severity(outcome: Outcome) -> int:
    ranks = [SEVERITY.index(c) for c in map(category, outcome.problems) if c in SEVERITY]
    return min(ranks, default=len(SEVERITY))


def failure_report(outcomes: Sequence[Outcome], limit: int | None = 20) -> str:
    """A readable summary: counts per kind and problem, then up to `limit` failing cases
    (all for None), taken in turn from each kind so every kind shows, the worst problems of
    each kind first, each case with the bytes sent and the answer."""
    failed = failures(outcomes)
    lines = [f"{len(failed)} of {len(outcomes)} cases failed"]
    for kind, counts in sorted(tally(outcomes).items()):
        detail = ", ".join(f"{name} {n}" for name, n in counts.most_common())
        total = sum(1 for o in failed if o.case.kind == kind)
        lines.append(f"  {kind}: {total} cases ({detail})")
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in sorted(failed, key=severity):
        by_kind[outcome.case.kind].append(outcome)
    shown = _round_robin(list(by_kind.values()), limit)
    for kind in sorted({o.case.kind for o in shown}):
        lines.append(f"[{kind}]")
        lines += [line for o in shown if o.case.kind == kind for line in _describe(o)]
    return "\n".join(lines)


def _describe(outcome: Outcome) -> list[str]:
    again = " (again when re-run few at a time)" if outcome.rerun else ""
    return [
        f"  {outcome.case.name}: {'; '.join(outcome.problems)}{again}",
        f"    sent     {outcome.case.data[:100]!r}{'…' if len(outcome.case.data) > 100 else ''}",
        f"    answered {outcome.describe_answer()}",
    ]


def _round_robin(groups: list[list[Outcome]], limit: int | None) -> list[Outcome]:
    picked: list[Outcome] = []
    for row in range(max((len(g) for g in groups), default=0)):
        picked += [g[row] for g in groups if row < len(g)]
    return picked[:limit]


def main(argv: Sequence[str] | None = None) -> int:
    """Fuzz a running backend: python -m tests.hostile.fuzz http://127.0.0.1:5000"""
    parser = argparse.ArgumentParser(
        prog="python -m tests.hostile.fuzz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--limit", type=int, default=40, help="failing cases to show")
    parser.add_argument("--kind", action="append", help="only these kinds (repeatable)")
    args = parser.parse_args(argv)
    cases = [c for c in corpus(args.seed, args.size) if not args.kind or c.kind in args.kind]
    start = time.monotonic()
    outcomes = run_cases(args.url, cases)
    print(failure_report(outcomes, args.limit))
    print(f"{len(cases)} cases in {time.monotonic() - start:.1f} s")
    return 1 if failures(outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
