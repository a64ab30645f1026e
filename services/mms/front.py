"""The nginx front of MMS's inference API: its configuration and its command.

nginx listens on the contract's port and proxies to MMS on a unix socket in the run folder
(services/mms/nginx.conf says why). The error bodies nginx answers by itself are rendered
here from services.contract at every start, so their bytes live in one place.
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
    ModelNotFound,
    ModelNotReady,
    PayloadTooLarge,
    RouteNotFound,
    error_response,
)
from services.contract.protocol import MAX_BODY_BYTES, UNHEALTHY, render

TEMPLATE = Path(__file__).with_name("nginx.conf")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
MODEL_VARIABLE = "${model}"  # the model name nginx captured from the request's path
VERSION_VARIABLE = "${version}"  # and the version, on the v2 routes that name one
MARKERS = {MODEL_VARIABLE: "MODEL-NAME-MARKER", VERSION_VARIABLE: "VERSION-MARKER"}
UNAVAILABLE = "the model server cannot answer now; try again shortly"


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


def with_variables(body: bytes) -> str:
    """A body rendered with markers in place of nginx's variables, as an nginx string that
    names them (the captures in nginx.conf only hold characters a JSON string takes as is)."""
    text = body.decode()
    for variable, marker in MARKERS.items():
        text = text.replace(marker, variable)
    return nginx_string(text.encode(), tuple(MARKERS))


def error_bodies() -> dict[str, str]:
    """The bodies nginx answers by itself, as nginx strings, from the contract's one table
    (v1) and the protocol's (v2)."""

    def error(exception: Exception) -> bytes:
        return render(error_response(exception)[1])

    def v2_error(exception: Exception) -> bytes:
        return render(v2.error_reply(exception)[1])

    model, version = MARKERS[MODEL_VARIABLE], MARKERS[VERSION_VARIABLE]
    return {
        "method_not_allowed": nginx_string(error(MethodNotAllowed())),
        "route_not_found": nginx_string(error(RouteNotFound())),
        "model_not_found": with_variables(error(ModelNotFound(model))),
        "payload_too_large": nginx_string(error(PayloadTooLarge(MAX_BODY_BYTES))),
        "unavailable": nginx_string(error(ModelNotReady(UNAVAILABLE))),
        "unhealthy": nginx_string(render(UNHEALTHY)),
        "v2_server_metadata": nginx_string(render(v2.SERVER_METADATA[1])),
        "v2_method_not_allowed": nginx_string(v2_error(MethodNotAllowed())),
        "v2_route_not_found": nginx_string(v2_error(RouteNotFound())),
        "v2_model_not_found": with_variables(v2_error(ModelNotFound(model))),
        "v2_version_not_found": with_variables(v2_error(ModelNotFound(model, version))),
        "v2_payload_too_large": nginx_string(v2_error(PayloadTooLarge(v2.MAX_BODY_BYTES))),
        "v2_unavailable": nginx_string(v2_error(ModelNotReady(UNAVAILABLE))),
    }


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


def render_config(
    *, host: str, port: int, socket: Path, temp_dir: Path, pid_file: Path, access_log: Path
) -> str:
    """nginx.conf with this run's addresses, paths and the contract's error bodies."""
    values = {
        "listen": listen_address(host, port),
        "socket": plain_path(socket),
        "temp_dir": plain_path(temp_dir),
        "pid_file": plain_path(pid_file),
        "access_log": plain_path(access_log),
        "max_body": str(MAX_BODY_BYTES),
        "v2_max_body": str(v2.MAX_BODY_BYTES),
        "user": user_directive(),
        **error_bodies(),
    }

    def fill(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise FrontError(f"{TEMPLATE} has an unknown placeholder {match.group(0)}") from None

    return PLACEHOLDER.sub(fill, TEMPLATE.read_text())
