"""nginx as the front of a backend: finding it, its command, and rendering its configuration.

Each front has a template with `{{name}}` placeholders (services/flask/nginx.conf,
services/mms/nginx.conf) for its http block, rendered at every start into the run folder
inside the part every front shares (nginx-front.conf: the process, its files, the body
limit). Every body nginx answers by itself comes from services.contract, rendered here, so
its bytes live in one place; `protocol_errors` is the part of every server block the fronts
share: what nginx answers to requests it cannot parse or will not pass on, in the contract's
error shape with a 4xx.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
from pathlib import Path

from services.contract import v2
from services.contract.errors import (
    MethodNotAllowed,
    ModelNotReady,
    PayloadTooLarge,
    RouteNotFound,
    error_body,
    error_response,
)
from services.contract.protocol import MAX_BODY_BYTES, render
from services.supervision import Program

PLACEHOLDER = re.compile(r"(?m)(^[ \t]*)?\{\{(\w+)\}\}")
FRONT = Path(__file__).with_name("nginx-front.conf")
PROTOCOL_ERRORS = Path(__file__).with_name("nginx-protocol-errors.conf")
UNAVAILABLE = "the model server cannot answer now; try again shortly"
MAX_HEADER_BYTES = 8192
"""The longest request line or header line a front reads (large_client_header_buffers)."""
MALFORMED = "the request is malformed"
BAD_TRANSFER_ENCODING = "Transfer-Encoding may only be chunked"
BAD_VERSION = "only HTTP/1.0 and HTTP/1.1 are served"
URI_TOO_LONG = f"the request line is longer than {MAX_HEADER_BYTES} bytes"
HEADERS_TOO_LARGE = f"a header line is longer than {MAX_HEADER_BYTES} bytes, or there are too many"


class FrontError(RuntimeError):
    """nginx is missing or its configuration cannot be rendered."""


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)),
        None,
    )
    if nginx is None:
        raise FrontError("nginx not found: install it (Debian: apt-get install nginx-light)")
    return nginx


def command(config: Path, prefix: Path) -> list[str]:
    """nginx in the foreground (`daemon off` in the config), so it leads its process group."""
    return [nginx_binary(), "-p", f"{prefix}/", "-c", str(config)]


def nginx_string(body: bytes, variables: tuple[str, ...] = ()) -> str:
    """`body` as a quoted nginx string that `return` answers byte for byte.

    nginx would read `$name` in it as a variable and has no escape for `$`: only the
    `variables` given are allowed.
    """
    text = body.decode()
    pieces = re.split(f"({'|'.join(map(re.escape, variables))})", text) if variables else [text]
    quoted = []
    for piece in pieces:
        if piece not in variables:
            if "$" in piece:
                raise FrontError(f"a '$' in {text!r} would be read by nginx as a variable")
            piece = piece.replace("\\", "\\\\").replace("'", "\\'")
        quoted.append(piece)
    return "'" + "".join(quoted) + "'"


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def user_directive() -> str:
    """Workers run as whoever runs MMS, so they can reach its socket in the run folder.

    Only a master started as root would switch them to another user (nobody, by default),
    who may not even get through the run folder's parents; started by anyone else, nginx
    keeps its own user and the directive is left out.
    """
    if os.geteuid() != 0:
        return ""
    user, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};  # as the launcher: MMS, its socket and the run folder are its"


def plain_path(path: Path) -> str:
    """A path nginx reads as one token as it is; anything else is refused, not quoted."""
    text = str(path)
    if re.search(r"[\s;{}'\"\\$#]", text):
        raise FrontError(f"nginx cannot be given the path {text!r}: move the run folder")
    return text


def front_program(config: Path, prefix: Path) -> Program:
    """nginx as the supervised program `front`. It counts as started after 5 s: nginx keeps
    retrying a port that is taken for about 2.5 s before it gives up, and an exit before
    then must read as a failed start (supervisord's back-off), not as a crash to restart."""
    return Program("front", tuple(command(config, prefix)), start_s=5)


def render_template(template: Path, values: dict[str, str]) -> str:
    """`template` with every `{{name}}` replaced; an unknown name is a FrontError. A value of
    several lines that starts a line keeps that line's indentation on each of its lines."""

    def fill(match: re.Match[str]) -> str:
        indent, name = match.group(1), match.group(2)
        try:
            value = values[name]
        except KeyError:
            raise FrontError(f"{template} has an unknown placeholder {{{{{name}}}}}") from None
        if indent is None:
            return value
        return "\n".join(indent + line if line else line for line in value.split("\n"))

    return PLACEHOLDER.sub(fill, template.read_text())


def render_front(template: Path, values: dict[str, str]) -> str:
    """A front's whole nginx.conf: its `template`, the http block's own part, inside what
    every front shares (nginx-front.conf), both filled in from `values` (front_values and
    the front's own)."""
    return render_template(FRONT, {**values, "http": render_template(template, values)})


def v1_error(exception: Exception) -> bytes:
    """The contract's error body for `exception` (its one table: services.contract.errors)."""
    return render(error_response(exception)[1])


def v2_error(exception: Exception) -> bytes:
    """The Open Inference Protocol's error body for `exception`."""
    return render(v2.error_reply(exception)[1])


def error_pages() -> dict[str, str]:
    """The bodies every front answers by itself, v1 and v2, as nginx strings."""
    return {
        "method_not_allowed": nginx_string(v1_error(MethodNotAllowed())),
        "route_not_found": nginx_string(v1_error(RouteNotFound())),
        "payload_too_large": nginx_string(v1_error(PayloadTooLarge(MAX_BODY_BYTES))),
        "unavailable": nginx_string(v1_error(ModelNotReady(UNAVAILABLE))),
        "v2_method_not_allowed": nginx_string(v2_error(MethodNotAllowed())),
        "v2_route_not_found": nginx_string(v2_error(RouteNotFound())),
        "v2_payload_too_large": nginx_string(v2_error(PayloadTooLarge(v2.MAX_BODY_BYTES))),
        "v2_unavailable": nginx_string(v2_error(ModelNotReady(UNAVAILABLE))),
    }


def bad_request(message: str) -> str:
    """A 400 for a request that is not well-formed HTTP (not the contract's InvalidInput,
    which is about a well-formed request's body), as every backend answers it."""
    return nginx_string(render(error_body(400, "BadRequest", message)))


# Where nginx's own refusals go (the pages of nginx-protocol-errors.conf). A location with
# error_page lines of its own inherits none of the server's, so it repeats these.
NOT_PARSED_PAGE = "error_page 400 /.polyserve/bad-request;"
INTERCEPTING_ERROR_PAGES = " ".join((
    "error_page 405 /.polyserve/method-not-allowed;",
    "error_page 414 /.polyserve/uri-too-long;",
    "error_page 494 =431 /.polyserve/headers-too-large;",  # nginx's internal code for it
    "error_page 501 =400 /.polyserve/bad-transfer-encoding;",
    "error_page 505 =400 /.polyserve/bad-version;",
))  # fmt: skip
"""The pages of nginx's refusals but the 400, for a location that intercepts its upstream's
errors while its upstream answers 400s with bodies of their own (the contract's InvalidInput):
such a location sends 400 to a page that tells nginx's own from the upstream's (MMS's
@v1_bad_request)."""
PROTOCOL_ERROR_PAGES = f"{NOT_PARSED_PAGE} {INTERCEPTING_ERROR_PAGES}"


def protocol_errors() -> str:
    """The server-block lines every front includes: nginx's own refusals (a malformed
    request, a method it never passes on, an oversized URI or header, an unknown transfer
    coding or HTTP version) as the contract's JSON errors, each a 4xx."""
    return PROTOCOL_ERROR_PAGES + "\n" + render_template(PROTOCOL_ERRORS, {
        "bad_request": bad_request(MALFORMED),
        "uri_too_long": nginx_string(render(error_body(414, "URITooLong", URI_TOO_LONG))),
        "headers_too_large": nginx_string(
            render(error_body(431, "RequestHeaderFieldsTooLarge", HEADERS_TOO_LARGE))
        ),
        "bad_transfer_encoding": bad_request(BAD_TRANSFER_ENCODING),
        "bad_version": bad_request(BAD_VERSION),
        "method_not_allowed": nginx_string(v1_error(MethodNotAllowed())),
        "max_header_bytes": str(MAX_HEADER_BYTES),
    })  # fmt: skip


def front_values(*, temp_dir: Path, pid_file: Path) -> dict[str, str]:
    """The placeholders every front's template has: where nginx keeps its files in the run
    folder, the body limits, the user its workers run as, nginx's own refusals and the
    bodies every front answers by itself."""
    return {
        "temp_dir": plain_path(temp_dir),
        "pid_file": plain_path(pid_file),
        "max_body": str(MAX_BODY_BYTES),
        "v2_max_body": str(v2.MAX_BODY_BYTES),
        "user": user_directive(),
        "protocol_errors": protocol_errors(),
        "protocol_error_pages": PROTOCOL_ERROR_PAGES,
        **error_pages(),
    }
