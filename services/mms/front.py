"""The nginx front of MMS's inference and management APIs: its configuration and command.

nginx listens on the contract's port and proxies to MMS on a unix socket in the run folder
(services/mms/nginx.conf says why, services/mms/nginx-to-handler.conf how a request reaches
the handler, services/nginx-front.conf what every front shares); on the management port
(127.0.0.1 only) it checks a bearer token and every model name and archive before MMS's
management socket sees them.
The error bodies nginx answers by itself are rendered here from services.contract at every
start, so their bytes live in one place; so are the name and query patterns it checks.
"""

from __future__ import annotations

import re
from pathlib import Path

from models.spec import InvalidInput
from services.config import LOCALHOST
from services.contract import v2
from services.contract.errors import (
    ModelNotFound,
    PayloadTooLarge,
    error_body,
)
from services.contract.protocol import UNHEALTHY, render
from services.nginx import (
    INTERCEPTING_ERROR_PAGES,
    MALFORMED,
    FrontError,
    bad_request,
    front_values,
    listen_address,
    nginx_string,
    plain_path,
    render_front,
    render_template,
    v1_error,
    v2_error,
)

TEMPLATE = Path(__file__).with_name("nginx.conf")
TO_HANDLER = Path(__file__).with_name("nginx-to-handler.conf")
MODEL_VARIABLE = "${model}"  # the model name nginx captured from the request's path
VERSION_VARIABLE = "${version}"  # and the version, on the v2 routes that name one
MARKERS = {MODEL_VARIABLE: "MODEL-NAME-MARKER", VERSION_VARIABLE: "VERSION-MARKER"}

# The management API's model names: letters, digits, '_', '-' and '.', not starting with a
# dot, at most 64 characters. Nothing in them needs escaping in a path, a query, a file name,
# a log line or a JSON string, and no name is '.' or '..'.
MODEL_NAME = r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}"
# A registration's url: a plain .mar file name, resolved by MMS inside the model store. No
# scheme (MMS would download http(s) URLs), no '/' and no '..' (no way out of the store).
ARCHIVE = r"(?![^&]*\.\.)[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}\.mar"
NUMBER = r"[0-9]{1,6}"
# Every query parameter MMS 1.1.11's management API reads, each with the values it may take;
# the runtime, handler and preload_model overrides are left out: the archive says those.
# No '%' or '+' is in any value, so what nginx checks is what MMS decodes.
QUERY_PARAMETERS = {
    "url": ARCHIVE,
    "model_name": MODEL_NAME,
    "synchronous": "(?:true|false)",
    **dict.fromkeys(
        ("batch_size", "max_batch_delay", "initial_workers", "response_timeout",
         "min_worker", "max_worker", "limit", "next_page_token"),
        NUMBER,
    ),
}  # fmt: skip
MANAGEMENT_MAX_BODY = 1024  # parameters go in the query string: a body is never passed on
TOKEN = re.compile(r"[A-Za-z0-9._~+/-]{32,}=*")  # RFC 6750 b64token, as long as a generated one
BAD_NAME = "model names are 1 to 64 letters, digits, '_', '-' or '.', not starting with '.'"
BAD_QUERY = (
    "the query may only hold url=<archive>.mar (a file in the model store), "
    f"model_name=<name> ({BAD_NAME}), synchronous=true|false and "
    "numbers for batch_size, max_batch_delay, initial_workers, response_timeout, "
    "min_worker, max_worker, limit and next_page_token, each as is (not percent-encoded)"
)
UNNAMED = "registering a model needs url=<archive>.mar and model_name=<name> in the query"
UNAUTHORIZED = "the management API needs the header Authorization: Bearer <token>"


def with_variables(body: bytes) -> str:
    """A body rendered with markers in place of nginx's variables, as an nginx string that
    names them (the captures in nginx.conf only hold characters a JSON string takes as is)."""
    text = body.decode()
    for variable, marker in MARKERS.items():
        text = text.replace(marker, variable)
    return nginx_string(text.encode(), tuple(MARKERS))


def error_bodies() -> dict[str, str]:
    """The bodies only this front answers by itself (every front's: services.nginx), as
    nginx strings, from the contract's one table (v1) and the protocol's (v2)."""
    model, version = MARKERS[MODEL_VARIABLE], MARKERS[VERSION_VARIABLE]
    return {
        "bad_request": bad_request(MALFORMED),
        "model_not_found": with_variables(v1_error(ModelNotFound(model))),
        "unhealthy": nginx_string(render(UNHEALTHY)),
        "v2_server_metadata": nginx_string(render(v2.SERVER_METADATA[1])),
        "v2_model_not_found": with_variables(v2_error(ModelNotFound(model))),
        "v2_version_not_found": with_variables(v2_error(ModelNotFound(model, version))),
        "unauthorized": nginx_string(render(error_body(401, "Unauthorized", UNAUTHORIZED))),
        "bad_model_name": nginx_string(v1_error(InvalidInput(BAD_NAME))),
        "bad_query": nginx_string(v1_error(InvalidInput(BAD_QUERY))),
        "unnamed": nginx_string(v1_error(InvalidInput(UNNAMED))),
        "management_too_large": nginx_string(v1_error(PayloadTooLarge(MANAGEMENT_MAX_BODY))),
    }


def to_handler() -> dict[str, str]:
    """The lines that pass a request on to the handler, for v1 calls and v2 infer calls: the
    same in a route's location and in the one that asks the handler again for its 400 (which
    says so: the handler counts each request once)."""
    calls = {"v1": '""', "v2": "infer"}
    return {
        f"to_handler_{protocol}{suffix}": render_template(
            TO_HANDLER, {"call": call, "again": again}
        ).rstrip()
        for protocol, call in calls.items()
        for suffix, again in (("", '""'), ("_again", "1"))
    }


def management_query() -> str:
    """A regex for a whole query string made only of the parameters MMS's management API
    reads, each with a value it may take (a parameter given twice is checked each time)."""
    pair = "|".join(f"{name}={values}" for name, values in QUERY_PARAMETERS.items())
    return f"^(?:(?:{pair})(?:&(?:{pair}))*)?$"


def bearer_token(token: str) -> str:
    """The token, as nginx may compare it (a quoted string: no '$', quote or space)."""
    if not TOKEN.fullmatch(token):
        raise FrontError(
            "the MMS management token must be at least 32 of A-Z a-z 0-9 . _ ~ + / - "
            "(POLYSERVE_MMS_TOKEN, or remove the generated run/mms/management.token)"
        )
    return token


def render_config(
    *,
    host: str,
    port: int,
    socket: Path,
    management_port: int,
    management_socket: Path,
    metrics_socket: Path,
    token: str,
    temp_dir: Path,
    pid_file: Path,
    access_log: Path,
) -> str:
    """nginx.conf with this run's addresses, paths, the management API's token and the
    contract's error bodies. The management port listens on 127.0.0.1 whatever `host` is."""
    values = {
        "listen": listen_address(host, port),
        "socket": plain_path(socket),
        "management_listen": listen_address(LOCALHOST, management_port),
        "management_socket": plain_path(management_socket),
        "metrics_socket": plain_path(metrics_socket),
        "management_token": bearer_token(token),
        "management_max_body": str(MANAGEMENT_MAX_BODY),
        "model_name": MODEL_NAME,
        "management_query": management_query(),
        "access_log": plain_path(access_log),
        "intercepting_error_pages": INTERCEPTING_ERROR_PAGES,
        **front_values(temp_dir=temp_dir, pid_file=pid_file),
        **error_bodies(),
        **to_handler(),
    }
    return render_front(TEMPLATE, values)
